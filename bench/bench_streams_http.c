/* The open-loop load of bench_streams.c over HTTP/1.1 on a running `rnnrt serve` (--modes
 * http --url HOST:PORT): one keep-alive connection per stream, each stream's pushes sent in
 * order, one at a time (the next after the previous one's response), every connection
 * driven by one thread's epoll loop. A push's latency runs from its scheduled arrival to
 * the end of its response, as in the library's modes. Bodies are JSON ({"x": ...}), or raw
 * float32 with --binary. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench_streams.h"

typedef struct conn {
    int fd, stream;
    char head[160];
    int head_len;
    long sent;          /* bytes of the request in flight sent; -1: none in flight */
    int q[SLOTS], qh, qn; /* slots waiting or in flight, oldest first */
    char hdr[4096];     /* the response's head as it comes */
    int hdr_len;
    long body_left;     /* >= 0: in the body */
    bool want_out;
} conn;

typedef struct client {
    const config *cf;
    load *ld;
    conn *c;
    const char *body;
    long body_len;
    int ep;
    long errors;
    char first_error[160];
} client;

/* One blocking request on fd; the response's status and body (NUL-terminated) in buf. */
static int blocking_call(int fd, const char *req, char *buf, size_t cap)
{
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
        return -1;
    size_t len = 0;
    long need = -1;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end && need < 0) {
            char *cl = strcasestr(buf, "Content-Length:");
            need = (long)(end + 4 - buf) + (cl ? atol(cl + 15) : 0);
        }
        if (need >= 0 && (long)len >= need)
            break;
    }
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    char *body = strstr(buf, "\r\n\r\n");
    if (body)
        memmove(buf, body + 4, strlen(body + 4) + 1);
    return status;
}

