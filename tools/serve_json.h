/* The JSON bodies of `rnnrt serve` (tools/serve.c): a strict reader for the one shape a
 * request carries (an object whose field holds rows of numbers) that names the field in
 * its errors, and a writer of float rows that round-trip exactly (9 significant digits).
 * cJSON would build a node per number; a request of 10 steps of 512 floats has 5,120. */
#ifndef RNNRT_SERVE_JSON_H
#define RNNRT_SERVE_JSON_H

#include <stddef.h>

/* Reads {"<key>": [[n, ...], ...]} from s (NUL-terminated, n bytes): rows of exactly
 * `width` numbers each, or one flat row [n, ...] for a single step; other fields are
 * errors. Numbers are read as float32 (strtof: correctly rounded). Returns the row count
 * (>= 1) with the values in *floats (malloc'd), or -1 with a message in err that names the
 * field ("x[3][7]: expected a number"). */
int serve_json_rows(const char *s, size_t n, const char *key, int width, float **floats,
                    char *err, size_t errlen);

/* Reads {"<key>": [i, ...]}: a flat array of integers (token ids), at least one. Returns
 * the count with the values in *ints (malloc'd), or -1 with a message in err. */
int serve_json_ints(const char *s, size_t n, const char *key, int **ints, char *err,
                    size_t errlen);

/* {"<key>": [[v, ...], ...]} of rows x width floats, 9 significant digits (null for a
 * non-finite value, which JSON cannot hold); malloc'd, its length in *len. NULL when out of
 * memory. */
char *serve_json_write_rows(const char *key, const float *v, int rows, int width, size_t *len);

/* Writes a float as JSON (9 significant digits, "null" if not finite) at p; returns the end.
 * p needs room for 16 characters. */
char *serve_json_float(char *p, float f);

#endif
