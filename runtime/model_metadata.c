/* The metadata keys that change how a loaded stack runs rather than what it holds:
 * rnnrt.direction (layers that run backward in time), rnnrt.clip (gate clipping),
 * rnnrt.activation_functions (the gate functions) and rnnrt.layout (the source's layout).
 * docs/model-format.md, "Metadata", gives their values and meaning. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "model.h"
#include "model_metadata.h"
#include "safetensors.h"

/* One word of a direction list: [s, s + n). Returns 0 forward, 1 reverse, -1 neither. */
static int direction_word(const char *s, size_t n)
{
    if (n == 7 && !strncmp(s, "forward", 7))
        return 0;
    if (n == 7 && !strncmp(s, "reverse", 7))
        return 1;
    return -1;
}

/* "forward" | "reverse" for every layer, or one of them per layer, separated by commas. */
static rnnrt_status parse_direction(const rnnrt_st_file *f, rnnrt_model *m)
{
    const char *v = rnnrt_st_metadata(f, "rnnrt.direction");
    if (!v)
        return RNNRT_OK;
    int words = 1;
    for (const char *p = v; *p; p++)
        words += *p == ',';
    if (words != 1 && words != m->layers)
        return rnnrt_fail(RNNRT_E_FORMAT,
                          "metadata rnnrt.direction='%.64s' lists %d directions; expected one "
                          "for every layer or one per layer (the model has %d)", v, words,
                          m->layers);
    const char *p = v;
    for (int k = 0; k < words; k++) {
        size_t n = strcspn(p, ",");
        int reverse = direction_word(p, n);
        if (reverse < 0)
            return rnnrt_fail(RNNRT_E_FORMAT,
                              "metadata rnnrt.direction='%.64s': word %d is '%.*s'; expected "
                              "forward or reverse", v, k + 1, (int)(n < 32 ? n : 32), p);
        for (int layer = words == 1 ? 0 : k; layer < (words == 1 ? m->layers : k + 1); layer++)
            m->layer_reverse[layer] = reverse;
        p += n + (p[n] == ',');
    }
    for (int layer = 0; layer < m->layers; layer++)
        m->reverse_layers += m->layer_reverse[layer];
    if (m->reverse_layers && m->directions == 2)
        return rnnrt_fail(RNNRT_E_FORMAT,
                          "metadata rnnrt.direction='%.64s' on a bidirectional model (it has "
                          "_reverse tensors, whose direction already runs backward): reverse "
                          "is for one-direction layers", v);
    return RNNRT_OK;
}

/* A plain decimal: digits with an optional fraction and exponent, nothing else (no sign,
 * spaces, hexadecimal, inf or nan). Read without strtod, which follows the process's
 * locale; the value is exact to double rounding, far below float's. */
static bool parse_decimal(const char *s, double *out)
{
    double mant = 0.0;
    int digits = 0, scale = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++)
        mant = mant * 10.0 + (*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, digits++, scale--)
            mant = mant * 10.0 + (*s - '0');
    if (!digits || digits > 40)
        return false;
    if (*s == 'e' || *s == 'E') {
        int sign = 1, e = 0, edigits = 0;
        s++;
        if (*s == '+' || *s == '-')
            sign = *s++ == '-' ? -1 : 1;
        for (; *s >= '0' && *s <= '9' && edigits < 4; s++, edigits++)
            e = e * 10 + (*s - '0');
        if (!edigits)
            return false;
        scale += sign * e;
    }
    if (*s)
        return false;
    *out = scale < 0 ? mant / pow(10.0, -scale) : mant * pow(10.0, scale);
    return true;
}

static rnnrt_status parse_clip(const rnnrt_st_file *f, rnnrt_model *m)
{
    const char *v = rnnrt_st_metadata(f, "rnnrt.clip");
    double clip;
    if (!v)
        return RNNRT_OK;
    if (!parse_decimal(v, &clip) || !(clip > 0.0) || clip > FLT_MAX || (float)clip <= 0.0f)
        return rnnrt_fail(RNNRT_E_FORMAT,
                          "metadata rnnrt.clip='%.32s': expected a positive finite decimal "
                          "number such as 3.5 or 1e2 (the bound of the gate pre-activations)",
                          v);
    m->clip = (float)clip;
    return RNNRT_OK;
}

