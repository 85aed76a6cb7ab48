/* rnnrt_tile_release__avx512amx: gives the AMX tiles back at the end of a pass: the
 * tiles' configuration stays loaded from a thread's first AMX tile to here (gemm_amx.h). */
#include "gemm_amx.h"

_Thread_local int rnnrt_amx_configured_native;

void rnnrt_tile_release__avx512amx(void)
{
    if (!rnnrt_amx_configured_native)
        return;
    _tile_release();
    rnnrt_amx_configured_native = 0;
}
