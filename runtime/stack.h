/* The layers around the recurrent stack: an embedding table in front of it (token ids in,
 * vectors out), a linear head after it (applied to every step's output or the last one's),
 * and the vocabulary's characters. docs/model-format.md, "Embedding, head and vocabulary",
 * says how a file names them. */
#ifndef RNNRT_STACK_H
#define RNNRT_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "safetensors.h"

typedef struct rnnrt_stack {
    int vocab;              /* embedding rows, 0 without an embedding table */
    const float *embedding; /* [vocab][input_size] */
    int head;               /* head outputs, 0 without a head */
    const struct rnnrt_st_tensor *head_src; /* [head][output_size] in the file while loading;
                             * then kept only packed, per kernel set (pack.h) */
    const float *head_b;    /* [head], zeros when the file has no bias */
    float *arena;           /* owns embedding and head_b */
    int n_chars;            /* characters in the vocabulary, 0 without rnnrt.vocab */
    uint32_t *codepoints;   /* [n_chars]: token k is the character codepoints[k] */
    char *chars;            /* [n_chars][8]: token k's UTF-8 text, NUL-terminated */
} rnnrt_stack;

/* Finds, checks and converts the embedding, head and vocabulary of a file whose recurrent
 * layers (under `prefix`, `prefix_len` bytes) are already loaded into `m`; sets m->stack
 * (NULL if the file has none of them). On failure m->stack is left NULL. */
rnnrt_status rnnrt_stack_load(const rnnrt_st_file *file, const char *prefix, size_t prefix_len,
                              rnnrt_model *m);
void rnnrt_stack_free(rnnrt_stack *s);

/* Decodes one UTF-8 character strictly (no overlong forms, surrogates or values past
 * U+10FFFF); returns its length in bytes, 0 if `s` does not start with a valid one. */
size_t rnnrt_utf8_decode(const unsigned char *s, uint32_t *cp);

/* out[r][0..head) = head_b + W y[r] for `rows` rows of y [rows][output_size] (lda floats
 * apart), as one GEMM on the head packed for the model's kernel set, its panels shared by
 * the model's threads. Returns RNNRT_E_NOMEM if that packing cannot be made. */
rnnrt_status rnnrt_stack_apply_head(const rnnrt_model *m, const float *y, size_t lda,
                                    size_t rows, float *out);

#endif
