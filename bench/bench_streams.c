/* Streams under an open-loop load (issue 26): S streams each push a step (or a chunk of
 * steps) at Poisson arrival times; the rate rises until the p99 latency of a push passes a
 * budget. Three ways to serve the same load, in the same run:
 *   batcher    rnnrt_batcher: the pushes of every stream batched step by step
 *   unbatched  a pool of `threads` workers, each push an rnnrt_forward (batch 1, one thread)
 *              on its stream's own state; a stream's pushes go to one worker, in order
 *   forward64  not a load: closed-loop rnnrt_forward on a batch of 64 rows (max_batch), the
 *              steps/s batching can reach at most
 *   http       the same load over HTTP on a running `rnnrt serve` (bench_streams_http.c)
 * A push's latency runs from its scheduled arrival (open loop: a generator that falls behind
 * counts against the server) to its completion (rnnrt_stream_push_notify's callback, or the
 * worker's return). Reports, per rate, offered and achieved steps/s, p50 / p99 / p99.9 and
 * the batcher's mean batch; then the highest rate within the budget per mode.
 *
 *   rnnrt-bench-streams [--cell lstm] [--hidden 512] [--input 512] [--weights f32]
 *       [--activations f32] [--threads 2] [--streams 1000] [--chunk 1] [--budget-ms 10]
 *       [--seconds 2] [--rate STEPS_PER_S | --sweep] [--modes batcher,unbatched,forward64]
 *       [--max-batch 64] [--max-wait-us 200] [--json FILE]
 *       [--modes http --url HOST:PORT [--binary]]    (bench_streams_http.c)
 *       [--write-model FILE]     (the model as a file, for `rnnrt serve`; then exits)
 * Uses only the public API (and bench_model.c's in-memory models). Timing figures belong to
 * a quiet machine: tools/run_bench.sh and docs/streams.md say how they were taken. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rnnrt.h>

#include "bench_model.h"
#include "bench_streams.h"

long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void sleep_until(long long t)
{
    struct timespec ts = {.tv_sec = t / 1000000000ll, .tv_nsec = t % 1000000000ll};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* ---- One load point: the generator and the latencies it collects ------------------------ */

void record(slot *sl)
{
    load *ld = sl->ld;
    const long long done = now_ns();
    if (sl->arrival >= ld->window0 && sl->arrival < ld->window1) {
        long k = atomic_fetch_add(&ld->nlat, 1);
        if (k < ld->cap)
            ld->lat[k] = (double)(done - sl->arrival) * 1e-6;
        atomic_fetch_add(&ld->steps_done, ld->cf->chunk);
    }
    atomic_store(&sl->busy, 0);
    atomic_fetch_sub(&ld->outstanding, 1);
}

static void push_done(void *user, rnnrt_status status)
{
    (void)status;
    record(user);
}

/* Exponential inter-arrival times from a seeded generator (xorshift). */
double exp_draw(uint64_t *s, double mean)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    const double u = ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
    return -mean * log(u);
}

/* How a mode takes a push: its stream, its slot, the input. */
typedef void (*submit_fn)(void *server, int stream, slot *sl, const float *x);

