/* Many concurrent streams over one model: 1,000 states, each fed its sequence in chunks of
 * different lengths by 4 threads in a random interleaving (seeded; the seed is printed and
 * RNNRT_TEST_SEED replays it). Every stream's outputs and final state must be the bytes of
 * its own single call: a state must carry exactly its own history, whichever thread runs
 * the next chunk and whatever other streams run beside it. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_builder.h"
#include "test_util.h"

enum { STREAMS = 1000, THREADS = 4, MAX_T = 24, MAX_CHUNK = 7 };

typedef struct stream {
    int batch, steps, chunks;
    int cut[MAX_T + 1];   /* chunk k covers steps cut[k] .. cut[k + 1] - 1 */
    float *x, *y_whole, *y;
    float *h_whole, *c_whole, *h, *c;
    rnnrt_state *state;
    int next;             /* the chunk that may run next; guarded by the pool's lock */
} stream;

typedef struct pool {
    const rnnrt_model *model;
    stream *streams;
    int *order;           /* stream of each task; a stream's k-th task is its k-th chunk */
    int *chunk_of;        /* which chunk of its stream each task is */
    int tasks, taken, errors;
    char error[256];
    pthread_mutex_t lock;
    pthread_cond_t done;  /* a chunk finished: a waiting thread may go on */
} pool;

static size_t state_floats(const rnnrt_model *m, int batch, size_t *nc)
{
    size_t units = (size_t)rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
    *nc = !model_has_c(m)
              ? 0 : units * batch * rnnrt_model_hidden_size(m);
    return units * batch * rnnrt_model_state_h_size(m);
}

/* A stream's shape and input, its chunks, and its single-call result. */
static void make_stream(const rnnrt_model *m, stream *s, unsigned *seed)
{
    int in = rnnrt_model_input_size(m), out = rnnrt_model_output_size(m);
    s->batch = 1 + (int)(test_random(seed) % 3);
    s->steps = 1 + (int)(test_random(seed) % MAX_T);
    s->chunks = 0;
    for (int t = 0; t < s->steps; t += 1 + (int)(test_random(seed) % MAX_CHUNK))
        s->cut[s->chunks++] = t;
    s->cut[s->chunks] = s->steps;
    size_t nx = (size_t)s->steps * s->batch * in, ny = (size_t)s->steps * s->batch * out, nc;
    size_t nh = state_floats(m, s->batch, &nc);
    s->x = malloc(nx * sizeof *s->x);
    fill_uniform(s->x, nx, 1.5f, seed);
    s->y_whole = malloc(ny * sizeof *s->y_whole);
    s->y = malloc(ny * sizeof *s->y);
    memset(s->y, 0xff, ny * sizeof *s->y);
    s->h_whole = malloc(nh * sizeof(float));
    s->h = malloc(nh * sizeof(float));
    s->c_whole = nc ? malloc(nc * sizeof(float)) : NULL;
    s->c = nc ? malloc(nc * sizeof(float)) : NULL;
    rnnrt_state *whole;
    assert_int_equal(rnnrt_state_create(m, s->batch, &whole), RNNRT_OK);
    if (rnnrt_forward(m, whole, s->x, s->steps, s->batch, NULL, s->y_whole))
        fail_msg("single call: %s", rnnrt_last_error());
    assert_int_equal(rnnrt_state_read(whole, s->h_whole, s->c_whole), RNNRT_OK);
    rnnrt_state_free(whole);
    assert_int_equal(rnnrt_state_create(m, s->batch, &s->state), RNNRT_OK);
    s->next = 0;
}

static void free_stream(stream *s)
{
    rnnrt_state_free(s->state);
    free(s->x);
    free(s->y_whole);
    free(s->y);
    free(s->h_whole);
    free(s->h);
    free(s->c_whole);
    free(s->c);
}

/* Every chunk of every stream once, shuffled, each stream's chunks in their order. */
static void shuffle_tasks(pool *p, unsigned *seed)
{
    int chunks[STREAMS];
    for (int s = 0; s < STREAMS; s++)
        chunks[s] = p->streams[s].chunks;
    p->tasks = shuffle_chunks(chunks, STREAMS, seed, &p->order, &p->chunk_of);
}

static void run_chunk(pool *p, stream *s, int chunk)
{
    const rnnrt_model *m = p->model;
    int t0 = s->cut[chunk], steps = s->cut[chunk + 1] - t0;
    size_t x_step = (size_t)s->batch * rnnrt_model_input_size(m);
    size_t y_step = (size_t)s->batch * rnnrt_model_output_size(m);
    rnnrt_status st = rnnrt_forward(m, s->state, s->x + t0 * x_step, steps, s->batch, NULL,
                                    s->y + t0 * y_step);
    if (st) {
        pthread_mutex_lock(&p->lock);
        if (!p->errors++)
            snprintf(p->error, sizeof p->error, "stream %d, chunk %d: %s",
                     (int)(s - p->streams), chunk, rnnrt_last_error());
        pthread_mutex_unlock(&p->lock);
    }
}

