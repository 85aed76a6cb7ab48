/* rnnrt quantize IN OUT --weights int8|bf16: writes IN with its recurrent and projection
 * matrices stored as the library rounds them at load (docs/model-format.md, "Quantized
 * weights"), everything else copied byte for byte, then prints how far the result is from
 * IN. The rounding is the library's own (the packing of a model loaded with that "weights"
 * option is read back), so OUT loaded with the same option is the same model as IN. */
#include "quantize.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "pack.h"
#include "rnnrt.h"
#include "safetensors.h"
#include "tuning.h"

static int say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rnnrt quantize: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    long n = -1;
    if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
        (data = malloc(n ? (size_t)n : 1)) && fread(data, 1, (size_t)n, f) == (size_t)n) {
        fclose(f);
        *size = (size_t)n;
        return data;
    }
    free(data);
    if (f)
        fclose(f);
    return NULL;
}

static rnnrt_model *load(const void *bytes, size_t size, const char *weights)
{
    rnnrt_options *o;
    rnnrt_model *m = NULL;
    if (rnnrt_options_create(&o))
        return NULL;
    /* the file is written from the packing's int8 values and scales or bf16 bits, which a
     * small model would otherwise keep as f32 panels (rnnrt_pack) */
    rnnrt_tuning_set_f32_panel_bytes(0);
    if (!rnnrt_options_set(o, "weights", weights))
        rnnrt_model_load_memory_ex(bytes, size, o, &m);
    rnnrt_tuning_set_f32_panel_bytes(-1);
    rnnrt_options_free(o);
    return m;
}

/* The recurrent stack's prefix: rnnrt.prefix, else that of the one tensor ending in
 * weight_ih_l0 (the model loaded, so there is exactly one). */
static size_t stack_prefix(const rnnrt_st_file *f, const char **prefix)
{
    const char *forced = rnnrt_st_metadata(f, "rnnrt.prefix");
    static const char key[] = "weight_ih_l0";
    *prefix = forced ? forced : "";
    if (forced)
        return strlen(forced);
    for (size_t k = 0; k < f->count; k++) {
        size_t len = strlen(f->tensors[k].name);
        if (len >= sizeof key - 1 && !strcmp(f->tensors[k].name + len - (sizeof key - 1), key)) {
            *prefix = f->tensors[k].name;
            return len - (sizeof key - 1);
        }
    }
    return 0;
}

/* One matrix of the stack: which unit and kind, and its tensor in IN. */
typedef struct matrix_ref {
    int unit;
    rnnrt_weight_kind kind;
    const rnnrt_st_tensor *t;
} matrix_ref;

static const char *const kind_names[] = {"weight_ih", "weight_hh", "weight_hr"};

/* Whether `name` is a matrix of the stack (*ref filled) or the row scales of one (*scale). */
static bool find_matrix(const rnnrt_model *m, const char *prefix, size_t plen,
                        const char *name, matrix_ref *ref, bool *scale)
{
    if (strncmp(name, prefix, plen))
        return false;
    const char *rest = name + plen;
    for (int u = 0; u < m->layers * m->directions; u++)
        for (int k = 0; k < (m->proj ? 3 : 2); k++) {
            char want[64];
            int n = snprintf(want, sizeof want, "%s_l%d%s", kind_names[k], u / m->directions,
                             u % m->directions ? "_reverse" : "");
            if (strncmp(rest, want, (size_t)n) || (rest[n] && strcmp(rest + n, "_scale")))
                continue;
            *ref = (matrix_ref){u, (rnnrt_weight_kind)k, NULL};
            *scale = rest[n] != '\0';
            return true;
        }
    return false;
}

/* The output file's tensors, each a header entry and its bytes. */
typedef struct out_tensor {
    char *name;
    const char *dtype;
    uint64_t shape[2];
    int ndim;
    unsigned char *bytes; /* owned when `owned` */
    size_t nbytes;
    bool owned, owned_name;
} out_tensor;

