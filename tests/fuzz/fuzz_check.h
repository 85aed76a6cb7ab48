/* The contract check of every fuzz target: on failure it names the target, the condition
 * and the line, then aborts, so that libFuzzer keeps the input (and tools/fuzz.sh's summary
 * finds "<target>: contract broken"). Define FUZZ_TARGET ("fuzz_load", ...) before
 * including this. */
#ifndef RNNRT_FUZZ_CHECK_H
#define RNNRT_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)                                                              \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, FUZZ_TARGET ": contract broken: %s (%s:%d): ", #cond,          \
                    __FILE__, __LINE__);                                                   \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, "\n");                                                         \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#endif