/* Runs the generator for warm-up + seconds at `rate` steps/s, then drains. */
static void generate(load *ld, double rate, void *server, submit_fn submit, const float *x)
{
    const config *cf = ld->cf;
    const double pushes_per_s = rate / cf->chunk;
    const long long t0 = now_ns(), warm = (long long)(0.25 * cf->seconds * 1e9) + 100000000ll;
    ld->window0 = t0 + warm;
    ld->window1 = ld->window0 + (long long)(cf->seconds * 1e9);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    long long next = t0;
    while (next < ld->window1) {
        next += (long long)exp_draw(&seed, 1e9 / pushes_per_s);
        const long long now = now_ns();
        if (next > now + 20000) /* sleep to within 20 us; due arrivals go at once */
            sleep_until(next - 20000);
        const int s = (int)(seed % (uint64_t)cf->streams);
        slot *sl = NULL;
        for (int k = 0; k < SLOTS && !sl; k++)
            if (!atomic_load(&ld->slots[(size_t)s * SLOTS + k].busy))
                sl = &ld->slots[(size_t)s * SLOTS + k];
        if (!sl) {
            ld->dropped += next >= ld->window0;
            continue;
        }
        sl->arrival = next;
        atomic_store(&sl->busy, 1);
        atomic_fetch_add(&ld->outstanding, 1);
        submit(server, s, sl, x);
    }
    const long long give_up = now_ns() + 30000000000ll;
    while (atomic_load(&ld->outstanding) > 0 && now_ns() < give_up)
        sleep_until(now_ns() + 1000000);
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

point summarize(load *ld, const char *mode, double rate)
{
    point p = {.mode = mode, .offered = rate, .dropped = ld->dropped,
               .unfinished = atomic_load(&ld->outstanding)};
    long n = atomic_load(&ld->nlat);
    n = n < ld->cap ? n : ld->cap;
    p.pushes = n;
    p.achieved = (double)atomic_load(&ld->steps_done) / ld->cf->seconds;
    if (n) {
        qsort(ld->lat, (size_t)n, sizeof *ld->lat, by_value);
        p.p50 = ld->lat[(long)(0.5 * (n - 1))];
        p.p99 = ld->lat[(long)(0.99 * (n - 1))];
        p.p999 = ld->lat[(long)(0.999 * (n - 1))];
    }
    if (p.dropped || p.unfinished) /* overloaded past measuring: outside any budget */
        p.p50 = p.p99 = p.p999 = INFINITY;
    return p;
}

/* ---- The batcher ------------------------------------------------------------------------- */

typedef struct batcher_server {
    rnnrt_batcher *b;
    rnnrt_stream **s;
    int chunk;
} batcher_server;

static void batcher_submit(void *server, int stream, slot *sl, const float *x)
{
    batcher_server *bs = server;
    if (rnnrt_stream_push_notify(bs->s[stream], x, bs->chunk, sl->y, push_done, sl)) {
        fprintf(stderr, "push: %s\n", rnnrt_last_error());
        record(sl);
    }
}

/* ---- Unbatched: a pool of workers, each push an rnnrt_forward of its stream ---------------- */

typedef struct task {
    int stream;
    slot *sl;
} task;

typedef struct worker {
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t more;
    task *q;                  /* a ring of tasks */
    long head, count, cap;
    bool stop;
    struct pool *pool;
} worker;

typedef struct pool {
    const rnnrt_model *m;
    rnnrt_state **states;     /* one per stream */
    const float *x;
    int chunk, workers;
    worker *w;
} pool;

static void *work(void *arg)
{
    worker *w = arg;
    pool *p = w->pool;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->count && !w->stop)
            pthread_cond_wait(&w->more, &w->lock);
        if (!w->count)
            break;
        task t = w->q[w->head];
        w->head = (w->head + 1) % w->cap;
        w->count--;
        pthread_mutex_unlock(&w->lock);
        if (rnnrt_forward(p->m, p->states[t.stream], p->x, p->chunk, 1, NULL, t.sl->y))
            fprintf(stderr, "forward: %s\n", rnnrt_last_error());
        record(t.sl);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void pool_submit(void *server, int stream, slot *sl, const float *x)
{
    (void)x;
    pool *p = server;
    worker *w = &p->w[stream % p->workers];
    pthread_mutex_lock(&w->lock);
    w->q[(w->head + w->count++) % w->cap] = (task){stream, sl}; /* cap >= every slot */
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->lock);
}

/* ---- Setup and the modes ----------------------------------------------------------------- */

static rnnrt_model *make_model(const config *cf, int threads)
{
    rnnrt_options *o;
    char t[16];
    snprintf(t, sizeof t, "%d", threads);
    rnnrt_model *m = NULL;
    if (rnnrt_options_create(&o) || rnnrt_options_set(o, "weights", cf->weights) ||
        rnnrt_options_set(o, "activations", cf->activations) ||
        rnnrt_options_set(o, "threads", t) ||
        rnnrt_bench_make_model_ex(cf->cell, cf->hidden, cf->input, 1, o, &m)) {
        fprintf(stderr, "model: %s\n", rnnrt_last_error());
        exit(1);
    }
    rnnrt_options_free(o);
    return m;
}