/* The matrix as m's packing holds it: bf16 bits, or int8 values and a scale tensor. */
static int reduced(const rnnrt_model *m, const matrix_ref *ref, out_tensor *w, out_tensor *s)
{
    const rnnrt_matrix mat = rnnrt_model_matrix(m, ref->unit, ref->kind);
    const uint64_t rows = ref->t->shape[0], K = ref->t->shape[1];
    const bool int8 = mat.dtype == RNNRT_WEIGHTS_INT8;
    w->nbytes = (size_t)(rows * K * (int8 ? 1 : 2));
    w->bytes = malloc(w->nbytes ? w->nbytes : 1);
    w->owned = true;
    if (int8) {
        s->nbytes = (size_t)rows * 4;
        s->bytes = malloc(s->nbytes);
        s->owned = true;
        if (!s->bytes)
            return -1;
    }
    if (!w->bytes)
        return -1;
    for (uint64_t r = 0; r < rows; r++) {
        for (uint64_t k = 0; k < K; k++) {
            size_t at = rnnrt_panel_index(&mat.layout, (int)r, (int)k);
            if (int8) {
                w->bytes[r * K + k] = (unsigned char)((const int8_t *)mat.packed)[at];
            } else {
                uint16_t v = ((const uint16_t *)mat.packed)[at];
                w->bytes[2 * (r * K + k)] = (unsigned char)(v & 0xff);
                w->bytes[2 * (r * K + k) + 1] = (unsigned char)(v >> 8);
            }
        }
        if (int8)
            memcpy(s->bytes + 4 * r, &mat.scale[rnnrt_panel_column(&mat.layout, (int)r)], 4);
    }
    w->dtype = int8 ? "I8" : "BF16";
    w->ndim = 2;
    w->shape[0] = rows;
    w->shape[1] = K;
    if (int8) {
        s->dtype = "F32";
        s->ndim = 1;
        s->shape[0] = rows;
    }
    return 0;
}

