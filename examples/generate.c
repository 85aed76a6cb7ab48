/* Streaming text generation with a character model: the code to copy.
 *
 *   generate MODEL [PROMPT] [LENGTH] [SEED]
 *
 * The prompt goes through the model in one call; then each step samples a character from the
 * last logits, prints it at once and feeds it back, the recurrent state carried in between. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rnnrt.h>

static int fail(const char *what)
{
    fprintf(stderr, "generate: %s: %s\n", what, rnnrt_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: generate MODEL [PROMPT] [LENGTH] [SEED]\n");
        return 2;
    }
    const char *prompt = argc > 2 ? argv[2] : "The ";
    int length = argc > 3 ? atoi(argv[3]) : 200;
    unsigned long long seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;

    rnnrt_model *m;
    if (rnnrt_model_load(argv[1], &m) != RNNRT_OK)
        return fail(argv[1]);
    int vocab = rnnrt_model_num_chars(m);
    if (vocab == 0 || rnnrt_model_head_size(m) != vocab) {
        fprintf(stderr, "generate: %s is not a character model\n", argv[1]);
        return 1;
    }
    int *ids = malloc((strlen(prompt) + 1) * sizeof *ids), n;
    float *logits = malloc((size_t)vocab * sizeof *logits);
    if (rnnrt_model_encode(m, prompt, ids, (int)strlen(prompt), &n) != RNNRT_OK)
        return fail("prompt");
    if (n == 0) {
        fprintf(stderr, "generate: the prompt is empty\n");
        return 1;
    }

    rnnrt_state *state; /* batch 1, zeros */
    rnnrt_rng rng;
    rnnrt_rng_seed(&rng, seed);
    if (rnnrt_state_create(m, 1, &state) != RNNRT_OK ||
        rnnrt_forward_tokens(m, state, ids, n, 1, NULL, 1, logits) != RNNRT_OK)
        return fail("prompt");
    fputs(prompt, stdout);
    for (int k = 0; k < length; k++) {
        int id;
        if (rnnrt_sample(logits, vocab, 0.8f, 0, &rng, &id) != RNNRT_OK)
            return fail("sample");
        fputs(rnnrt_model_token(m, id), stdout);
        fflush(stdout);
        if (rnnrt_forward_tokens(m, state, &id, 1, 1, NULL, 1, logits) != RNNRT_OK)
            return fail("forward");
    }
    putchar('\n');
    rnnrt_state_free(state);
    rnnrt_model_free(m);
    free(ids);
    free(logits);
    return 0;
}
