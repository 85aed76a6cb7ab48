// The oneDNN peer: lstm_forward and lbr_gru_forward (the GRU PyTorch computes), forward
// inference, one layer, left to right. See bench_peers.h.
#include "bench_peers.h"

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>

#include "bench_model.h"

namespace rnnrt_bench {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

struct Rnn final : OnednnRnn {
    dnnl::engine eng{dnnl::engine::kind::cpu, 0};
    dnnl::stream strm{eng};
    dnnl::primitive prim;
    std::unordered_map<int, memory> args;
    std::string impl_name;

    Rnn(const char *cell, int T, int N, int H, int I, unsigned long long seed)
    {
        bool lstm = !strcmp(cell, "lstm");
        memory::dim G = lstm ? 4 : 3, Gb = lstm ? 4 : 4;  // LBR GRU has 4 bias blocks
        memory::desc src_md({T, N, I}, dt::f32, tag::tnc);
        memory::desc dst_md({T, N, H}, dt::f32, tag::tnc);
        memory::desc wl_user({1, 1, I, G, H}, dt::f32, tag::ldigo);
        memory::desc wi_user({1, 1, H, G, H}, dt::f32, tag::ldigo);
        memory::desc wl_any({1, 1, I, G, H}, dt::f32, tag::any);
        memory::desc wi_any({1, 1, H, G, H}, dt::f32, tag::any);
        memory::desc bias_md({1, 1, Gb, H}, dt::f32, tag::ldgo);
        memory::desc none;  // zero initial state, final state not kept

        memory::desc wl_md, wi_md;
        if (lstm) {
            dnnl::lstm_forward::desc d(dnnl::prop_kind::forward_inference,
                                       dnnl::rnn_direction::unidirectional_left2right, src_md,
                                       none, none, wl_any, wi_any, bias_md, dst_md, none, none);
            dnnl::lstm_forward::primitive_desc pd(d, eng);
            prim = dnnl::lstm_forward(pd);
            wl_md = pd.weights_layer_desc();
            wi_md = pd.weights_iter_desc();
            impl_name = pd.impl_info_str();
        } else {
            dnnl::lbr_gru_forward::desc d(dnnl::prop_kind::forward_inference,
                                          dnnl::rnn_direction::unidirectional_left2right,
                                          src_md, none, wl_any, wi_any, bias_md, dst_md, none);
            dnnl::lbr_gru_forward::primitive_desc pd(d, eng);
            prim = dnnl::lbr_gru_forward(pd);
            wl_md = pd.weights_layer_desc();
            wi_md = pd.weights_iter_desc();
            impl_name = pd.impl_info_str();
        }
        float scale = 1.0f / std::sqrt((float)H);
        memory src(src_md, eng), dst(dst_md, eng), bias(bias_md, eng);
        memory wl_u(wl_user, eng), wi_u(wi_user, eng);
        rnnrt_bench_fill(static_cast<float *>(src.get_data_handle()), (size_t)T * N * I,
                         seed + 4, 1.0f);
        rnnrt_bench_fill(static_cast<float *>(wl_u.get_data_handle()), (size_t)I * G * H,
                         seed + 1, scale);
        rnnrt_bench_fill(static_cast<float *>(wi_u.get_data_handle()), (size_t)H * G * H,
                         seed + 2, scale);
        rnnrt_bench_fill(static_cast<float *>(bias.get_data_handle()), (size_t)Gb * H,
                         seed + 3, scale);
        // Reordered once: weights in the primitive's layout are what a deployment keeps.
        memory wl(wl_md, eng), wi(wi_md, eng);
        dnnl::reorder(wl_u, wl).execute(strm, wl_u, wl);
        dnnl::reorder(wi_u, wi).execute(strm, wi_u, wi);
        strm.wait();
        args = {{DNNL_ARG_SRC_LAYER, src},
                {DNNL_ARG_WEIGHTS_LAYER, wl},
                {DNNL_ARG_WEIGHTS_ITER, wi},
                {DNNL_ARG_BIAS, bias},
                {DNNL_ARG_DST_LAYER, dst}};
    }

    void run() override
    {
        prim.execute(strm, args);
        strm.wait();
    }

    std::string impl() const override { return impl_name; }
};

}  // namespace

std::unique_ptr<OnednnRnn> make_onednn(const char *cell, int T, int N, int H, int I,
                                       unsigned long long seed)
{
    return std::unique_ptr<OnednnRnn>(new Rnn(cell, T, N, H, I, seed));
}

void onednn_set_threads(int n)
{
    // oneDNN's OpenMP runtime takes the team size from omp_get_max_threads() at execute().
    omp_set_num_threads(n);
}

std::string onednn_info()
{
    const dnnl_version_t *v = dnnl::version();
    return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
           std::to_string(v->patch) + " (cpu runtime " +
           (v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other") + ")";
}

}  // namespace rnnrt_bench
