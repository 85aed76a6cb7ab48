/* Concurrent use: 8 threads share one model, each with its own state, inputs, batch size and
 * lengths, and make thousands of forward calls (streaming through the state, with lengths,
 * with a NULL state, and one refused call whose message must be the thread's own), while two
 * more threads keep loading models (from memory and from a path), running them and freeing
 * them. Every output must equal, byte for byte, what the same calls gave on one thread.
 * RNNRT_CONCURRENCY_ROUNDS sets the rounds per thread (default 500; the TSan build uses
 * fewer). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

enum { WORKERS = 8, LOADERS = 2, T = 9, MAX_B = 4 };

/* Models the loader threads cycle through, next to the shared one. */
static const char *const churn_models[] = {"gru_bidir_lengths_state", "lstm_proj_bidir_2layer",
                                           "peephole_f16", "coupled_bidir_lengths_state",
                                           "lstm_bf16"};
enum { CHURN = sizeof churn_models / sizeof churn_models[0] };

static int rounds = 500;

/* What one worker runs in a round, and the outputs of each call. */
typedef struct worker {
    const rnnrt_model *model;
    int id, batch, lengths[MAX_B];
    float *x;                 /* [T][batch][input] */
    float *expected, *got;    /* the outputs of one round, concatenated */
    size_t ny;                /* floats in a round's outputs */
    long calls, mismatches, errors;
} worker;

/* One round: with lengths from a fresh state; two chunks streamed through the state; a NULL
 * state; a refused call. Writes every output to out (round_floats(w) floats). */
static size_t round_floats(const worker *w)
{
    return 3 * (size_t)T * w->batch * rnnrt_model_output_size(w->model);
}

static int one_round(worker *w, rnnrt_state *s, float *out)
{
    const rnnrt_model *m = w->model;
    const size_t step_x = (size_t)w->batch * rnnrt_model_input_size(m);
    const size_t step_y = (size_t)w->batch * rnnrt_model_output_size(m);
    int bad = 0;
    bad |= rnnrt_state_reset(s) != RNNRT_OK;
    bad |= rnnrt_forward(m, s, w->x, T, w->batch, w->lengths, out) != RNNRT_OK;
    out += T * step_y;
    bad |= rnnrt_forward(m, s, w->x, 4, w->batch, NULL, out) != RNNRT_OK;
    bad |= rnnrt_forward(m, s, w->x + 4 * step_x, T - 4, w->batch, NULL, out + 4 * step_y) !=
           RNNRT_OK;
    out += T * step_y;
    bad |= rnnrt_forward(m, NULL, w->x, T, w->batch, w->lengths, out) != RNNRT_OK;
    /* A refused call: the message must name this thread's own bad length. */
    int lens[MAX_B];
    memcpy(lens, w->lengths, sizeof lens);
    lens[0] = -1000 - w->id;
    char want[32];
    snprintf(want, sizeof want, "%d", lens[0]);
    bad |= rnnrt_forward(m, s, w->x, T, w->batch, lens, out) != RNNRT_E_INVALID;
    bad |= strstr(rnnrt_last_error(), want) == NULL;
    w->calls += 5;
    return bad;
}

static void *work(void *arg)
{
    worker *w = arg;
    rnnrt_state *s;
    if (rnnrt_state_create(w->model, w->batch, &s)) {
        w->errors++;
        return NULL;
    }
    for (int r = 0; r < rounds; r++) {
        memset(w->got, 0xff, w->ny * sizeof *w->got);
        w->errors += one_round(w, s, w->got);
        if (memcmp(w->got, w->expected, w->ny * sizeof *w->got))
            w->mismatches++;
    }
    rnnrt_state_free(s);
    return NULL;
}

/* A churned model: its bytes, its inputs and the outputs it gave on one thread. */
typedef struct churn {
    char path[512];
    unsigned char *bytes;
    size_t size;
    float *x, *y;
    size_t ny;
} churn;

typedef struct loader {
    churn *models;
    atomic_int *stop;
    long loads, mismatches, errors;
} loader;

enum { CHURN_B = 2, CHURN_T = 3 };

static int run_churned(const rnnrt_model *m, const churn *c, float *y)
{
    rnnrt_state *s;
    if (rnnrt_state_create(m, CHURN_B, &s))
        return 1;
    int bad = rnnrt_forward(m, s, c->x, CHURN_T, CHURN_B, NULL, y) != RNNRT_OK;
    rnnrt_state_free(s);
    return bad;
}

static void *load_loop(void *arg)
{
    loader *l = arg;
    float y[4096];
    for (long k = 0; !atomic_load(l->stop); k++) {
        const churn *c = &l->models[k % CHURN];
        rnnrt_model *m;
        rnnrt_status st = k % 2 ? rnnrt_model_load(c->path, &m)
                                : rnnrt_model_load_memory(c->bytes, c->size, &m);
        if (st) {
            l->errors++;
            continue;
        }
        l->errors += run_churned(m, c, y);
        l->mismatches += memcmp(y, c->y, c->ny * sizeof *y) != 0;
        rnnrt_model_free(m);
        l->loads++;
    }
    return NULL;
}

