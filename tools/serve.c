/* `rnnrt serve`: HTTP/1.1 with JSON bodies over a batcher (docs/streams.md, "HTTP"), on
 * GNU libmicrohttpd (Debian's libmicrohttpd-dev): a maintained C library that parses
 * HTTP/1.1 with keep-alive, runs its own epoll loop and can suspend a request and resume it
 * from another thread, which is how a push waits without holding a thread.
 *
 *   POST   /streams               -> 201 {"id": N}
 *   POST   /streams/N/steps       {"x": [[...], ...]} -> 200 {"y": [[...], ...]}
 *          (Content-Type application/octet-stream: raw float32 x in, raw float32 y out)
 *   POST   /streams/N/tokens      {"ids": [...]} -> 200 {"logits": [[...], ...]}
 *   POST   /streams/N/generate    {"prompt": "text" or "ids": [...], "length": N,
 *                                  "temperature": T, "top_k": K, "seed": S} -> 200
 *                                  text/event-stream, an event per token as it is sampled
 *                                  (tools/serve_generate.c)
 *   DELETE /streams/N             -> 200 {"closed": N}
 *   GET    /healthz               -> 200 ok
 *   GET    /metrics               -> Prometheus text: open streams, steps, steps/s, the
 *                                    batch-size, push and request latency histograms
 * Errors are {"error": "..."}: 400 malformed JSON or a wrong shape (naming the field), 404
 * an unknown (or closed, or evicted) stream, 405 a wrong method, 413 a body over
 * --max-body, 429 over max_streams or max_pending, 500 a failed step.
 *
 * Threads: libmicrohttpd's one polling thread runs every handler (so the table of streams
 * needs no lock); a push queues its steps with rnnrt_stream_push_notify and suspends the
 * connection; the batcher's callback only records the status and resumes it, so a slow or
 * vanished client never holds the scheduler: the response is written by the polling thread
 * at the client's pace, and a connection that is gone is dropped there. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "rnnrt.h"
#include "serve.h"
#include "serve_internal.h"
#include "serve_json.h"

long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ---- The server and its requests ------------------------------------------------------ */

static void free_request(request *q)
{
    free(q->body);
    free(q->x);
    free(q->y);
    free(q);
}

static void count_request(server *srv, unsigned code, long long t0)
{
    const int k = code < 300 ? 0 : code == 400 ? 1 : code == 404 ? 2 : code == 413 ? 3
                : code == 429 ? 4 : 5;
    srv->requests[k]++;
    const double s = (double)(now_ns() - t0) * 1e-9;
    int b = 0;
    while (b < LATENCY_BUCKETS && s > 1e-5 * (double)(1u << b))
        b++;
    srv->latency[b]++;
    srv->latency_sum += s;
}

enum MHD_Result respond_with(request *q, unsigned code, struct MHD_Response *r)
{
    if (!r)
        return MHD_NO;
    enum MHD_Result ok = MHD_queue_response(q->conn, code, r);
    MHD_destroy_response(r);
    count_request(q->srv, code, q->t0);
    return ok;
}

enum MHD_Result respond(request *q, unsigned code, const char *type, void *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, body ? MHD_RESPMEM_MUST_FREE
                                                        : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    return respond_with(q, code, r);
}

