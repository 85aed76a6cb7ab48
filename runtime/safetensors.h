/* A validating reader of the safetensors container: header, JSON, offsets. It knows nothing
 * about recurrent networks; model_loader.c gives the tensors their meaning. */
#ifndef RNNRT_SAFETENSORS_H
#define RNNRT_SAFETENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rnnrt.h"

#define RNNRT_ST_MAX_DIMS 8
#define RNNRT_ST_MAX_HEADER ((uint64_t)100 << 20) /* 100 MB of JSON is no model */

typedef enum rnnrt_st_dtype {
    RNNRT_ST_F32, RNNRT_ST_F16, RNNRT_ST_BF16, /* the ones models may use */
    RNNRT_ST_F64, RNNRT_ST_I8, RNNRT_ST_U8, RNNRT_ST_I16, RNNRT_ST_U16, RNNRT_ST_I32,
    RNNRT_ST_U32, RNNRT_ST_I64, RNNRT_ST_U64, RNNRT_ST_BOOL, RNNRT_ST_F8_E4M3,
    RNNRT_ST_F8_E5M2,
} rnnrt_st_dtype;

typedef struct rnnrt_st_tensor {
    char *name;
    rnnrt_st_dtype dtype;
    int ndim;
    uint64_t shape[RNNRT_ST_MAX_DIMS];
    uint64_t count;               /* product of shape, checked for overflow */
    const unsigned char *data;    /* inside the caller's buffer, not aligned */
    size_t nbytes;
} rnnrt_st_tensor;

typedef struct rnnrt_st_file {
    rnnrt_st_tensor *tensors;
    size_t count;
    char **meta_keys, **meta_values; /* the "__metadata__" strings */
    size_t meta_count;
} rnnrt_st_file;

/* Parses and validates `data` (which must outlive `out`'s tensors). On failure, returns
 * RNNRT_E_FORMAT or RNNRT_E_NOMEM with a message and leaves nothing allocated. */
rnnrt_status rnnrt_st_parse(const void *data, size_t size, rnnrt_st_file *out);
void rnnrt_st_free(rnnrt_st_file *f);

const rnnrt_st_tensor *rnnrt_st_find(const rnnrt_st_file *f, const char *name);
const char *rnnrt_st_metadata(const rnnrt_st_file *f, const char *key); /* NULL if absent */
const char *rnnrt_st_dtype_name(rnnrt_st_dtype d);

/* Whether a tensor holds one of the dtypes weights may have: F32, F16 or BF16. */
bool rnnrt_st_is_float(const rnnrt_st_tensor *t);
/* Element k of an F32, F16 or BF16 tensor as float32 (exact: both halves widen). */
float rnnrt_st_float(const rnnrt_st_tensor *t, uint64_t k);
/* The shape as "[a, b, ...]" in buf, for error messages. */
const char *rnnrt_st_shape_string(const rnnrt_st_tensor *t, char *buf, size_t size);
size_t rnnrt_st_dtype_size(rnnrt_st_dtype d);

#endif
