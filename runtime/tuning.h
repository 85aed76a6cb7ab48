/* Tuning knobs read from the environment once per process (never on the hot path), with
 * setters for tests and benchmarks that need several values in one process. */
#ifndef RNNRT_TUNING_H
#define RNNRT_TUNING_H

/* RNNRT_THREADS_EXACT=1: a pass runs the threads it is asked for, without the rules that
 * run tiny steps on one thread or fall back to one thread when a partner is descheduled. */
int rnnrt_tuning_threads_exact(void);
/* RNNRT_CHUNK=N (> 0): steps per input-projection chunk; 0: chosen from the shape. */
int rnnrt_tuning_chunk(void);
/* RNNRT_GEMM_KC=N (> 0): the GEMM k-block; 0: chosen from the L1 size. */
int rnnrt_tuning_gemm_kc(void);
/* RNNRT_MX_ROWS=N (> 0): a GEMM of at least N rows runs the set's matrix-engine tiles (AMX)
 * where it has them, fewer rows the vector tiles; default RNNRT_MX_ROWS_DEFAULT. */
#define RNNRT_MX_ROWS_DEFAULT 4
int rnnrt_tuning_mx_rows(void);

/* For tests only (no environment variable): N > 0 makes the last thread of a pass on
 * several threads propose, before end-of-step barrier N, to finish the pass alone, as it
 * does when it finds its partners descheduled; 0: never. */
int rnnrt_tuning_solo_at(void);
void rnnrt_tuning_set_solo_at(int barrier);

/* Overrides, for tests: a value < 0 restores the environment's. */
void rnnrt_tuning_set_threads_exact(int v);
void rnnrt_tuning_set_chunk(int v);
void rnnrt_tuning_set_gemm_kc(int v);
void rnnrt_tuning_set_mx_rows(int v);

/* For tests only: the largest model (bytes of its matrices in float32) whose bf16 or int8
 * weights are packed as float32 panels of the rounded values (rnnrt_pack); < 0: half of L2,
 * the default; 0: none, so that small models run the reduced types' own tiles. */
long rnnrt_tuning_f32_panel_bytes(void);
void rnnrt_tuning_set_f32_panel_bytes(long v);

#endif
