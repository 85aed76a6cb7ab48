/* Tokens per second through a word-level model: Embedding(V, H) -> LSTM(H) -> Linear(H, V)
 * with V = 10,000 and H = 1,024 by default, one step per call (as generation runs), at
 * batch 1 and 32. The head is 41 MB of weights against 33.6 MB for the LSTM, so it decides
 * the rate as much as the recurrent step does. Only the public API: the same source times
 * any build of the library.
 *   rnnrt-bench-head [V] [H] [seconds per batch] [threads]   (default 10000 1024 2 1) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rnnrt.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The safetensors bytes of the model, weights uniform in +-1/sqrt(H) from a fixed LCG. */
static unsigned char *word_model(int V, int H, size_t *size)
{
    const char *names[] = {"embedding.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0",
                           "lstm.bias_ih_l0", "lstm.bias_hh_l0", "fc.weight", "fc.bias"};
    size_t rows[] = {(size_t)V, 4 * (size_t)H, 4 * (size_t)H, 4 * (size_t)H, 4 * (size_t)H,
                     (size_t)V, (size_t)V};
    size_t cols[] = {(size_t)H, (size_t)H, (size_t)H, 0, 0, (size_t)H, 0};
    char json[2048];
    size_t used = 0, offset = 0;
    used += (size_t)snprintf(json + used, sizeof json - used, "{");
    for (int k = 0; k < 7; k++) {
        size_t n = rows[k] * (cols[k] ? cols[k] : 1) * 4;
        if (cols[k])
            used += (size_t)snprintf(json + used, sizeof json - used,
                                     "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%zu,%zu],"
                                     "\"data_offsets\":[%zu,%zu]}", k ? "," : "", names[k],
                                     rows[k], cols[k], offset, offset + n);
        else
            used += (size_t)snprintf(json + used, sizeof json - used,
                                     ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%zu],"
                                     "\"data_offsets\":[%zu,%zu]}", names[k], rows[k], offset,
                                     offset + n);
        offset += n;
    }
    used += (size_t)snprintf(json + used, sizeof json - used, "}");
    size_t header = (used + 7) / 8 * 8;
    *size = 8 + header + offset;
    unsigned char *bytes = malloc(*size);
    if (!bytes)
        return NULL;
    uint64_t hl = header;
    memcpy(bytes, &hl, 8); /* little-endian hosts only, as this benchmark runs */
    memset(bytes + 8, ' ', header);
    memcpy(bytes + 8, json, used);
    float *w = (float *)(bytes + 8 + header);
    float scale = 1.0f / sqrtf((float)H);
    uint32_t s = 12345;
    for (size_t k = 0; k < offset / 4; k++) {
        s = s * 1664525u + 1013904223u;
        float v = ((float)(s >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
        memcpy(&w[k], &v, 4); /* the data may sit at any offset */
    }
    return bytes;
}

int main(int argc, char **argv)
{
    int V = argc > 1 ? atoi(argv[1]) : 10000, H = argc > 2 ? atoi(argv[2]) : 1024;
    double seconds = argc > 3 ? atof(argv[3]) : 2.0;
    int threads = argc > 4 ? atoi(argv[4]) : 1;
    size_t size;
    unsigned char *bytes = word_model(V, H, &size);
    rnnrt_model *m;
    rnnrt_set_num_threads(threads);
    if (!bytes || rnnrt_model_load_memory(bytes, size, &m)) {
        fprintf(stderr, "model: %s\n", bytes ? rnnrt_last_error() : "out of memory");
        return 1;
    }
    free(bytes);
    printf("rnnrt %s, kernel set %s, %d thread(s), V=%d H=%d\n", rnnrt_version(), rnnrt_isa(),
           threads, V, H);
    printf("| batch | tokens/s | ms per step |\n|---|---|---|\n");
    const int batches[] = {1, 32};
    for (int k = 0; k < 2; k++) {
        int B = batches[k];
        int *ids = malloc((size_t)B * sizeof *ids);
        float *logits = malloc((size_t)B * V * sizeof *logits);
        rnnrt_state *st;
        rnnrt_state_create(m, B, &st);
        for (int b = 0; b < B; b++)
            ids[b] = (b * 7919) % V;
        long steps = 0;
        double t0 = now_s(), t;
        do {
            if (rnnrt_forward_tokens(m, st, ids, 1, B, NULL, 1, logits)) {
                fprintf(stderr, "forward: %s\n", rnnrt_last_error());
                return 1;
            }
            ids[0] = (ids[0] + 1) % V;
            steps++;
        } while ((t = now_s() - t0) < seconds);
        printf("| %d | %.0f | %.3f |\n", B, steps * B / t, t / steps * 1e3);
        rnnrt_state_free(st);
        free(ids);
        free(logits);
    }
    rnnrt_model_free(m);
    return 0;
}