load new_load(const config *cf, int O, double rate)
{
    load ld = {.cf = cf, .O = O};
    ld.slots = calloc((size_t)cf->streams * SLOTS, sizeof *ld.slots);
    for (size_t k = 0; k < (size_t)cf->streams * SLOTS; k++) {
        ld.slots[k].ld = NULL; /* set once ld has its final address */
        ld.slots[k].y = rnnrt_bench_alloc((size_t)cf->chunk * O);
    }
    ld.cap = (long)(rate / cf->chunk * cf->seconds * 1.5) + 1000;
    ld.lat = malloc((size_t)ld.cap * sizeof *ld.lat);
    return ld;
}

void free_load(load *ld)
{
    for (size_t k = 0; k < (size_t)ld->cf->streams * SLOTS; k++)
        rnnrt_bench_free(ld->slots[k].y);
    free(ld->slots);
    free(ld->lat);
}

static point run_batcher(const config *cf, const rnnrt_model *m, double rate, const float *x)
{
    rnnrt_options *o;
    char mb[16], mw[16], th[16];
    snprintf(mb, sizeof mb, "%d", cf->max_batch);
    snprintf(mw, sizeof mw, "%d", cf->max_wait_us);
    snprintf(th, sizeof th, "%d", cf->threads);
    batcher_server bs = {.chunk = cf->chunk};
    if (rnnrt_options_create(&o) || rnnrt_options_set(o, "max_batch", mb) ||
        rnnrt_options_set(o, "max_wait_us", mw) || rnnrt_options_set(o, "threads", th) ||
        rnnrt_batcher_create(m, o, &bs.b)) {
        fprintf(stderr, "batcher: %s\n", rnnrt_last_error());
        exit(1);
    }
    rnnrt_options_free(o);
    bs.s = calloc((size_t)cf->streams, sizeof *bs.s);
    for (int i = 0; i < cf->streams; i++)
        if (rnnrt_stream_open(bs.b, &bs.s[i])) {
            fprintf(stderr, "open: %s\n", rnnrt_last_error());
            exit(1);
        }
    load ld = new_load(cf, rnnrt_model_output_size(m), rate);
    for (size_t k = 0; k < (size_t)cf->streams * SLOTS; k++)
        ld.slots[k].ld = &ld;
    rnnrt_batcher_stats before, after;
    rnnrt_batcher_read_stats(bs.b, &before);
    generate(&ld, rate, &bs, batcher_submit, x);
    rnnrt_batcher_read_stats(bs.b, &after);
    point p = summarize(&ld, "batcher", rate);
    const double steps = (double)(after.steps - before.steps);
    p.mean_batch = steps > 0 ? (double)(after.rows - before.rows) / steps : 0;
    rnnrt_batcher_free(bs.b);
    free(bs.s);
    free_load(&ld);
    return p;
}

static point run_unbatched(const config *cf, const rnnrt_model *m1, double rate,
                           const float *x)
{
    pool p = {.m = m1, .x = x, .chunk = cf->chunk, .workers = cf->threads};
    p.states = calloc((size_t)cf->streams, sizeof *p.states);
    for (int i = 0; i < cf->streams; i++)
        rnnrt_state_create(m1, 1, &p.states[i]);
    p.w = calloc((size_t)p.workers, sizeof *p.w);
    for (int i = 0; i < p.workers; i++) {
        worker *w = &p.w[i];
        w->pool = &p;
        w->cap = (long)cf->streams * SLOTS;
        w->q = malloc((size_t)w->cap * sizeof *w->q);
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->more, NULL);
        pthread_create(&w->tid, NULL, work, w);
    }
    load ld = new_load(cf, rnnrt_model_output_size(m1), rate);
    for (size_t k = 0; k < (size_t)cf->streams * SLOTS; k++)
        ld.slots[k].ld = &ld;
    generate(&ld, rate, &p, pool_submit, x);
    point pt = summarize(&ld, "unbatched", rate);
    pt.mean_batch = 1;
    for (int i = 0; i < p.workers; i++) {
        worker *w = &p.w[i];
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_signal(&w->more);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->tid, NULL);
        free(w->q);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->more);
    }
    for (int i = 0; i < cf->streams; i++)
        rnnrt_state_free(p.states[i]);
    free(p.states);
    free(p.w);
    free_load(&ld);
    return pt;
}