static enum MHD_Result respond_text(request *q, unsigned code, const char *type,
                                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum MHD_Result respond_text(request *q, unsigned code, const char *type,
                                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = NULL;
    int n = vasprintf(&body, fmt, ap);
    va_end(ap);
    return respond(q, code, type, n < 0 ? NULL : body, n < 0 ? 0 : (size_t)n);
}

/* {"error": message}, the message's quotes and backslashes escaped. */
enum MHD_Result respond_error(request *q, unsigned code, const char *message)
{
    char esc[600];
    size_t k = 0;
    for (const char *c = message; *c && k < sizeof esc - 2; c++) {
        if (*c == '"' || *c == '\\')
            esc[k++] = '\\';
        esc[k++] = (*c == '\n' || *c == '\t') ? ' ' : *c;
    }
    esc[k] = '\0';
    return respond_text(q, code, "application/json", "{\"error\": \"%s\"}\n", esc);
}

/* The HTTP status for a library status. */
unsigned http_status(rnnrt_status st)
{
    switch (st) {
    case RNNRT_E_INVALID: return MHD_HTTP_BAD_REQUEST;
    case RNNRT_E_BUSY: return MHD_HTTP_TOO_MANY_REQUESTS;
    case RNNRT_E_CLOSED: return MHD_HTTP_NOT_FOUND;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* Frees the streams the batcher evicted since the last look (their ids then answer 404):
 * at most once per eviction count change, when a stream is opened. */
static void sweep_evicted(server *srv)
{
    rnnrt_batcher_stats st;
    if (rnnrt_batcher_read_stats(srv->b, &st) || st.evicted == srv->evicted_seen)
        return;
    srv->evicted_seen = st.evicted;
    for (size_t i = 0; i < srv->streams.cap;) {
        entry e = srv->streams.e[i];
        if (e.id && rnnrt_stream_wait(e.s, 0) == RNNRT_E_CLOSED) {
            table_remove(&srv->streams, e.id); /* may move a later entry into slot i */
            rnnrt_stream_free(e.s);
            continue;
        }
        i++;
    }
}

static enum MHD_Result open_stream(request *q)
{
    server *srv = q->srv;
    sweep_evicted(srv);
    rnnrt_stream *s;
    rnnrt_status st = rnnrt_stream_open(srv->b, &s);
    if (st)
        return respond_error(q, http_status(st), rnnrt_last_error());
    const uint64_t id = srv->next_id++;
    if (!table_put(&srv->streams, id, s)) {
        rnnrt_stream_free(s);
        return respond_error(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    return respond_text(q, MHD_HTTP_CREATED, "application/json", "{\"id\": %" PRIu64 "}\n",
                        id);
}

static enum MHD_Result close_stream(request *q, uint64_t id)
{
    server *srv = q->srv;
    rnnrt_stream *s = table_get(&srv->streams, id);
    if (!s)
        return respond_error(q, MHD_HTTP_NOT_FOUND, "no such stream");
    table_remove(&srv->streams, id);
    rnnrt_stream_free(s); /* pushes still queued are told RNNRT_E_CLOSED first */
    return respond_text(q, MHD_HTTP_OK, "application/json", "{\"closed\": %" PRIu64 "}\n", id);
}

/* The batcher's thread: record, and let the polling thread answer. */
static void push_done(void *user, rnnrt_status status)
{
    request *q = user;
    q->status = status;
    atomic_store(&q->done, 1);
    MHD_resume_connection(q->conn);
}

/* x from the body: JSON rows of input_size numbers, or raw float32; for a tokens push,
 * {"ids": [...]} (as floats' bit patterns in x: ints of the same size). False with the
 * reason in q->error. */
static bool parse_steps(request *q)
{
    const int in = q->srv->in;
    if (q->tokens) {
        int *ids = NULL;
        q->steps = serve_json_ints(q->body ? q->body : "", q->len, "ids", &ids, q->error,
                                   sizeof q->error);
        q->x = (float *)ids;
        return q->steps > 0;
    }
    if (q->binary) {
        if (!q->len || q->len % (sizeof(float) * (size_t)in)) {
            snprintf(q->error, sizeof q->error, "x: the octet-stream body must be whole steps "
                     "of %d float32 values (the model's input_size), got %zu bytes", in, q->len);
            return false;
        }
        q->steps = (int)(q->len / (sizeof(float) * (size_t)in));
        q->x = malloc(q->len);
        if (q->x)
            memcpy(q->x, q->body, q->len);
        return true;
    }
    q->steps = serve_json_rows(q->body ? q->body : "", q->len, "x", in, &q->x, q->error,
                               sizeof q->error);
    return q->steps > 0;
}

static enum MHD_Result push_steps(request *q, uint64_t id)
{
    server *srv = q->srv;
    rnnrt_stream *s = table_get(&srv->streams, id);
    if (!s)
        return respond_error(q, MHD_HTTP_NOT_FOUND, "no such stream");
    if (!parse_steps(q))
        return respond_error(q, MHD_HTTP_BAD_REQUEST, q->error);
    const int width = q->tokens ? rnnrt_model_logits_size(srv->m) : srv->out;
    q->y = malloc((size_t)q->steps * width * sizeof(float));
    if (!q->x || !q->y)
        return respond_error(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    /* Suspended before the push, so that the callback's resume always finds it so. */
    MHD_suspend_connection(q->conn);
    q->pushed = true;
    q->error[0] = '\0';
    rnnrt_status st = q->tokens ? rnnrt_stream_push_tokens(s, (const int *)q->x, q->steps, 0,
                                                           q->y, push_done, q)
                                : rnnrt_stream_push_notify(s, q->x, q->steps, q->y, push_done,
                                                           q);
    if (st) {
        q->status = st;
        snprintf(q->error, sizeof q->error, "%s", rnnrt_last_error());
        atomic_store(&q->done, 1);
        MHD_resume_connection(q->conn);
    }
    return MHD_YES;
}

/* After the push: y, or why not. */
static enum MHD_Result answer_push(request *q)
{
    server *srv = q->srv;
    if (q->status == RNNRT_E_CLOSED) {
        rnnrt_stream *s = table_get(&srv->streams, q->id);
        if (s) { /* evicted: the id is gone from now on */
            table_remove(&srv->streams, q->id);
            rnnrt_stream_free(s);
        }
        return respond_error(q, MHD_HTTP_NOT_FOUND, "the stream was closed or evicted");
    }
    if (q->status)
        return respond_error(q, http_status(q->status),
                             q->error[0] ? q->error : rnnrt_status_string(q->status));
    if (q->binary) {
        const size_t n = (size_t)q->steps * srv->out * sizeof(float);
        void *y = q->y;
        q->y = NULL;
        return respond(q, MHD_HTTP_OK, "application/octet-stream", y, n);
    }
    size_t len;
    char *body = q->tokens ? serve_json_write_rows("logits", q->y, q->steps,
                                                   rnnrt_model_logits_size(srv->m), &len)
                           : serve_json_write_rows("y", q->y, q->steps, srv->out, &len);
    if (!body)
        return respond_error(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    return respond(q, MHD_HTTP_OK, "application/json", body, len);
}

/* ---- Metrics ------------------------------------------------------------------------- */

static int append(char **p, char *end, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int append(char **p, char *end, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(*p, (size_t)(end - *p), fmt, ap);
    va_end(ap);
    if (n > 0 && n < end - *p)
        *p += n;
    return n;
}

/* A histogram from power-of-two buckets (counts per bucket, not cumulative): bucket k has
 * the upper bound scale * 2^k; the last one is +Inf. */
static void histogram(char **p, char *end, const char *name, const char *help,
                      const unsigned long long *counts, int buckets, double scale, double sum)
{
    append(p, end, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long long total = 0;
    for (int k = 0; k < buckets; k++) {
        total += counts[k];
        if (k < buckets - 1)
            append(p, end, "%s_bucket{le=\"%g\"} %llu\n", name, scale * (double)(1ull << k),
                   total);
    }
    append(p, end, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9g\n%s_count %llu\n", name, total,
           name, sum, name, total);
}

static enum MHD_Result metrics(request *q)
{
    server *srv = q->srv;
    rnnrt_batcher_stats st;
    rnnrt_batcher_read_stats(srv->b, &st);
    const long long now = now_ns();
    const double dt = (double)(now - srv->last_scrape) * 1e-9;
    const double rate = dt > 0 ? (double)(st.rows - srv->last_rows) / dt : 0;
    srv->last_scrape = now;
    srv->last_rows = st.rows;
    const size_t cap = 16384;
    char *out = malloc(cap), *p = out, *end = out + cap;
    if (!out)
        return respond_error(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    append(&p, end, "# HELP rnnrt_open_streams Streams open (not closed, not evicted).\n"
           "# TYPE rnnrt_open_streams gauge\nrnnrt_open_streams %d\n"
           "# HELP rnnrt_ready_streams Streams with a step queued.\n"
           "# TYPE rnnrt_ready_streams gauge\nrnnrt_ready_streams %d\n", st.open_streams,
           st.ready_streams);
    append(&p, end, "# HELP rnnrt_steps_total Batched steps run.\n# TYPE rnnrt_steps_total "
           "counter\nrnnrt_steps_total %llu\n# HELP rnnrt_stream_steps_total Stream steps "
           "run (rows of the batched steps).\n# TYPE rnnrt_stream_steps_total counter\n"
           "rnnrt_stream_steps_total %llu\n# HELP rnnrt_stream_steps_per_second Stream steps "
           "per second since the previous scrape.\n# TYPE rnnrt_stream_steps_per_second gauge\n"
           "rnnrt_stream_steps_per_second %.1f\n# HELP rnnrt_pushes_total Pushes done.\n"
           "# TYPE rnnrt_pushes_total counter\nrnnrt_pushes_total %llu\n# HELP "
           "rnnrt_evicted_total Streams evicted after the idle timeout.\n# TYPE "
           "rnnrt_evicted_total counter\nrnnrt_evicted_total %llu\n", st.steps, st.rows, rate,
           st.pushes, st.evicted);
    histogram(&p, end, "rnnrt_batch_rows", "Rows per batched step.", st.batch_rows,
              RNNRT_STATS_BUCKETS, 1, (double)st.rows);
    double sum = 0;
    for (int k = 0; k < RNNRT_STATS_BUCKETS; k++)
        sum += (double)st.latency_us[k] * 1e-6 * (double)(1ull << k) * 0.75; /* bucket mid */
    histogram(&p, end, "rnnrt_push_latency_seconds", "From a push to its last step done "
              "(the library's power-of-two buckets; the sum is estimated from them).",
              st.latency_us, RNNRT_STATS_BUCKETS, 1e-6, sum);
    histogram(&p, end, "rnnrt_http_request_seconds", "From a request's arrival to its "
              "response, every route.", srv->latency, LATENCY_BUCKETS + 1, 1e-5,
              srv->latency_sum);
    static const char *const classes[] = {"2xx", "400", "404", "413", "429", "other"};
    append(&p, end, "# HELP rnnrt_http_requests_total Responses by status.\n"
           "# TYPE rnnrt_http_requests_total counter\n");
    for (int k = 0; k < 6; k++)
        append(&p, end, "rnnrt_http_requests_total{code=\"%s\"} %llu\n", classes[k],
               srv->requests[k]);
    return respond(q, MHD_HTTP_OK, "text/plain; version=0.0.4", out, (size_t)(p - out));
}

/* ---- Routing -------------------------------------------------------------------------- */

/* "/streams/N" or "/streams/N/steps": N, and what follows it in *rest. */
static bool stream_path(const char *url, uint64_t *id, const char **rest)
{
    if (strncmp(url, "/streams/", 9) || url[9] < '1' || url[9] > '9')
        return false;
    char *end;
    *id = strtoull(url + 9, &end, 10);
    *rest = end;
    return !**rest || **rest == '/';
}

static enum MHD_Result route(request *q, const char *url, const char *method)
{
    const bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    uint64_t id;
    const char *rest;
    if (!strcmp(url, "/healthz"))
        return get ? respond_text(q, MHD_HTTP_OK, "text/plain", "ok\n")
                   : respond_error(q, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /healthz");
    if (!strcmp(url, "/metrics"))
        return get ? metrics(q) : respond_error(q, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics");
    if (!strcmp(url, "/streams"))
        return post ? open_stream(q)
                    : respond_error(q, MHD_HTTP_METHOD_NOT_ALLOWED, "POST /streams");
    if (stream_path(url, &id, &rest)) {
        q->id = id;
        if (!*rest)
            return !strcmp(method, "DELETE")
                       ? close_stream(q, id)
                       : respond_error(q, MHD_HTTP_METHOD_NOT_ALLOWED, "DELETE /streams/N");
        q->tokens = !strcmp(rest, "/tokens");
        if (!strcmp(rest, "/steps") || q->tokens)
            return post ? push_steps(q, id)
                        : respond_error(q, MHD_HTTP_METHOD_NOT_ALLOWED, "POST");
        if (!strcmp(rest, "/generate")) {
            rnnrt_stream *s = table_get(&q->srv->streams, id);
            return !post ? respond_error(q, MHD_HTTP_METHOD_NOT_ALLOWED, "POST")
                   : s   ? serve_generate(q, s)
                         : respond_error(q, MHD_HTTP_NOT_FOUND, "no such stream");
        }
    }
    return respond_error(q, MHD_HTTP_NOT_FOUND, "no such route (POST /streams, POST "
                         "/streams/N/steps, /tokens or /generate, DELETE /streams/N, GET "
                         "/healthz, GET /metrics)");
}

/* libmicrohttpd's handler: called when the headers are in (q made), with each piece of the
 * body, once the body is complete, and again after a resume. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    request *q = *con_cls;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        q->srv = cls;
        q->conn = conn;
        q->t0 = now_ns();
        const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_CONTENT_TYPE);
        q->binary = type && !strncmp(type, "application/octet-stream", 24);
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_size) { /* a piece of the body */
        const size_t n = *upload_size;
        *upload_size = 0;
        if (q->too_big || q->len + n > q->srv->max_body) {
            q->too_big = true;
            return MHD_YES;
        }
        if (q->len + n + 1 > q->cap) {
            const size_t cap = (q->len + n + 1) * 2 < q->srv->max_body + 1
                                   ? (q->len + n + 1) * 2 : q->srv->max_body + 1;
            char *b = realloc(q->body, cap);
            if (!b)
                return MHD_NO;
            q->body = b;
            q->cap = cap;
        }
        memcpy(q->body + q->len, upload, n);
        q->len += n;
        q->body[q->len] = '\0';
        return MHD_YES;
    }
    if (q->gen) /* an event stream: its reader answers */
        return MHD_YES;
    if (q->pushed) /* resumed */
        return atomic_load(&q->done) ? answer_push(q) : MHD_YES;
    if (q->too_big)
        return respond_text(q, MHD_HTTP_CONTENT_TOO_LARGE, "application/json",
                            "{\"error\": \"the body is over --max-body (%zu bytes)\"}\n",
                            q->srv->max_body);
    return route(q, url, method);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)conn;
    (void)code;
    request *q = *con_cls;
    /* A request is complete only after its push was told (the connection was suspended
     * until then), so the batcher no longer holds x or y; a generation may still run, and
     * frees its part when it ends. */
    if (q) {
        serve_generation_release(q->gen, true);
        free_request(q);
    }
    *con_cls = NULL;
}

/* ---- The command ---------------------------------------------------------------------- */

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Flags that are rnnrt_options keys: the model load takes the model's and ignores the
 * batcher's, rnnrt_batcher_create the other way round ("threads" serves both). */
static const char *const option_flags[][2] = {
    {"--isa", "isa"}, {"--threads", "threads"}, {"--weights", "weights"},
    {"--activations", "activations"}, {"--max-batch", "max_batch"},
    {"--max-wait-us", "max_wait_us"}, {"--max-streams", "max_streams"},
    {"--max-pending", "max_pending"}, {"--idle-timeout-ms", "idle_timeout_ms"},
};

static int serve_usage(void)
{
    fprintf(stderr,
            "usage: rnnrt serve MODEL [--host 127.0.0.1] [--port 8080] [--max-batch N]\n"
            "           [--max-wait-us US] [--max-streams N] [--max-pending STEPS]\n"
            "           [--idle-timeout-ms MS] [--threads N] [--isa NAME] [--weights W]\n"
            "           [--activations A] [--max-body BYTES] [--max-connections N]\n"
            "--port 0 takes a free port; the first line printed says which.\n");
    return 2;
}

typedef struct serve_args {
    const char *model, *host;
    int port, max_connections;
    size_t max_body;
} serve_args;

static int parse_serve(int argc, char **argv, serve_args *a, rnnrt_options *o)
{
    *a = (serve_args){.host = "127.0.0.1", .port = 8080, .max_connections = 4096,
                      .max_body = 64u << 20};
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (f[0] != '-') {
            if (a->model)
                return -1;
            a->model = f;
            continue;
        }
        if (!v)
            return -1;
        i++;
        bool known = false;
        for (size_t k = 0; k < sizeof option_flags / sizeof option_flags[0]; k++)
            if (!strcmp(f, option_flags[k][0])) {
                if (rnnrt_options_set(o, option_flags[k][1], v)) {
                    fprintf(stderr, "rnnrt serve: %s: %s\n", f, rnnrt_last_error());
                    return -1;
                }
                known = true;
            }
        if (known)
            continue;
        if (!strcmp(f, "--host"))
            a->host = v;
        else if (!strcmp(f, "--port"))
            a->port = atoi(v);
        else if (!strcmp(f, "--max-body"))
            a->max_body = strtoull(v, NULL, 10);
        else if (!strcmp(f, "--max-connections"))
            a->max_connections = atoi(v);
        else
            return -1;
    }
    return a->model && a->port >= 0 && a->port < 65536 && a->max_body > 0 &&
                   a->max_connections > 0 ? 0 : -1;
}

/* Small answers to pushes go out at once: with Nagle's algorithm a response may wait for
 * the ACK of the one before, which the client delays. (Measured with and without it, 1,000
 * streams pushing 10-step chunks: the best rate within a p99 of 10 ms went from 8,770 to
 * 11,320 steps/s with JSON and 16,795 to 20,860 raw, one run each; the p99 of the first,
 * slow rates stayed 50-70 ms either way, docs/streams.md.) */
static void no_delay(void *cls, struct MHD_Connection *c, void **socket_context,
                     enum MHD_ConnectionNotificationCode code)
{
    (void)cls, (void)socket_context;
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    int one = 1;
    if (info)
        setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static struct MHD_Daemon *start_http(server *srv, const serve_args *a)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)a->port)};
    if (inet_pton(AF_INET, a->host, &addr.sin_addr) != 1) {
        fprintf(stderr, "rnnrt serve: --host %s: not an IPv4 address\n", a->host);
        return NULL;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, (uint16_t)a->port,
        NULL, NULL, handle, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, completed, srv, MHD_OPTION_NOTIFY_CONNECTION, no_delay,
        NULL, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)a->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, 120u,
        MHD_OPTION_END);
    if (!d)
        fprintf(stderr, "rnnrt serve: cannot listen on %s:%d\n", a->host, a->port);
    return d;
}

/* Stops taking connections, drops every stream (their pending pushes answer 404), answers
 * what is resumed, then stops. */
static void shut_down(server *srv)
{
    MHD_quiesce_daemon(srv->d);
    free(srv->streams.e); /* the batcher frees the streams themselves */
    srv->streams = (table){calloc(16, sizeof(entry)), 16, 0};
    rnnrt_batcher_free(srv->b);
    srv->b = NULL;
    for (int i = 0; i < 20; i++)
        MHD_run_wait(srv->d, 10);
    MHD_stop_daemon(srv->d);
    free(srv->streams.e);
}

int rnnrt_cmd_serve(int argc, char **argv)
{
    rnnrt_options *o;
    if (rnnrt_options_create(&o))
        return 1;
    serve_args a;
    server srv = {.next_id = 1, .last_scrape = now_ns()};
    int rc = 1;
    if (parse_serve(argc, argv, &a, o)) {
        rnnrt_options_free(o);
        return serve_usage();
    }
    srv.max_body = a.max_body;
    srv.streams = (table){calloc(1024, sizeof(entry)), 1024, 0};
    if (rnnrt_model_load_ex(a.model, o, &srv.m)) {
        fprintf(stderr, "rnnrt serve: %s: %s\n", a.model, rnnrt_last_error());
    } else if (rnnrt_batcher_create(srv.m, o, &srv.b)) {
        fprintf(stderr, "rnnrt serve: %s\n", rnnrt_last_error());
    } else if ((srv.d = start_http(&srv, &a))) {
        srv.in = rnnrt_model_input_size(srv.m);
        srv.out = rnnrt_model_output_size(srv.m);
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv.d,
                                                               MHD_DAEMON_INFO_BIND_PORT);
        printf("rnnrt serve: listening on http://%s:%u (%s, input %d, output %d; %s)\n",
               a.host, info ? info->port : (unsigned)a.port, rnnrt_model_cell_name(srv.m),
               srv.in, srv.out, rnnrt_model_isa(srv.m));
        fflush(stdout);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, SIG_IGN);
        while (!stopping)
            MHD_run_wait(srv.d, 200);
        shut_down(&srv);
        srv.b = NULL;
        rc = 0;
    }
    if (srv.b)
        rnnrt_batcher_free(srv.b);
    if (rc)
        free(srv.streams.e);
    rnnrt_model_free(srv.m);
    rnnrt_options_free(o);
    return rc;
}
