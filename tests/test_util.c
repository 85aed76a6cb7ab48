#include "test_util.h"

#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dispatch.h"
#include "safetensors.h"

const char *test_data_dir = "tests/data";

unsigned char *read_file_bytes(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

char **manifest_read(const char *path, int *count)
{
    size_t size;
    unsigned char *text = read_file_bytes(path, &size);
    if (!text)
        fail_msg("cannot read %s", path);
    char **lines = calloc(size + 1, sizeof *lines);
    int n = 0;
    size_t start = 0;
    for (size_t k = 0; k <= size; k++) {
        if (k == size || text[k] == '\n') {
            if (k > start) {
                lines[n] = strndup((const char *)text + start, k - start);
                n++;
            }
            start = k + 1;
        }
    }
    free(text);
    *count = n;
    return lines;
}

void manifest_free(char **lines, int count)
{
    for (int k = 0; k < count; k++)
        free(lines[k]);
    free(lines);
}

/* A float32 copy of an F32 or I32 tensor of the io file, or NULL if absent. */
static void *io_tensor(const rnnrt_st_file *f, const char *name, rnnrt_st_dtype dtype,
                       size_t expect_count)
{
    const rnnrt_st_tensor *t = rnnrt_st_find(f, name);
    if (!t)
        return NULL;
    assert_int_equal(t->dtype, dtype);
    if (expect_count)
        assert_int_equal(t->count, expect_count);
    void *v = malloc(t->nbytes ? t->nbytes : 1);
    memcpy(v, t->data, t->nbytes);
    return v;
}

void golden_load(const char *dir, const char *name, golden *g)
{
    char path[512];
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", name);
    snprintf(path, sizeof path, "%s/golden/%s.model.safetensors", dir, name);
    rnnrt_status s = rnnrt_model_load(path, &g->model);
    if (s)
        fail_msg("%s: %s", path, rnnrt_last_error());

    snprintf(path, sizeof path, "%s/golden/%s.io.safetensors", dir, name);
    size_t size;
    unsigned char *bytes = read_file_bytes(path, &size);
    if (!bytes)
        fail_msg("cannot read %s", path);
    rnnrt_st_file f;
    if (rnnrt_st_parse(bytes, size, &f))
        fail_msg("%s: %s", path, rnnrt_last_error());
    const rnnrt_st_tensor *x = rnnrt_st_find(&f, "x");
    assert_non_null(x);
    assert_int_equal(x->ndim, 3);
    g->seq_len = (int)x->shape[0];
    g->batch = (int)x->shape[1];
    g->input_size = (int)x->shape[2];
    g->output_size = rnnrt_model_output_size(g->model);
    assert_int_equal(g->input_size, rnnrt_model_input_size(g->model));
    int units = rnnrt_model_num_layers(g->model) * rnnrt_model_num_directions(g->model);
    g->h_count = (size_t)units * g->batch * rnnrt_model_state_h_size(g->model);
    g->c_count = !model_has_c(g->model)
                     ? 0 : (size_t)units * g->batch * rnnrt_model_hidden_size(g->model);
    size_t tb = (size_t)g->seq_len * g->batch;
    g->x = io_tensor(&f, "x", RNNRT_ST_F32, tb * g->input_size);
    g->y = io_tensor(&f, "y", RNNRT_ST_F32, tb * g->output_size);
    g->hn = io_tensor(&f, "hn", RNNRT_ST_F32, g->h_count);
    g->h0 = io_tensor(&f, "h0", RNNRT_ST_F32, g->h_count);
    if (g->c_count) {
        g->cn = io_tensor(&f, "cn", RNNRT_ST_F32, g->c_count);
        g->c0 = io_tensor(&f, "c0", RNNRT_ST_F32, g->c_count);
        assert_non_null(g->cn);
    }
    g->lengths = io_tensor(&f, "lengths", RNNRT_ST_I32, (size_t)g->batch);
    const char *fp32 = rnnrt_st_metadata(&f, "torch_fp32_error");
    g->torch_fp32_error = fp32 ? strtod(fp32, NULL) : 0.0;
    assert_non_null(g->y);
    assert_non_null(g->hn);
    rnnrt_st_free(&f);
    free(bytes);
}

void golden_free(golden *g)
{
    rnnrt_model_free(g->model);
    free(g->x);
    free(g->y);
    free(g->h0);
    free(g->c0);
    free(g->hn);
    free(g->cn);
    free(g->lengths);
    memset(g, 0, sizeof *g);
}

double max_rel_error(const float *got, const float *ref, size_t n, size_t *where)
{
    double worst = 0.0;
    size_t at = 0;
    for (size_t k = 0; k < n; k++) {
        double e;
        if (isnan(got[k]) || isnan(ref[k]))
            e = isnan(got[k]) && isnan(ref[k]) ? 0.0 : INFINITY;
        else
            e = fabs((double)got[k] - ref[k]) / fmax(1.0, fabs((double)ref[k]));
        if (e > worst) {
            worst = e;
            at = k;
        }
    }
    if (where)
        *where = at;
    return worst;
}

int wrapping_seq_len(int batch, uint64_t width)
{
    uint64_t step = (uint64_t)batch * width * sizeof(float); /* bytes per time step */
    uint64_t t = UINT64_MAX / step + 1;
    if (t > INT_MAX)
        fail_msg("no seq_len below 2^31 wraps %d x %llu floats a step", batch,
                 (unsigned long long)width);
    return (int)t;
}

void swap_axes(float *dst, const float *src, int outer, int inner, size_t w)
{
    for (int i = 0; i < inner; i++)
        for (int o = 0; o < outer; o++)
            memcpy(dst + ((size_t)o * inner + i) * w, src + ((size_t)i * outer + o) * w,
                   w * sizeof *dst);
}

int model_has_c(const rnnrt_model *m)
{
    rnnrt_cell c = rnnrt_model_cell(m);
    return c == RNNRT_CELL_LSTM || c == RNNRT_CELL_LSTM_PEEPHOLE || c == RNNRT_CELL_LSTM_COUPLED;
}

int model_any_reverse_layer(const rnnrt_model *m)
{
    for (int k = 0; k < rnnrt_model_num_layers(m); k++)
        if (rnnrt_model_layer_reverse(m, k))
            return 1;
    return 0;
}

int kernel_set_count(void)
{
    return rnnrt_kernel_set_count;
}

const char *kernel_set_name(int i)
{
    return rnnrt_kernel_set_names[i];
}

int per_set_tests(struct CMUnitTest *out, const char *prefix, void (*fn)(void **state))
{
    static char names[64][96]; /* the names outlive main's test array */
    static int used;
    int n = 0;
    for (int i = 0; i < rnnrt_kernel_set_count && used < 64; i++, used++, n++) {
        snprintf(names[used], sizeof names[used], "%s%s", prefix, rnnrt_kernel_set_names[i]);
        out[n] = (struct CMUnitTest){names[used], fn, NULL, NULL,
                                     (void *)rnnrt_kernel_set_names[i]};
    }
    return n;
}

unsigned test_random(unsigned *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return *seed >> 8;
}

unsigned test_seed(void)
{
    const char *env = getenv("RNNRT_TEST_SEED");
    return env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
}

int shuffle_chunks(const int *chunks, int n, unsigned *seed, int **order, int **chunk_of)
{
    int tasks = 0;
    for (int s = 0; s < n; s++)
        tasks += chunks[s];
    int *o = malloc((size_t)tasks * sizeof *o), *c = malloc((size_t)tasks * sizeof *c);
    int *seen = calloc((size_t)n, sizeof *seen);
    for (int s = 0, k = 0; s < n; s++)
        for (int j = 0; j < chunks[s]; j++)
            o[k++] = s;
    for (int k = tasks - 1; k > 0; k--) {
        int j = (int)(test_random(seed) % (unsigned)(k + 1)), v = o[k];
        o[k] = o[j];
        o[j] = v;
    }
    for (int k = 0; k < tasks; k++)
        c[k] = seen[o[k]]++;
    free(seen);
    *order = o;
    *chunk_of = c;
    return tasks;
}
