/* How long the thread choice's trials are (thread_choice.h), apart from its state so that
 * C++ benchmarks can size a warm-up by them. */
#ifndef RNNRT_THREAD_CHOICE_TRIALS_H
#define RNNRT_THREAD_CHOICE_TRIALS_H

/* A trial: a burst of RNNRT_CHOICE_BURST calls scored by the fastest, or one call of
 * RNNRT_CHOICE_LONG_CALL_NS or more. A new shape makes RNNRT_CHOICE_SETTLE trials of each
 * choice back to back before it settles (benchmarks that time settled calls only warm up
 * that long: bench/bench_lstm.cc). */
#define RNNRT_CHOICE_BURST 3
#define RNNRT_CHOICE_LONG_CALL_NS 5000000ll
#define RNNRT_CHOICE_SETTLE 2

#endif
