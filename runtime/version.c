#include "rnnrt.h"

#define STR2(x) #x
#define STR(x) STR2(x)

const char *rnnrt_version(void)
{
    return STR(RNNRT_VERSION_MAJOR) "." STR(RNNRT_VERSION_MINOR) "." STR(RNNRT_VERSION_PATCH);
}
