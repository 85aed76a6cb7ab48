/* Loading the embedding table, the linear head and the vocabulary around a recurrent stack.
 * Explicit names come from metadata (rnnrt.embedding, rnnrt.head) and every mismatch with
 * them is an error; without metadata the usual PyTorch module names next to the recurrent
 * module are recognized, and a tensor of such a name that does not fit (not a 2-D float
 * matrix of the right width) is left alone like any other foreign tensor. */
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checked.h"
#include "error.h"
#include "gemm.h"
#include "pack.h"
#include "stack.h"
#include "thread_choice.h"
#include "threads.h"
#include "tuning.h"

static const char *const embedding_names[] = {
    "embedding", "embeddings", "embed", "emb", "encoder", "word_embeddings", "tok_embeddings",
    "token_embedding", NULL,
};
static const char *const head_names[] = {
    "fc", "head", "linear", "decoder", "out", "output", "classifier", "dense", "lm_head", NULL,
};

typedef struct found {
    const rnnrt_st_tensor *embedding, *head_w, *head_b;
} found;

static bool fits_matrix(const rnnrt_st_tensor *t, int cols)
{
    return rnnrt_st_is_float(t) && t->ndim == 2 && t->shape[1] == (uint64_t)cols && t->shape[0] >= 1 &&
           t->shape[0] <= RNNRT_MAX_DIM;
}

/* Where the recurrent module sits: "model.lstm." -> "model.", "lstm." and "" -> "". */
static size_t parent_length(const char *prefix, size_t len)
{
    if (len && prefix[len - 1] == '.')
        len--;
    while (len && prefix[len - 1] != '.')
        len--;
    return len;
}

static const rnnrt_st_tensor *find_param(const rnnrt_st_file *f, const char *parent,
                                         size_t parent_len, const char *module, const char *param)
{
    char name[600];
    int n = snprintf(name, sizeof name, "%.*s%s.%s", (int)parent_len, parent, module, param);
    return n > 0 && (size_t)n < sizeof name ? rnnrt_st_find(f, name) : NULL;
}

/* A matrix named by metadata key `key`, or the only fitting one among `names`. */
static rnnrt_status find_matrix(const rnnrt_st_file *f, const char *key, const char *what,
                                const char *const *names, const char *parent, size_t parent_len,
                                int cols, const rnnrt_st_tensor **out)
{
    char shape[96];
    const char *declared = rnnrt_st_metadata(f, key);
    *out = NULL;
    if (declared) {
        if (!strcmp(declared, "none"))
            return RNNRT_OK;
        const rnnrt_st_tensor *t = find_param(f, "", 0, declared, "weight");
        if (!t)
            return rnnrt_fail(RNNRT_E_FORMAT, "metadata %s='%.200s' but the file has no tensor "
                              "'%.200s.weight'", key, declared, declared);
        if (!fits_matrix(t, cols))
            return rnnrt_fail(RNNRT_E_FORMAT, "%s '%s' (metadata %s) has shape %s and dtype %s; "
                              "expected a F32/F16/BF16 matrix [rows, %d] with 1 <= rows <= %d",
                              what, t->name, key, rnnrt_st_shape_string(t, shape, sizeof shape),
                              rnnrt_st_dtype_name(t->dtype), cols, RNNRT_MAX_DIM);
        *out = t;
        return RNNRT_OK;
    }
    for (int k = 0; names[k]; k++) {
        const rnnrt_st_tensor *t = find_param(f, parent, parent_len, names[k], "weight");
        if (!t || !fits_matrix(t, cols))
            continue;
        if (*out)
            return rnnrt_fail(RNNRT_E_FORMAT, "ambiguous %s: both '%s' and '%s' fit; set the "
                              "metadata key %s to the module to use (or 'none')", what,
                              (*out)->name, t->name, key);
        *out = t;
    }
    return RNNRT_OK;
}

/* The bias next to the head's weight: "<module>.bias", optional. */
static rnnrt_status find_head_bias(const rnnrt_st_file *f, const rnnrt_st_tensor *w,
                                   const rnnrt_st_tensor **out)
{
    char name[600], shape[96];
    size_t len = strlen(w->name) - strlen("weight");
    *out = NULL;
    if (len + sizeof "bias" > sizeof name)
        return RNNRT_OK;
    memcpy(name, w->name, len);
    memcpy(name + len, "bias", sizeof "bias");
    *out = rnnrt_st_find(f, name);
    if (*out && !(rnnrt_st_is_float(*out) && (*out)->ndim == 1 && (*out)->shape[0] == w->shape[0]))
        return rnnrt_fail(RNNRT_E_FORMAT, "head bias '%s' has shape %s and dtype %s; expected "
                          "F32/F16/BF16 [%llu] to match '%s'", (*out)->name,
                          rnnrt_st_shape_string(*out, shape, sizeof shape),
                          rnnrt_st_dtype_name((*out)->dtype),
                          (unsigned long long)w->shape[0], w->name);
    return RNNRT_OK;
}

