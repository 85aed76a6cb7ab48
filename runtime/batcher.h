/* A batcher and its streams (rnnrt.h, "Streams"): what runtime/batcher.c (the scheduler)
 * and runtime/stream.c (the streams' queues and calls) share.
 *
 * One mutex per batcher guards every field below marked "lock", of the batcher and of its
 * streams. The scheduler holds it only to pick a step's rows and to account for them after
 * the step: gathering the states and inputs, the step itself and scattering run unlocked,
 * while the rows' streams are marked running (their state, and the x and y of their current
 * pushes, belong to the scheduler until it clears the mark). */
#ifndef RNNRT_BATCHER_H
#define RNNRT_BATCHER_H

#include <pthread.h>
#include <stdbool.h>

#include "model.h"
#include "thread_choice.h"
#include "workspace.h"

/* What a push carries: float steps, token ids, or a prompt to generate from. */
enum { PUSH_FLOATS, PUSH_TOKENS, PUSH_GENERATE };

/* Generation's state (rnnrt_stream_generate): the sampling and where the tokens go. */
typedef struct push_generation {
    int prompt_len;
    float temperature;
    int top_k;
    rnnrt_rng rng;
    int *out;        /* [steps - prompt_len + 1]: token k feeds step prompt_len + k */
} push_generation;

/* One push: steps [done, steps) are still to run. */
typedef struct rnnrt_push {
    int kind;        /* PUSH_FLOATS, _TOKENS, _GENERATE */
    const float *x;  /* floats: [steps][input_size] */
    const int *ids;  /* tokens: [steps]; generation: the prompt */
    float *y;        /* floats: [steps][output_size]; tokens: logits */
    int steps, done;
    int last_only;   /* tokens: the last step's logits only */
    push_generation gen;
    long long since; /* ns when it was queued */
    rnnrt_push_done notify; /* its callback, or NULL */
    void *user;
} rnnrt_push;

/* What a row of a step does besides the recurrent step, copied at pick (the ring may move
 * while the step runs): where its logits go, and for generation how to sample. */
typedef struct row_extra {
    float *logits;   /* the head's output for this row goes here, or NULL */
    bool sample;     /* generation: sample the next token from the logits */
    push_generation gen;
    int *token;      /* where the sampled token goes */
    rnnrt_status status; /* the sample's */
} row_extra;

/* A ring of pushes: [head, head + count) mod capacity. */
typedef struct push_ring {
    rnnrt_push *q;
    int head, count, capacity;
} push_ring;

/* Calls the callback of every push in r with `status`, then frees r (lock not held). */
void rnnrt_push_ring_drop(push_ring *r, rnnrt_status status);

/* Where a stream is: no list (running, or closed), ready (a step queued), idle (nothing). */
enum { STREAM_NOWHERE, STREAM_READY, STREAM_IDLE };
/* Why a stream is closed (0: open). */
enum { STREAM_OPEN, STREAM_CLOSED, STREAM_EVICTED, STREAM_BATCHER_FREED };

/* An intrusive doubly linked list of streams. */
typedef struct stream_list {
    struct rnnrt_stream *head, *tail;
    int count;
} stream_list;

struct rnnrt_stream {
    struct rnnrt_batcher *b;
    float *h, *c;         /* [units][h_size], [units][hidden]; NULL once closed */
    /* lock: */
    push_ring ring;       /* the pushes not done yet, the current one first */
    long long pending;    /* steps queued and not done (max_pending) */
    unsigned long long pushes, pushes_done;
    int where;            /* STREAM_NOWHERE, _READY, _IDLE */
    struct rnnrt_stream *prev, *next;     /* in the ready or the idle list */
    struct rnnrt_stream *all_prev, *all_next; /* among every stream not freed */
    long long idle_since; /* ns */
    bool running;         /* in the step the scheduler runs now */
    int closed;           /* STREAM_OPEN, or why not */
    rnnrt_status failed;  /* a step of this stream failed: wait reports it once */
    int inside;           /* calls waiting on this stream (wait, state) */
    int watching;         /* of them, state reads: the stream stays off the ready list
                           * between its steps until they are done */
    pthread_cond_t cond;  /* a push done, a step finished, a close */
};

