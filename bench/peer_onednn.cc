// The oneDNN peer: lstm_forward and lbr_gru_forward (the GRU PyTorch computes), forward
// inference, one layer, left to right, in f32, bf16 or u8s8. See bench_peers.h.
#include "bench_peers.h"

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_model.h"

namespace rnnrt_bench {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

const char *onednn_type_name(OnednnType t)
{
    switch (t) {
    case OnednnType::bf16: return "bf16";
    case OnednnType::u8s8: return "u8s8";
    default: return "f32";
    }
}

std::string onednn_config(OnednnType t)
{
    switch (t) {
    case OnednnType::bf16: return "source, destination and weights bf16, bias f32";
    case OnednnType::u8s8:
        return "source and destination u8 (set_rnn_data_qparams: u8 = scale * x + shift over "
               "the input's range joined with h's (-1, 1)), weights s8 with one scale per gate "
               "and unit, 127 / max|w| (set_rnn_weights_qparams mask 24), bias f32";
    default: return "everything f32";
    }
}

namespace {

// oneDNN's weight scales are per (l, d, i, g, o) dimension: bits 3 and 4 give one scale
// per gate and output unit, shared by weights_layer and weights_iter.
const int kPerOutputMask = (1 << 3) | (1 << 4);

struct Rnn final : OnednnRnn {
    dnnl::engine eng{dnnl::engine::kind::cpu, 0};
    dnnl::stream strm{eng};
    dnnl::primitive prim;
    std::unordered_map<int, memory> args;
    memory::desc wl_md, wi_md;
    std::string impl_name, config_line;

    Rnn(const char *cell, int T, int N, int H, int I, unsigned long long seed, OnednnType type)
    {
        bool lstm = !strcmp(cell, "lstm");
        memory::dim G = lstm ? 4 : 3, Gb = 4;  // LBR GRU has 4 bias blocks
        // The f32 data every data type starts from: the same seeds for all of them.
        memory src_u({{T, N, I}, dt::f32, tag::tnc}, eng);
        memory wl_u({{1, 1, I, G, H}, dt::f32, tag::ldigo}, eng);
        memory wi_u({{1, 1, H, G, H}, dt::f32, tag::ldigo}, eng);
        memory::desc bias_md({1, 1, Gb, H}, dt::f32, tag::ldgo);
        memory bias(bias_md, eng);
        float scale = 1.0f / std::sqrt((float)H);
        float *x = static_cast<float *>(src_u.get_data_handle());
        float *wl_f = static_cast<float *>(wl_u.get_data_handle());
        float *wi_f = static_cast<float *>(wi_u.get_data_handle());
        rnnrt_bench_fill(x, (size_t)T * N * I, seed + 4, 1.0f);
        rnnrt_bench_fill(wl_f, (size_t)I * G * H, seed + 1, scale);
        rnnrt_bench_fill(wi_f, (size_t)H * G * H, seed + 2, scale);
        rnnrt_bench_fill(static_cast<float *>(bias.get_data_handle()), (size_t)Gb * H,
                         seed + 3, scale);

        dt data = type == OnednnType::bf16 ? dt::bf16 : type == OnednnType::u8s8 ? dt::u8
                                                                                 : dt::f32;
        dt wdt = type == OnednnType::bf16 ? dt::bf16 : type == OnednnType::u8s8 ? dt::s8
                                                                                : dt::f32;
        dnnl::primitive_attr attr;
        config_line = onednn_config(type);
        if (type == OnednnType::u8s8)
            quantize_params(attr, x, (size_t)T * N * I, wl_f, wi_f, I, H, (int)G);

        memory::desc src_md({T, N, I}, data, tag::tnc);
        memory::desc dst_md({T, N, H}, data, tag::tnc);
        memory::desc wl_any({1, 1, I, G, H}, wdt, tag::any);
        memory::desc wi_any({1, 1, H, G, H}, wdt, tag::any);
        memory::desc none;  // zero initial state, final state not kept
        auto dir = dnnl::rnn_direction::unidirectional_left2right;
        auto prop = dnnl::prop_kind::forward_inference;
        std::string what = std::string(onednn_type_name(type)) + " " + (lstm ? "LSTM" : "LBR GRU");
        if (lstm) {
            std::optional<dnnl::lstm_forward::desc> d;
            try {
                d.emplace(prop, dir, src_md, none, none, wl_any, wi_any, bias_md, dst_md, none,
                          none);
            } catch (const dnnl::error &e) {
                rethrow(e, false, what);
            }
            build<dnnl::lstm_forward>(*d, attr, what);
        } else {
            std::optional<dnnl::lbr_gru_forward::desc> d;
            try {
                d.emplace(prop, dir, src_md, none, wl_any, wi_any, bias_md, dst_md, none);
            } catch (const dnnl::error &e) {
                rethrow(e, false, what);
            }
            build<dnnl::lbr_gru_forward>(*d, attr, what);
        }

        // Converted and reordered once: data and weights in the primitive's types and
        // layout are what a deployment keeps. The reorders quantize with the same attributes.
        memory src(src_md, eng), dst(dst_md, eng), wl(wl_md, eng), wi(wi_md, eng);
        convert(src_u, src, attr);
        convert(wl_u, wl, attr);
        convert(wi_u, wi, attr);
        strm.wait();
        args = {{DNNL_ARG_SRC_LAYER, src},
                {DNNL_ARG_WEIGHTS_LAYER, wl},
                {DNNL_ARG_WEIGHTS_ITER, wi},
                {DNNL_ARG_BIAS, bias},
                {DNNL_ARG_DST_LAYER, dst}};
    }

