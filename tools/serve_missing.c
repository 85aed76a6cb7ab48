/* `rnnrt serve` in a build without libmicrohttpd (tools/meson.build). */
#include <stdio.h>

#include "serve.h"

int rnnrt_cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rnnrt serve: this rnnrt was built without libmicrohttpd (Debian: "
            "libmicrohttpd-dev; tools/install_deps.sh installs it), so it has no server\n");
    return 1;
}
