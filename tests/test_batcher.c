/* The batcher and its streams (rnnrt.h, "Streams"; docs/streams.md).
 *
 * Exactness: every stream's outputs and final state must be the bytes of rnnrt_forward on
 * its whole input alone (batch 1, from zeros), whatever streams shared its steps and however
 * its input was cut into pushes: 1,000 streams of random lengths, cut into random chunks and
 * pushed by 4 threads in a random interleaving (seeded; the seed is printed and
 * RNNRT_TEST_SEED replays it), for every cell; then every kernel set with every weight and
 * activation type (bf16 x bf16 within a bound where the set has matrix-engine tiles, which
 * sum in their own order from RNNRT_MX_ROWS rows).
 *
 * Faults: bad arguments and options, models refused, the limits (max_streams, max_pending),
 * timeouts, a stream closed in the middle of its chunk while another thread waits on it,
 * eviction after the idle timeout, rnnrt_batcher_free with work pending and a waiter
 * blocked. Stalls are made deterministic with a huge max_wait_us: a step waits for
 * max_batch ready streams, so a lone stream stays where it is until another arrives. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dispatch.h"
#include "model_builder.h"
#include "test_util.h"
#include "tuning.h"

enum { MAX_T = 24, MAX_CHUNK = 7, PUSHERS = 4 };

/* A batcher with options ("key", "value", ..., NULL). */
static rnnrt_batcher *batcher_with(const rnnrt_model *m, ...)
{
    rnnrt_options *o;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    va_list ap;
    va_start(ap, m);
    for (const char *k; (k = va_arg(ap, const char *));) {
        const char *v = va_arg(ap, const char *);
        if (rnnrt_options_set(o, k, v))
            fail_msg("options %s=%s: %s", k, v, rnnrt_last_error());
    }
    va_end(ap);
    rnnrt_batcher *b = NULL;
    rnnrt_status st = rnnrt_batcher_create(m, o, &b);
    rnnrt_options_free(o);
    if (st)
        fail_msg("rnnrt_batcher_create: %s", rnnrt_last_error());
    return b;
}

static size_t h_floats(const rnnrt_model *m)
{
    return (size_t)rnnrt_model_num_layers(m) * rnnrt_model_state_h_size(m);
}

static size_t c_floats(const rnnrt_model *m)
{
    return model_has_c(m) ? (size_t)rnnrt_model_num_layers(m) * rnnrt_model_hidden_size(m) : 0;
}

/* One stream's input, its cut into chunks, its whole-sequence result and what it got. */
typedef struct seq {
    int steps, chunks, pushed;
    int cut[MAX_T + 1]; /* chunk k covers steps cut[k] .. cut[k + 1] - 1 */
    float *x, *y, *y_whole, *h_whole, *c_whole;
    rnnrt_stream *s;
} seq;

static void make_seq(const rnnrt_model *m, seq *q, unsigned *seed)
{
    const int in = rnnrt_model_input_size(m), out = rnnrt_model_output_size(m);
    q->steps = 1 + (int)(test_random(seed) % MAX_T);
    q->chunks = 0;
    for (int t = 0; t < q->steps; t += 1 + (int)(test_random(seed) % MAX_CHUNK))
        q->cut[q->chunks++] = t;
    q->cut[q->chunks] = q->steps;
    q->pushed = 0;
    const size_t nx = (size_t)q->steps * in, ny = (size_t)q->steps * out;
    q->x = malloc(nx * sizeof(float));
    fill_uniform(q->x, nx, 1.5f, seed);
    q->y = malloc(ny * sizeof(float));
    memset(q->y, 0xff, ny * sizeof(float));
    q->y_whole = malloc(ny * sizeof(float));
    q->h_whole = malloc(h_floats(m) * sizeof(float));
    q->c_whole = c_floats(m) ? malloc(c_floats(m) * sizeof(float)) : NULL;
    rnnrt_state *st;
    assert_int_equal(rnnrt_state_create(m, 1, &st), RNNRT_OK);
    if (rnnrt_forward(m, st, q->x, q->steps, 1, NULL, q->y_whole))
        fail_msg("whole sequence: %s", rnnrt_last_error());
    assert_int_equal(rnnrt_state_read(st, q->h_whole, q->c_whole), RNNRT_OK);
    rnnrt_state_free(st);
}

static void free_seq(seq *q)
{
    free(q->x);
    free(q->y);
    free(q->y_whole);
    free(q->h_whole);
    free(q->c_whole);
}

static rnnrt_status push_chunk(const rnnrt_model *m, seq *q, int k)
{
    const int t0 = q->cut[k], n = q->cut[k + 1] - t0;
    return rnnrt_stream_push(q->s, q->x + (size_t)t0 * rnnrt_model_input_size(m), n,
                             q->y + (size_t)t0 * rnnrt_model_output_size(m));
}

/* The largest difference of a stream from its whole-sequence run, relative to
 * max(1, |ref|); 0 when the bytes are equal. Waits for the stream first. */
static double seq_error(const rnnrt_model *m, seq *q)
{
    if (rnnrt_stream_wait(q->s, -1))
        fail_msg("rnnrt_stream_wait: %s", rnnrt_last_error());
    const size_t ny = (size_t)q->steps * rnnrt_model_output_size(m);
    const size_t nh = h_floats(m), nc = c_floats(m);
    float *h = malloc(nh * sizeof(float)), *c = nc ? malloc(nc * sizeof(float)) : NULL;
    assert_int_equal(rnnrt_stream_state(q->s, h, c), RNNRT_OK);
    double err = 0;
    if (memcmp(q->y, q->y_whole, ny * sizeof(float)) || memcmp(h, q->h_whole, nh * 4) ||
        (nc && memcmp(c, q->c_whole, nc * 4))) {
        size_t at;
        err = max_rel_error(q->y, q->y_whole, ny, &at);
        double e = max_rel_error(h, q->h_whole, nh, &at);
        err = e > err ? e : err;
        e = nc ? max_rel_error(c, q->c_whole, nc, &at) : 0;
        err = e > err ? e : err;
        err = err > 0 ? err : 1e-30; /* different bytes (a NaN's, or -0) count */
    }
    free(h);
    free(c);
    return err;
}

/* ---- Exactness across many streams pushed from several threads ------------------------ */

typedef struct pool {
    const rnnrt_model *m;
    seq *seqs;
    int *order;    /* stream of each task; a stream's k-th task pushes its k-th chunk */
    int *chunk_of; /* which chunk of its stream each task pushes */
    int tasks, taken, errors;
    unsigned seed;
    char error[256];
    pthread_mutex_t lock;
    pthread_cond_t pushed; /* a chunk was pushed: the stream's next may go */
} pool;

static void shuffle_tasks(pool *p, int n, unsigned *seed)
{
    int *chunks = malloc((size_t)n * sizeof *chunks);
    for (int s = 0; s < n; s++)
        chunks[s] = p->seqs[s].chunks;
    p->tasks = shuffle_chunks(chunks, n, seed, &p->order, &p->chunk_of);
    free(chunks);
}

