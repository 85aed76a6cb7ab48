/* One model shared by 4 threads at once, each with its own state, inputs and lengths: every
 * thread gets the bytes a single-threaded run gives. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

enum { THREADS = 4, ROUNDS = 25, T = 6, B = 3 };

typedef struct job {
    const rnnrt_model *model;
    float *x;          /* [T][B][I], different per thread */
    int lengths[B];
    float *expected;   /* from the single-threaded run */
    size_t ny;
    int mismatches, errors;
} job;

/* Streams the sequence in two chunks through the thread's own state (or, with lengths, one
 * call); returns the first failing status. */
static rnnrt_status run(const rnnrt_model *m, const float *x, const int *lengths, float *y)
{
    int in = rnnrt_model_input_size(m), out = rnnrt_model_output_size(m);
    rnnrt_state *s;
    rnnrt_status st = rnnrt_state_create(m, B, &s);
    if (st)
        return st;
    if (!lengths) {
        st = rnnrt_forward(m, s, x, 2, B, NULL, y);
        if (!st)
            st = rnnrt_forward(m, s, x + 2 * B * in, T - 2, B, NULL, y + 2 * B * out);
    } else {
        st = rnnrt_forward(m, s, x, T, B, lengths, y);
    }
    rnnrt_state_free(s);
    return st;
}

static void *worker(void *arg)
{
    job *j = arg;
    float *y = malloc(j->ny * sizeof *y);
    for (int r = 0; r < ROUNDS; r++) {
        memset(y, 0xff, j->ny * sizeof *y);
        /* odd rounds use lengths: compare against the matching expectation */
        if (run(j->model, j->x, r % 2 ? j->lengths : NULL, y))
            j->errors++;
        else if (memcmp(y, j->expected + (r % 2) * j->ny, j->ny * sizeof *y))
            j->mismatches++;
    }
    free(y);
    return NULL;
}

static void shared_model(void **st)
{
    const char *name = *st;
    char path[512];
    rnnrt_model *m;
    snprintf(path, sizeof path, "%s/golden/%s.model.safetensors", test_data_dir, name);
    assert_int_equal(rnnrt_model_load(path, &m), RNNRT_OK);
    int in = rnnrt_model_input_size(m);
    job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        job *j = &jobs[t];
        memset(j, 0, sizeof *j);
        j->model = m;
        j->ny = (size_t)T * B * rnnrt_model_output_size(m);
        j->x = malloc((size_t)T * B * in * sizeof *j->x);
        for (int k = 0; k < T * B * in; k++)
            j->x[k] = (float)((k * 37 + t * 101) % 29) / 14.0f - 1.0f;
        for (int b = 0; b < B; b++)
            j->lengths[b] = 1 + (t + b * 2) % T;
        j->expected = malloc(2 * j->ny * sizeof *j->expected);
        if (run(m, j->x, NULL, j->expected) || run(m, j->x, j->lengths, j->expected + j->ny))
            fail_msg("%s: the single-threaded run failed: %s", name, rnnrt_last_error());
    }
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&tid[t], NULL, worker, &jobs[t]), 0);
    int mismatches = 0, errors = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(tid[t], NULL);
        mismatches += jobs[t].mismatches;
        errors += jobs[t].errors;
        free(jobs[t].x);
        free(jobs[t].expected);
    }
    rnnrt_model_free(m);
    if (mismatches || errors)
        fail_msg("%s: of %d concurrent runs, %d failed and %d differ from the single-threaded "
                 "result", name, THREADS * ROUNDS, errors, mismatches);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    const struct CMUnitTest tests[] = {
        {"shared_lstm_3layer_bidir", shared_model, NULL, NULL, (void *)"lstm_3layer_bidir"},
        {"shared_gru_2layer_bidir", shared_model, NULL, NULL, (void *)"gru_2layer_bidir"},
        {"shared_lstm_proj", shared_model, NULL, NULL, (void *)"lstm_proj_lengths_state"},
    };
    return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
