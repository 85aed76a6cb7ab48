/* safetensors: u64 little-endian header length N, N bytes of JSON, then the data.
 * Everything the JSON says is checked against the buffer before it is trusted: lengths,
 * offsets inside the data, sizes that agree with shapes, no overflow, no overlap, no
 * duplicate names. */
#include "alloc.h"
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "half.h"

static const struct {
    const char *name;
    rnnrt_st_dtype dtype;
    size_t size;
} dtypes[] = {
    {"F32", RNNRT_ST_F32, 4},   {"F16", RNNRT_ST_F16, 2},   {"BF16", RNNRT_ST_BF16, 2},
    {"F64", RNNRT_ST_F64, 8},   {"I8", RNNRT_ST_I8, 1},     {"U8", RNNRT_ST_U8, 1},
    {"I16", RNNRT_ST_I16, 2},   {"U16", RNNRT_ST_U16, 2},   {"I32", RNNRT_ST_I32, 4},
    {"U32", RNNRT_ST_U32, 4},   {"I64", RNNRT_ST_I64, 8},   {"U64", RNNRT_ST_U64, 8},
    {"BOOL", RNNRT_ST_BOOL, 1}, {"F8_E4M3", RNNRT_ST_F8_E4M3, 1},
    {"F8_E5M2", RNNRT_ST_F8_E5M2, 1},
};

const char *rnnrt_st_dtype_name(rnnrt_st_dtype d)
{
    for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++)
        if (dtypes[k].dtype == d)
            return dtypes[k].name;
    return "?";
}

size_t rnnrt_st_dtype_size(rnnrt_st_dtype d)
{
    for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++)
        if (dtypes[k].dtype == d)
            return dtypes[k].size;
    return 0;
}

/* A JSON number that is an exact non-negative integer below 2^53 (doubles are exact there). */
static int json_uint(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item))
        return 0;
    double v = item->valuedouble;
    if (!(v >= 0.0) || v > 9007199254740992.0 || v != (double)(uint64_t)v)
        return 0;
    *out = (uint64_t)v;
    return 1;
}

static rnnrt_status parse_tensor(const cJSON *entry, const unsigned char *data, uint64_t data_size,
                                 rnnrt_st_tensor *t)
{
    const char *name = entry->string;
    if (!cJSON_IsObject(entry))
        return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s': header entry is not a JSON object", name);

    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
    if (!cJSON_IsString(dtype))
        return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s': missing or non-string \"dtype\"", name);
    size_t k = 0, ndtypes = sizeof dtypes / sizeof dtypes[0];
    while (k < ndtypes && strcmp(dtypes[k].name, dtype->valuestring))
        k++;
    if (k == ndtypes)
        return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s': unknown dtype \"%.32s\"", name,
                          dtype->valuestring);
    t->dtype = dtypes[k].dtype;

    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    if (!cJSON_IsArray(shape))
        return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s': missing or non-array \"shape\"", name);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > RNNRT_ST_MAX_DIMS)
        return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s': shape has %d dimensions (at most %d)",
                          name, ndim, RNNRT_ST_MAX_DIMS);
    t->ndim = ndim;
    t->count = 1;
    const cJSON *dim;
    int d = 0;
    cJSON_ArrayForEach(dim, shape) {
        uint64_t v;
        if (!json_uint(dim, &v))
            return rnnrt_fail(RNNRT_E_FORMAT,
                              "tensor '%s': shape[%d] is not a non-negative integer", name, d);
        if (v != 0 && t->count > UINT64_MAX / v)
            return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s': shape's element count overflows",
                              name);
        t->shape[d++] = v;
        t->count *= v;
    }

    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    uint64_t begin, end;
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        !json_uint(cJSON_GetArrayItem(offsets, 0), &begin) ||
        !json_uint(cJSON_GetArrayItem(offsets, 1), &end))
        return rnnrt_fail(RNNRT_E_FORMAT,
                          "tensor '%s': \"data_offsets\" must be two non-negative integers", name);
    if (begin > end || end > data_size)
        return rnnrt_fail(RNNRT_E_FORMAT,
                          "tensor '%s': data_offsets [%llu, %llu] outside the %llu data bytes",
                          name, (unsigned long long)begin, (unsigned long long)end,
                          (unsigned long long)data_size);
    uint64_t elem = dtypes[k].size;
    if (t->count > UINT64_MAX / elem || t->count * elem != end - begin)
        return rnnrt_fail(RNNRT_E_FORMAT,
                          "tensor '%s': data_offsets span %llu bytes but the shape needs "
                          "%llu elements of %s", name, (unsigned long long)(end - begin),
                          (unsigned long long)t->count, dtypes[k].name);
    t->data = data + begin;
    t->nbytes = (size_t)(end - begin);
    return RNNRT_OK;
}