    [[noreturn]] static void rethrow(const dnnl::error &e, bool descriptor_made,
                                     const std::string &what)
    {
        if (e.status != dnnl_unimplemented)
            throw;
        throw OnednnUnsupported(descriptor_made,
                                (descriptor_made ? "oneDNN has no " + what +
                                                       " implementation for this CPU ("
                                                 : "oneDNN does not define " + what + " (") +
                                    e.what() + ": unimplemented)");
    }

    template <class P, class D>
    void build(const D &d, const dnnl::primitive_attr &attr, const std::string &what)
    {
        try {
            typename P::primitive_desc pd(d, attr, eng);
            prim = P(pd);
            wl_md = pd.weights_layer_desc();
            wi_md = pd.weights_iter_desc();
            impl_name = pd.impl_info_str();
        } catch (const dnnl::error &e) {
            rethrow(e, true, what);
        }
    }

    void convert(memory &from, memory &to, const dnnl::primitive_attr &attr)
    {
        dnnl::reorder::primitive_desc pd(from, to, attr);
        dnnl::reorder(pd).execute(strm, from, to);
    }

    // u8 = scale * x + shift covers [lo, hi] with 0..255. The same parameters quantize the
    // input and the hidden state (oneDNN has one pair), so the range is the input's joined
    // with (-1, 1), where h = o * tanh(c) (LSTM) or a mix of tanh and h (GRU) lies.
    // s8 = round(w * scale[g][o]), scale[g][o] = 127 / max |w| over the inputs of both
    // weight matrices of that gate and unit.
    void quantize_params(dnnl::primitive_attr &attr, const float *x, size_t nx,
                         const float *wl, const float *wi, int I, int H, int G)
    {
        float lo = -1.0f, hi = 1.0f;
        for (size_t j = 0; j < nx; j++) {
            lo = std::min(lo, x[j]);
            hi = std::max(hi, x[j]);
        }
        float dscale = 255.0f / (hi - lo), dshift = -lo * dscale;
        attr.set_rnn_data_qparams(dscale, dshift);
        size_t go = (size_t)G * H;
        std::vector<float> amax(go, 0.0f), wscale(go);
        for (int i = 0; i < I; i++)
            for (size_t k = 0; k < go; k++)
                amax[k] = std::max(amax[k], std::fabs(wl[i * go + k]));
        for (int i = 0; i < H; i++)
            for (size_t k = 0; k < go; k++)
                amax[k] = std::max(amax[k], std::fabs(wi[i * go + k]));
        float smin = INFINITY, smax = 0;
        for (size_t k = 0; k < go; k++) {
            wscale[k] = amax[k] > 0 ? 127.0f / amax[k] : 1.0f;
            smin = std::min(smin, wscale[k]);
            smax = std::max(smax, wscale[k]);
        }
        attr.set_rnn_weights_qparams(kPerOutputMask, wscale);
        char buf[320];
        snprintf(buf, sizeof buf,
                 "source and destination u8 = %.4g x + %.4g (input range joined with h's "
                 "(-1, 1)), weights s8 with %zu per-output scales 127/max|w| (mask %d, "
                 "%.4g..%.4g), bias f32",
                 dscale, dshift, go, kPerOutputMask, smin, smax);
        config_line = buf;
    }

    void run() override
    {
        prim.execute(strm, args);
        strm.wait();
    }

    std::string impl() const override { return impl_name; }
    std::string config() const override { return config_line; }
};

}  // namespace

std::unique_ptr<OnednnRnn> make_onednn(const char *cell, int T, int N, int H, int I,
                                       unsigned long long seed, OnednnType type)
{
    return std::unique_ptr<OnednnRnn>(new Rnn(cell, T, N, H, I, seed, type));
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
