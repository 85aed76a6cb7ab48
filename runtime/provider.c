/* The provider of each data type (runtime/provider.h). */
#include "provider.h"

void rnnrt_provider_release_tiles(const rnnrt_kernels *k)
{
    if (k->tile_release)
        k->tile_release();
}

const rnnrt_provider *rnnrt_provider_of(rnnrt_weight_type t)
{
    switch (t) {
    case RNNRT_WEIGHTS_F32:
        break;
    case RNNRT_WEIGHTS_BF16:
        return &rnnrt_provider_bf16;
    case RNNRT_WEIGHTS_INT8:
        return &rnnrt_provider_int8;
    case RNNRT_WEIGHTS_INT8DOT:
        return &rnnrt_provider_int8dot;
    case RNNRT_WEIGHTS_BF16DOT:
        return &rnnrt_provider_bf16dot;
    }
    return &rnnrt_provider_f32;
}