/* Closed loop: rnnrt_forward on max_batch rows, 16 steps a call, for `seconds`. */
static double run_forward64(const config *cf, const rnnrt_model *m)
{
    const int B = cf->max_batch, T = 16;
    float *x = rnnrt_bench_alloc((size_t)T * B * cf->input);
    float *y = rnnrt_bench_alloc((size_t)T * B * rnnrt_model_output_size(m));
    rnnrt_bench_fill(x, (size_t)T * B * cf->input, 3, 1.0f);
    rnnrt_state *s;
    rnnrt_state_create(m, B, &s);
    rnnrt_forward(m, s, x, T, B, NULL, y); /* warm */
    long calls = 0;
    const long long t0 = now_ns(), end = t0 + (long long)(cf->seconds * 1e9);
    long long t;
    do {
        rnnrt_forward(m, s, x, T, B, NULL, y);
        calls++;
    } while ((t = now_ns()) < end);
    rnnrt_state_free(s);
    rnnrt_bench_free(x);
    rnnrt_bench_free(y);
    return (double)calls * T * B / ((double)(t - t0) * 1e-9);
}

/* ---- Driver ------------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "usage: rnnrt-bench-streams [--cell lstm|gru] [--hidden H] [--input I]\n"
            "    [--weights f32|bf16|int8] [--activations f32|int8|bf16] [--threads N]\n"
            "    [--streams S] [--chunk STEPS] [--budget-ms MS] [--seconds S]\n"
            "    [--rate STEPS_PER_S | --sweep] [--modes batcher,unbatched,forward64]\n"
            "    [--max-batch N] [--max-wait-us US] [--json FILE]\n"
            "    [--modes ...,http --url HOST:PORT [--binary]] [--write-model FILE]\n");
    exit(2);
}

static config parse(int argc, char **argv)
{
    config cf = {.cell = "lstm", .weights = "f32", .activations = "f32",
                 .modes = "batcher,unbatched,forward64", .hidden = 512, .input = 512,
                 .threads = 2, .streams = 1000, .chunk = 1, .max_batch = 64,
                 .max_wait_us = 200, .budget_ms = 10, .seconds = 2, .sweep = true};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--sweep") || !strcmp(a, "--binary")) {
            *(a[2] == 's' ? &cf.sweep : &cf.binary) = true;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (!strcmp(a, "--cell")) cf.cell = v;
        else if (!strcmp(a, "--weights")) cf.weights = v;
        else if (!strcmp(a, "--activations")) cf.activations = v;
        else if (!strcmp(a, "--modes")) cf.modes = v;
        else if (!strcmp(a, "--json")) cf.json = v;
        else if (!strcmp(a, "--hidden")) cf.hidden = atoi(v);
        else if (!strcmp(a, "--input")) cf.input = atoi(v);
        else if (!strcmp(a, "--threads")) cf.threads = atoi(v);
        else if (!strcmp(a, "--streams")) cf.streams = atoi(v);
        else if (!strcmp(a, "--chunk")) cf.chunk = atoi(v);
        else if (!strcmp(a, "--max-batch")) cf.max_batch = atoi(v);
        else if (!strcmp(a, "--max-wait-us")) cf.max_wait_us = atoi(v);
        else if (!strcmp(a, "--budget-ms")) cf.budget_ms = atof(v);
        else if (!strcmp(a, "--seconds")) cf.seconds = atof(v);
        else if (!strcmp(a, "--rate")) { cf.rate = atof(v); cf.sweep = false; }
        else if (!strcmp(a, "--url")) cf.url = v;
        else if (!strcmp(a, "--write-model")) cf.write_model = v;
        else usage();
    }
    if (cf.hidden < 1 || cf.input < 1 || cf.threads < 1 || cf.streams < 1 || cf.chunk < 1 ||
        cf.max_batch < 1 || cf.seconds <= 0 || (!cf.sweep && cf.rate <= 0))
        usage();
    return cf;
}

static bool wants(const config *cf, const char *mode)
{
    const size_t n = strlen(mode);
    for (const char *p = cf->modes; (p = strstr(p, mode)); p += n)
        if ((p == cf->modes || p[-1] == ',') && (p[n] == ',' || !p[n]))
            return true;
    return false;
}

static void print_point(const point *p)
{
    printf("| %-9s | %10.0f | %10.0f | %8.3f | %8.3f | %8.3f | %6.1f | %s\n", p->mode,
           p->offered, p->achieved, p->p50, p->p99, p->p999, p->mean_batch,
           p->dropped || p->unfinished ? "overloaded" : "");
    fflush(stdout);
}

/* The load point of mode k (0 batcher, 1 unbatched, 2 http) at `rate`. */
static point run_mode(const config *cf, int k, double rate, const rnnrt_model *m,
                      const rnnrt_model *m1, const float *x)
{
    return k == 0 ? run_batcher(cf, m, rate, x) : k == 1 ? run_unbatched(cf, m1, rate, x)
                                                         : run_http(cf, rate);
}