static rnnrt_status parse_layout(const rnnrt_st_file *f, rnnrt_model *m);

rnnrt_status rnnrt_model_parse_run_keys(const rnnrt_st_file *f, rnnrt_model *m)
{
    rnnrt_status s = parse_direction(f, m);
    s = s ? s : parse_clip(f, m);
    return s ? s : parse_layout(f, m);
}

/* --- rnnrt.layout ------------------------------------------------------------------------
 * What the source's inputs and outputs were: batch-major ([B][T][...]: ONNX layout=1,
 * Keras) or time-major. Tools take the file's layout when no argument says otherwise; the
 * library's entry points keep their own. */
static rnnrt_status parse_layout(const rnnrt_st_file *f, rnnrt_model *m)
{
    const char *v = rnnrt_st_metadata(f, "rnnrt.layout");
    if (!v || !strcmp(v, "time_major"))
        return RNNRT_OK;
    if (!strcmp(v, "batch_major")) {
        m->batch_major = true;
        return RNNRT_OK;
    }
    return rnnrt_fail(RNNRT_E_FORMAT,
                      "metadata rnnrt.layout='%.32s': expected time_major or batch_major", v);
}

/* --- rnnrt.activation_functions ----------------------------------------------------------
 * The gate functions in ONNX's names: one entry for the whole stack, or one per layer and
 * direction (layer 0 forward, layer 0 backward, layer 1 forward, ...), separated by ';';
 * an entry lists the cell's functions (LSTM f, g, h; GRU f, g; RNN f) separated by ',',
 * each a name with its parameters in parentheses when it takes any. */

static const struct {
    const char *name;
    int params; /* alpha, then beta */
} act_functions[RNNRT_ACT_FUNCTIONS] = {
    [RNNRT_ACT_SIGMOID] = {"Sigmoid", 0},
    [RNNRT_ACT_TANH] = {"Tanh", 0},
    [RNNRT_ACT_RELU] = {"Relu", 0},
    [RNNRT_ACT_AFFINE] = {"Affine", 2},
    [RNNRT_ACT_LEAKY_RELU] = {"LeakyRelu", 1},
    [RNNRT_ACT_THRESHOLDED_RELU] = {"ThresholdedRelu", 1},
    [RNNRT_ACT_SCALED_TANH] = {"ScaledTanh", 2},
    [RNNRT_ACT_HARD_SIGMOID] = {"HardSigmoid", 2},
    [RNNRT_ACT_ELU] = {"Elu", 1},
    [RNNRT_ACT_SOFTSIGN] = {"Softsign", 0},
    [RNNRT_ACT_SOFTPLUS] = {"Softplus", 0},
};

#define ACT_KEY "metadata rnnrt.activation_functions"
#define ACT_NAMES "Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, " \
                  "HardSigmoid, Elu, Softsign, Softplus"

static int act_lookup(const char *s, size_t n)
{
    for (int f = 0; f < RNNRT_ACT_FUNCTIONS; f++)
        if (strlen(act_functions[f].name) == n && !strncmp(s, act_functions[f].name, n))
            return f;
    return -1;
}

/* The cell's own functions: sigmoid gates and tanh elsewhere, the RNN's nonlinearity. */
static void default_functions(rnnrt_cell cell, rnnrt_activation act[3])
{
    act[0] = (rnnrt_activation){cell == RNNRT_CELL_RNN_TANH   ? RNNRT_ACT_TANH
                                : cell == RNNRT_CELL_RNN_RELU ? RNNRT_ACT_RELU
                                                              : RNNRT_ACT_SIGMOID, 0, 0};
    act[1] = act[2] = (rnnrt_activation){RNNRT_ACT_TANH, 0, 0};
}

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

/* A parameter: an optional sign and a plain decimal (parse_decimal), up to ',' or ')'. */
static bool parse_param(const char **pp, const char *end, float *out)
{
    const char *p = skip_spaces(*pp, end), *q = p;
    while (q < end && *q != ',' && *q != ')')
        q++;
    const char *e = q;
    while (e > p && e[-1] == ' ')
        e--;
    char buf[64];
    const bool negative = p < e && *p == '-';
    p += p < e && (*p == '-' || *p == '+');
    double v;
    if (e <= p || (size_t)(e - p) >= sizeof buf)
        return false;
    memcpy(buf, p, (size_t)(e - p));
    buf[e - p] = '\0';
    if (!parse_decimal(buf, &v) || !(v <= FLT_MAX))
        return false;
    *out = (float)(negative ? -v : v);
    *pp = q;
    return true;
}