static void note_error(pool *p, const char *what)
{
    if (!p->errors++)
        snprintf(p->error, sizeof p->error, "%s: %s", what, rnnrt_last_error());
}

/* Pushes the next chunk of the next task's stream once its previous chunk has been pushed
 * (by any thread); now and then waits for the stream, so waits and pushes interleave. */
static void *pusher(void *arg)
{
    pool *p = arg;
    pthread_mutex_lock(&p->lock);
    while (p->taken < p->tasks) {
        const int task = p->taken++, chunk = p->chunk_of[task];
        seq *q = &p->seqs[p->order[task]];
        while (q->pushed != chunk)
            pthread_cond_wait(&p->pushed, &p->lock);
        const bool wait = test_random(&p->seed) % 4 == 0;
        pthread_mutex_unlock(&p->lock);
        rnnrt_status st = push_chunk(p->m, q, chunk);
        pthread_mutex_lock(&p->lock);
        if (st)
            note_error(p, "rnnrt_stream_push");
        q->pushed++;
        pthread_cond_broadcast(&p->pushed);
        if (wait) {
            pthread_mutex_unlock(&p->lock);
            st = rnnrt_stream_wait(q->s, -1);
            pthread_mutex_lock(&p->lock);
            if (st)
                note_error(p, "rnnrt_stream_wait");
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void many_streams_of(rnnrt_model *m, int n, const char *max_batch,
                            const char *threads);

static void many_streams(const model_spec *spec, int n, const char *max_batch,
                         const char *threads)
{
    many_streams_of(build_model(spec), n, max_batch, threads);
}

/* n streams of m (freed here) pushed from PUSHERS threads; each must be its whole sequence. */
static void many_streams_of(rnnrt_model *m, int n, const char *max_batch, const char *threads)
{
    unsigned seed = test_seed(), first_seed = seed;
    print_message("[  INFO    ] %s: seed %u (RNNRT_TEST_SEED=%u replays it)\n",
                  rnnrt_model_cell_name(m), first_seed, first_seed);
    rnnrt_batcher *b = batcher_with(m, "max_batch", max_batch, "max_wait_us", "50", "threads",
                                    threads, NULL);
    pool p = {.m = m, .seqs = calloc((size_t)n, sizeof(seq)), .seed = seed};
    for (int s = 0; s < n; s++) {
        make_seq(m, &p.seqs[s], &seed);
        assert_int_equal(rnnrt_stream_open(b, &p.seqs[s].s), RNNRT_OK);
    }
    shuffle_tasks(&p, n, &seed);
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.pushed, NULL);
    pthread_t tid[PUSHERS];
    for (int t = 0; t < PUSHERS; t++)
        assert_int_equal(pthread_create(&tid[t], NULL, pusher, &p), 0);
    for (int t = 0; t < PUSHERS; t++)
        pthread_join(tid[t], NULL);
    int differ = 0, first = -1;
    long long steps = 0;
    for (int s = 0; s < n; s++) {
        if (seq_error(m, &p.seqs[s]) != 0 && !differ++)
            first = s;
        steps += p.seqs[s].steps;
    }
    rnnrt_batcher_stats stats;
    assert_int_equal(rnnrt_batcher_read_stats(b, &stats), RNNRT_OK);
    unsigned long long counted = 0;
    for (int k = 0; k < RNNRT_STATS_BUCKETS; k++)
        counted += stats.batch_rows[k];
    assert_int_equal(stats.rows, steps);
    assert_int_equal(stats.pushes, p.tasks);
    assert_int_equal(counted, stats.steps);
    assert_int_equal(stats.open_streams, n);
    assert_int_equal(stats.ready_streams, 0);
    const int tasks = p.tasks, errors = p.errors;
    for (int s = 0; s < n; s++) {
        rnnrt_stream_free(p.seqs[s].s);
        free_seq(&p.seqs[s]);
    }
    rnnrt_batcher_free(b);
    free(p.seqs);
    free(p.order);
    free(p.chunk_of);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.pushed);
    rnnrt_model_free(m);
    if (errors)
        fail_msg("seed %u: %d calls failed; first: %s", first_seed, errors, p.error);
    if (differ)
        fail_msg("seed %u: %d of %d streams differ from their whole-sequence rnnrt_forward "
                 "(first: stream %d)", first_seed, differ, n, first);
    print_message("[  INFO    ] %d streams in %d pushes from %d threads (max_batch %s, %s "
                  "threads; %llu steps of %.1f rows on average): each equals its whole "
                  "sequence alone\n", n, tasks, PUSHERS, max_batch, threads, stats.steps,
                  (double)stats.rows / (double)stats.steps);
}

static void exact_lstm_1000_streams(void **st)
{
    (void)st;
    static const model_spec lstm = {RNNRT_CELL_LSTM, 12, 40, 16, 2, 1, 1, 11};
    many_streams(&lstm, 1000, "16", "2");
}

static void exact_every_cell(void **st)
{
    (void)st;
    /* cell, I, H, P, layers, directions, bias, seed */
    static const model_spec specs[] = {
        {RNNRT_CELL_GRU, 9, 24, 0, 2, 1, 1, 12},
        {RNNRT_CELL_RNN_TANH, 10, 35, 0, 2, 1, 1, 13},
        {RNNRT_CELL_RNN_RELU, 7, 20, 0, 1, 1, 1, 14},
        {RNNRT_CELL_GRU_RESET_BEFORE, 11, 29, 0, 2, 1, 1, 15},
        {RNNRT_CELL_LSTM_PEEPHOLE, 8, 21, 0, 2, 1, 1, 16},
        {RNNRT_CELL_LSTM_COUPLED, 13, 30, 11, 1, 1, 0, 17},
        {RNNRT_CELL_LSTM, 5, 17, 0, 3, 1, 0, 18},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        many_streams(&specs[i], 150, i % 2 ? "5" : "64", i % 3 ? "1" : "2");
}

/* Golden models with what the built ones lack: clipping (each cell's clipped path), f16
 * weights, no bias, a head (unused by streams). */
static void exact_golden_models(void **st)
{
    (void)st;
    static const char *const names[] = {
        "lstm_clip_2layer_lengths_state", "gru_clip", "peephole_clip_state", "coupled_clip",
        "rnn_tanh_clip", "rnn_relu_clip", "grurb_f16_prefix", "lstm_nobias", "lstm_with_head",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/golden/%s.model.safetensors", test_data_dir, names[i]);
        rnnrt_model *m;
        if (rnnrt_model_load(path, &m))
            fail_msg("%s: %s", names[i], rnnrt_last_error());
        print_message("[  INFO    ] %s\n", names[i]);
        many_streams_of(m, 60, "8", "1");
    }
}

/* Models with other activation functions (rnnrt.activation_functions, issue 27): one
 * function list per layer, the cell's slots in order. */
static void exact_activation_functions(void **st)
{
    (void)st;
    static const struct {
        model_spec spec;
        const char *functions;
    } cases[] = {
        {{RNNRT_CELL_LSTM, 9, 20, 0, 2, 1, 1, 44},
         "HardSigmoid(0.2,0.5),Softsign,Elu(0.8);Sigmoid,ScaledTanh(1.5,0.75),Tanh"},
        {{RNNRT_CELL_GRU, 7, 18, 0, 1, 1, 1, 45}, "HardSigmoid(0.16666667,0.5),Softsign"},
        {{RNNRT_CELL_GRU_RESET_BEFORE, 7, 18, 0, 1, 1, 1, 46}, "Sigmoid,LeakyRelu(0.1)"},
        {{RNNRT_CELL_RNN_TANH, 6, 15, 0, 2, 1, 1, 47}, "Softplus;Affine(0.5,0.25)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char meta[256];
        snprintf(meta, sizeof meta, "\"rnnrt.activation_functions\":\"%s\"",
                 cases[i].functions);
        size_t size;
        unsigned char *bytes = build_model_bytes_meta(&cases[i].spec, meta, &size);
        rnnrt_model *m;
        if (rnnrt_model_load_memory(bytes, size, &m))
            fail_msg("%s: %s", cases[i].functions, rnnrt_last_error());
        free(bytes);
        print_message("[  INFO    ] %s: %s\n", rnnrt_model_cell_name(m), cases[i].functions);
        many_streams_of(m, 60, "8", "1");
    }
}

/* Under the reference variant (rnnrt_set_variant), steps run the reference pass too. */
static void exact_reference_variant(void **st)
{
    (void)st;
    static const model_spec gru = {RNNRT_CELL_GRU, 9, 24, 0, 2, 1, 1, 22};
    assert_int_equal(rnnrt_set_variant("reference"), RNNRT_OK);
    many_streams(&gru, 60, "8", "2");
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
}

/* Steps on two threads: a model large enough for the thread choice to try both, and a
 * small one forced onto two (RNNRT_THREADS_EXACT's setter). */
static void exact_two_threads(void **st)
{
    (void)st;
    static const model_spec lstm = {RNNRT_CELL_LSTM, 32, 96, 0, 1, 1, 1, 19};
    static const model_spec grurb = {RNNRT_CELL_GRU_RESET_BEFORE, 11, 29, 0, 2, 1, 1, 20};
    many_streams(&lstm, 200, "32", "2");
    rnnrt_tuning_set_threads_exact(1);
    many_streams(&grurb, 100, "8", "2");
    rnnrt_tuning_set_threads_exact(-1);
}

/* ---- Every kernel set, every weight and activation type -------------------------------- */

/* Whether set k has matrix-engine bf16 x bf16 tiles, which sum in their own order. */
static bool bf16_mx(const char *set)
{
    const rnnrt_kernels *k = rnnrt_kernels_for_isa(set);
    return k && rnnrt_ukernel_present(&k->bf16dot.gemm4_mx);
}

static void exact_types_on_set(void **st)
{
    const char *set = *st;
    static const char *const types[][2] = {
        {"f32", "f32"}, {"bf16", "f32"}, {"int8", "f32"}, {"int8", "int8"}, {"bf16", "bf16"},
    };
    static const model_spec spec = {RNNRT_CELL_LSTM, 20, 48, 0, 2, 1, 1, 21};
    unsigned seed = test_seed();
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        size_t size;
        unsigned char *bytes = build_model_bytes(&spec, &size);
        rnnrt_options *o;
        assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
        rnnrt_status s = rnnrt_options_set(o, "isa", set);
        if (s == RNNRT_E_UNSUPPORTED) {
            print_message("[  SKIPPED ] %s: %s\n", set, rnnrt_last_error());
            rnnrt_options_free(o);
            free(bytes);
            return;
        }
        assert_int_equal(s, RNNRT_OK);
        assert_int_equal(rnnrt_options_set(o, "weights", types[t][0]), RNNRT_OK);
        assert_int_equal(rnnrt_options_set(o, "activations", types[t][1]), RNNRT_OK);
        rnnrt_model *m;
        if (rnnrt_model_load_memory_ex(bytes, size, o, &m))
            fail_msg("%s %s x %s: %s", set, types[t][0], types[t][1], rnnrt_last_error());
        rnnrt_options_free(o);
        free(bytes);
        rnnrt_batcher *b = batcher_with(m, "max_batch", "8", "max_wait_us", "20", NULL);
        enum { N = 40 };
        seq q[N];
        for (int i = 0; i < N; i++) {
            make_seq(m, &q[i], &seed);
            assert_int_equal(rnnrt_stream_open(b, &q[i].s), RNNRT_OK);
        }
        for (int k = 0; k < MAX_T; k++) /* round robin: chunk k of every stream */
            for (int i = 0; i < N; i++)
                if (k < q[i].chunks)
                    assert_int_equal(push_chunk(m, &q[i], k), RNNRT_OK);
        /* bf16 x bf16 on matrix-engine tiles: the order of a float32 sum, through 24 steps */
        const bool bound = !strcmp(types[t][1], "bf16") && bf16_mx(set);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double e = seq_error(m, &q[i]);
            worst = e > worst ? e : worst;
            rnnrt_stream_free(q[i].s);
            free_seq(&q[i]);
        }
        rnnrt_batcher_free(b);
        rnnrt_model_free(m);
        if (bound ? worst > 1e-3 : worst != 0)
            fail_msg("%s, weights %s, activations %s: streams differ from their whole "
                     "sequence by %g%s", set, types[t][0], types[t][1], worst,
                     bound ? " (bound 1e-3)" : " (must be the same bytes)");
        if (bound)
            print_message("[  INFO    ] %s bf16 x bf16 (AMX tiles): within %.2g\n", set, worst);
    }
}

/* ---- Arguments, options, models refused ------------------------------------------------ */

static const model_spec small = {RNNRT_CELL_LSTM, 6, 10, 0, 1, 1, 1, 31};
static const model_spec small_gru = {RNNRT_CELL_GRU, 6, 10, 0, 1, 1, 1, 32};

static void bad_arguments(void **st)
{
    (void)st;
    rnnrt_model *m = build_model(&small), *g = build_model(&small_gru);
    rnnrt_batcher *b = NULL;
    EXPECT_FAIL(rnnrt_batcher_create(m, NULL, NULL), RNNRT_E_INVALID, "out is NULL");
    EXPECT_FAIL(rnnrt_batcher_create(NULL, NULL, &b), RNNRT_E_INVALID, "model is NULL");
    assert_null(b);
    rnnrt_stream *s = NULL;
    EXPECT_FAIL(rnnrt_stream_open(NULL, &s), RNNRT_E_INVALID, "batcher is NULL");
    assert_int_equal(rnnrt_batcher_create(m, NULL, &b), RNNRT_OK);
    EXPECT_FAIL(rnnrt_stream_open(b, NULL), RNNRT_E_INVALID, "out is NULL");
    assert_int_equal(rnnrt_stream_open(b, &s), RNNRT_OK);
    float x[3 * 6] = {0}, y[3 * 10], h[10], c[10];
    EXPECT_FAIL(rnnrt_stream_push(NULL, x, 1, y), RNNRT_E_INVALID, "stream is NULL");
    EXPECT_FAIL(rnnrt_stream_push(s, NULL, 1, y), RNNRT_E_INVALID, "x is NULL");
    EXPECT_FAIL(rnnrt_stream_push(s, x, 1, NULL), RNNRT_E_INVALID, "y is NULL");
    EXPECT_FAIL(rnnrt_stream_push(s, x, 0, y), RNNRT_E_INVALID, "steps must be >= 1, got 0");
    EXPECT_FAIL(rnnrt_stream_push(s, x, -3, y), RNNRT_E_INVALID, "got -3");
    EXPECT_FAIL(rnnrt_stream_wait(NULL, 0), RNNRT_E_INVALID, "stream is NULL");
    EXPECT_FAIL(rnnrt_stream_wait_pushes(NULL, 1, 0), RNNRT_E_INVALID, "stream is NULL");
    EXPECT_FAIL(rnnrt_stream_wait_pushes(s, 1, 0), RNNRT_E_INVALID, "only 0 pushes");
    EXPECT_FAIL(rnnrt_stream_state(NULL, h, c), RNNRT_E_INVALID, "stream is NULL");
    EXPECT_FAIL(rnnrt_stream_state(s, NULL, c), RNNRT_E_INVALID, "h is NULL");
    rnnrt_batcher_stats stats;
    EXPECT_FAIL(rnnrt_batcher_read_stats(NULL, &stats), RNNRT_E_INVALID, "batcher is NULL");
    EXPECT_FAIL(rnnrt_batcher_read_stats(b, NULL), RNNRT_E_INVALID, "out is NULL");
    assert_int_equal(rnnrt_stream_wait(s, 0), RNNRT_OK); /* nothing pushed: done */
    assert_int_equal(rnnrt_stream_push(s, x, 3, y), RNNRT_OK); /* still usable */
    assert_int_equal(rnnrt_stream_wait_pushes(s, 1, -1), RNNRT_OK);
    assert_int_equal(rnnrt_stream_state(s, h, NULL), RNNRT_OK); /* c optional for an LSTM */
    rnnrt_stream_close(NULL);
    rnnrt_stream_free(NULL);
    rnnrt_batcher_free(NULL);
    rnnrt_batcher_free(b);
    rnnrt_batcher *bg = batcher_with(g, NULL);
    assert_int_equal(rnnrt_stream_open(bg, &s), RNNRT_OK);
    EXPECT_FAIL(rnnrt_stream_state(s, h, c), RNNRT_E_INVALID, "c must be NULL");
    rnnrt_batcher_free(bg);
    rnnrt_model_free(m);
    rnnrt_model_free(g);
}

static void options_refused(void **st)
{
    (void)st;
    rnnrt_options *o;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    static const char *const bad[][3] = {
        {"max_batch", "0", "[1, 65536]"},       {"max_batch", "65537", "max_batch"},
        {"max_wait_us", "-1", "max_wait_us"},    {"max_wait_us", "1e3", "got \"1e3\""},
        {"max_streams", "0", "max_streams"},     {"max_pending", "", "max_pending"},
        {"idle_timeout_ms", "99999999999", "idle_timeout_ms"},
        {"max_batches", "4", "unknown key \"max_batches\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        EXPECT_FAIL(rnnrt_options_set(o, bad[i][0], bad[i][1]), RNNRT_E_INVALID, bad[i][2]);
    static const char *const good[][2] = {
        {"max_batch", "65536"}, {"max_wait_us", "0"}, {"max_streams", "1"},
        {"max_pending", "1073741824"}, {"idle_timeout_ms", "0"}, {"threads", "2"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(rnnrt_options_set(o, good[i][0], good[i][1]), RNNRT_OK);
    /* a model load ignores the batcher's keys */
    size_t size;
    unsigned char *bytes = build_model_bytes(&small, &size);
    rnnrt_model *m;
    assert_int_equal(rnnrt_model_load_memory_ex(bytes, size, o, &m), RNNRT_OK);
    rnnrt_model_free(m);
    free(bytes);
    rnnrt_options_free(o);
}

static void backward_models_refused(void **st)
{
    (void)st;
    static const model_spec bidir = {RNNRT_CELL_GRU, 6, 10, 0, 2, 2, 1, 33};
    rnnrt_model *m = build_model(&bidir);
    rnnrt_batcher *b = NULL;
    EXPECT_FAIL(rnnrt_batcher_create(m, NULL, &b), RNNRT_E_UNSUPPORTED, "bidirectional");
    assert_null(b);
    rnnrt_model_free(m);
    char path[512];
    snprintf(path, sizeof path, "%s/golden/lstm_reverse.model.safetensors", test_data_dir);
    assert_int_equal(rnnrt_model_load(path, &m), RNNRT_OK);
    EXPECT_FAIL(rnnrt_batcher_create(m, NULL, &b), RNNRT_E_UNSUPPORTED, "backward in time");
    rnnrt_model_free(m);
}

/* ---- Limits, timeouts, closing, eviction, freeing ---------------------------------------- */

static void max_streams_busy(void **st)
{
    (void)st;
    rnnrt_model *m = build_model(&small);
    rnnrt_batcher *b = batcher_with(m, "max_streams", "3", NULL);
    rnnrt_stream *s[4] = {0};
    for (int i = 0; i < 3; i++)
        assert_int_equal(rnnrt_stream_open(b, &s[i]), RNNRT_OK);
    EXPECT_FAIL(rnnrt_stream_open(b, &s[3]), RNNRT_E_BUSY, "max_streams");
    assert_null(s[3]);
    rnnrt_stream_close(s[1]); /* gives its place back; the handle stays valid */
    float x[6] = {0}, y[10];
    EXPECT_FAIL(rnnrt_stream_push(s[1], x, 1, y), RNNRT_E_CLOSED, "rnnrt_stream_close");
    EXPECT_FAIL(rnnrt_stream_wait(s[1], -1), RNNRT_E_CLOSED, "closed");
    EXPECT_FAIL(rnnrt_stream_state(s[1], y, NULL), RNNRT_E_CLOSED, "closed");
    rnnrt_stream_close(s[1]); /* twice: nothing */
    assert_int_equal(rnnrt_stream_open(b, &s[3]), RNNRT_OK);
    rnnrt_stream_free(s[1]);
    rnnrt_stream_free(s[0]);
    assert_int_equal(rnnrt_stream_open(b, &s[0]), RNNRT_OK);
    assert_int_equal(rnnrt_stream_push(s[0], x, 1, y), RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(s[0], -1), RNNRT_OK);
    rnnrt_batcher_free(b); /* frees s[0], s[2], s[3] */
    rnnrt_model_free(m);
}

/* A lone stream stalls: with max_batch 2 and max_wait_us 10 s a step waits for a second
 * ready stream (or 10 s). */
static rnnrt_batcher *stalling_batcher(const rnnrt_model *m)
{
    return batcher_with(m, "max_batch", "2", "max_wait_us", "10000000", "max_pending", "20",
                        NULL);
}

static void max_pending_busy_and_timeout(void **st)
{
    (void)st;
    rnnrt_model *m = build_model(&small);
    rnnrt_batcher *b = stalling_batcher(m);
    rnnrt_stream *s;
    assert_int_equal(rnnrt_stream_open(b, &s), RNNRT_OK);
    unsigned seed = 7;
    float x[21 * 6], y[21 * 10], y_whole[21 * 10];
    fill_uniform(x, 21 * 6, 1.0f, &seed);
    assert_int_equal(rnnrt_stream_push(s, x, 12, y), RNNRT_OK);
    EXPECT_FAIL(rnnrt_stream_push(s, x + 12 * 6, 9, y + 12 * 10), RNNRT_E_BUSY, "max_pending");
    EXPECT_FAIL(rnnrt_stream_push(s, x, 21, y), RNNRT_E_BUSY, "12 queued");
    assert_int_equal(rnnrt_stream_push(s, x + 12 * 6, 8, y + 12 * 10), RNNRT_OK);
    EXPECT_FAIL(rnnrt_stream_wait(s, 30), RNNRT_E_TIMEOUT, "0 of 2 pushes done after 30 ms");
    EXPECT_FAIL(rnnrt_stream_wait(s, 0), RNNRT_E_TIMEOUT, "after 0 ms");
    EXPECT_FAIL(rnnrt_stream_wait_pushes(s, 1, 10), RNNRT_E_TIMEOUT, "0 of 1");
    /* a second stream fills the batch; each step needs two ready rows (or 10 s), so it
     * pushes as many steps as the first has queued, and both run to the end */
    rnnrt_stream *t;
    assert_int_equal(rnnrt_stream_open(b, &t), RNNRT_OK);
    float yt[20 * 10];
    assert_int_equal(rnnrt_stream_push(t, x, 20, yt), RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(s, 10000), RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(t, 10000), RNNRT_OK);
    assert_int_equal(rnnrt_forward(m, NULL, x, 20, 1, NULL, y_whole), RNNRT_OK);
    assert_memory_equal(y, y_whole, sizeof(float) * 20 * 10); /* the refused pushes left no trace */
    assert_memory_equal(yt, y_whole, sizeof(float) * 20 * 10);
    rnnrt_batcher_free(b);
    rnnrt_model_free(m);
}

typedef struct waiter {
    rnnrt_stream *s;
    rnnrt_status status;
    char message[256];
} waiter;

static void *wait_forever(void *arg)
{
    waiter *w = arg;
    w->status = rnnrt_stream_wait(w->s, -1);
    snprintf(w->message, sizeof w->message, "%s", rnnrt_last_error());
    return NULL;
}

/* Closing a stream in the middle of its chunk: step 0 has run (beside a second stream),
 * steps 1..9 are stalled; the close cancels them, a waiter blocked on the stream gets
 * RNNRT_E_CLOSED, and the other stream goes on. */
static void close_mid_chunk(void **st)
{
    (void)st;
    rnnrt_model *m = build_model(&small);
    rnnrt_batcher *b = stalling_batcher(m);
    rnnrt_stream *a, *other;
    assert_int_equal(rnnrt_stream_open(b, &a), RNNRT_OK);
    assert_int_equal(rnnrt_stream_open(b, &other), RNNRT_OK);
    unsigned seed = 9;
    float x[10 * 6], y[10 * 10], yo[2 * 10], y_whole[10 * 10];
    fill_uniform(x, 10 * 6, 1.0f, &seed);
    memset(y, 0x5a, sizeof y);
    assert_int_equal(rnnrt_forward(m, NULL, x, 10, 1, NULL, y_whole), RNNRT_OK);
    assert_int_equal(rnnrt_stream_push(a, x, 10, y), RNNRT_OK);
    assert_int_equal(rnnrt_stream_push(other, x, 1, yo), RNNRT_OK); /* fills step 0 */
    assert_int_equal(rnnrt_stream_wait(other, 10000), RNNRT_OK);
    EXPECT_FAIL(rnnrt_stream_wait(a, 20), RNNRT_E_TIMEOUT, "0 of 1");
    waiter w = {.s = a};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, wait_forever, &w), 0);
    usleep(20000); /* let it block (if it comes later, it finds the stream closed) */
    rnnrt_stream_close(a);
    pthread_join(tid, NULL);
    assert_int_equal(w.status, RNNRT_E_CLOSED);
    assert_non_null(strstr(w.message, "closed"));
    assert_memory_equal(y, y_whole, 10 * sizeof(float)); /* step 0, exact */
    for (size_t k = 10; k < 10 * 10; k++) { /* steps 1..9 never ran */
        uint32_t bits;
        memcpy(&bits, &y[k], 4);
        assert_int_equal(bits, 0x5a5a5a5au);
    }
    rnnrt_stream *c;
    assert_int_equal(rnnrt_stream_open(b, &c), RNNRT_OK);
    float yc[10];
    assert_int_equal(rnnrt_stream_push(other, x + 6, 1, yo + 10), RNNRT_OK);
    assert_int_equal(rnnrt_stream_push(c, x, 1, yc), RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(other, 10000), RNNRT_OK);
    assert_memory_equal(yo, y_whole, sizeof yo); /* the other stream went on, exactly */
    assert_memory_equal(yc, y_whole, sizeof yc);
    rnnrt_stream_free(a);
    rnnrt_batcher_free(b);
    rnnrt_model_free(m);
}

static void evicted_when_idle(void **st)
{
    (void)st;
    rnnrt_model *m = build_model(&small);
    rnnrt_batcher *b = batcher_with(m, "idle_timeout_ms", "100", "max_streams", "1",
                                    "max_wait_us", "0", NULL);
    rnnrt_stream *s, *t = NULL;
    assert_int_equal(rnnrt_stream_open(b, &s), RNNRT_OK);
    EXPECT_FAIL(rnnrt_stream_open(b, &t), RNNRT_E_BUSY, "max_streams");
    float x[6] = {0}, y[10], h[10];
    assert_int_equal(rnnrt_stream_push(s, x, 1, y), RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(s, -1), RNNRT_OK);
    usleep(400000);
    EXPECT_FAIL(rnnrt_stream_push(s, x, 1, y), RNNRT_E_CLOSED, "evicted after 100 ms");
    EXPECT_FAIL(rnnrt_stream_state(s, h, NULL), RNNRT_E_CLOSED, "idle_timeout_ms");
    EXPECT_FAIL(rnnrt_stream_wait(s, -1), RNNRT_E_CLOSED, "evicted");
    assert_int_equal(rnnrt_stream_open(b, &t), RNNRT_OK); /* its place was given back */
    for (int i = 0; i < 5; i++) { /* a stream kept busy is not evicted */
        assert_int_equal(rnnrt_stream_push(t, x, 1, y), RNNRT_OK);
        assert_int_equal(rnnrt_stream_wait(t, -1), RNNRT_OK);
        usleep(10000);
    }
    rnnrt_stream_close(s); /* an evicted stream: nothing more to do */
    rnnrt_stream_free(s);
    rnnrt_batcher_free(b);
    rnnrt_model_free(m);
}

/* Freeing the batcher with steps queued, a step stalled and a waiter blocked: the waiter
 * gets RNNRT_E_CLOSED, and once free returns no thread of the batcher writes anything. */
static void free_with_work_pending(void **st)
{
    (void)st;
    rnnrt_model *m = build_model(&small);
    rnnrt_batcher *b = stalling_batcher(m);
    rnnrt_stream *a, *c;
    assert_int_equal(rnnrt_stream_open(b, &a), RNNRT_OK);
    assert_int_equal(rnnrt_stream_open(b, &c), RNNRT_OK);
    float x[20 * 6] = {0}, y[20 * 10], yc[20 * 10];
    assert_int_equal(rnnrt_stream_push(a, x, 20, y), RNNRT_OK);
    waiter w = {.s = a};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, wait_forever, &w), 0);
    assert_int_equal(rnnrt_stream_push(c, x, 3, yc), RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(c, 10000), RNNRT_OK); /* 3 steps of a beside c */
    usleep(20000);
    rnnrt_batcher_free(b);
    pthread_join(tid, NULL);
    assert_int_equal(w.status, RNNRT_E_CLOSED);
    assert_non_null(strstr(w.message, "batcher was freed"));
    rnnrt_model_free(m);
}

/* A stream in the middle of a long chunk does not hold back one that arrives: the new one's
 * single step is done while the long one still has most of its steps to go. */
static void long_chunk_does_not_hold_back(void **st)
{
    (void)st;
    static const model_spec tiny = {RNNRT_CELL_GRU, 4, 8, 0, 1, 1, 1, 34};
    rnnrt_model *m = build_model(&tiny);
    rnnrt_batcher *b = batcher_with(m, "max_wait_us", "0", "max_pending", "1000000", NULL);
    enum { LONG = 300000 };
    float *x = calloc((size_t)LONG * 4, sizeof(float)), *y = malloc((size_t)LONG * 8 * 4);
    rnnrt_stream *a, *n;
    assert_int_equal(rnnrt_stream_open(b, &a), RNNRT_OK);
    assert_int_equal(rnnrt_stream_open(b, &n), RNNRT_OK);
    assert_int_equal(rnnrt_stream_push(a, x, LONG, y), RNNRT_OK);
    float yn[8];
    usleep(2000);
    assert_int_equal(rnnrt_stream_push(n, x, 1, yn), RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(n, 10000), RNNRT_OK);
    EXPECT_FAIL(rnnrt_stream_wait(a, 0), RNNRT_E_TIMEOUT, "0 of 1");
    rnnrt_stream_close(a); /* cancels the rest */
    rnnrt_batcher_free(b);
    free(x);
    free(y);
    rnnrt_model_free(m);
}

/* State reads while the stream's steps run: each waits for the step in flight only, not for
 * the push (a read that finds the stream running is woken when the step ends, and gets the
 * state before the next step takes the stream). */
static void state_while_running(void **st)
{
    (void)st;
    static const model_spec tiny = {RNNRT_CELL_LSTM, 4, 8, 0, 1, 1, 1, 35};
    rnnrt_model *m = build_model(&tiny);
    rnnrt_batcher *b = batcher_with(m, "max_wait_us", "0", "max_pending", "1000000", NULL);
    enum { LONG = 500000, READS = 1000 }; /* ~1 s of steps; the reads take ~1,000 of them */
    float *x = calloc((size_t)LONG * 4, sizeof(float)), *y = malloc((size_t)LONG * 8 * 4);
    float h[8], c[8];
    rnnrt_stream *s;
    assert_int_equal(rnnrt_stream_open(b, &s), RNNRT_OK);
    assert_int_equal(rnnrt_stream_push(s, x, LONG, y), RNNRT_OK);
    int reads = 0;
    while (reads < READS && rnnrt_stream_wait(s, 0) == RNNRT_E_TIMEOUT) {
        assert_int_equal(rnnrt_stream_state(s, h, c), RNNRT_OK);
        reads++;
    }
    /* a read that waited for the whole push (a read starved by the next steps) ends this
     * loop early */
    if (reads < READS)
        fail_msg("the push of %d steps ended after %d state reads", LONG, reads);
    rnnrt_stream_close(s); /* the rest is cancelled */
    rnnrt_batcher_free(b);
    free(x);
    free(y);
    rnnrt_model_free(m);
}

/* ---- Completion callbacks (rnnrt_stream_push_notify) ------------------------------------ */

typedef struct tally {
    pthread_mutex_t lock;
    int ok, closed, other;
    int order[64], seen; /* the pushes' user numbers in the order told */
} tally;

typedef struct note {
    tally *t;
    int number;
} note;

static void count_done(void *user, rnnrt_status status)
{
    note *n = user;
    pthread_mutex_lock(&n->t->lock);
    if (n->t->seen < 64)
        n->t->order[n->t->seen++] = n->number;
    if (status == RNNRT_OK)
        n->t->ok++;
    else if (status == RNNRT_E_CLOSED)
        n->t->closed++;
    else
        n->t->other++;
    pthread_mutex_unlock(&n->t->lock);
}

/* Each accepted push is told exactly once, in its stream's order: RNNRT_OK when done;
 * RNNRT_E_CLOSED, before rnnrt_stream_close or rnnrt_batcher_free returns, when dropped. */
static void notify_once_per_push(void **st)
{
    (void)st;
    rnnrt_model *m = build_model(&small);
    rnnrt_batcher *b = stalling_batcher(m);
    tally t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    note n[12];
    for (int i = 0; i < 12; i++)
        n[i] = (note){&t, i};
    float x[4 * 6] = {0}, y[12][4 * 10];
    rnnrt_stream *a, *c, *d;
    assert_int_equal(rnnrt_stream_open(b, &a), RNNRT_OK);
    assert_int_equal(rnnrt_stream_open(b, &c), RNNRT_OK);
    assert_int_equal(rnnrt_stream_open(b, &d), RNNRT_OK);
    for (int i = 0; i < 4; i++) /* a: 4 pushes of 1 step; c: 2 steps; both run */
        assert_int_equal(rnnrt_stream_push_notify(a, x, 1, y[i], count_done, &n[i]), RNNRT_OK);
    assert_int_equal(rnnrt_stream_push_notify(c, x, 4, y[4], count_done, &n[4]), RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(a, 10000), RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(c, 10000), RNNRT_OK);
    rnnrt_stream_close(a); /* nothing queued: nothing to tell */
    pthread_mutex_lock(&t.lock);
    assert_int_equal(t.ok, 5);
    for (int i = 0, last = -1; i < t.seen; i++)
        if (t.order[i] < 4) { /* a's pushes in their order */
            assert_true(t.order[i] > last);
            last = t.order[i];
        }
    pthread_mutex_unlock(&t.lock);
    for (int i = 5; i < 8; i++) /* stalled alone: dropped by the close */
        assert_int_equal(rnnrt_stream_push_notify(c, x, 2, y[i], count_done, &n[i]), RNNRT_OK);
    rnnrt_stream_close(c);
    assert_int_equal(t.closed, 3); /* told before close returned */
    for (int i = 8; i < 12; i++) /* dropped by the batcher's free */
        assert_int_equal(rnnrt_stream_push_notify(d, x, 3, y[i], count_done, &n[i]), RNNRT_OK);
    rnnrt_batcher_free(b);
    assert_int_equal(t.ok, 5);
    assert_int_equal(t.closed, 7);
    assert_int_equal(t.other, 0);
    assert_int_equal(t.seen, 12);
    rnnrt_model_free(m);
}

/* A callback that pushes the next step of its own stream (what generation does): a chain of
 * 50 one-step pushes run by callbacks alone gives the bytes of the whole sequence. */
typedef struct chain {
    rnnrt_stream *s;
    const float *x;
    float *y;
    int next, steps, in, out;
    rnnrt_status status;
    pthread_mutex_t lock;
    pthread_cond_t done;
    bool finished;
} chain;

static void chain_next(void *user, rnnrt_status status)
{
    chain *c = user;
    if (status == RNNRT_OK && ++c->next < c->steps) {
        status = rnnrt_stream_push_notify(c->s, c->x + (size_t)c->next * c->in, 1,
                                          c->y + (size_t)c->next * c->out, chain_next, c);
        if (status == RNNRT_OK)
            return;
    }
    pthread_mutex_lock(&c->lock); /* the last step, or a failure */
    c->status = status;
    c->finished = true;
    pthread_cond_signal(&c->done);
    pthread_mutex_unlock(&c->lock);
}

static void notify_chains_pushes(void **st)
{
    (void)st;
    rnnrt_model *m = build_model(&small_gru);
    rnnrt_batcher *b = batcher_with(m, "max_wait_us", "0", NULL);
    enum { T = 50 };
    float x[T * 6], y[T * 10], want[T * 10];
    unsigned seed = 3;
    fill_uniform(x, T * 6, 1.0f, &seed);
    assert_int_equal(rnnrt_forward(m, NULL, x, T, 1, NULL, want), RNNRT_OK);
    chain c = {.x = x, .y = y, .steps = T, .in = 6, .out = 10,
               .lock = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};
    assert_int_equal(rnnrt_stream_open(b, &c.s), RNNRT_OK);
    assert_int_equal(rnnrt_stream_push_notify(c.s, x, 1, y, chain_next, &c), RNNRT_OK);
    pthread_mutex_lock(&c.lock);
    while (!c.finished)
        pthread_cond_wait(&c.done, &c.lock);
    pthread_mutex_unlock(&c.lock);
    assert_int_equal(c.status, RNNRT_OK);
    assert_memory_equal(y, want, sizeof y);
    rnnrt_batcher_free(b);
    rnnrt_model_free(m);
}

/* ---- Token pushes and generation ---------------------------------------------------------- */

static rnnrt_model *stack_model(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/stack/%s.model.safetensors", test_data_dir, name);
    rnnrt_model *m;
    if (rnnrt_model_load(path, &m))
        fail_msg("%s: %s", name, rnnrt_last_error());
    return m;
}

/* Streams of random ids cut into random chunks, each asking for every step's logits or
 * the last one's: the bytes of rnnrt_forward_tokens on the whole sequence. */
static void tokens_exact(void **st)
{
    (void)st;
    static const char *const names[] = {"lstm_char", "lstm_proj_nobias_head", "word_lm_names"};
    unsigned seed = test_seed();
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        rnnrt_model *m = stack_model(names[k]);
        const int V = rnnrt_model_logits_size(m), vocab = rnnrt_model_vocab_size(m);
        rnnrt_batcher *b = batcher_with(m, "max_batch", "8", "max_wait_us", "50", NULL);
        enum { N = 60 };
        int ids[N][MAX_T], len[N], cut[N][MAX_T + 1], chunks[N], last[N][MAX_T];
        float *want = malloc((size_t)N * MAX_T * V * sizeof(float));
        float *got = malloc((size_t)N * MAX_T * V * sizeof(float));
        memset(got, 0xff, (size_t)N * MAX_T * V * sizeof(float));
        rnnrt_stream *s[N];
        for (int i = 0; i < N; i++) {
            len[i] = 1 + (int)(test_random(&seed) % MAX_T);
            for (int t = 0; t < len[i]; t++)
                ids[i][t] = (int)(test_random(&seed) % (unsigned)vocab);
            chunks[i] = 0;
            for (int t = 0; t < len[i]; t += 1 + (int)(test_random(&seed) % MAX_CHUNK)) {
                last[i][chunks[i]] = (int)(test_random(&seed) % 2);
                cut[i][chunks[i]++] = t;
            }
            cut[i][chunks[i]] = len[i];
            assert_int_equal(rnnrt_forward_tokens(m, NULL, ids[i], len[i], 1, NULL, 0,
                                                  want + (size_t)i * MAX_T * V), RNNRT_OK);
            assert_int_equal(rnnrt_stream_open(b, &s[i]), RNNRT_OK);
        }
        for (int c = 0; c < MAX_T; c++)
            for (int i = 0; i < N; i++) {
                if (c >= chunks[i])
                    continue;
                const int t0 = cut[i][c], n = cut[i][c + 1] - t0;
                /* last-step-only chunks write their one row where that step's row goes */
                float *out = got + ((size_t)i * MAX_T + (last[i][c] ? t0 + n - 1 : t0)) * V;
                if (rnnrt_stream_push_tokens(s[i], ids[i] + t0, n, last[i][c], out, NULL, NULL))
                    fail_msg("%s: %s", names[k], rnnrt_last_error());
            }
        for (int i = 0; i < N; i++) {
            assert_int_equal(rnnrt_stream_wait(s[i], -1), RNNRT_OK);
            for (int c = 0; c < chunks[i]; c++)
                for (int t = cut[i][c]; t < cut[i][c + 1]; t++) {
                    if (last[i][c] && t < cut[i][c + 1] - 1)
                        continue;
                    const size_t at = ((size_t)i * MAX_T + t) * V;
                    if (memcmp(got + at, want + at, (size_t)V * sizeof(float)))
                        fail_msg("%s: stream %d, step %d: logits differ from "
                                 "rnnrt_forward_tokens'", names[k], i, t);
                }
        }
        rnnrt_batcher_free(b);
        rnnrt_model_free(m);
        free(want);
        free(got);
    }
}

