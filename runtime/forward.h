/* Forward-pass implementations behind rnnrt_forward(). Arguments are already validated. */
#ifndef RNNRT_FORWARD_H
#define RNNRT_FORWARD_H

#include <stdint.h>

#include "kernels.h"
#include "model.h"
#include "workspace.h"

/* The argument checks every sequence entry point shares (rnnrt_forward, the token and head
 * forwards): non-NULL model, input and output, seq_len and batch in range, sizes below
 * RNNRT_MAX_ARRAY_BYTES for `width` floats per step and sequence, lengths in 1..seq_len. */
rnnrt_status rnnrt_check_sequence(const char *fn, const rnnrt_model *m, const void *in,
                                  const char *in_name, const void *out, const char *out_name,
                                  int seq_len, int batch, const int *lengths, uint64_t width);

/* rnnrt_forward's checks (the sequence checks with room for x or y, then the state's shape
 * and batch), with messages that start with `fn`. */
rnnrt_status rnnrt_check_forward(const char *fn, const rnnrt_model *m,
                                 const rnnrt_state *state, const float *x, int seq_len,
                                 int batch, const int *lengths, const float *y);

/* rnnrt_forward after its checks: the state (or a zero one for this call), then the active
 * variant. x and y are time-major; fn names the caller in messages. */
rnnrt_status rnnrt_forward_checked(const char *fn, const rnnrt_model *m, rnnrt_state *state,
                                   const float *x, int seq_len, int batch, const int *lengths,
                                   float *y);

/* dst [outer][inner][w] <- src [inner][outer][w]: swaps the first two axes (the batch-first
 * entry points' transposes; forward_batch_first.c). */
void rnnrt_swap_axes(float *dst, const float *src, size_t outer, size_t inner, size_t w);

/* The reference: plain loops, one sequence at a time, dot products accumulated in double,
 * gate math in double from libm, no kernel set. It is the oracle every faster path is
 * checked against.
 * h, c: the state arrays of rnnrt_state (c NULL for GRU and RNN), updated in place.
 * Threads split the batch (sequences are independent), so results do not depend on the
 * thread count. Returns RNNRT_E_NOMEM if its workspace cannot be allocated. */
rnnrt_status rnnrt_forward_reference(const rnnrt_model *m, float *h, float *c, const float *x,
                                     int seq_len, int batch, const int *lengths, float *y,
                                     int threads);

/* The "blocked" variant (forward_blocked.c); its scratch memory comes from ws. With
 * lengths, the batch must be longest first (lengths not increasing): the steps after a
 * sequence's end compute only the rows before it. */
rnnrt_status rnnrt_forward_blocked(const rnnrt_model *m, const rnnrt_kernels *k, float *h,
                                   float *c, const float *x, int seq_len, int batch,
                                   const int *lengths, float *y, int threads,
                                   rnnrt_workspace *ws);

/* rnnrt_forward_blocked with its one-or-several-threads choice (thread_choice.h) measured
 * in `choice` under `key` instead of the model's table under the batch; choice NULL: no
 * measurement, the thread count asked for (within the pass's rules). For the batcher
 * (runtime/batcher.c), whose steps change batch at every step. */
rnnrt_status rnnrt_forward_blocked_choice(const rnnrt_model *m, const rnnrt_kernels *k,
                                          float *h, float *c, const float *x, int seq_len,
                                          int batch, const int *lengths, float *y, int threads,
                                          rnnrt_workspace *ws, rnnrt_choice *choice, int key);

/* The same for lengths in any order (forward_sorted.c): a batch that is not longest first
 * runs sorted, its copies in order_ws, and comes back in its own order. */
rnnrt_status rnnrt_forward_blocked_any_order(const rnnrt_model *m, const rnnrt_kernels *k,
                                             float *h, float *c, const float *x, int seq_len,
                                             int batch, const int *lengths, float *y,
                                             int threads, rnnrt_workspace *ws,
                                             rnnrt_workspace *order_ws);

#endif
