#include "workspace.h"

#include "alloc.h"

void *rnnrt_workspace_reserve(rnnrt_workspace *ws, size_t size)
{
    if (ws->data && ws->size >= size)
        return ws->data;
    rnnrt_workspace_release(ws);
    ws->data = rnnrt_aligned_alloc(64, size);
    ws->size = ws->data ? size : 0;
    return ws->data;
}

void rnnrt_workspace_release(rnnrt_workspace *ws)
{
    rnnrt_free(ws->data);
    ws->data = NULL;
    ws->size = 0;
}
