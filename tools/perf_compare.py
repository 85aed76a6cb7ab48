#!/usr/bin/python3
"""Compares two Google Benchmark JSON files run by run: the change in median time and a
two-sided Mann-Whitney U test on the repetitions (at least 9 on each side), so a change is
reported only when it is both large and unlikely to be noise.

  tools/perf_compare.py BASE.json NEW.json [--threshold 0.05] [--alpha 0.01] [--filter RE]

A run is a REGRESSION when its median time grew by more than --threshold (a fraction) and
the U test gives p < --alpha; an IMPROVEMENT likewise the other way. Exit status: 0 when no
run regressed, 1 when at least one did, 2 on bad input. Runs with fewer repetitions than
--min-reps on either side are listed but not judged. Write the JSON with
--benchmark_repetitions=9 (the binaries' default) or more; tools/bench_torch.py writes the
same schema.

The U test is exact (the distribution of U counted by recurrence) when neither sample has
ties and both have at most 30 values, else the normal approximation with tie and continuity
corrections. --self-test checks both against scipy.stats.mannwhitneyu when it is installed.
"""
import argparse
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def _ranks(values):
    """Average ranks (1-based) of values, ties sharing their mean rank; plus the tie sizes."""
    order = sorted(range(len(values)), key=lambda k: values[k])
    ranks = [0.0] * len(values)
    ties = []
    k = 0
    while k < len(order):
        j = k
        while j + 1 < len(order) and values[order[j + 1]] == values[order[k]]:
            j += 1
        for m in range(k, j + 1):
            ranks[order[m]] = (k + j) / 2.0 + 1
        if j > k:
            ties.append(j - k + 1)
        k = j + 1
    return ranks, ties


def _exact_cdf_counts(n1, n2):
    """counts[u] = number of arrangements of n1 x's and n2 y's with U = u (U of the x's)."""
    # f[i][j] is the count array for i x's and j y's; f(i,j,u) = f(i-1,j,u-j) + f(i,j-1,u).
    prev_row = [[1]] + [None] * n2  # i = 0: U is 0 for every j
    for j in range(1, n2 + 1):
        prev_row[j] = [1]
    for i in range(1, n1 + 1):
        row = [[1]]  # j = 0: one arrangement, U = 0
        for j in range(1, n2 + 1):
            size = i * j + 1
            c = [0] * size
            a = prev_row[j]          # f(i-1, j): shift by j
            for u, v in enumerate(a):
                c[u + j] += v
            b = row[j - 1]           # f(i, j-1)
            for u, v in enumerate(b):
                c[u] += v
            row.append(c)
        prev_row = row
    return prev_row[n2]


def mann_whitney_u(x, y):
    """Two-sided Mann-Whitney U test: returns (U of x, p-value, 'exact' | 'normal')."""
    n1, n2 = len(x), len(y)
    ranks, ties = _ranks(list(x) + list(y))
    r1 = sum(ranks[:n1])
    u1 = r1 - n1 * (n1 + 1) / 2.0
    u2 = n1 * n2 - u1
    if not ties and n1 <= 30 and n2 <= 30:
        counts = _exact_cdf_counts(n1, n2)
        total = float(sum(counts))
        u = int(round(min(u1, u2)))
        p = 2.0 * sum(counts[: u + 1]) / total
        return u1, min(1.0, p), "exact"
    n = n1 + n2
    mu = n1 * n2 / 2.0
    tie_term = sum(t ** 3 - t for t in ties) / float(n * (n - 1)) if n > 1 else 0.0
    sigma = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - tie_term))
    if sigma == 0:
        return u1, 1.0, "normal"
    z = (abs(u1 - mu) - 0.5) / sigma
    p = math.erfc(max(z, 0.0) / math.sqrt(2.0))
    return u1, min(1.0, p), "normal"


