/* Scratch memory a forward pass needs, kept in the state between calls so that streaming
 * callers do not pay for allocation and page faults at every call. */
#ifndef RNNRT_WORKSPACE_H
#define RNNRT_WORKSPACE_H

#include <stddef.h>

typedef struct rnnrt_workspace {
    void *data; /* 64-byte aligned */
    size_t size;
} rnnrt_workspace;

/* At least `size` bytes, reusing the current block when it is big enough; NULL when out of
 * memory (the workspace is then empty but valid). */
void *rnnrt_workspace_reserve(rnnrt_workspace *ws, size_t size);
void rnnrt_workspace_release(rnnrt_workspace *ws);

#endif