/* --- The vocabulary ------------------------------------------------------------------ */

/* Decodes one UTF-8 character (strictly: no overlong forms, surrogates or values past
 * U+10FFFF); returns its length in bytes, 0 if the bytes are not valid UTF-8. */
size_t rnnrt_utf8_decode(const unsigned char *s, uint32_t *cp)
{
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : s[0] >= 0xE0 && s[0] < 0xF0
                                                                  ? 3 : s[0] >= 0xF0 && s[0] < 0xF5 ? 4 : 0;
    if (!n)
        return 0;
    uint32_t v = n == 1 ? s[0] : s[0] & (0x7F >> n);
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[k] & 0x3F);
    }
    if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static rnnrt_status parse_vocab(const char *text, rnnrt_stack *s)
{
    size_t len = strlen(text), n = 0;
    for (size_t at = 0; at < len; n++) {
        uint32_t cp;
        size_t k = rnnrt_utf8_decode((const unsigned char *)text + at, &cp);
        if (!k)
            return rnnrt_fail(RNNRT_E_FORMAT, "metadata rnnrt.vocab is not valid UTF-8 at byte "
                              "%zu", at);
        at += k;
    }
    if (n == 0 || n > RNNRT_MAX_DIM)
        return rnnrt_fail(RNNRT_E_FORMAT, "metadata rnnrt.vocab has %zu characters, expected "
                          "1 to %d", n, RNNRT_MAX_DIM);
    s->codepoints = rnnrt_malloc(n * sizeof *s->codepoints);
    s->chars = rnnrt_calloc(n, 8);
    uint32_t *sorted = rnnrt_malloc(n * sizeof *sorted);
    rnnrt_status st = RNNRT_OK;
    if (!s->codepoints || !s->chars || !sorted)
        st = rnnrt_fail(RNNRT_E_NOMEM, "out of memory for a vocabulary of %zu characters", n);
    for (size_t at = 0, k = 0; !st && k < n; k++) {
        size_t bytes = rnnrt_utf8_decode((const unsigned char *)text + at, &s->codepoints[k]);
        memcpy(s->chars + 8 * k, text + at, bytes);
        sorted[k] = s->codepoints[k];
        at += bytes;
    }
    if (!st) {
        qsort(sorted, n, sizeof *sorted, compare_u32);
        for (size_t k = 1; k < n; k++)
            if (sorted[k] == sorted[k - 1]) {
                st = rnnrt_fail(RNNRT_E_FORMAT, "metadata rnnrt.vocab lists the character "
                                "U+%04X twice", (unsigned)sorted[k]);
                break;
            }
    }
    rnnrt_free(sorted);
    s->n_chars = (int)n;
    return st;
}

/* --- Converting ---------------------------------------------------------------------- */

static rnnrt_status convert(const found *fd, rnnrt_stack *s)
{
    /* the tensors' bytes are in the file, but the sum is kept from wrapping all the same */
    uint64_t floats = rnnrt_add_sat(fd->embedding ? fd->embedding->count : 0,
                                    fd->head_w ? (uint64_t)s->head : 0);
    size_t emb = fd->embedding ? (size_t)fd->embedding->count : 0;
    s->arena = floats <= SIZE_MAX / sizeof(float)
                   ? rnnrt_malloc((floats ? (size_t)floats : 1) * sizeof(float)) : NULL;
    if (!s->arena)
        return rnnrt_fail(RNNRT_E_NOMEM, "out of memory for %llu embedding and head weights",
                          (unsigned long long)floats);
    float *next = s->arena;
    if (fd->embedding) {
        for (size_t k = 0; k < emb; k++)
            next[k] = rnnrt_st_float(fd->embedding, k);
        s->embedding = next;
        next += emb;
    }
    if (fd->head_w) {
        s->head_src = fd->head_w;
        for (int r = 0; r < s->head; r++)
            next[r] = fd->head_b ? rnnrt_st_float(fd->head_b, (uint64_t)r) : 0.0f;
        s->head_b = next;
    }
    return RNNRT_OK;
}

