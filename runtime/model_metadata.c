/* The metadata keys that change how a loaded stack runs rather than what it holds:
 * rnnrt.direction (layers that run backward in time) and rnnrt.clip (gate clipping).
 * docs/model-format.md, "Metadata", gives their values and meaning. */
#include <float.h>
#include <math.h>
#include <stdint.h>
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

rnnrt_status rnnrt_model_parse_run_keys(const rnnrt_st_file *f, rnnrt_model *m)
{
    rnnrt_status s = parse_direction(f, m);
    return s ? s : parse_clip(f, m);
}
