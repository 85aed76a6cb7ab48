/* `rnnrt quantize`: a model file rewritten with bf16 or int8 matrices (tools/quantize.c). */
#ifndef RNNRT_TOOLS_QUANTIZE_H
#define RNNRT_TOOLS_QUANTIZE_H

/* argv[1] is "quantize"; returns the process exit status (2 for a usage error). */
int rnnrt_cmd_quantize(int argc, char **argv);

#endif
