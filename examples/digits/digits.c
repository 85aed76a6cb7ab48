/* A sequence classifier: each 8x8 handwritten digit is fed row by row (8 steps of 8 pixels)
 * to an LSTM whose last step feeds a linear head; the largest of the 10 outputs is the digit.
 * Prints rnnrt's test-set accuracy next to PyTorch's (recorded by train_digits.py).
 *
 *   digits [digits.safetensors] [digits_test.bin]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rnnrt.h>

int main(int argc, char **argv)
{
    const char *model_path = argc > 1 ? argv[1] : "digits.safetensors";
    const char *test_path = argc > 2 ? argv[2] : "digits_test.bin";
    rnnrt_model *m;
    if (rnnrt_model_load(model_path, &m) != RNNRT_OK) {
        fprintf(stderr, "digits: %s\n", rnnrt_last_error());
        return 1;
    }
    FILE *f = fopen(test_path, "rb");
    int n = 0, torch_correct = 0;
    if (!f || fscanf(f, "rnnrt-digits v1 count=%d pytorch_correct=%d\n", &n, &torch_correct) != 2
        || n < 1 || n > 100000 || rnnrt_model_head_size(m) != 10 ||
        rnnrt_model_input_size(m) != 8) {
        fprintf(stderr, "digits: %s is not a digits test set for %s\n", test_path, model_path);
        return 1;
    }
    unsigned char (*rec)[66] = malloc((size_t)n * sizeof *rec);
    float *x = malloc((size_t)8 * n * 8 * sizeof *x), *scores = malloc((size_t)n * 10 * 4);
    if (!rec || !x || !scores || fread(rec, sizeof *rec, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "digits: cannot read %d digits from %s\n", n, test_path);
        return 1;
    }
    fclose(f);
    /* x [8 steps][n sequences][8 pixels]: step t is row t of every image */
    for (int b = 0; b < n; b++)
        for (int t = 0; t < 8; t++)
            for (int k = 0; k < 8; k++)
                x[((size_t)t * n + b) * 8 + k] = rec[b][2 + t * 8 + k] / 16.0f;
    if (rnnrt_forward_head(m, NULL, x, 8, n, NULL, 1, scores) != RNNRT_OK) {
        fprintf(stderr, "digits: %s\n", rnnrt_last_error());
        return 1;
    }
    int correct = 0, agree = 0;
    for (int b = 0; b < n; b++) {
        int best = 0;
        for (int d = 1; d < 10; d++)
            if (scores[b * 10 + d] > scores[b * 10 + best])
                best = d;
        correct += best == rec[b][0];
        agree += best == rec[b][1];
    }
    printf("test-set accuracy on %d digits: rnnrt %.2f%% (%d right), PyTorch %.2f%% (%d right); "
           "same prediction for %d of %d\n", n, 100.0 * correct / n, correct,
           100.0 * torch_correct / n, torch_correct, agree, n);
    free(rec);
    free(x);
    free(scores);
    rnnrt_model_free(m);
    return correct == torch_correct && agree == n ? 0 : 1;
}
