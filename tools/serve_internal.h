/* What the parts of `rnnrt serve` share: tools/serve.c (routes, steps, metrics, the
 * command), tools/serve_generate.c (generation as Server-Sent Events), tools/serve_table.c
 * (streams by id). One thread, libmicrohttpd's loop, runs every handler; the batcher's
 * thread runs the push callbacks. */
#ifndef RNNRT_SERVE_INTERNAL_H
#define RNNRT_SERVE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "rnnrt.h"

/* Streams by id (serve_table.c). */
typedef struct entry {
    uint64_t id; /* 0: empty */
    rnnrt_stream *s;
} entry;

typedef struct table {
    entry *e;
    size_t cap, count; /* cap a power of two, count <= cap / 2 */
} table;

rnnrt_stream *table_get(const table *t, uint64_t id);
bool table_put(table *t, uint64_t id, rnnrt_stream *s); /* false: out of memory */
void table_remove(table *t, uint64_t id);

enum { LATENCY_BUCKETS = 24 }; /* request latency: le 2^k * 10 us, k = 0..23 (up to 84 s) */

typedef struct server {
    rnnrt_model *m;
    rnnrt_batcher *b;
    struct MHD_Daemon *d;
    int in, out;
    size_t max_body;
    table streams;
    uint64_t next_id;
    unsigned long long evicted_seen; /* the batcher's eviction count at the last sweep */
    /* metrics, touched only by the polling thread */
    unsigned long long requests[6]; /* by class: 2xx, 400, 404, 413, 429, other */
    unsigned long long latency[LATENCY_BUCKETS + 1];
    double latency_sum;
    long long last_scrape;
    unsigned long long last_rows;
} server;

typedef struct request {
    server *srv;
    struct MHD_Connection *conn;
    char *body;
    size_t len, cap;
    bool too_big, binary, pushed;
    float *x, *y;
    int steps;
    uint64_t id;
    atomic_int done;       /* the push's callback has run: status holds its result */
    rnnrt_status status;
    char error[256];       /* a push refused at once: why */
    long long t0;
    struct generation *gen; /* POST /streams/N/generate's (serve_generate.c) */
    bool tokens;           /* POST /streams/N/tokens: ids in, logits out */
} request;

long long now_ns(void);
/* Queues a response made by the caller (and destroys the caller's reference), counting it
 * in the metrics. */
enum MHD_Result respond_with(request *q, unsigned code, struct MHD_Response *r);
/* Queues a response (body malloc'd, or NULL) and counts it in the metrics. */
enum MHD_Result respond(request *q, unsigned code, const char *type, void *body, size_t len);
/* {"error": message}. */
enum MHD_Result respond_error(request *q, unsigned code, const char *message);
/* The HTTP status of a library status. */
unsigned http_status(rnnrt_status st);

/* POST /streams/N/generate on stream s (serve_generate.c): parses the body, starts the
 * generation and answers with an event stream. */
enum MHD_Result serve_generate(request *q, rnnrt_stream *s);
/* Drops one holder of a generation (gen NULL: nothing): the request (mhd true, when
 * libmicrohttpd is done with it) or the chain of pushes; the last one frees it. */
void serve_generation_release(struct generation *gen, bool mhd);

#endif