/* Takes the next task; waits until the stream's previous chunk (taken earlier, by this or
 * another thread) is done, so chunks of one stream never overlap. */
static void *worker(void *arg)
{
    pool *p = arg;
    pthread_mutex_lock(&p->lock);
    while (p->taken < p->tasks) {
        int task = p->taken++;
        stream *s = &p->streams[p->order[task]];
        int chunk = p->chunk_of[task];
        while (s->next != chunk)
            pthread_cond_wait(&p->done, &p->lock);
        pthread_mutex_unlock(&p->lock);
        run_chunk(p, s, chunk);
        pthread_mutex_lock(&p->lock);
        s->next++;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static int stream_differs(const rnnrt_model *m, stream *s)
{
    size_t ny = (size_t)s->steps * s->batch * rnnrt_model_output_size(m), nc;
    size_t nh = state_floats(m, s->batch, &nc);
    assert_int_equal(rnnrt_state_read(s->state, s->h, s->c), RNNRT_OK);
    return memcmp(s->y, s->y_whole, ny * sizeof *s->y) ||
           memcmp(s->h, s->h_whole, nh * sizeof *s->h) ||
           (nc && memcmp(s->c, s->c_whole, nc * sizeof *s->c));
}

static void streams_equal_single_calls(void **st)
{
    const model_spec *spec = *st;
    unsigned seed = test_seed(), first_seed = seed;
    rnnrt_model *m = build_model(spec);
    print_message("[  INFO    ] %s: seed %u (RNNRT_TEST_SEED=%u replays it)\n",
                  rnnrt_model_cell_name(m), first_seed, first_seed);
    rnnrt_set_num_threads(1); /* callers that run requests in parallel: the header's advice */
    pool p = {.model = m, .streams = calloc(STREAMS, sizeof(stream))};
    for (int s = 0; s < STREAMS; s++)
        make_stream(m, &p.streams[s], &seed);
    shuffle_tasks(&p, &seed);
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.done, NULL);
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&tid[t], NULL, worker, &p), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(tid[t], NULL);
    int differ = 0, first = -1;
    for (int s = 0; s < STREAMS; s++)
        if (stream_differs(m, &p.streams[s]) && !differ++)
            first = s;
    int tasks = p.tasks;
    for (int s = 0; s < STREAMS; s++)
        free_stream(&p.streams[s]);
    free(p.streams);
    free(p.order);
    free(p.chunk_of);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.done);
    rnnrt_model_free(m);
    rnnrt_set_num_threads(0);
    if (p.errors)
        fail_msg("seed %u: %d of %d chunks failed; first: %s", first_seed, p.errors, tasks,
                 p.error);
    if (differ)
        fail_msg("seed %u: %d of %d streams differ from their single call (first: stream %d)",
                 first_seed, differ, STREAMS, first);
    print_message("[  INFO    ] %d streams in %d chunks from %d threads: each equals its "
                  "single call\n", STREAMS, tasks, THREADS);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    /* cell, I, H, P, layers, directions (streaming is for unidirectional stacks), bias, seed */
    static const model_spec lstm = {RNNRT_CELL_LSTM, 12, 40, 16, 2, 1, 1, 11};
    static const model_spec gru = {RNNRT_CELL_GRU, 9, 24, 0, 2, 1, 1, 12};
    static const model_spec rnn_tanh = {RNNRT_CELL_RNN_TANH, 10, 35, 0, 2, 1, 1, 13};
    static const model_spec rnn_relu = {RNNRT_CELL_RNN_RELU, 7, 20, 0, 1, 1, 1, 14};
    static const model_spec grurb = {RNNRT_CELL_GRU_RESET_BEFORE, 11, 29, 0, 2, 1, 1, 15};
    const struct CMUnitTest tests[] = {
        {"streams_lstm_proj", streams_equal_single_calls, NULL, NULL, (void *)&lstm},
        {"streams_gru", streams_equal_single_calls, NULL, NULL, (void *)&gru},
        {"streams_rnn_tanh", streams_equal_single_calls, NULL, NULL, (void *)&rnn_tanh},
        {"streams_rnn_relu", streams_equal_single_calls, NULL, NULL, (void *)&rnn_relu},
        {"streams_gru_reset_before", streams_equal_single_calls, NULL, NULL, (void *)&grurb},
    };
    return cmocka_run_group_tests_name("streams", tests, NULL, NULL);
}