/* `rnnrt generate`'s loop: the prompt's last logits, then sample and feed back. */
static void generate_alone(const rnnrt_model *m, const int *prompt, int len, int n, float temp,
                           int top_k, unsigned long long seed, int *out)
{
    const int V = rnnrt_model_head_size(m);
    float *logits = malloc((size_t)V * sizeof *logits);
    rnnrt_state *st;
    rnnrt_rng rng;
    rnnrt_rng_seed(&rng, seed);
    assert_int_equal(rnnrt_state_create(m, 1, &st), RNNRT_OK);
    assert_int_equal(rnnrt_forward_tokens(m, st, prompt, len, 1, NULL, 1, logits), RNNRT_OK);
    for (int k = 0; k < n; k++) {
        assert_int_equal(rnnrt_sample(logits, V, temp, top_k, &rng, &out[k]), RNNRT_OK);
        if (k + 1 < n)
            assert_int_equal(rnnrt_forward_tokens(m, st, &out[k], 1, 1, NULL, 1, logits),
                             RNNRT_OK);
    }
    rnnrt_state_free(st);
    free(logits);
}

/* 40 streams generating at once, with prompts of 1-8 tokens, greedy and sampled, top-k or
 * not: each gives the tokens of its own `rnnrt generate` loop. */
static void generate_exact(void **st)
{
    (void)st;
    static const char *const names[] = {"lstm_char", "word_lm_names"};
    static const float temps[] = {0.0f, 0.8f, 1.5f};
    static const int top_ks[] = {0, 1, 3};
    unsigned seed = test_seed();
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        rnnrt_model *m = stack_model(names[k]);
        const int vocab = rnnrt_model_vocab_size(m);
        rnnrt_batcher *b = batcher_with(m, "max_batch", "16", "max_wait_us", "20", NULL);
        enum { N = 40, L = 30 };
        int prompt[N][8], len[N], got[N][L], want[N][L];
        rnnrt_stream *s[N];
        for (int i = 0; i < N; i++) {
            len[i] = 1 + (int)(test_random(&seed) % 8);
            for (int t = 0; t < len[i]; t++)
                prompt[i][t] = (int)(test_random(&seed) % (unsigned)vocab);
            const float temp = temps[i % 3];
            const int top_k = top_ks[(i / 3) % 3];
            generate_alone(m, prompt[i], len[i], L, temp, top_k, 100u + (unsigned)i, want[i]);
            assert_int_equal(rnnrt_stream_open(b, &s[i]), RNNRT_OK);
            if (rnnrt_stream_generate(s[i], prompt[i], len[i], L, temp, top_k, 100u + (unsigned)i,
                                      got[i], NULL, NULL))
                fail_msg("%s: %s", names[k], rnnrt_last_error());
        }
        for (int i = 0; i < N; i++) {
            assert_int_equal(rnnrt_stream_wait(s[i], -1), RNNRT_OK);
            if (memcmp(got[i], want[i], sizeof got[i]))
                fail_msg("%s: stream %d (temperature %g, top_k %d) generated other tokens",
                         names[k], i, (double)temps[i % 3], top_ks[(i / 3) % 3]);
        }
        rnnrt_batcher_stats stats;
        assert_int_equal(rnnrt_batcher_read_stats(b, &stats), RNNRT_OK);
        print_message("[  INFO    ] %s: %d streams x %d tokens, %.1f rows per step\n", names[k],
                      N, L, (double)stats.rows / (double)stats.steps);
        rnnrt_batcher_free(b);
        rnnrt_model_free(m);
    }
}

