#include "model_build.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned char *mb_pack(const char *json, const void *data, size_t data_size, size_t *size)
{
    size_t n = strlen(json);
    unsigned char *buf = calloc(8 + n + data_size + 1, 1);
    for (int k = 0; k < 8; k++)
        buf[k] = (unsigned char)((uint64_t)n >> (8 * k));
    memcpy(buf + 8, json, n);
    if (data)
        memcpy(buf + 8 + n, data, data_size);
    *size = 8 + n + data_size;
    return buf;
}

int mb_gates(const char *cell)
{
    if (!strcmp(cell, "rnn_tanh") || !strcmp(cell, "rnn_relu"))
        return 1;
    return !strcmp(cell, "gru") || !strcmp(cell, "lstm_coupled") ||
                   !strcmp(cell, "gru_reset_before")
               ? 3
               : 4;
}

typedef struct builder {
    char *json;
    size_t json_len, json_cap;
    float *data;
    size_t count, cap;
} builder;

static void append(builder *b, const char *text)
{
    size_t n = strlen(text);
    if (b->json_len + n + 1 > b->json_cap) {
        b->json_cap = 2 * (b->json_len + n + 1);
        b->json = realloc(b->json, b->json_cap);
    }
    memcpy(b->json + b->json_len, text, n + 1);
    b->json_len += n;
}

static void tensor(builder *b, mb_fill_fn fill, void *ctx, const char *kind,
                   int layer, int dir, int rows, int cols)
{
    char entry[256];
    size_t n = (size_t)rows * (cols ? cols : 1);
    if (cols)
        snprintf(entry, sizeof entry, ",\"%s_l%d%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],"
                 "\"data_offsets\":[%zu,%zu]}", kind, layer, dir ? "_reverse" : "", rows, cols,
                 b->count * 4, (b->count + n) * 4);
    else
        snprintf(entry, sizeof entry, ",\"%s_l%d%s\":{\"dtype\":\"F32\",\"shape\":[%d],"
                 "\"data_offsets\":[%zu,%zu]}", kind, layer, dir ? "_reverse" : "", rows,
                 b->count * 4, (b->count + n) * 4);
    append(b, entry);
    if (b->count + n > b->cap) {
        b->cap = 2 * (b->count + n);
        b->data = realloc(b->data, b->cap * sizeof *b->data);
    }
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < (cols ? cols : 1); c++)
            b->data[b->count++] = fill(ctx, kind, layer, dir, r, c);
}

unsigned char *mb_model(const mb_shape *s, mb_fill_fn fill, void *ctx, size_t *size)
{
    return mb_model_meta(s, NULL, fill, ctx, size);
}

unsigned char *mb_model_meta(const mb_shape *s, const char *more, mb_fill_fn fill, void *ctx,
                             size_t *size)
{
    builder b = {0};
    char meta[128];
    snprintf(meta, sizeof meta, "{\"__metadata__\":{\"rnnrt.cell\":\"%s\"", s->cell);
    append(&b, meta);
    if (more) {
        append(&b, ",");
        append(&b, more);
    }
    append(&b, "}");
    int gh = mb_gates(s->cell) * s->hidden, hout = s->proj ? s->proj : s->hidden;
    for (int l = 0; l < s->layers; l++)
        for (int d = 0; d < s->directions; d++) {
            int in = l == 0 ? s->input : s->directions * hout;
            tensor(&b, fill, ctx, "weight_ih", l, d, gh, in);
            tensor(&b, fill, ctx, "weight_hh", l, d, gh, hout);
            if (s->bias) {
                tensor(&b, fill, ctx, "bias_ih", l, d, gh, 0);
                tensor(&b, fill, ctx, "bias_hh", l, d, gh, 0);
            }
            if (s->proj)
                tensor(&b, fill, ctx, "weight_hr", l, d, s->proj, s->hidden);
            if (!strcmp(s->cell, "lstm_peephole")) {
                tensor(&b, fill, ctx, "weight_ci", l, d, s->hidden, 0);
                tensor(&b, fill, ctx, "weight_cf", l, d, s->hidden, 0);
                tensor(&b, fill, ctx, "weight_co", l, d, s->hidden, 0);
            }
        }
    append(&b, "}");
    unsigned char *file = mb_pack(b.json, b.data, b.count * sizeof *b.data, size);
    free(b.json);
    free(b.data);
    return file;
}
