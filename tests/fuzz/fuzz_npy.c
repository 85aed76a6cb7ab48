/* libFuzzer target: the .npy reader of the command-line tool (tools/npy.c). Any bytes go
 * through npy_parse(); an accepted array must be self-consistent and convert (or refuse to
 * convert, with a message) to float32 and int32 without touching memory it does not own. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"

#define FUZZ_TARGET "fuzz_npy"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npy_array a;
    char err[256] = "";
    if (npy_parse(data, size, &a, err, sizeof err)) {
        FUZZ_CHECK(err[0] != '\0', "rejected without a message");
        return 0;
    }
    FUZZ_CHECK(a.kind == 'f' || a.kind == 'i' || a.kind == 'u', "kind '%c'", a.kind);
    FUZZ_CHECK(a.item_size == 1 || a.item_size == 2 || a.item_size == 4 || a.item_size == 8,
               "item size %d", a.item_size);
    FUZZ_CHECK(a.ndim >= 0 && a.ndim <= NPY_MAX_DIMS, "ndim %d", a.ndim);
    uint64_t count = 1;
    for (int k = 0; k < a.ndim; k++)
        count *= a.shape[k];
    FUZZ_CHECK(count == a.count, "count %llu, shape product %llu", (unsigned long long)a.count,
               (unsigned long long)count);
    FUZZ_CHECK(a.count * (uint64_t)a.item_size <= size, "more data than bytes given");
    float *f = NULL;
    int *i = NULL;
    err[0] = '\0';
    if (npy_to_f32(&a, &f, err, sizeof err))
        FUZZ_CHECK(err[0] != '\0', "float conversion refused without a message");
    err[0] = '\0';
    if (npy_to_i32(&a, &i, err, sizeof err))
        FUZZ_CHECK(err[0] != '\0', "int conversion refused without a message");
    free(f);
    free(i);
    npy_free(&a);
    return 0;
}
