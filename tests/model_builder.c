#include "model_builder.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void fill_uniform(float *v, size_t n, float scale, unsigned *seed)
{
    for (size_t k = 0; k < n; k++) {
        *seed = *seed * 1664525u + 1013904223u;
        v[k] = scale * ((float)(*seed >> 8) * (2.0f / 16777216.0f) - 1.0f);
    }
}

typedef struct tensor {
    char name[64];
    int rows, cols; /* cols 0: a vector */
} tensor;

static int gates_of(rnnrt_cell cell)
{
    return cell == RNNRT_CELL_LSTM || cell == RNNRT_CELL_LSTM_PEEPHOLE ? 4 : 3;
}

static int list_tensors(const model_spec *s, tensor *t)
{
    int n = 0, G = gates_of(s->cell), hs = s->proj ? s->proj : s->hidden;
    for (int l = 0; l < s->layers; l++)
        for (int d = 0; d < s->directions; d++) {
            const char *sfx = d ? "_reverse" : "";
            int in = l == 0 ? s->input_size : s->directions * hs;
            snprintf(t[n].name, 64, "weight_ih_l%d%s", l, sfx);
            t[n].rows = G * s->hidden, t[n++].cols = in;
            snprintf(t[n].name, 64, "weight_hh_l%d%s", l, sfx);
            t[n].rows = G * s->hidden, t[n++].cols = hs;
            if (s->bias) {
                snprintf(t[n].name, 64, "bias_ih_l%d%s", l, sfx);
                t[n].rows = G * s->hidden, t[n++].cols = 0;
                snprintf(t[n].name, 64, "bias_hh_l%d%s", l, sfx);
                t[n].rows = G * s->hidden, t[n++].cols = 0;
            }
            if (s->proj) {
                snprintf(t[n].name, 64, "weight_hr_l%d%s", l, sfx);
                t[n].rows = s->proj, t[n++].cols = s->hidden;
            }
            if (s->cell == RNNRT_CELL_LSTM_PEEPHOLE) {
                static const char *const p[] = {"ci", "cf", "co"};
                for (int k = 0; k < 3; k++) {
                    snprintf(t[n].name, 64, "weight_%s_l%d%s", p[k], l, sfx);
                    t[n].rows = s->hidden, t[n++].cols = 0;
                }
            }
        }
    return n;
}

unsigned char *build_model_bytes(const model_spec *spec, size_t *size)
{
    static const char *const cells[] = {"lstm", "gru", "lstm_peephole", "lstm_coupled"};
    tensor *t = calloc((size_t)spec->layers * spec->directions * 8 + 1, sizeof *t);
    int n = list_tensors(spec, t);
    size_t header_cap = 256 + (size_t)n * 160, used, data = 0;
    char *header = malloc(header_cap);
    used = (size_t)snprintf(header, header_cap, "{\"__metadata__\":{\"rnnrt.cell\":\"%s\"}",
                            cells[spec->cell]);
    for (int k = 0; k < n; k++) {
        size_t count = (size_t)t[k].rows * (t[k].cols ? t[k].cols : 1), bytes = count * 4;
        if (t[k].cols)
            used += (size_t)snprintf(header + used, header_cap - used,
                                     ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],"
                                     "\"data_offsets\":[%zu,%zu]}",
                                     t[k].name, t[k].rows, t[k].cols, data, data + bytes);
        else
            used += (size_t)snprintf(header + used, header_cap - used,
                                     ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%d],"
                                     "\"data_offsets\":[%zu,%zu]}",
                                     t[k].name, t[k].rows, data, data + bytes);
        data += bytes;
    }
    used += (size_t)snprintf(header + used, header_cap - used, "}");
    while (used % 8)
        header[used++] = ' ';
    *size = 8 + used + data;
    unsigned char *buf = malloc(*size);
    for (int k = 0; k < 8; k++)
        buf[k] = (unsigned char)((uint64_t)used >> (8 * k));
    memcpy(buf + 8, header, used);
    unsigned seed = spec->seed;
    fill_uniform((float *)(void *)(buf + 8 + used), data / 4, 1.0f / sqrtf((float)spec->hidden),
                 &seed);
    free(header);
    free(t);
    return buf;
}

rnnrt_model *build_model(const model_spec *spec)
{
    size_t size;
    unsigned char *bytes = build_model_bytes(spec, &size);
    rnnrt_model *m = NULL;
    if (rnnrt_model_load_memory(bytes, size, &m) != RNNRT_OK)
        fail_msg("built model does not load: %s", rnnrt_last_error());
    free(bytes);
    return m;
}
