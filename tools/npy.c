#include "npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The value text that follows 'key': in the header dict, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *p = strstr(dict, quoted);
    if (!p)
        return NULL;
    p += strlen(quoted);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static int parse_descr(const char *v, npy_array *a, char *err, size_t errlen)
{
    /* v[1] and v[2] are read only when the string does not end before them */
    if (!v || v[0] != '\'' || !v[1] || !v[2])
        return fail(err, errlen, "npy header has no 'descr' string");
    char order = v[1], kind = v[2];
    int size = 0;
    if (order != '<' && order != '|' && order != '=')
        return fail(err, errlen, "npy data must be little-endian (descr order '%c')", order);
    if (sscanf(v + 3, "%d", &size) != 1 || (kind != 'f' && kind != 'i' && kind != 'u') ||
        (size != 1 && size != 2 && size != 4 && size != 8))
        return fail(err, errlen, "npy descr %.8s is not a plain number type", v);
    a->kind = kind;
    a->item_size = size;
    return 0;
}

static int parse_shape(const char *v, npy_array *a, char *err, size_t errlen)
{
    if (!v || *v != '(')
        return fail(err, errlen, "npy header has no 'shape' tuple");
    v++;
    a->ndim = 0;
    a->count = 1;
    for (;;) {
        while (*v == ' ' || *v == ',')
            v++;
        if (*v == ')')
            return 0;
        if (*v < '0' || *v > '9')
            return fail(err, errlen, "npy shape is malformed");
        if (a->ndim == NPY_MAX_DIMS)
            return fail(err, errlen, "npy array has more than %d dimensions", NPY_MAX_DIMS);
        errno = 0;
        char *end;
        unsigned long long d = strtoull(v, &end, 10);
        if (errno || (d && a->count > UINT64_MAX / d))
            return fail(err, errlen, "npy shape overflows");
        a->shape[a->ndim++] = d;
        a->count *= d;
        v = end;
    }
}

int npy_parse(const unsigned char *buf, size_t size, npy_array *out, char *err, size_t errlen)
{
    npy_array a = {0};
    if (size < 10 || memcmp(buf, "\x93NUMPY", 6))
        return fail(err, errlen, "not a .npy file (bad magic)");
    size_t hlen, hstart;
    if (buf[6] == 1) {
        hlen = buf[8] | (size_t)buf[9] << 8;
        hstart = 10;
    } else if ((buf[6] == 2 || buf[6] == 3) && size >= 12) {
        hlen = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hstart = 12;
    } else {
        return fail(err, errlen, "unsupported .npy version %d", buf[6]);
    }
    if (hlen > size - hstart)
        return fail(err, errlen, "npy header runs past the end of the file");
    char *dict = malloc(hlen + 1);
    if (!dict)
        return fail(err, errlen, "out of memory");
    memcpy(dict, buf + hstart, hlen);
    dict[hlen] = '\0';
    int rc = parse_descr(dict_value(dict, "descr"), &a, err, errlen);
    const char *fo = dict_value(dict, "fortran_order");
    if (!rc && (!fo || strncmp(fo, "False", 5)))
        rc = fail(err, errlen, "npy array must be C-ordered (fortran_order False)");
    if (!rc)
        rc = parse_shape(dict_value(dict, "shape"), &a, err, errlen);
    free(dict);
    if (rc)
        return rc;
    size_t data_size = size - hstart - hlen;
    if (a.count > data_size / (size_t)a.item_size || a.count * a.item_size != data_size)
        return fail(err, errlen, "npy data is %zu bytes, the header promises %llu x %d",
                    data_size, (unsigned long long)a.count, a.item_size);
    a.data = malloc(data_size ? data_size : 1);
    if (!a.data)
        return fail(err, errlen, "out of memory for %zu bytes", data_size);
    memcpy(a.data, buf + hstart + hlen, data_size);
    *out = a;
    return 0;
}

int npy_load(const char *path, npy_array *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, "cannot open '%s': %s", path, strerror(errno));
    unsigned char *buf = NULL;
    size_t size = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            unsigned char *grown = realloc(buf, cap);
            if (!grown) {
                rc = fail(err, errlen, "out of memory reading '%s'", path);
                break;
            }
            buf = grown;
        }
        size_t n = fread(buf + size, 1, cap - size, f);
        size += n;
        if (n == 0) {
            if (ferror(f))
                rc = fail(err, errlen, "cannot read '%s'", path);
            break;
        }
    }
    fclose(f);
    if (!rc)
        rc = npy_parse(buf, size, out, err, errlen);
    free(buf);
    return rc;
}

int npy_save_f32(const char *path, const float *data, const uint64_t *shape, int ndim,
                 char *err, size_t errlen)
{
    char dict[256], dims[160] = "";
    size_t used = 0;
    uint64_t count = 1;
    for (int k = 0; k < ndim; k++) {
        used += (size_t)snprintf(dims + used, sizeof dims - used, "%llu%s",
                                 (unsigned long long)shape[k], ndim == 1 ? "," : k + 1 < ndim ? ", " : "");
        if (shape[k] && count > SIZE_MAX / sizeof *data / shape[k])
            return fail(err, errlen, "cannot write '%s': the shape's %d dimensions hold more "
                        "bytes than memory can", path, ndim);
        count *= shape[k];
    }
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }",
                     dims);
    /* Pad with spaces so the data starts on a 64-byte boundary, newline last. */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)n + pad + 1;
    FILE *f = fopen(path, "wb");
    if (!f)
        return fail(err, errlen, "cannot create '%s': %s", path, strerror(errno));
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)n, f) == (size_t)n;
    for (size_t k = 0; ok && k < pad; k++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF && fwrite(data, sizeof(float), count, f) == count;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        remove(path); /* never leave a half-written file behind */
        return fail(err, errlen, "cannot write '%s'", path);
    }
    return 0;
}

void npy_free(npy_array *a)
{
    free(a->data);
    a->data = NULL;
}

int npy_to_f32(const npy_array *a, float **out, char *err, size_t errlen)
{
    if (a->kind != 'f' || (a->item_size != 4 && a->item_size != 8))
        return fail(err, errlen, "expected a float32 or float64 array");
    float *v = a->count <= SIZE_MAX / sizeof *v ? malloc((a->count ? a->count : 1) * sizeof *v)
                                                : NULL;
    if (!v)
        return fail(err, errlen, "out of memory");
    for (uint64_t k = 0; k < a->count; k++)
        v[k] = a->item_size == 4 ? ((const float *)a->data)[k]
                                 : (float)((const double *)a->data)[k];
    *out = v;
    return 0;
}

int npy_to_i32(const npy_array *a, int **out, char *err, size_t errlen)
{
    if (a->kind != 'i' || (a->item_size != 4 && a->item_size != 8))
        return fail(err, errlen, "expected an int32 or int64 array");
    int *v = a->count <= SIZE_MAX / sizeof *v ? malloc((a->count ? a->count : 1) * sizeof *v)
                                              : NULL;
    if (!v)
        return fail(err, errlen, "out of memory");
    for (uint64_t k = 0; k < a->count; k++) {
        long long x = a->item_size == 4 ? ((const int32_t *)a->data)[k]
                                        : ((const int64_t *)a->data)[k];
        if (x < INT32_MIN || x > INT32_MAX) {
            free(v);
            return fail(err, errlen, "element %llu (%lld) does not fit in int32",
                        (unsigned long long)k, x);
        }
        v[k] = (int)x;
    }
    *out = v;
    return 0;
}