static void set_blocking(int fd, bool blocking)
{
    const int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

static int connect_to(const char *url)
{
    char host[64];
    int port = 0;
    if (sscanf(url, "%63[^:]:%d", host, &port) != 2)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void set_events(client *cl, conn *c, bool out)
{
    if (c->want_out == out)
        return;
    c->want_out = out;
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(cl->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends what is left of the request in flight. */
static void pump(client *cl, conn *c)
{
    const long total = c->head_len + cl->body_len;
    while (c->sent >= 0 && c->sent < total) {
        struct iovec v[2];
        int n = 0;
        if (c->sent < c->head_len)
            v[n++] = (struct iovec){c->head + c->sent, (size_t)(c->head_len - c->sent)};
        const long b0 = c->sent > c->head_len ? c->sent - c->head_len : 0;
        v[n++] = (struct iovec){(char *)cl->body + b0, (size_t)(cl->body_len - b0)};
        ssize_t w = writev(c->fd, v, n);
        if (w < 0) {
            if (errno == EAGAIN)
                set_events(cl, c, true);
            return;
        }
        c->sent += w;
    }
    set_events(cl, c, false);
}

static void start_next(client *cl, conn *c)
{
    if (c->sent >= 0 || !c->qn)
        return;
    c->sent = 0;
    c->hdr_len = 0;
    c->body_left = -1;
    pump(cl, c);
}

/* The response to the request in flight is in: its push is done. */
static void finish(client *cl, conn *c, int status)
{
    if (status != 200 && !cl->errors++)
        snprintf(cl->first_error, sizeof cl->first_error, "HTTP %d: %.120s", status,
                 strstr(c->hdr, "\r\n\r\n") ? strstr(c->hdr, "\r\n\r\n") + 4 : "");
    record(&cl->ld->slots[(size_t)c->stream * SLOTS + c->q[c->qh]]);
    c->qh = (c->qh + 1) % SLOTS;
    c->qn--;
    c->sent = -1;
    start_next(cl, c);
}

/* Reads what the server sent: the head, then the body (counted, not kept). */
static void drain(client *cl, conn *c)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (ssize_t k = 0; k < n;) {
            if (c->body_left < 0) { /* the head */
                const int room = (int)sizeof c->hdr - 1 - c->hdr_len;
                const int take = (int)(n - k) < room ? (int)(n - k) : room;
                memcpy(c->hdr + c->hdr_len, buf + k, (size_t)take);
                c->hdr_len += take;
                c->hdr[c->hdr_len] = '\0';
                char *end = strstr(c->hdr, "\r\n\r\n");
                if (!end) {
                    k += take;
                    continue;
                }
                const int used = (int)(end + 4 - c->hdr) - (c->hdr_len - take);
                k += used;
                char *len = strcasestr(c->hdr, "Content-Length:");
                c->body_left = len ? atol(len + 15) : 0;
            }
            const long take = n - k < c->body_left ? n - k : c->body_left;
            k += take;
            c->body_left -= take;
            if (!c->body_left) {
                int status = 0;
                sscanf(c->hdr, "HTTP/1.%*d %d", &status);
                finish(cl, c, status);
            }
        }
    }
}

/* The body every push sends: chunk steps of x, as JSON or raw float32. */
static char *make_body(const config *cf, long *len)
{
    const long n = (long)cf->chunk * cf->input;
    if (cf->binary) {
        float *x = malloc((size_t)n * sizeof *x);
        for (long i = 0; i < n; i++)
            x[i] = (float)((i * 7919) % 2001 - 1000) * 1e-3f;
        *len = n * (long)sizeof *x;
        return (char *)x;
    }
    char *s = malloc((size_t)n * 12 + 64), *p = s;
    p += sprintf(p, "{\"x\":[");
    for (int t = 0; t < cf->chunk; t++) {
        p += sprintf(p, "%s[", t ? "," : "");
        for (int i = 0; i < cf->input; i++)
            p += sprintf(p, "%s%.3f", i ? "," : "", (double)((t * 31 + i * 7919) % 2001 - 1000) * 1e-3);
        *p++ = ']';
    }
    p += sprintf(p, "]}");
    *len = p - s;
    return s;
}

/* Connects a stream per connection (POST /streams); -1 if the server is not there. */
static int open_streams(client *cl)
{
    const config *cf = cl->cf;
    char buf[4096], req[256];
    for (int s = 0; s < cf->streams; s++) {
        conn *c = &cl->c[s];
        c->fd = connect_to(cf->url);
        c->stream = s;
        c->sent = -1;
        if (c->fd < 0) {
            fprintf(stderr, "http: cannot connect to %s\n", cf->url);
            return -1;
        }
        snprintf(req, sizeof req, "POST /streams HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        const int st = blocking_call(c->fd, req, buf, sizeof buf);
        char *id = strstr(buf, "\"id\"");
        if (st != 201 || !id) {
            fprintf(stderr, "http: POST /streams: %d %s\n", st, buf);
            return -1;
        }
        c->head_len = snprintf(c->head, sizeof c->head, "POST /streams/%ld/steps HTTP/1.1\r\n"
                               "Host: x\r\nContent-Type: %s\r\nContent-Length: %ld\r\n\r\n",
                               atol(id + 5), cf->binary ? "application/octet-stream"
                                                        : "application/json", cl->body_len);
        set_blocking(c->fd, false);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(cl->ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    return 0;
}

/* DELETE /streams/N on each connection with nothing in flight, and close them. */
static void close_streams(client *cl)
{
    char buf[4096], req[128];
    for (int s = 0; s < cl->cf->streams; s++) {
        conn *c = &cl->c[s];
        if (c->fd < 0)
            continue;
        const char *id = strstr(c->head, "/streams/");
        if (id && c->sent < 0) {
            set_blocking(c->fd, true);
            snprintf(req, sizeof req, "DELETE /streams/%ld HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 0\r\n\r\n", atol(id + 9));
            blocking_call(c->fd, req, buf, sizeof buf);
        }
        close(c->fd);
    }
}

/* One arrival on stream s at time t: queued on its connection, sent when it is free. */
static void arrive(client *cl, int s, long long t)
{
    conn *c = &cl->c[s];
    load *ld = cl->ld;
    int k = 0;
    while (k < SLOTS && atomic_load(&ld->slots[(size_t)s * SLOTS + k].busy))
        k++;
    if (k == SLOTS) {
        ld->dropped += t >= ld->window0;
        return;
    }
    slot *sl = &ld->slots[(size_t)s * SLOTS + k];
    sl->arrival = t;
    atomic_store(&sl->busy, 1);
    atomic_fetch_add(&ld->outstanding, 1);
    c->q[(c->qh + c->qn++) % SLOTS] = k;
    start_next(cl, c);
}

point run_http(const config *cf, double rate)
{
    load ld = new_load(cf, 1, rate);
    for (size_t k = 0; k < (size_t)cf->streams * SLOTS; k++)
        ld.slots[k].ld = &ld;
    client cl = {.cf = cf, .ld = &ld, .c = calloc((size_t)cf->streams, sizeof(conn)),
                 .ep = epoll_create1(0)};
    for (int s = 0; s < cf->streams; s++)
        cl.c[s].fd = -1;
    char *body = make_body(cf, &cl.body_len);
    cl.body = body;
    point p = {.mode = "http", .offered = rate, .p50 = INFINITY, .p99 = INFINITY,
               .p999 = INFINITY};
    if (!open_streams(&cl)) {
        const long long t0 = now_ns(), warm = (long long)(0.25 * cf->seconds * 1e9) + 100000000ll;
        ld.window0 = t0 + warm;
        ld.window1 = ld.window0 + (long long)(cf->seconds * 1e9);
        uint64_t seed = 0x9e3779b97f4a7c15ull;
        long long next = t0, give_up = ld.window1 + 30000000000ll;
        struct epoll_event ev[256];
        for (;;) {
            long long now = now_ns();
            while (next <= now && next < ld.window1) {
                arrive(&cl, (int)(seed % (uint64_t)cf->streams), next);
                next += (long long)exp_draw(&seed, 1e9 * cf->chunk / rate);
            }
            if ((next >= ld.window1 && !atomic_load(&ld.outstanding)) || now > give_up)
                break;
            const long long wait = next < ld.window1 ? next - now : 10000000;
            struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
            const int n = epoll_pwait2(cl.ep, ev, 256, &ts, NULL);
            for (int i = 0; i < n; i++) {
                conn *c = ev[i].data.ptr;
                if (ev[i].events & EPOLLOUT)
                    pump(&cl, c);
                if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                    drain(&cl, c);
            }
        }
        p = summarize(&ld, "http", rate);
        if (cl.errors)
            fprintf(stderr, "http: %ld pushes failed; the first: %s\n", cl.errors,
                    cl.first_error);
    }
    close_streams(&cl);
    close(cl.ep);
    free(cl.c);
    free(body);
    free_load(&ld);
    return p;
}
