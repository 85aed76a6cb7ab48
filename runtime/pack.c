#include "pack.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "gemm.h"

/* Panels start on 64-byte boundaries: the microkernels' aligned loads rely on it. */
#define ALIGN_FLOATS 16

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Gate panels of a [G*H][K] PyTorch weight: column g*U + j of panel p is row g*H + p*U + j. */
static void pack_gate_panels(const float *w, int K, int G, int H, int U, int panels, float *dst)
{
    const int nr = G * U;
    for (int p = 0; p < panels; p++)
        for (int k = 0; k < K; k++) {
            float *row = dst + ((size_t)p * K + k) * nr;
            for (int g = 0; g < G; g++)
                for (int j = 0; j < U; j++) {
                    int u = p * U + j;
                    row[g * U + j] = u < H ? w[((size_t)g * H + u) * K + k] : 0.0f;
                }
        }
}

static void pack_bias(const rnnrt_model *m, const rnnrt_layer_weights *w, int U, int panels,
                      float *dst)
{
    const int G = m->gates, H = m->hidden, nr = G * U;
    for (int p = 0; p < panels; p++)
        for (int g = 0; g < G; g++)
            for (int j = 0; j < U; j++) {
                int u = p * U + j;
                float b = 0.0f;
                if (u < H) {
                    b = w->b_ih[g * H + u];
                    /* GRU: b_hn stays inside r * (W_hn h + b_hn), added by the gate step */
                    if (!(m->cell == RNNRT_CELL_GRU && g == 2))
                        b += w->b_hh[g * H + u];
                }
                dst[(size_t)p * nr + g * U + j] = b;
            }
}

rnnrt_packing *rnnrt_pack(const rnnrt_model *m, const rnnrt_kernels *k)
{
    rnnrt_packing *p = rnnrt_calloc(1, sizeof *p);
    int units = m->layers * m->directions;
    if (!p || !(p->unit = rnnrt_calloc((size_t)units, sizeof *p->unit))) {
        rnnrt_free(p);
        rnnrt_fail(RNNRT_E_NOMEM, "out of memory packing the weights");
        return NULL;
    }
    p->kernels = k;
    p->gemm = m->gates == 4 ? k->gemm4 : k->gemm3;
    p->proj_gemm = k->gemm_proj;
    p->units = k->units;
    p->nr = p->gemm.nr;
    p->panels = (m->hidden + p->units - 1) / p->units;
    p->proj_panels = m->proj ? (m->proj + p->proj_gemm.nr - 1) / p->proj_gemm.nr : 0;
    p->kc = rnnrt_gemm_kc(&p->gemm);
    p->proj_kc = rnnrt_gemm_kc(&p->proj_gemm);

    size_t total = 0, panel_cols = (size_t)p->panels * p->nr;
    for (int u = 0; u < units; u++) {
        const rnnrt_layer_weights *w = &m->w[u];
        total += round_up(panel_cols * w->in_size, ALIGN_FLOATS);
        total += round_up(panel_cols * m->h_size, ALIGN_FLOATS);
        total += round_up(panel_cols, ALIGN_FLOATS);
        total += round_up((size_t)p->proj_panels * p->proj_gemm.nr * m->hidden, ALIGN_FLOATS);
    }
    p->arena = rnnrt_aligned_alloc(64, total * sizeof(float));
    if (!p->arena) {
        rnnrt_packing_free(p);
        rnnrt_fail(RNNRT_E_NOMEM, "out of memory packing %zu weights", total);
        return NULL;
    }
    float *next = p->arena;
    for (int u = 0; u < units; u++) {
        const rnnrt_layer_weights *w = &m->w[u];
        rnnrt_packed_unit *pu = &p->unit[u];
        pu->w_ih = next;
        next += round_up(panel_cols * w->in_size, ALIGN_FLOATS);
        pu->w_hh = next;
        next += round_up(panel_cols * m->h_size, ALIGN_FLOATS);
        pu->bias = next;
        next += round_up(panel_cols, ALIGN_FLOATS);
        pack_gate_panels(w->w_ih, w->in_size, m->gates, m->hidden, p->units, p->panels, pu->w_ih);
        pack_gate_panels(w->w_hh, m->h_size, m->gates, m->hidden, p->units, p->panels, pu->w_hh);
        pack_bias(m, w, p->units, p->panels, pu->bias);
        if (m->proj) {
            pu->w_hr = next;
            next += round_up((size_t)p->proj_panels * p->proj_gemm.nr * m->hidden, ALIGN_FLOATS);
            rnnrt_pack_columns(w->w_hr, m->proj, m->hidden, p->proj_gemm.nr, p->proj_panels,
                               pu->w_hr);
        }
    }
    return p;
}

void rnnrt_packing_free(rnnrt_packing *p)
{
    if (!p)
        return;
    rnnrt_free(p->arena);
    rnnrt_free(p->unit);
    rnnrt_free(p);
}

/* The model is immutable to its users; its cache of packings is the one thing that changes,
 * under a mutex. Normally the active set's packing is made at load, so this only locks. */
static const rnnrt_packing *find_packing(rnnrt_model *m, const rnnrt_kernels *k)
{
    for (int i = 0; i < RNNRT_MAX_PACKINGS; i++) {
        rnnrt_packing *p = __atomic_load_n(&m->packings[i], __ATOMIC_ACQUIRE);
        if (p && p->kernels == k)
            return p;
    }
    return NULL;
}

/* Every forward call asks for its packing, so the lookup takes no lock: slots are written
 * once (release) and read with acquire. The mutex only serialises making a new one. */
const rnnrt_packing *rnnrt_model_packing(const rnnrt_model *m, const rnnrt_kernels *k)
{
    rnnrt_model *mm = (rnnrt_model *)m;
    const rnnrt_packing *found = find_packing(mm, k);
    if (found)
        return found;
    pthread_mutex_lock(&mm->pack_lock);
    found = find_packing(mm, k);
    for (int i = 0; i < RNNRT_MAX_PACKINGS && !found; i++)
        if (!mm->packings[i]) {
            rnnrt_packing *p = rnnrt_pack(m, k);
            __atomic_store_n(&mm->packings[i], p, __ATOMIC_RELEASE);
            found = p;
            break; /* one attempt: a failure is out of memory, not a full slot */
        }
    pthread_mutex_unlock(&mm->pack_lock);
    return found;
}
