/* Helpers shared by the test suites: golden cases, manifests, comparisons. */
#ifndef RNNRT_TEST_UTIL_H
#define RNNRT_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "rnnrt.h"

/* One golden case: the inputs and PyTorch's (or the NumPy oracle's) outputs. */
typedef struct golden {
    char name[128];
    rnnrt_model *model;
    int seq_len, batch, input_size, output_size;
    float *x, *y, *h0, *c0, *hn, *cn; /* h0/c0 NULL when the case starts from zeros */
    int *lengths;                     /* NULL when every sequence has seq_len steps */
    size_t h_count, c_count;          /* floats in hn and cn */
    double torch_fp32_error;          /* PyTorch's own float32 error on this case, 0 if unknown */
} golden;

/* Loads tests/data/golden/<name>.{model,io}.safetensors; fails the test on any error. */
void golden_load(const char *dir, const char *name, golden *g);

/* 1 when m's state has a c (the LSTM cells), 0 for GRU and RNN. */
int model_has_c(const rnnrt_model *m);

/* 1 when a layer of m runs backward in time (rnnrt.direction=reverse): its state is the
 * initial and final state, so chunks of a sequence do not compose. */
int model_any_reverse_layer(const rnnrt_model *m);
void golden_free(golden *g);

/* The lines of a MANIFEST file (the test fails if it cannot be read). */
char **manifest_read(const char *path, int *count);
void manifest_free(char **lines, int count);

/* Every kernel set this build knows (simd/kernel_sets.inc, model sets included), so that a
 * set added there is tested without editing the tests: the count, and the i-th name. */
int kernel_set_count(void);
const char *kernel_set_name(int i);

/* One cmocka test per kernel set into out (room for kernel_set_count()), named prefix + the
 * set's name, its state the name; returns how many. */
struct CMUnitTest;
int per_set_tests(struct CMUnitTest *out, const char *prefix, void (*fn)(void **state));

/* Reads a whole file; NULL if it cannot be read. */
unsigned char *read_file_bytes(const char *path, size_t *size);

/* The largest |got - ref| / max(1, |ref|) over n floats, and its index. NaN counts as
 * infinitely wrong unless both are NaN. */
double max_rel_error(const float *got, const float *ref, size_t n, size_t *where);

/* Asserts the status and that the message mentions `word` (for files that include
 * cmocka.h). */
#define EXPECT_FAIL(call, status, word)                                                        \
    do {                                                                                       \
        rnnrt_status s_ = (call);                                                              \
        if (s_ != (status))                                                                    \
            fail_msg("%s returned %d (%s), expected %d", #call, s_, rnnrt_last_error(),       \
                     status);                                                                  \
        if (!strstr(rnnrt_last_error(), (word)))                                              \
            fail_msg("%s: message '%s' does not mention '%s'", #call, rnnrt_last_error(),     \
                     (word));                                                                  \
    } while (0)

/* The smallest seq_len at which seq_len x batch x width floats reach 2^64 bytes: in 64-bit
 * arithmetic that size wraps around to fewer than batch x width x 4 bytes, which a check
 * that wraps takes for a small array. Fails the test if it is past INT_MAX. */
int wrapping_seq_len(int batch, uint64_t width);

/* dst [outer][inner][w] <- src [inner][outer][w]: swaps the first two axes, between the
 * time-major [T][B][w] and batch-major [B][T][w] layouts. */
void swap_axes(float *dst, const float *src, int outer, int inner, size_t w);

/* A seeded linear congruential generator (its high bits), for randomized tests. */
unsigned test_random(unsigned *seed);
/* A randomized test's seed: RNNRT_TEST_SEED if set (to replay a failure), else the time. */
unsigned test_seed(void);
/* Every chunk of n streams (chunks[s] of stream s) once, shuffled, each stream's chunks in
 * their order: (*order)[k] is the stream of task k, (*chunk_of)[k] which of its chunks. Returns
 * the task count; free() both arrays. */
int shuffle_chunks(const int *chunks, int n, unsigned *seed, int **order, int **chunk_of);

/* The test data directory, from argv[1] (set by meson). */
extern const char *test_data_dir;

#endif