/* --- Loading ------------------------------------------------------------------------- */

static rnnrt_status check_vocab(const found *fd, const rnnrt_stack *s)
{
    if (!fd->embedding)
        return rnnrt_fail(RNNRT_E_FORMAT, "metadata rnnrt.vocab lists %d characters but the "
                          "file has no embedding table to look them up in", s->n_chars);
    if (s->vocab != s->n_chars)
        return rnnrt_fail(RNNRT_E_FORMAT, "embedding '%s' has %d rows but the vocabulary "
                          "(metadata rnnrt.vocab) has %d characters", fd->embedding->name,
                          s->vocab, s->n_chars);
    if (fd->head_w && s->head != s->n_chars)
        return rnnrt_fail(RNNRT_E_FORMAT, "head '%s' has %d outputs but the vocabulary "
                          "(metadata rnnrt.vocab) has %d characters: the head of a character "
                          "model scores every character", fd->head_w->name, s->head, s->n_chars);
    return RNNRT_OK;
}

static rnnrt_status load(const rnnrt_st_file *f, const char *prefix, size_t prefix_len,
                         const rnnrt_model *m, rnnrt_stack *s)
{
    found fd = {0};
    size_t plen = parent_length(prefix, prefix_len);
    int out = m->directions * m->h_size;
    rnnrt_status st = find_matrix(f, "rnnrt.embedding", "embedding table", embedding_names,
                                  prefix, plen, m->input_size, &fd.embedding);
    if (!st)
        st = find_matrix(f, "rnnrt.head", "head", head_names, prefix, plen, out, &fd.head_w);
    if (!st && fd.head_w)
        st = find_head_bias(f, fd.head_w, &fd.head_b);
    if (st)
        return st;
    s->vocab = fd.embedding ? (int)fd.embedding->shape[0] : 0;
    s->head = fd.head_w ? (int)fd.head_w->shape[0] : 0;
    const char *vocab = rnnrt_st_metadata(f, "rnnrt.vocab");
    if (vocab && ((st = parse_vocab(vocab, s)) || (st = check_vocab(&fd, s))))
        return st;
    return convert(&fd, s);
}

rnnrt_status rnnrt_stack_load(const rnnrt_st_file *file, const char *prefix, size_t prefix_len,
                              rnnrt_model *m)
{
    rnnrt_stack *s = rnnrt_calloc(1, sizeof *s);
    if (!s)
        return rnnrt_fail(RNNRT_E_NOMEM, "out of memory for the embedding and head");
    rnnrt_status st = load(file, prefix, prefix_len, m, s);
    if (st || (!s->vocab && !s->head)) {
        rnnrt_stack_free(s);
        return st;
    }
    m->stack = s;
    return RNNRT_OK;
}

void rnnrt_stack_free(rnnrt_stack *s)
{
    if (!s)
        return;
    rnnrt_free(s->arena);
    rnnrt_free(s->codepoints);
    rnnrt_free(s->chars);
    rnnrt_free(s);
}

rnnrt_status rnnrt_stack_apply_head(const rnnrt_model *m, const float *y, size_t lda,
                                    size_t rows, float *out)
{
    const rnnrt_packing *pk = rnnrt_model_packing(m, rnnrt_model_kernels(m));
    if (!pk)
        return rnnrt_fail(RNNRT_E_NOMEM, "out of memory packing the head");
    const rnnrt_gemm_b *head = pk->head;
    /* One thread unless every thread gets a few panels of a GEMM worth a barrier; then by
     * measurement, as the recurrent pass (thread_choice.h; the head's shapes are -rows). */
    double flops = 2.0 * (double)rows * head->N * head->K;
    int threads = rnnrt_model_thread_count(m);
    if (threads > head->panels / 4)
        threads = head->panels / 4;
    if (flops < RNNRT_MIN_SHARED_FLOPS || threads < 1)
        threads = 1;
    rnnrt_choice_ticket ticket = {0};
    if (threads > 1 && !rnnrt_tuning_threads_exact() && rows <= INT_MAX) {
        ticket = rnnrt_choice_begin(&((rnnrt_model *)m)->choice, -(int)rows);
        threads = ticket.several ? threads : 1;
    }
    rnnrt_gemm_b_run_threads(head, threads, rows, y, lda, out, (size_t)head->N);
    if (ticket.slot)
        rnnrt_choice_end(&ticket, (long long)rows);
    return RNNRT_OK;
}