typedef struct act_entry {
    const char *key_value; /* the whole value, for messages */
    char label[48];        /* "layer 1 backward", "every layer" */
} act_entry;

static rnnrt_status act_fail(const act_entry *e, int gate, const char *fmt, const char *what,
                             int what_len)
{
    char why[192];
    snprintf(why, sizeof why, fmt, what_len, what);
    return rnnrt_fail(RNNRT_E_FORMAT, ACT_KEY "='%.64s': %s, function %c: %s", e->key_value,
                      e->label, "fgh"[gate < 3 ? gate : 2], why);
}

/* One function at *pp: a name, then its parameters in parentheses when it takes any. */
static rnnrt_status parse_function(const act_entry *e, int gate, const char **pp,
                                   const char *end, rnnrt_activation *a)
{
    const char *p = skip_spaces(*pp, end), *name = p;
    while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
        p++;
    const int len = (int)(p - name < 32 ? p - name : 32);
    const int f = act_lookup(name, (size_t)(p - name));
    if (f < 0)
        return act_fail(e, gate, "'%.*s' is not one of " ACT_NAMES, name, len);
    float params[2] = {0.0f, 0.0f};
    int given = 0;
    p = skip_spaces(p, end);
    if (p < end && *p == '(') {
        for (p++;;) {
            if (given == 2 || !parse_param(&p, end, &params[given]))
                return act_fail(e, gate, "a parameter of '%.*s' is not a finite decimal "
                                "number (or it has more than two)", name, len);
            given++;
            if (p < end && *p == ')') {
                p++;
                break;
            }
            if (p == end) /* parse_param stops at ',', ')' or the end */
                return act_fail(e, gate, "'%.*s(' has no closing parenthesis", name, len);
            p++;
        }
    }
    const int need = act_functions[f].params;
    if (given < need)
        return act_fail(e, gate, given ? "'%.*s' lacks its beta: write Name(alpha,beta)"
                                 : need == 1 ? "'%.*s' needs its alpha: write Name(alpha)"
                                             : "'%.*s' needs its alpha and beta: write "
                                               "Name(alpha,beta)", name, len);
    if (given > need)
        return act_fail(e, gate, need ? "'%.*s' takes one parameter, alpha"
                                      : "'%.*s' takes no parameters", name, len);
    *a = (rnnrt_activation){(rnnrt_act_fn)f, params[0], params[1]};
    *pp = p;
    return RNNRT_OK;
}

/* The functions of one entry [p, end) into act[0, count). */
static rnnrt_status parse_entry(const rnnrt_model *m, const act_entry *e, const char *p,
                                const char *end, rnnrt_activation act[3])
{
    const int want = rnnrt_cell_functions(m->cell);
    for (int gate = 0;; gate++) {
        if (gate == want)
            return rnnrt_fail(RNNRT_E_FORMAT,
                              ACT_KEY "='%.64s': %s lists more than %d functions; a %s cell "
                              "has %d (%s)", e->key_value, e->label, want,
                              rnnrt_model_cell_name(m), want,
                              want == 3 ? "f, g, h" : want == 2 ? "f, g" : "f");
        rnnrt_status s = parse_function(e, gate, &p, end, &act[gate]);
        if (s)
            return s;
        p = skip_spaces(p, end);
        if (p == end) {
            if (gate + 1 == want)
                return RNNRT_OK;
            return rnnrt_fail(RNNRT_E_FORMAT,
                              ACT_KEY "='%.64s': %s lists %d function(s); a %s cell has %d (%s)",
                              e->key_value, e->label, gate + 1, rnnrt_model_cell_name(m), want,
                              want == 3 ? "f, g, h" : want == 2 ? "f, g" : "f");
        }
        if (*p != ',')
            return act_fail(e, gate, "'%.*s' is followed by something other than ',' or ';'",
                            p, 1);
        p++;
    }
}

