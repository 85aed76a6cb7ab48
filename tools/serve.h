/* `rnnrt serve` (tools/serve.c): the HTTP server over a batcher. */
#ifndef RNNRT_SERVE_H
#define RNNRT_SERVE_H

/* argv[1] is "serve"; returns the exit code. */
int rnnrt_cmd_serve(int argc, char **argv);

#endif
