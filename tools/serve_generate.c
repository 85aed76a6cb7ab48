/* POST /streams/N/generate of `rnnrt serve`: {"prompt": "text"} (or {"ids": [...]}) with
 * optional "length" (100), "temperature" (0.8), "top_k" (0) and "seed" (1), answered as
 * Server-Sent Events, one per token as it is sampled:
 *     data: {"token": 17, "text": "e"}
 *     ...
 *     event: done
 *     data: {"tokens": 100}
 * (or `event: error` with {"error": ...}). The prompt is pushed with
 * rnnrt_stream_push_tokens for its last logits; each callback (on the batcher's thread)
 * samples the next token as rnnrt_sample does, records it, wakes the response, and pushes
 * the token back: every step is batched with the other streams', and the tokens are those
 * of `rnnrt generate` for the same arguments.
 *
 * The response's reader (libmicrohttpd's thread) sends the tokens recorded so far and
 * suspends the connection when there are none, under the generation's lock, so that a
 * callback's resume never comes before its suspend. Two holders keep a generation alive:
 * the request (until libmicrohttpd is done with it: the client may leave) and the chain of
 * pushes (until the last callback); the last to let go frees it. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "serve_internal.h"

typedef struct generation {
    pthread_mutex_t lock;
    request *q;           /* NULL once libmicrohttpd is done with the request */
    rnnrt_stream *s;
    const rnnrt_model *m;
    int *tokens;          /* [length] */
    int length, produced, sent, input;
    float *logits;        /* [logits_size] of the last step */
    rnnrt_rng rng;
    float temperature;
    int top_k;
    bool finished, suspended, told_end;
    char error[256];      /* why it stopped early, or "" */
    int holders;
} generation;

void serve_generation_release(generation *g, bool mhd)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    if (mhd)
        g->q = NULL;
    const bool last = --g->holders == 0;
    pthread_mutex_unlock(&g->lock);
    if (!last)
        return;
    pthread_mutex_destroy(&g->lock);
    free(g->tokens);
    free(g->logits);
    free(g);
}

/* The batcher's thread: the logits of the token just pushed (or of the prompt) are in;
 * sample, record, wake the reader, push the token back. */
static void step_done(void *user, rnnrt_status status)
{
    generation *g = user;
    pthread_mutex_lock(&g->lock);
    if (status) {
        snprintf(g->error, sizeof g->error, "the stream was %s",
                 status == RNNRT_E_CLOSED ? "closed" : rnnrt_status_string(status));
    } else if (rnnrt_sample(g->logits, rnnrt_model_head_size(g->m), g->temperature, g->top_k,
                            &g->rng, &g->input)) {
        snprintf(g->error, sizeof g->error, "%s", rnnrt_last_error());
    } else {
        g->tokens[g->produced++] = g->input;
    }
    /* the next step, unless done, failed or nobody is listening */
    bool more = !g->error[0] && g->produced < g->length && g->q;
    if (more && rnnrt_stream_push_tokens(g->s, &g->input, 1, 1, g->logits, step_done, g)) {
        snprintf(g->error, sizeof g->error, "%s", rnnrt_last_error());
        more = false;
    }
    g->finished = !more;
    if (g->suspended && g->q) {
        g->suspended = false;
        MHD_resume_connection(g->q->conn);
    }
    pthread_mutex_unlock(&g->lock);
    if (!more)
        serve_generation_release(g, false);
}

/* One event for a token: its id, and its text when the model has a vocabulary. */
static int token_event(const generation *g, int token, char *buf, size_t max)
{
    const char *text = rnnrt_model_token(g->m, token);
    if (!text)
        return snprintf(buf, max, "data: {\"token\": %d}\n\n", token);
    char esc[64];
    size_t k = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c && k + 7 < sizeof esc; c++) {
        if (*c == '"' || *c == '\\')
            k += (size_t)snprintf(esc + k, sizeof esc - k, "\\%c", *c);
        else if (*c < 0x20)
            k += (size_t)snprintf(esc + k, sizeof esc - k, "\\u%04x", *c);
        else
            esc[k++] = (char)*c;
    }
    esc[k] = '\0';
    return snprintf(buf, max, "data: {\"token\": %d, \"text\": \"%s\"}\n\n", token, esc);
}

/* libmicrohttpd's thread: what there is to send now. */
static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    generation *g = cls;
    pthread_mutex_lock(&g->lock);
    size_t n = 0;
    while (g->sent < g->produced && n + 128 < max)
        n += (size_t)token_event(g, g->tokens[g->sent++], buf + n, max - n);
    if (!n && g->finished && g->sent == g->produced && !g->told_end) {
        g->told_end = true;
        for (char *c = g->error; *c; c++) /* the message goes out in a JSON string */
            if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
                *c = '\'';
        n = (size_t)(g->error[0]
                         ? snprintf(buf, max, "event: error\ndata: {\"error\": \"%s\"}\n\n",
                                    g->error)
                         : snprintf(buf, max, "event: done\ndata: {\"tokens\": %d}\n\n",
                                    g->produced));
    } else if (!n && g->told_end) {
        pthread_mutex_unlock(&g->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    } else if (!n && g->q) { /* nothing yet: sleep until a callback resumes it */
        g->suspended = true;
        MHD_suspend_connection(g->q->conn);
    }
    pthread_mutex_unlock(&g->lock);
    return (ssize_t)n;
}

