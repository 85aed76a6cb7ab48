/* Weights packed for the blocked forward pass of one kernel set.
 *
 * Gate panels: panel p holds hidden units [p*U, p*U + U) for all G gates, as NR = G*U
 * columns (gate g of unit p*U + j at column g*U + j), stored k-major: [K][NR]. One tile of
 * the GEMM output thus holds every pre-activation its gate kernel needs. Units past H are
 * zero-padded. Projection panels hold NR columns of the projection's output. */
#ifndef RNNRT_PACK_H
#define RNNRT_PACK_H

#include "kernels.h"
#include "model.h"

typedef struct rnnrt_packed_unit {
    float *w_ih;  /* [panels][in_size][nr] */
    float *w_hh;  /* [panels][h_size][nr] */
    float *bias;  /* [panels][nr]: b_ih + b_hh (GRU's n gate: b_in only) */
    float *w_hr;  /* [proj_panels][hidden][proj_nr], NULL without projection */
} rnnrt_packed_unit;

typedef struct rnnrt_packing {
    const rnnrt_kernels *kernels; /* the set this layout is for */
    rnnrt_gemm_ukernel gemm;      /* gate-panel microkernel (gemm4 or gemm3) */
    rnnrt_gemm_ukernel proj_gemm; /* projection microkernel (gemm_proj) */
    int units, nr, panels;        /* U, G*U, ceil(H / U) */
    int proj_panels;              /* ceil(P / proj_nr) */
    int kc;                       /* k-block of the gate GEMMs, by gemm's rule (kernels.inc) */
    int proj_kc;                  /* k-block of the projection, by proj_gemm's rule */
    rnnrt_packed_unit *unit;      /* [layers * directions] */
    float *arena;
} rnnrt_packing;

/* Packs every layer of m for kernel set k; NULL with RNNRT_E_NOMEM recorded on failure. */
rnnrt_packing *rnnrt_pack(const rnnrt_model *m, const rnnrt_kernels *k);
void rnnrt_packing_free(rnnrt_packing *p);

/* The model's packing for k, made on first use and kept (thread-safe; finding an existing
 * one takes no lock). NULL: out of memory. */
const rnnrt_packing *rnnrt_model_packing(const rnnrt_model *m, const rnnrt_kernels *k);

#endif