/* Ties broken by size, so an empty tensor at the offset where another begins ([16, 16] next
 * to [16, 32], as PyTorch writes empty tensors) sorts first and is not taken for an overlap. */
static int by_offset(const void *a, const void *b)
{
    const rnnrt_st_tensor *x = a, *y = b;
    if (x->data != y->data)
        return (x->data > y->data) - (x->data < y->data);
    return (x->nbytes > y->nbytes) - (x->nbytes < y->nbytes);
}

static int by_name(const void *a, const void *b)
{
    const rnnrt_st_tensor *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Sorted by offset, each tensor must end before the next begins; sorted by name, no two
 * names may repeat (cJSON keeps duplicate keys as separate items). Leaves them by name. */
static rnnrt_status check_layout(rnnrt_st_file *f)
{
    qsort(f->tensors, f->count, sizeof *f->tensors, by_offset);
    for (size_t k = 1; k < f->count; k++) {
        const rnnrt_st_tensor *p = &f->tensors[k - 1], *t = &f->tensors[k];
        if (p->data + p->nbytes > t->data)
            return rnnrt_fail(RNNRT_E_FORMAT, "tensors '%s' and '%s' overlap in the data",
                              p->name, t->name);
    }
    qsort(f->tensors, f->count, sizeof *f->tensors, by_name);
    for (size_t k = 1; k < f->count; k++)
        if (!strcmp(f->tensors[k - 1].name, f->tensors[k].name))
            return rnnrt_fail(RNNRT_E_FORMAT, "duplicate tensor '%s' in the header",
                              f->tensors[k].name);
    return RNNRT_OK;
}

static rnnrt_status parse_metadata(const cJSON *meta, rnnrt_st_file *f)
{
    if (!cJSON_IsObject(meta))
        return rnnrt_fail(RNNRT_E_FORMAT, "\"__metadata__\" is not a JSON object");
    int n = cJSON_GetArraySize(meta);
    f->meta_keys = rnnrt_calloc((size_t)n + 1, sizeof *f->meta_keys);
    f->meta_values = rnnrt_calloc((size_t)n + 1, sizeof *f->meta_values);
    if (!f->meta_keys || !f->meta_values)
        return rnnrt_fail(RNNRT_E_NOMEM, "out of memory reading the metadata");
    const cJSON *item;
    cJSON_ArrayForEach(item, meta) {
        if (!cJSON_IsString(item))
            return rnnrt_fail(RNNRT_E_FORMAT, "\"__metadata__\" value of '%s' is not a string",
                              item->string);
        size_t k = f->meta_count;
        f->meta_keys[k] = rnnrt_strdup(item->string);
        f->meta_values[k] = rnnrt_strdup(item->valuestring);
        f->meta_count++;
        if (!f->meta_keys[k] || !f->meta_values[k])
            return rnnrt_fail(RNNRT_E_NOMEM, "out of memory reading the metadata");
    }
    return RNNRT_OK;
}

static rnnrt_status parse_header(const cJSON *root, const unsigned char *data, uint64_t data_size,
                                 rnnrt_st_file *f)
{
    if (!cJSON_IsObject(root))
        return rnnrt_fail(RNNRT_E_FORMAT, "the JSON header is not an object");
    size_t n = (size_t)cJSON_GetArraySize(root);
    f->tensors = rnnrt_calloc(n + 1, sizeof *f->tensors);
    if (!f->tensors)
        return rnnrt_fail(RNNRT_E_NOMEM, "out of memory for %zu tensor entries", n);
    const cJSON *entry;
    cJSON_ArrayForEach(entry, root) {
        rnnrt_status s;
        if (!strcmp(entry->string, "__metadata__")) {
            if (f->meta_keys)
                return rnnrt_fail(RNNRT_E_FORMAT, "duplicate \"__metadata__\" in the header");
            s = parse_metadata(entry, f);
        } else {
            rnnrt_st_tensor *t = &f->tensors[f->count];
            t->name = rnnrt_strdup(entry->string);
            if (!t->name)
                return rnnrt_fail(RNNRT_E_NOMEM, "out of memory for tensor names");
            f->count++;
            s = parse_tensor(entry, data, data_size, t);
        }
        if (s != RNNRT_OK)
            return s;
    }
    return check_layout(f);
}

rnnrt_status rnnrt_st_parse(const void *buffer, size_t size, rnnrt_st_file *out)
{
    const unsigned char *bytes = buffer;
    rnnrt_st_file f = {0};
    if (size < 8)
        return rnnrt_fail(RNNRT_E_FORMAT,
                          "file is %zu bytes, too short for the 8-byte safetensors header length",
                          size);
    uint64_t header_len = 0;
    for (int k = 7; k >= 0; k--)
        header_len = header_len << 8 | bytes[k];
    if (header_len == 0 || header_len > size - 8)
        return rnnrt_fail(RNNRT_E_FORMAT,
                          "header length %llu does not fit in the %zu bytes after it",
                          (unsigned long long)header_len, size - 8);
    if (header_len > RNNRT_ST_MAX_HEADER)
        return rnnrt_fail(RNNRT_E_FORMAT, "header length %llu exceeds the 100 MB limit",
                          (unsigned long long)header_len);

    cJSON *root = cJSON_ParseWithLength((const char *)bytes + 8, (size_t)header_len);
    if (!root)
        return rnnrt_fail(RNNRT_E_FORMAT, "the header is not valid JSON");
    rnnrt_status s = parse_header(root, bytes + 8 + header_len, size - 8 - header_len, &f);
    cJSON_Delete(root);
    if (s != RNNRT_OK) {
        rnnrt_st_free(&f);
        return s;
    }
    *out = f;
    return RNNRT_OK;
}

void rnnrt_st_free(rnnrt_st_file *f)
{
    if (!f)
        return;
    for (size_t k = 0; k < f->count; k++)
        rnnrt_free(f->tensors[k].name);
    for (size_t k = 0; k < f->meta_count; k++) {
        rnnrt_free(f->meta_keys[k]);
        rnnrt_free(f->meta_values[k]);
    }
    rnnrt_free(f->tensors);
    rnnrt_free(f->meta_keys);
    rnnrt_free(f->meta_values);
    memset(f, 0, sizeof *f);
}

const rnnrt_st_tensor *rnnrt_st_find(const rnnrt_st_file *f, const char *name)
{
    rnnrt_st_tensor key = {.name = (char *)name};
    return bsearch(&key, f->tensors, f->count, sizeof *f->tensors, by_name);
}

bool rnnrt_st_is_float(const rnnrt_st_tensor *t)
{
    return t->dtype == RNNRT_ST_F32 || t->dtype == RNNRT_ST_F16 || t->dtype == RNNRT_ST_BF16;
}

float rnnrt_st_float(const rnnrt_st_tensor *t, uint64_t k)
{
    const unsigned char *p = t->data; /* little-endian and unaligned in the file */
    float v;
    switch (t->dtype) {
    case RNNRT_ST_F32: memcpy(&v, p + 4 * k, 4); return v;
    case RNNRT_ST_F16: return rnnrt_f16_to_f32((uint16_t)(p[2 * k] | p[2 * k + 1] << 8));
    default: return rnnrt_bf16_to_f32((uint16_t)(p[2 * k] | p[2 * k + 1] << 8));
    }
}

const char *rnnrt_st_shape_string(const rnnrt_st_tensor *t, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int k = 0; k < t->ndim && used + 24 < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%llu", k ? ", " : "",
                                 (unsigned long long)t->shape[k]);
    snprintf(buf + used, size - used, "]");
    return buf;
}

const char *rnnrt_st_metadata(const rnnrt_st_file *f, const char *key)
{
    for (size_t k = 0; k < f->meta_count; k++)
        if (!strcmp(f->meta_keys[k], key))
            return f->meta_values[k];
    return NULL;
}
