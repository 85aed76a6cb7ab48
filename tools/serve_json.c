/* JSON bodies of `rnnrt serve`: serve_json.h says what and why. */
#include "serve_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const char *p, *end;
    char *err;
    size_t errlen;
} reader;

static int fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_space(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

/* The next non-space character, consumed if it is c. */
static int accept(reader *r, char c)
{
    skip_space(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return 1;
    }
    return 0;
}

/* A JSON number's extent from r->p (RFC 8259's grammar), or 0 if there is none. */
static size_t number_length(const reader *r)
{
    const char *q = r->p, *e = r->end;
    if (q < e && *q == '-')
        q++;
    if (q >= e || *q < '0' || *q > '9')
        return 0;
    if (*q == '0')
        q++;
    else
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    if (q < e && *q == '.') {
        if (++q >= e || *q < '0' || *q > '9')
            return 0;
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        if (++q < e && (*q == '+' || *q == '-'))
            q++;
        if (q >= e || *q < '0' || *q > '9')
            return 0;
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    }
    return (size_t)(q - r->p);
}

/* One number into *v (the body is NUL-terminated, so strtof stops at its end). */
static int read_number(reader *r, float *v, const char *key, int row, int col)
{
    skip_space(r);
    const size_t n = number_length(r);
    const char next = r->p + n < r->end ? r->p[n] : ' ';
    if (!n || (next >= '0' && next <= '9') || next == '.' || next == 'e' || next == 'E' ||
        next == '+' || next == '-') /* "01", "1.2.3": not one number */
        return col < 0 ? fail(r, "%s[%d]: expected a number", key, row)
                       : fail(r, "%s[%d][%d]: expected a number", key, row, col);
    *v = strtof(r->p, NULL);
    r->p += n;
    return 0;
}

/* The object's one field, `key`: positions r after its colon. */
static int open_field(reader *r, const char *key)
{
    if (!accept(r, '{'))
        return fail(r, "the body must be a JSON object {\"%s\": ...}", key);
    skip_space(r);
    const size_t k = strlen(key);
    if (r->end - r->p < (long)k + 2 || r->p[0] != '"' || memcmp(r->p + 1, key, k) ||
        r->p[k + 1] != '"') {
        const char *q = r->p + (r->p < r->end && *r->p == '"');
        int len = 0;
        while (q + len < r->end && q[len] != '"' && len < 32)
            len++;
        return fail(r, "expected the field \"%s\", found %s%.*s%s", key,
                    r->p < r->end && *r->p == '"' ? "\"" : "", len, q,
                    r->p < r->end && *r->p == '"' ? "\"" : "");
    }
    r->p += k + 2;
    if (!accept(r, ':'))
        return fail(r, "\"%s\": expected ':'", key);
    return 0;
}

/* The end of the object after the field's value. */
static int close_object(reader *r, const char *key)
{
    if (accept(r, ','))
        return fail(r, "unexpected field after \"%s\": the body holds \"%s\" only", key, key);
    if (!accept(r, '}'))
        return fail(r, "\"%s\": expected '}' after its value", key);
    skip_space(r);
    return r->p == r->end ? 0 : fail(r, "unexpected text after the JSON object");
}

/* A row [n, ...] of exactly width numbers into v (row -1: the flat form). */
static int read_row(reader *r, float *v, int width, const char *key, int row)
{
    for (int j = 0; j < width; j++) {
        if (j && !accept(r, ','))
            return row < 0 ? fail(r, "%s has %d numbers, expected %d", key, j, width)
                           : fail(r, "%s[%d] has %d numbers, expected %d", key, row, j, width);
        if (read_number(r, &v[j], key, row < 0 ? j : row, row < 0 ? -1 : j))
            return -1;
    }
    if (!accept(r, ']'))
        return row < 0 ? fail(r, "%s has more than %d numbers", key, width)
                       : fail(r, "%s[%d] has more than %d numbers", key, row, width);
    return 0;
}

int serve_json_rows(const char *s, size_t n, const char *key, int width, float **floats,
                    char *err, size_t errlen)
{
    reader r = {s, s + n, err, errlen};
    *floats = NULL;
    err[0] = '\0';
    if (open_field(&r, key))
        return -1;
    if (!accept(&r, '['))
        return fail(&r, "%s: expected an array of steps", key);
    skip_space(&r);
    const int flat = r.p < r.end && *r.p != '[';
    int rows = 0, cap = 0;
    float *v = NULL;
    do {
        if (rows == cap) {
            cap = cap ? 2 * cap : 16;
            float *w = (size_t)cap * width < ((size_t)1 << 40) / sizeof *w
                           ? realloc(v, (size_t)cap * width * sizeof *w) : NULL;
            if (!w) {
                free(v);
                return fail(&r, "%s: out of memory for %d steps", key, cap);
            }
            v = w;
        }
        if ((!flat && !accept(&r, '[')) ||
            read_row(&r, v + (size_t)rows * width, width, key, flat ? -1 : rows)) {
            if (!flat && !*err)
                fail(&r, "%s[%d]: expected an array of %d numbers", key, rows, width);
            free(v);
            return -1;
        }
        rows++;
    } while (!flat && accept(&r, ','));
    if ((!flat && !accept(&r, ']')) || close_object(&r, key)) {
        if (!*err)
            fail(&r, "%s: expected ',' or ']' after step %d", key, rows - 1);
        free(v);
        return -1;
    }
    *floats = v;
    return rows;
}

int serve_json_ints(const char *s, size_t n, const char *key, int **ints, char *err,
                    size_t errlen)
{
    reader r = {s, s + n, err, errlen};
    *ints = NULL;
    err[0] = '\0';
    if (open_field(&r, key))
        return -1;
    if (!accept(&r, '['))
        return fail(&r, "%s: expected an array of integers", key);
    int count = 0, cap = 0, *v = NULL;
    do {
        skip_space(&r);
        const size_t len = number_length(&r);
        char *end;
        const long id = len ? strtol(r.p, &end, 10) : 0;
        if (!len || end != r.p + len || id < 0 || id > 0x7fffffff) {
            free(v);
            return fail(&r, "%s[%d]: expected a non-negative integer", key, count);
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            int *w = realloc(v, (size_t)cap * sizeof *w);
            if (!w) {
                free(v);
                return fail(&r, "%s: out of memory", key);
            }
            v = w;
        }
        v[count++] = (int)id;
        r.p += len;
    } while (accept(&r, ','));
    if (!accept(&r, ']') || close_object(&r, key)) {
        if (!*err)
            fail(&r, "%s: expected ',' or ']' after element %d", key, count - 1);
        free(v);
        return -1;
    }
    *ints = v;
    return count;
}

/* Powers of ten, 10^-60 .. 10^60, as the compiler rounds their literals. */
static const double pow10_table[121] = {
    1e-60, 1e-59, 1e-58, 1e-57, 1e-56, 1e-55, 1e-54, 1e-53, 1e-52, 1e-51, 1e-50, 1e-49, 1e-48,
    1e-47, 1e-46, 1e-45, 1e-44, 1e-43, 1e-42, 1e-41, 1e-40, 1e-39, 1e-38, 1e-37, 1e-36, 1e-35,
    1e-34, 1e-33, 1e-32, 1e-31, 1e-30, 1e-29, 1e-28, 1e-27, 1e-26, 1e-25, 1e-24, 1e-23, 1e-22,
    1e-21, 1e-20, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9,
    1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37,
    1e38, 1e39, 1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47, 1e48, 1e49, 1e50, 1e51, 1e52,
    1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59, 1e60
};

static double pow10_of(int k)
{
    return pow10_table[k + 60];
}

/* 9 significant digits round-trip any float: the decimal is within 1.5 units of its last
 * digit (one for the double products' rounding), below half a float ulp (2^-25 relative). */
char *serve_json_float(char *p, float f)
{
    if (!isfinite(f)) {
        memcpy(p, "null", 4);
        return p + 4;
    }
    if (f == 0.0f) {
        if (signbit(f))
            *p++ = '-';
        *p++ = '0';
        return p;
    }
    double v = f;
    if (v < 0) {
        *p++ = '-';
        v = -v;
    }
    int e10 = (int)floor(log10(v));
    uint64_t m = (uint64_t)(v * pow10_of(8 - e10) + 0.5);
    if (m >= 1000000000u) { /* log10 or the rounding carried a digit */
        m = (m + 5) / 10;
        e10++;
    } else if (m < 100000000u) {
        m = (uint64_t)(v * pow10_of(9 - e10) + 0.5);
        e10--;
    }
    char d[9];
    for (int i = 8; i >= 0; i--, m /= 10)
        d[i] = (char)('0' + m % 10);
    int nd = 9;
    while (nd > 1 && d[nd - 1] == '0')
        nd--;
    if (e10 >= -5 && e10 < 9) { /* plain: 0.000123, 12.5, 123456789 */
        if (e10 < 0) {
            *p++ = '0';
            *p++ = '.';
            for (int i = -1; i > e10; i--)
                *p++ = '0';
            memcpy(p, d, (size_t)nd);
            return p + nd;
        }
        for (int i = 0; i <= e10; i++)
            *p++ = i < nd ? d[i] : '0';
        if (nd > e10 + 1) {
            *p++ = '.';
            memcpy(p, d + e10 + 1, (size_t)(nd - e10 - 1));
            p += nd - e10 - 1;
        }
        return p;
    }
    *p++ = d[0];
    if (nd > 1) {
        *p++ = '.';
        memcpy(p, d + 1, (size_t)nd - 1);
        p += nd - 1;
    }
    return p + sprintf(p, "e%d", e10);
}

char *serve_json_write_rows(const char *key, const float *v, int rows, int width, size_t *len)
{
    const size_t cap = strlen(key) + 16 + (size_t)rows * (3 + (size_t)width * 17);
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    p += sprintf(p, "{\"%s\":[", key);
    for (int i = 0; i < rows; i++) {
        if (i)
            *p++ = ',';
        *p++ = '[';
        for (int j = 0; j < width; j++) {
            if (j)
                *p++ = ',';
            p = serve_json_float(p, v[(size_t)i * width + j]);
        }
        *p++ = ']';
    }
    memcpy(p, "]}", 3);
    *len = (size_t)(p - out) + 2;
    return out;
}