/* The safetensors header: tensors in order, data offsets densely packed, metadata. */
static char *header_json(const out_tensor *ts, size_t n, const rnnrt_st_file *in,
                         const char *weights)
{
    cJSON *root = cJSON_CreateObject(), *meta = cJSON_CreateObject();
    if (!root || !meta) {
        cJSON_Delete(root);
        cJSON_Delete(meta);
        return NULL;
    }
    cJSON_AddItemToObject(root, "__metadata__", meta);
    for (size_t k = 0; k < in->meta_count; k++)
        if (strcmp(in->meta_keys[k], "rnnrt.quantized"))
            cJSON_AddStringToObject(meta, in->meta_keys[k], in->meta_values[k]);
    char note[96];
    snprintf(note, sizeof note, "%s, by rnnrt quantize %s", weights, rnnrt_version());
    cJSON_AddStringToObject(meta, "rnnrt.quantized", note);
    double offset = 0;
    for (size_t k = 0; k < n; k++) {
        cJSON *e = cJSON_AddObjectToObject(root, ts[k].name);
        double shape[2] = {(double)ts[k].shape[0], (double)ts[k].shape[1]};
        double range[2] = {offset, offset + (double)ts[k].nbytes};
        if (!e)
            break;
        cJSON_AddStringToObject(e, "dtype", ts[k].dtype);
        cJSON_AddItemToObject(e, "shape", cJSON_CreateDoubleArray(shape, ts[k].ndim));
        cJSON_AddItemToObject(e, "data_offsets", cJSON_CreateDoubleArray(range, 2));
        offset += (double)ts[k].nbytes;
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* OUT written in full beside itself, then renamed over it: never a half-written file. */
static int write_file(const char *path, const char *json, const out_tensor *ts, size_t n)
{
    size_t len = strlen(json), padded = (len + 7) / 8 * 8;
    size_t tlen = strlen(path) + 16;
    char *tmp = malloc(tlen);
    if (!tmp)
        return say("out of memory");
    snprintf(tmp, tlen, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    mode_t mask = umask(0);
    umask(mask);
    if (fd >= 0) /* mkstemp makes it 0600; a model file is as readable as any other */
        fchmod(fd, 0666 & ~mask);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    bool ok = f != NULL;
    unsigned char le[8];
    for (int b = 0; b < 8; b++)
        le[b] = (unsigned char)((uint64_t)padded >> (8 * b));
    ok = ok && fwrite(le, 1, 8, f) == 8 && fwrite(json, 1, len, f) == len;
    for (size_t k = len; ok && k < padded; k++)
        ok = fputc(' ', f) != EOF;
    for (size_t k = 0; ok && k < n; k++)
        ok = fwrite(ts[k].bytes, 1, ts[k].nbytes, f) == ts[k].nbytes;
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int err = errno;
    if (f)
        ok = fclose(f) == 0 && ok;
    else if (fd >= 0)
        close(fd);
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        err = errno ? errno : err;
        if (fd >= 0)
            unlink(tmp);
        say("cannot write %s: %s", path, strerror(err));
    }
    free(tmp);
    return ok ? 0 : 1;
}

/* The largest and mean |a - b| over n values, and the mean |b|. */
static void deviation(const float *a, const float *b, size_t n, double *max, double *mean,
                      double *scale)
{
    *max = *mean = *scale = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs((double)a[k] - b[k]);
        *max = d > *max ? d : *max;
        *mean += d;
        *scale += fabs((double)b[k]);
    }
    *mean /= n ? (double)n : 1;
    *scale /= n ? (double)n : 1;
}

/* What the rounding did: to the weights (largest change, and the root-mean-square change
 * relative to the weights' own), and to the outputs on seeded inputs in [-1, 1]. */
static int report(const rnnrt_model *f32, const rnnrt_model *q, const matrix_ref *refs,
                  size_t nrefs)
{
    double wmax = 0, dsq = 0, wsq = 0;
    int widest = 0;
    for (size_t k = 0; k < nrefs; k++)
        widest = (int)refs[k].t->shape[1] > widest ? (int)refs[k].t->shape[1] : widest;
    float *ra = malloc((size_t)widest * 4), *rb = malloc((size_t)widest * 4);
    enum { T = 16, B = 4 };
    size_t nx = (size_t)T * B * rnnrt_model_input_size(f32);
    size_t ny = (size_t)T * B * rnnrt_model_output_size(f32);
    float *x = malloc(nx * 4), *ya = malloc(ny * 4), *yb = malloc(ny * 4);
    if (!ra || !rb || !x || !ya || !yb) {
        free(ra), free(rb), free(x), free(ya), free(yb);
        return say("out of memory");
    }
    for (size_t k = 0; k < nrefs; k++) {
        rnnrt_matrix a = rnnrt_model_matrix(f32, refs[k].unit, refs[k].kind);
        rnnrt_matrix b = rnnrt_model_matrix(q, refs[k].unit, refs[k].kind);
        int K = (int)refs[k].t->shape[1];
        for (int r = 0; r < (int)refs[k].t->shape[0]; r++) {
            rnnrt_matrix_row(&a, r, K, ra);
            rnnrt_matrix_row(&b, r, K, rb);
            for (int j = 0; j < K; j++) {
                double d = fabs((double)ra[j] - rb[j]);
                wmax = d > wmax ? d : wmax;
                dsq += d * d;
                wsq += (double)ra[j] * ra[j];
            }
        }
    }
    uint64_t seed = 12345;
    for (size_t k = 0; k < nx; k++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        x[k] = (float)((double)(seed >> 11) / 9007199254740992.0 * 2 - 1);
    }
    int rc = 0;
    double ymax, ymean, yscale;
    if (rnnrt_forward(f32, NULL, x, T, B, NULL, ya) || rnnrt_forward(q, NULL, x, T, B, NULL, yb)) {
        rc = say("forward: %s", rnnrt_last_error());
    } else {
        deviation(yb, ya, ny, &ymax, &ymean, &yscale);
        printf("weights: largest change %.3g, rms change %.3g of the rms weight\n", wmax,
               wsq > 0 ? sqrt(dsq / wsq) : 0.0);
        printf("outputs (T=%d, B=%d, x uniform in [-1, 1]): largest change %.3g, mean %.3g "
               "(mean |y| %.3g)\n", T, B, ymax, ymean, yscale);
    }
    free(ra), free(rb), free(x), free(ya), free(yb);
    return rc;
}

/* OUT loaded with the same option must be the model the tool rounded: the same bytes out. */
static int verify(const char *path, const char *weights, const rnnrt_model *q)
{
    rnnrt_options *o;
    rnnrt_model *back = NULL;
    int rc = 1;
    if (!rnnrt_options_create(&o) && !rnnrt_options_set(o, "weights", weights) &&
        !rnnrt_model_load_ex(path, o, &back)) {
        enum { T = 3, B = 2 };
        size_t nx = (size_t)T * B * rnnrt_model_input_size(q);
        size_t ny = (size_t)T * B * rnnrt_model_output_size(q);
        float *x = calloc(nx, 4), *ya = malloc(ny * 4), *yb = malloc(ny * 4);
        for (size_t k = 0; x && k < nx; k++)
            x[k] = (float)((int)(k % 9) - 4) * 0.25f;
        rc = !x || !ya || !yb || rnnrt_forward(q, NULL, x, T, B, NULL, ya) ||
             rnnrt_forward(back, NULL, x, T, B, NULL, yb) || memcmp(ya, yb, ny * 4);
        free(x), free(ya), free(yb);
    }
    if (rc)
        say("%s does not load back as the model it was made from: %s", path,
            rnnrt_last_error());
    rnnrt_model_free(back);
    rnnrt_options_free(o);
    return rc;
}

static int quantize(const char *in, const char *out, const char *weights)
{
    size_t size;
    unsigned char *bytes = read_all(in, &size);
    if (!bytes)
        return say("cannot read %s: %s", in, strerror(errno));
    rnnrt_st_file file;
    rnnrt_model *f32 = load(bytes, size, "f32"), *q = f32 ? load(bytes, size, weights) : NULL;
    if (!q) {
        rnnrt_model_free(f32);
        free(bytes);
        return say("%s: %s", in, rnnrt_last_error());
    }
    if (rnnrt_st_parse(bytes, size, &file)) {
        rnnrt_model_free(f32);
        rnnrt_model_free(q);
        free(bytes);
        return say("%s: %s", in, rnnrt_last_error());
    }
    const char *prefix;
    size_t plen = stack_prefix(&file, &prefix);
    out_tensor *ts = calloc(file.count + (size_t)3 * q->layers * q->directions, sizeof *ts);
    matrix_ref *refs = calloc((size_t)3 * q->layers * q->directions, sizeof *refs);
    size_t n = 0, nrefs = 0;
    int rc = !ts || !refs ? say("out of memory") : 0;
    for (size_t k = 0; !rc && k < file.count; k++) {
        const rnnrt_st_tensor *t = &file.tensors[k];
        matrix_ref ref;
        bool is_scale;
        if (!find_matrix(q, prefix, plen, t->name, &ref, &is_scale)) {
            ts[n++] = (out_tensor){t->name, rnnrt_st_dtype_name(t->dtype),
                                   {t->shape[0], t->ndim > 1 ? t->shape[1] : 0}, t->ndim,
                                   (unsigned char *)t->data, t->nbytes, false, false};
            continue;
        }
        if (is_scale) /* the scales of an I8 input are written anew below */
            continue;
        ref.t = t;
        refs[nrefs++] = ref;
        out_tensor *w = &ts[n++];
        w->name = t->name;
        out_tensor *s = !strcmp(weights, "int8") ? &ts[n++] : NULL;
        out_tensor unused = {0};
        if (reduced(q, &ref, w, s ? s : &unused)) {
            rc = say("out of memory");
            break;
        }
        if (s && !(s->name = malloc(strlen(t->name) + 7)))
            rc = say("out of memory");
        else if (s)
            sprintf(s->name, "%s_scale", t->name), s->owned_name = true;
    }
    char *json = rc ? NULL : header_json(ts, n, &file, weights);
    if (!rc && !json)
        rc = say("out of memory");
    if (!rc)
        rc = write_file(out, json, ts, n);
    if (!rc)
        rc = verify(out, weights, q);
    if (!rc) {
        printf("wrote %s: %s weights, %zu tensors (%zu matrices rounded)\n", out, weights, n,
               nrefs);
        rc = report(f32, q, refs, nrefs);
    }
    for (size_t k = 0; ts && k < n; k++) {
        if (ts[k].owned)
            free(ts[k].bytes);
        if (ts[k].owned_name)
            free(ts[k].name);
    }
    cJSON_free(json);
    free(ts);
    free(refs);
    rnnrt_st_free(&file);
    rnnrt_model_free(f32);
    rnnrt_model_free(q);
    free(bytes);
    return rc;
}

int rnnrt_cmd_quantize(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *weights = NULL;
    for (int k = 2; k < argc; k++) {
        if (!strcmp(argv[k], "--weights") && k + 1 < argc)
            weights = argv[++k];
        else if (argv[k][0] == '-')
            return say("unknown option %s (usage: rnnrt quantize IN OUT --weights int8|bf16)",
                       argv[k]) + 1;
        else if (!in)
            in = argv[k];
        else if (!out)
            out = argv[k];
        else
            return say("one input and one output file, got a third: %s", argv[k]) + 1;
    }
    if (!in || !out || !weights)
        return say("usage: rnnrt quantize IN OUT --weights int8|bf16") + 1;
    if (strcmp(weights, "int8") && strcmp(weights, "bf16"))
        return say("--weights must be int8 or bf16, got %s", weights) + 1;
    return quantize(in, out, weights);
}
