/* What bench_streams.c (the load generator, the library's modes) and bench_streams_http.c
 * (the same load over HTTP on `rnnrt serve`) share. */
#ifndef RNNRT_BENCH_STREAMS_H
#define RNNRT_BENCH_STREAMS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct config {
    const char *cell, *weights, *activations, *modes, *json;
    int hidden, input, threads, streams, chunk, max_batch, max_wait_us;
    double budget_ms, seconds, rate; /* rate: steps/s offered; 0 with sweep */
    bool sweep;
    const char *url;   /* http mode: host:port of a running `rnnrt serve` */
    const char *write_model; /* write the model's file there, for `rnnrt serve`, and exit */
    bool binary;       /* http mode: raw float32 bodies instead of JSON */
} config;

enum { SLOTS = 16 }; /* pushes in flight per stream; a full ring means overload */

/* ---- One load point: the generator and the latencies it collects ------------------------ */

struct load;

typedef struct slot {
    struct load *ld;
    long long arrival;       /* scheduled arrival, ns */
    atomic_int busy;
    float *y;                /* [chunk][output] */
} slot;

typedef struct load {
    const config *cf;
    int O;
    slot *slots;             /* [streams][SLOTS] */
    long long window0, window1; /* arrivals counted: [window0, window1) */
    double *lat;             /* ms, of counted pushes */
    atomic_long nlat, outstanding, steps_done;
    long cap;
    long dropped;            /* arrivals that found their stream's ring full */
} load;

typedef struct point {
    const char *mode;
    double offered, achieved, p50, p99, p999, mean_batch;
    long pushes, dropped, unfinished;
} point;

long long now_ns(void);
/* An exponential draw of the given mean from a seeded xorshift generator. */
double exp_draw(uint64_t *s, double mean);
/* A push done: its latency counted if it arrived in the window, its slot free again. */
void record(slot *sl);
load new_load(const config *cf, int O, double rate);
void free_load(load *ld);
point summarize(load *ld, const char *mode, double rate);

/* The load over HTTP/1.1 on `rnnrt serve` at cf->url (bench_streams_http.c). */
point run_http(const config *cf, double rate);

#endif