/* Points at rising rates (x1.25 from `start`) until two in a row miss the budget (p99, or
 * less than 90% of the offered rate done): one point spoilt by a stray preemption does not
 * end the sweep. Before a point has met the budget, a p99 miss at a rate that is kept up
 * with does not count: the first, slow rates touch most streams (and, over HTTP, their
 * connections) for the first time, and their tails are that, not load. The most steps/s of
 * a point within the budget in *best (0 if none). */
static int sweep(const config *cf, int k, double start, point *out, int max, double *best,
                 const rnnrt_model *m, const rnnrt_model *m1, const float *x)
{
    int n = 0, misses = 0;
    *best = 0;
    for (double rate = start; n < max && misses < 2; rate *= 1.25) {
        point p = run_mode(cf, k, rate, m, m1, x);
        out[n++] = p;
        print_point(&p);
        const bool kept_up = p.achieved >= 0.9 * p.offered;
        const bool ok = p.p99 <= cf->budget_ms && kept_up;
        misses = ok ? 0 : *best > 0 || !kept_up ? misses + 1 : misses;
        if (ok && p.achieved > *best)
            *best = p.achieved;
    }
    return n;
}

static void write_json(const config *cf, double f64, const point *pts, int n,
                       const double *best)
{
    FILE *f = fopen(cf->json, "w");
    if (!f) {
        perror(cf->json);
        return;
    }
    fprintf(f, "{\n  \"config\": {\"cell\": \"%s\", \"hidden\": %d, \"input\": %d, "
            "\"weights\": \"%s\", \"activations\": \"%s\", \"threads\": %d, \"streams\": %d, "
            "\"chunk\": %d, \"budget_ms\": %g, \"seconds\": %g, \"max_batch\": %d, "
            "\"max_wait_us\": %d, \"isa\": \"%s\", \"version\": \"%s\"},\n",
            cf->cell, cf->hidden, cf->input, cf->weights, cf->activations, cf->threads,
            cf->streams, cf->chunk, cf->budget_ms, cf->seconds, cf->max_batch,
            cf->max_wait_us, rnnrt_isa(), rnnrt_version());
    fprintf(f, "  \"forward64_steps_per_s\": %.1f,\n", f64);
    fprintf(f, "  \"best_steps_per_s\": {\"batcher\": %.1f, \"unbatched\": %.1f, "
            "\"http\": %.1f},\n", best[0], best[1], best[2]);
    fprintf(f, "  \"points\": [\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "    {\"mode\": \"%s\", \"offered_steps_per_s\": %.1f, "
                "\"steps_per_s\": %.1f, \"p50_ms\": %.4f, \"p99_ms\": %.4f, "
                "\"p999_ms\": %.4f, \"mean_batch\": %.2f, \"pushes\": %ld, "
                "\"dropped\": %ld, \"unfinished\": %ld}%s\n", pts[i].mode, pts[i].offered,
                pts[i].achieved, isfinite(pts[i].p50) ? pts[i].p50 : -1,
                isfinite(pts[i].p99) ? pts[i].p99 : -1,
                isfinite(pts[i].p999) ? pts[i].p999 : -1, pts[i].mean_batch, pts[i].pushes,
                pts[i].dropped, pts[i].unfinished, i + 1 < n ? "," : "");
    fprintf(f, "  ]\n}\n");
    fclose(f);
}

/* The benchmark's model as a file, for `rnnrt serve`. */
static int write_model(const config *cf)
{
    size_t size;
    unsigned char *bytes = rnnrt_bench_model_bytes(cf->cell, cf->hidden, cf->input, 1, &size);
    FILE *f = bytes ? fopen(cf->write_model, "wb") : NULL;
    const int ok = f && fwrite(bytes, 1, size, f) == size;
    if (f)
        fclose(f);
    free(bytes);
    if (!ok)
        perror(cf->write_model);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    const config cf = parse(argc, argv);
    if (cf.write_model)
        return write_model(&cf);
    rnnrt_model *m = make_model(&cf, cf.threads), *m1 = make_model(&cf, 1);
    float *x = rnnrt_bench_alloc((size_t)cf.chunk * cf.input);
    rnnrt_bench_fill(x, (size_t)cf.chunk * cf.input, 2, 1.0f);
    printf("# %s H=%d I=%d, weights %s, activations %s, %d threads, %s; %d streams pushing "
           "%d step(s); p99 budget %g ms; %g s per point\n", cf.cell, cf.hidden, cf.input,
           cf.weights, cf.activations, cf.threads, rnnrt_model_isa(m), cf.streams, cf.chunk,
           cf.budget_ms, cf.seconds);
    double f64 = 0;
    if (wants(&cf, "forward64") || cf.sweep) {
        f64 = run_forward64(&cf, m);
        printf("forward64: rnnrt_forward on %d rows: %.0f steps/s\n", cf.max_batch, f64);
    }
    printf("| mode      | offered/s  | steps/s    | p50 ms   | p99 ms   | p99.9 ms | batch  |\n"
           "|---|---|---|---|---|---|---|\n");
    enum { MAX_POINTS = 40 };
    point pts[3 * MAX_POINTS];
    int n = 0;
    double best[3] = {0, 0, 0};
    static const char *const modes[3] = {"batcher", "unbatched", "http"};
    for (int k = 0; k < 3; k++) {
        if (!wants(&cf, modes[k]))
            continue;
        if (k == 2 && !cf.url) {
            fprintf(stderr, "rnnrt-bench-streams: --modes http needs --url HOST:PORT of a "
                    "running rnnrt serve (--write-model FILE gives it the model)\n");
            return 2;
        }
        if (cf.sweep) {
            n += sweep(&cf, k, f64 * 0.02 > 100 ? f64 * 0.02 : 100, pts + n, MAX_POINTS,
                       &best[k], m, m1, x);
        } else {
            pts[n] = run_mode(&cf, k, cf.rate, m, m1, x);
            print_point(&pts[n]);
            best[k] = pts[n].p99 <= cf.budget_ms ? pts[n].achieved : 0;
            n++;
        }
    }
    printf("within p99 %g ms:", cf.budget_ms);
    for (int k = 0; k < 3; k++)
        if (wants(&cf, modes[k]))
            printf(" %s %.0f steps/s;", modes[k], best[k]);
    if (best[0] > 0 && best[1] > 0)
        printf(" batcher / unbatched %.2f;", best[0] / best[1]);
    if (best[0] > 0 && f64 > 0)
        printf(" batcher / forward64 %.2f;", best[0] / f64);
    if (best[0] > 0 && best[2] > 0)
        printf(" http / batcher %.2f;", best[2] / best[0]);
    printf("\n");
    if (cf.json)
        write_json(&cf, f64, pts, n, best);
    rnnrt_bench_free(x);
    rnnrt_model_free(m);
    rnnrt_model_free(m1);
    return 0;
}
