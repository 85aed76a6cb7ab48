#ifndef RNNRT_STATE_H
#define RNNRT_STATE_H

#include "model.h"
#include "workspace.h"

/* A state remembers the shape of the model it was made for (not the model itself, which
 * may be freed first) so that forward calls can check they match. */
struct rnnrt_state {
    rnnrt_cell cell;
    int layers, directions, hidden, h_size;
    int batch;
    float *h; /* [layers*directions][batch][h_size] */
    float *c; /* [layers*directions][batch][hidden], NULL for GRU and RNN */
    rnnrt_workspace work; /* scratch of the blocked pass, kept between calls */
    rnnrt_workspace io;   /* embedded x and the stack's y of the token and head forwards */
    rnnrt_workspace order; /* a batch with lengths in length order (forward_sorted.c) */
};

/* RNNRT_OK if `s` fits model `m`, else RNNRT_E_INVALID with a message that starts with fn. */
rnnrt_status rnnrt_state_check(const char *fn, const rnnrt_state *s, const rnnrt_model *m);

#endif