/* The body's fields; false with the reason (naming the field) in err. */
static bool parse_request(const request *q, const rnnrt_model *m, generation *g,
                          int **prompt, int *prompt_len, char *err, size_t errlen)
{
    cJSON *j = cJSON_ParseWithLength(q->body ? q->body : "", q->len);
    bool ok = false;
    double length = 100, temperature = 0.8, top_k = 0, seed = 1;
    *prompt = NULL;
    if (!j || !cJSON_IsObject(j)) {
        snprintf(err, errlen, "the body must be a JSON object {\"prompt\": ...}");
        goto out;
    }
    for (cJSON *f = j->child; f; f = f->next) {
        double *num = !strcmp(f->string, "length")        ? &length
                      : !strcmp(f->string, "temperature") ? &temperature
                      : !strcmp(f->string, "top_k")       ? &top_k
                      : !strcmp(f->string, "seed")        ? &seed : NULL;
        if (num) {
            if (!cJSON_IsNumber(f)) {
                snprintf(err, errlen, "%s: expected a number", f->string);
                goto out;
            }
            *num = f->valuedouble;
        } else if (!strcmp(f->string, "prompt") && cJSON_IsString(f)) {
            const size_t len = strlen(f->valuestring);
            *prompt = malloc((len + 1) * sizeof **prompt);
            if (!*prompt || rnnrt_model_encode(m, f->valuestring, *prompt, (int)len + 1,
                                               prompt_len)) {
                snprintf(err, errlen, "prompt: %s", rnnrt_last_error());
                goto out;
            }
        } else if (!strcmp(f->string, "ids") && cJSON_IsArray(f)) {
            *prompt_len = cJSON_GetArraySize(f);
            *prompt = malloc(((size_t)*prompt_len + 1) * sizeof **prompt);
            int k = 0;
            for (cJSON *e = f->child; e && *prompt; e = e->next, k++) {
                if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) ||
                    e->valuedouble < 0 || e->valuedouble >= rnnrt_model_vocab_size(m)) {
                    snprintf(err, errlen, "ids[%d]: expected a token id in 0..%d", k,
                             rnnrt_model_vocab_size(m) - 1);
                    goto out;
                }
                (*prompt)[k] = (int)e->valuedouble;
            }
        } else {
            snprintf(err, errlen, "unexpected field \"%.40s\" (prompt or ids, length, "
                     "temperature, top_k, seed)", f->string);
            goto out;
        }
    }
    if (!*prompt || *prompt_len < 1)
        snprintf(err, errlen, "prompt: a non-empty \"prompt\" or \"ids\" is needed");
    else if (!(length >= 1 && length <= 1e7 && length == floor(length)))
        snprintf(err, errlen, "length: expected an integer in 1..10000000");
    else if (!(temperature >= 0))
        snprintf(err, errlen, "temperature: expected a number >= 0");
    else if (!(top_k >= 0 && top_k <= 1e9) || seed < 0 || seed > 1.8e19)
        snprintf(err, errlen, "top_k and seed: expected non-negative integers");
    else
        ok = true;
    g->length = (int)length;
    g->temperature = (float)temperature;
    g->top_k = (int)top_k;
    rnnrt_rng_seed(&g->rng, (unsigned long long)seed);
out:
    cJSON_Delete(j);
    return ok;
}

static generation *new_generation(request *q, rnnrt_stream *s)
{
    const rnnrt_model *m = q->srv->m;
    generation *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    g->q = q;
    g->s = s;
    g->m = m;
    g->holders = 1;
    g->logits = malloc((size_t)rnnrt_model_logits_size(m) * sizeof(float));
    return g;
}

enum MHD_Result serve_generate(request *q, rnnrt_stream *s)
{
    const rnnrt_model *m = q->srv->m;
    if (rnnrt_model_head_size(m) < 1 || rnnrt_model_vocab_size(m) < 1 ||
        rnnrt_model_head_size(m) > rnnrt_model_vocab_size(m))
        return respond_error(q, MHD_HTTP_BAD_REQUEST, "this model cannot generate: it needs "
                             "an embedding and a head of at most vocab_size outputs");
    generation *g = new_generation(q, s);
    int *prompt = NULL, prompt_len = 0;
    char err[256];
    enum MHD_Result r;
    if (!g || !g->logits) {
        r = respond_error(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    } else if (!parse_request(q, m, g, &prompt, &prompt_len, err, sizeof err)) {
        r = respond_error(q, MHD_HTTP_BAD_REQUEST, err);
    } else if (!(g->tokens = malloc((size_t)g->length * sizeof *g->tokens))) {
        r = respond_error(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    } else {
        /* the prompt's pushed ids must live until it is done: they stay in q->x */
        q->x = (float *)prompt;
        prompt = NULL;
        g->holders = 2; /* the request, and the chain of pushes */
        rnnrt_status st = rnnrt_stream_push_tokens(s, (const int *)q->x, prompt_len, 1,
                                                   g->logits, step_done, g);
        if (st) {
            g->holders = 1;
            r = respond_error(q, http_status(st), rnnrt_last_error());
        } else {
            struct MHD_Response *resp =
                MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_events, g, NULL);
            if (resp) {
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                        "text/event-stream");
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
            }
            q->gen = g; /* the request's hold, given back when libmicrohttpd is done */
            r = respond_with(q, MHD_HTTP_OK, resp);
        }
    }
    free(prompt);
    if (!q->gen)
        serve_generation_release(g, true);
    return r;
}
