/* rnnrt_tile_release__avx512amx_model: gives the AMX tiles back at the end of a pass (software model): the
 * tiles' configuration stays loaded from a thread's first AMX tile to here (gemm_amx.h). */
#include "avx512/gemm_amx.h"

_Thread_local int rnnrt_amx_configured_model;

/* The model's tile file (model/amx_model.h). */
_Thread_local rnnrt_amx_model_tiles rnnrt_amx_model_file;

void rnnrt_tile_release__avx512amx_model(void)
{
    if (!rnnrt_amx_configured_model)
        return;
    _tile_release();
    rnnrt_amx_configured_model = 0;
}