def self_test():
    import random
    try:
        from scipy.stats import mannwhitneyu
    except ImportError:
        print("self-test: scipy is not installed (Debian: python3-scipy); checking known values")
        mannwhitneyu = None
    rng = random.Random(5)
    worst = 0.0
    for trial in range(300):
        n1, n2 = rng.randint(3, 15), rng.randint(3, 15)
        shift = rng.choice([0.0, 0.3, 1.0])
        tied = trial % 3 == 0
        x = [rng.gauss(0, 1) for _ in range(n1)]
        y = [rng.gauss(shift, 1) for _ in range(n2)]
        if tied:
            x = [round(v, 0) for v in x]
            y = [round(v, 0) for v in y]
        u, p, how = mann_whitney_u(x, y)
        if mannwhitneyu:
            method = "exact" if how == "exact" else "asymptotic"
            ref = mannwhitneyu(x, y, alternative="two-sided", method=method,
                               use_continuity=True)
            worst = max(worst, abs(ref.pvalue - p))
            assert abs(ref.statistic - u) < 1e-9, (x, y, u, ref)
            assert abs(ref.pvalue - p) < 1e-9, (x, y, p, ref, how)
    # 9 against 9 with no overlap: the smallest p an exact two-sided test can give.
    _, p, how = mann_whitney_u(list(range(9)), list(range(100, 109)))
    assert how == "exact" and abs(p - 2.0 / 48620) < 1e-15, p
    print("self-test passed%s" % (" (largest p difference from scipy %.1e)" % worst
                                  if mannwhitneyu else ""))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", nargs="?")
    ap.add_argument("new", nargs="?")
    ap.add_argument("--threshold", type=float, default=0.05,
                    help="smallest change of the median that counts (fraction, default 0.05)")
    ap.add_argument("--alpha", type=float, default=0.01,
                    help="significance level of the U test (default 0.01)")
    ap.add_argument("--min-reps", type=int, default=9)
    ap.add_argument("--filter", default=None, help="regular expression on run names")
    ap.add_argument("--all", action="store_true", help="list unchanged runs too")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if not a.base or not a.new:
        ap.error("BASE.json and NEW.json are required")
    try:
        _, base = benchlib.load(a.base)
        _, new = benchlib.load(a.new)
    except (OSError, ValueError, KeyError) as e:
        print("perf_compare: cannot read the input: %s" % e, file=sys.stderr)
        return 2
    flt = re.compile(a.filter) if a.filter else None
    names = [n for n in base if n in new and (not flt or flt.search(n))]
    only_base = [n for n in base if n not in new and (not flt or flt.search(n))]
    if not names:
        print("perf_compare: no run is in both files", file=sys.stderr)
        return 2

    rows, regressions, improvements, few = [], [], [], []
    for n in names:
        b, w = base[n]["times"], new[n]["times"]
        if not b or not w:
            continue
        mb, mn = benchlib.median(b), benchlib.median(w)
        change = mn / mb - 1.0
        if len(b) < a.min_reps or len(w) < a.min_reps:
            few.append(n)
            rows.append((n, mb, mn, change, float("nan"),
                         "too few reps (%d/%d)" % (len(b), len(w))))
            continue
        _, p, _ = mann_whitney_u(b, w)
        if p < a.alpha and change > a.threshold:
            verdict = "REGRESSION"
            regressions.append(n)
        elif p < a.alpha and change < -a.threshold:
            verdict = "improvement"
            improvements.append(n)
        elif p < a.alpha:
            verdict = "small change"
        else:
            verdict = "same"
        rows.append((n, mb, mn, change, p, verdict))

    rows.sort(key=lambda r: -r[3])
    width = max(len(r[0]) for r in rows)
    print("%-*s  %12s  %12s  %8s  %9s  %s" % (width, "benchmark (median time per iteration)",
                                               "base", "new", "change", "U test p", "verdict"))

    def fmt_t(s):
        for unit, f in (("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
            if s >= f:
                return "%.4g %s" % (s / f, unit)
        return "%.3g ns" % (s * 1e9)

    shown = 0
    for n, mb, mn, change, p, verdict in rows:
        if not a.all and verdict in ("same", "small change"):
            continue
        shown += 1
        print("%-*s  %12s  %12s  %+7.1f%%  %9s  %s" % (
            width, n, fmt_t(mb), fmt_t(mn), 100 * change,
            "-" if math.isnan(p) else "%.2g" % p, verdict))
    if not shown:
        print("(no run changed beyond %.0f%% at p < %g; --all lists them)" % (
            100 * a.threshold, a.alpha))
    print()
    print("%d runs compared: %d regressions, %d improvements, %d unchanged or below the "
          "threshold, %d with fewer than %d repetitions (not judged)%s" % (
              len(rows), len(regressions), len(improvements),
              len(rows) - len(regressions) - len(improvements) - len(few), len(few),
              a.min_reps, "; %d only in BASE" % len(only_base) if only_base else ""))
    print("criteria: median time change beyond %.0f%% and two-sided Mann-Whitney U p < %g" % (
        100 * a.threshold, a.alpha))
    if regressions:
        print("FAIL: %d significant regression%s" % (len(regressions),
                                                     "s" if len(regressions) > 1 else ""))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