static void prepare_churn(churn *c, const char *name)
{
    snprintf(c->path, sizeof c->path, "%s/golden/%s.model.safetensors", test_data_dir, name);
    c->bytes = read_file_bytes(c->path, &c->size);
    assert_non_null(c->bytes);
    rnnrt_model *m;
    assert_int_equal(rnnrt_model_load_memory(c->bytes, c->size, &m), RNNRT_OK);
    size_t nx = (size_t)CHURN_T * CHURN_B * rnnrt_model_input_size(m);
    c->ny = (size_t)CHURN_T * CHURN_B * rnnrt_model_output_size(m);
    assert_true(c->ny <= 4096);
    c->x = malloc(nx * sizeof *c->x);
    c->y = malloc(c->ny * sizeof *c->y);
    for (size_t k = 0; k < nx; k++)
        c->x[k] = (float)((k * 13) % 17) / 8.0f - 1.0f;
    assert_int_equal(run_churned(m, c, c->y), 0);
    rnnrt_model_free(m);
}

static void shared_model_under_churn(void **st)
{
    const char *name = *st;
    char path[512];
    snprintf(path, sizeof path, "%s/golden/%s.model.safetensors", test_data_dir, name);
    rnnrt_model *m;
    assert_int_equal(rnnrt_model_load(path, &m), RNNRT_OK);
    const int in = rnnrt_model_input_size(m);

    worker workers[WORKERS];
    for (int t = 0; t < WORKERS; t++) {
        worker *w = &workers[t];
        memset(w, 0, sizeof *w);
        w->model = m;
        w->id = t;
        w->batch = 1 + t % MAX_B;
        for (int b = 0; b < w->batch; b++)
            w->lengths[b] = T - (t + 3 * b) % T;
        size_t nx = (size_t)T * w->batch * in;
        w->x = malloc(nx * sizeof *w->x);
        for (size_t k = 0; k < nx; k++)
            w->x[k] = (float)((k * 29 + (size_t)t * 71) % 31) / 15.0f - 1.0f;
        w->ny = round_floats(w);
        w->expected = malloc(w->ny * sizeof *w->expected);
        w->got = malloc(w->ny * sizeof *w->got);
        rnnrt_state *s;
        assert_int_equal(rnnrt_state_create(m, w->batch, &s), RNNRT_OK);
        memset(w->expected, 0xff, w->ny * sizeof *w->expected);
        assert_int_equal(one_round(w, s, w->expected), 0); /* single-threaded reference */
        rnnrt_state_free(s);
        w->calls = 0;
    }
    churn models[CHURN];
    for (int k = 0; k < CHURN; k++)
        prepare_churn(&models[k], churn_models[k]);

    atomic_int stop = 0;
    loader loaders[LOADERS];
    pthread_t wt[WORKERS], lt[LOADERS];
    for (int k = 0; k < LOADERS; k++) {
        loaders[k] = (loader){.models = models, .stop = &stop};
        assert_int_equal(pthread_create(&lt[k], NULL, load_loop, &loaders[k]), 0);
    }
    for (int t = 0; t < WORKERS; t++)
        assert_int_equal(pthread_create(&wt[t], NULL, work, &workers[t]), 0);
    long calls = 0, mismatches = 0, errors = 0, loads = 0, load_mismatches = 0;
    for (int t = 0; t < WORKERS; t++) {
        pthread_join(wt[t], NULL);
        calls += workers[t].calls;
        mismatches += workers[t].mismatches;
        errors += workers[t].errors;
        free(workers[t].x);
        free(workers[t].expected);
        free(workers[t].got);
    }
    atomic_store(&stop, 1);
    for (int k = 0; k < LOADERS; k++) {
        pthread_join(lt[k], NULL);
        loads += loaders[k].loads;
        load_mismatches += loaders[k].mismatches;
        errors += loaders[k].errors;
    }
    for (int k = 0; k < CHURN; k++) {
        free(models[k].bytes);
        free(models[k].x);
        free(models[k].y);
    }
    rnnrt_model_free(m);
    print_message("[  INFO    ] %s: %ld forward calls on %d threads (%d rounds each), %ld "
                  "models loaded, run and freed alongside\n", name, calls, WORKERS, rounds,
                  loads);
    if (mismatches || load_mismatches || errors)
        fail_msg("%s: %ld of %d rounds differ from the single-threaded result, %ld churned "
                 "models differ, %ld unexpected statuses", name, mismatches, WORKERS * rounds,
                 load_mismatches, errors);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    const char *env = getenv("RNNRT_CONCURRENCY_ROUNDS");
    if (env && atoi(env) > 0)
        rounds = atoi(env);
    const struct CMUnitTest tests[] = {
        {"shared_lstm_3layer_bidir", shared_model_under_churn, NULL, NULL,
         (void *)"lstm_3layer_bidir"},
        {"shared_gru_bidir_lengths", shared_model_under_churn, NULL, NULL,
         (void *)"gru_bidir_lengths_state"},
        {"shared_peephole_2layer_bidir", shared_model_under_churn, NULL, NULL,
         (void *)"peephole_2layer_bidir_lengths"},
        {"shared_lstm_proj", shared_model_under_churn, NULL, NULL,
         (void *)"lstm_proj_lengths_state"},
    };
    return cmocka_run_group_tests_name("concurrency", tests, NULL, NULL);
}