struct rnnrt_batcher {
    const rnnrt_model *m;
    rnnrt_batcher_limits limits;
    int threads;          /* 0: the model's count at each step */
    int units;            /* layers (one direction) */
    pthread_mutex_t lock;
    pthread_cond_t wake;  /* the scheduler's: work arrived, a limit reached, stop */
    pthread_t thread;
    /* lock: */
    bool stop;
    bool warmed;          /* the first step (create's) has run, with warm_status */
    rnnrt_status warm_status;
    stream_list ready, idle;
    struct rnnrt_stream *all; /* every stream not freed */
    int open;             /* streams neither closed nor evicted */
    char step_error[256]; /* the message of the last failed step */
    rnnrt_batcher_stats stats; /* but open_streams and ready_streams */
    /* The scheduler's alone: one step's rows and buffers, sized for max_batch. */
    struct rnnrt_stream **rows;
    const float **row_x;  /* each row's input of this step (in its current push's x) */
    float **row_y;        /* and where its output goes (NULL: only to the head) */
    row_extra *extra;     /* [max_batch] */
    int logit_rows;       /* rows [0, logit_rows) of the step need the head */
    float *logits;        /* [max_batch][logits_size], models with a head */
    void *sample_scratch; /* rnnrt_sample_into's */
    rnnrt_push *notes;    /* [max_batch]: pushes a step finished, whose callbacks are due */
    struct dropped_ring {
        push_ring ring;
        rnnrt_status status;
    } *dropped;           /* [max_batch]: pushes a failed step or sample dropped, per row */
    int note_count, drop_count;
    char row_error[256];  /* the message of the last failed sample */
    float *h, *c, *x, *y; /* [units][max_batch][h_size], [units][max_batch][hidden],
                           * [max_batch][input_size], [max_batch][output_size] */
    rnnrt_workspace ws;
    rnnrt_choice choice;  /* one thread or several, per size class of the step's batch */
};

/* The clock of deadlines, and a deadline as the condition variables take it. */
long long rnnrt_batcher_now(void);
void rnnrt_batcher_timespec(long long ns, struct timespec *ts);

/* A condition variable on the monotonic clock. */
int rnnrt_batcher_cond_init(pthread_cond_t *c);

/* List operations (lock held). */
void rnnrt_stream_list_append(stream_list *l, struct rnnrt_stream *s);
void rnnrt_stream_list_remove(stream_list *l, struct rnnrt_stream *s);

/* Takes s off the ready or idle list it is on (lock held). */
void rnnrt_stream_unlist(struct rnnrt_stream *s);
/* Puts s on the ready list if it has a step queued and is not running, else on the idle
 * list (lock held); wakes the scheduler when that gives it something to do. */
void rnnrt_stream_settle(struct rnnrt_stream *s, long long now);
/* Takes s's pushes off it (lock held): they are done or dropped as far as its waits are
 * concerned; their callbacks are the caller's to call (rnnrt_push_ring_drop, unlocked). */
push_ring rnnrt_stream_detach(struct rnnrt_stream *s);
/* Closes an open s for `why` (lock held): off its list, its place among max_streams given
 * back, its waiters woken; returns its pushes (rnnrt_stream_detach; empty if it was closed
 * already). Its state stays: a running stream's belongs to the scheduler until the step
 * ends. */
push_ring rnnrt_stream_shut(struct rnnrt_stream *s, int why);
/* Frees the state of a closed stream that is not running (lock held). */
void rnnrt_stream_release(struct rnnrt_stream *s);
/* Frees a stream: its state and ring if still there, then itself (off every list). */
void rnnrt_stream_destroy(struct rnnrt_stream *s);

#endif