static void tokens_refused(void **st)
{
    (void)st;
    rnnrt_model *m = stack_model("lstm_char"), *f = stack_model("float_classifier");
    rnnrt_batcher *b = batcher_with(m, NULL), *bf = batcher_with(f, NULL);
    rnnrt_stream *s, *sf;
    assert_int_equal(rnnrt_stream_open(b, &s), RNNRT_OK);
    assert_int_equal(rnnrt_stream_open(bf, &sf), RNNRT_OK);
    int ids[3] = {1, 12, 0}, out[4];
    float logits[3 * 12];
    EXPECT_FAIL(rnnrt_stream_push_tokens(NULL, ids, 1, 0, logits, NULL, NULL), RNNRT_E_INVALID,
                "stream is NULL");
    EXPECT_FAIL(rnnrt_stream_push_tokens(s, NULL, 1, 0, logits, NULL, NULL), RNNRT_E_INVALID,
                "ids is NULL");
    EXPECT_FAIL(rnnrt_stream_push_tokens(s, ids, 1, 0, NULL, NULL, NULL), RNNRT_E_INVALID,
                "logits is NULL");
    EXPECT_FAIL(rnnrt_stream_push_tokens(s, ids, 3, 0, logits, NULL, NULL), RNNRT_E_INVALID,
                "ids[1] = 12, expected 0..11");
    EXPECT_FAIL(rnnrt_stream_push_tokens(sf, ids, 1, 0, logits, NULL, NULL), RNNRT_E_INVALID,
                "no embedding table");
    EXPECT_FAIL(rnnrt_stream_generate(s, ids, 0, 4, 0.5f, 0, 1, out, NULL, NULL),
                RNNRT_E_INVALID, "prompt_len and n must be >= 1");
    EXPECT_FAIL(rnnrt_stream_generate(s, ids, 1, 4, -1.0f, 0, 1, out, NULL, NULL),
                RNNRT_E_INVALID, "temperature must be >= 0");
    EXPECT_FAIL(rnnrt_stream_generate(s, ids, 2, 4, 0.5f, 0, 1, out, NULL, NULL),
                RNNRT_E_INVALID, "prompt[1] = 12");
    EXPECT_FAIL(rnnrt_stream_generate(s, ids, 1, 4, 0.5f, 0, 1, NULL, NULL, NULL),
                RNNRT_E_INVALID, "out is NULL");
    EXPECT_FAIL(rnnrt_stream_generate(sf, ids, 1, 4, 0.5f, 0, 1, out, NULL, NULL),
                RNNRT_E_INVALID, "no embedding table");
    /* a stream mixes kinds in order: floats, then tokens continue from its state */
    float x[8] = {0}, y[16];
    assert_int_equal(rnnrt_stream_push(s, x, 1, y), RNNRT_OK);
    assert_int_equal(rnnrt_stream_push_tokens(s, ids, 1, 1, logits, NULL, NULL), RNNRT_OK);
    assert_int_equal(rnnrt_stream_generate(s, ids, 1, 4, 0.0f, 0, 1, out, NULL, NULL),
                     RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(s, -1), RNNRT_OK);
    rnnrt_batcher_free(b);
    rnnrt_batcher_free(bf);
    rnnrt_model_free(m);
    rnnrt_model_free(f);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    struct CMUnitTest tests[32 + 16] = {
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(options_refused),
        cmocka_unit_test(backward_models_refused),
        cmocka_unit_test(max_streams_busy),
        cmocka_unit_test(max_pending_busy_and_timeout),
        cmocka_unit_test(close_mid_chunk),
        cmocka_unit_test(evicted_when_idle),
        cmocka_unit_test(free_with_work_pending),
        cmocka_unit_test(long_chunk_does_not_hold_back),
        cmocka_unit_test(state_while_running),
        cmocka_unit_test(notify_once_per_push),
        cmocka_unit_test(notify_chains_pushes),
        cmocka_unit_test(tokens_refused),
        cmocka_unit_test(tokens_exact),
        cmocka_unit_test(generate_exact),
        cmocka_unit_test(exact_lstm_1000_streams),
        cmocka_unit_test(exact_every_cell),
        cmocka_unit_test(exact_two_threads),
        cmocka_unit_test(exact_golden_models),
        cmocka_unit_test(exact_reference_variant),
        cmocka_unit_test(exact_activation_functions),
    };
    int n = 0;
    while (tests[n].name)
        n++;
    n += per_set_tests(tests + n, "exact_types_", exact_types_on_set);
    return _cmocka_run_group_tests("batcher", tests, (size_t)n, NULL, NULL);
}