static bool same_function(const rnnrt_activation *a, const rnnrt_activation *b)
{
    return a->fn == b->fn && (act_functions[a->fn].params < 1 || a->alpha == b->alpha) &&
           (act_functions[a->fn].params < 2 || a->beta == b->beta);
}

/* The shortest of "%.1g" .. "%.9g" that reads back as v (parse_param's rule), whatever the
 * C locale's decimal point: anything between the digits that is not a sign or exponent
 * becomes '.'. */
static void format_param(float v, char *out, size_t size)
{
    for (int digits = 1; digits <= 9; digits++) {
        char buf[48];
        snprintf(buf, sizeof buf, "%.*g", digits, (double)v);
        size_t n = 0;
        for (const char *p = buf; *p && n + 1 < size; p++) {
            const bool plain = (*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == 'e';
            if (plain)
                out[n++] = *p;
            else if (n && out[n - 1] != '.')
                out[n++] = '.';
        }
        out[n] = '\0';
        const char *p = out;
        float back;
        if (parse_param(&p, out + n, &back) && back == v)
            return;
    }
}

static void act_text(const rnnrt_activation *act, int count, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (int k = 0; k < count && n < size; k++) {
        const rnnrt_activation *a = &act[k];
        char alpha[48], beta[48];
        format_param(a->alpha, alpha, sizeof alpha);
        format_param(a->beta, beta, sizeof beta);
        const int params = act_functions[a->fn].params;
        int w = snprintf(out + n, size - n, "%s%s%s%s%s%s%s", k ? "," : "",
                         act_functions[a->fn].name, params ? "(" : "", params ? alpha : "",
                         params > 1 ? "," : "", params > 1 ? beta : "", params ? ")" : "");
        n += w > 0 ? (size_t)w : 0;
    }
}

rnnrt_status rnnrt_model_parse_functions(const rnnrt_st_file *f, rnnrt_model *m)
{
    const int units = m->layers * m->directions, count = rnnrt_cell_functions(m->cell);
    rnnrt_activation own[3];
    default_functions(m->cell, own);
    for (int u = 0; u < units; u++)
        memcpy(m->w[u].act, own, sizeof own);
    const char *v = rnnrt_st_metadata(f, "rnnrt.activation_functions");
    if (v) {
        int entries = 1;
        for (const char *p = v; *p; p++)
            entries += *p == ';';
        if (entries != 1 && entries != units)
            return rnnrt_fail(RNNRT_E_FORMAT,
                              ACT_KEY "='%.64s' has %d entries; expected one for the whole "
                              "stack or one per layer and direction (%d)", v, entries, units);
        const char *p = v;
        for (int k = 0; k < entries; k++) {
            const char *end = p + strcspn(p, ";");
            act_entry e = {.key_value = v};
            if (entries == 1)
                snprintf(e.label, sizeof e.label, "every layer");
            else if (m->directions == 1)
                snprintf(e.label, sizeof e.label, "layer %d", k);
            else
                snprintf(e.label, sizeof e.label, "layer %d %s", k / 2,
                         k % 2 ? "backward" : "forward");
            rnnrt_status s = parse_entry(m, &e, p, end, m->w[k].act);
            if (s)
                return s;
            p = *end ? end + 1 : end;
        }
        for (int u = 1; entries == 1 && u < units; u++)
            memcpy(m->w[u].act, m->w[0].act, sizeof m->w[0].act);
    }
    /* The cell's kernels where they compute it all; clamped before them where the tile holds
     * whole pre-activations; the general path otherwise (model.h). */
    const bool whole = m->cell == RNNRT_CELL_LSTM || m->cell == RNNRT_CELL_LSTM_COUPLED ||
                       rnnrt_cell_is_rnn(m->cell);
    for (int u = 0; u < units; u++) {
        rnnrt_layer_weights *w = &m->w[u];
        bool own_functions = true;
        for (int k = 0; k < count; k++)
            own_functions = own_functions && same_function(&w->act[k], &own[k]);
        w->gate_path = !own_functions       ? RNNRT_GATES_GENERAL
                       : m->clip <= 0.0f    ? RNNRT_GATES_KERNELS
                       : whole              ? RNNRT_GATES_CLAMP
                                            : RNNRT_GATES_GENERAL;
        act_text(w->act, count, w->act_text, sizeof w->act_text);
    }
    return RNNRT_OK;
}
