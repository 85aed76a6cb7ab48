/* A small reader and writer of NumPy .npy files (format versions 1-3, C order), for the
 * command-line tool. Every header field is checked before the data is trusted. */
#ifndef RNNRT_TOOLS_NPY_H
#define RNNRT_TOOLS_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 8

typedef struct npy_array {
    char kind;          /* 'f' float, 'i' signed int, 'u' unsigned int */
    int item_size;      /* bytes per element */
    int ndim;
    uint64_t shape[NPY_MAX_DIMS];
    uint64_t count;     /* product of shape */
    void *data;         /* count * item_size bytes, native little-endian */
} npy_array;

/* Returns 0 on success; on failure -1 with a message in err. */
int npy_parse(const unsigned char *buf, size_t size, npy_array *out, char *err, size_t errlen);
int npy_load(const char *path, npy_array *out, char *err, size_t errlen);
int npy_save_f32(const char *path, const float *data, const uint64_t *shape, int ndim,
                 char *err, size_t errlen);
void npy_free(npy_array *a);

/* Copies to float32 (from f4/f8) or int32 (from i4/i8 with range check); 0 on success. */
int npy_to_f32(const npy_array *a, float **out, char *err, size_t errlen);
int npy_to_i32(const npy_array *a, int **out, char *err, size_t errlen);

#endif
