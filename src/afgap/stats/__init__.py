"""afgap's statistics: pure functions over counts, no I/O, randomness only through an explicit rng.

    rates.py              Wilson intervals (plain and Rao-Scott design-effect adjusted)
    paired.py             one sample per query: Tango and Newcombe intervals, exact McNemar
    cluster.py            k > 1 samples per query: clustered score interval, exact sign-flip test, bootstrap
    gap.py                picks the paired or clustered methods for one model
    decide.py             Holm / Benjamini-Hochberg, verdicts, ranking, detectable gap
    simultaneous.py       intervals that agree with the adjusted verdict (Bonferroni, false coverage rate)
    power.py              `plan` and `minimum_detectable_gap` for study design
    latent.py             the latent-threshold model behind planning and the coverage benchmark
    misclassification.py  gaps corrected for a classifier's measured sensitivity and specificity
    pooled.py             one gap pooled over several scenarios (fixed strata, query clusters)
    contrasts.py          designs beyond two framings: each condition vs the reference, adjusted together
    trend.py              a trend across ordered levels: per-query slopes, sign-flip test over queries
    sequential.py         an anytime-valid interval for stopping a collect once its verdict is settled
    motivation.py         which motivation a probe design's pattern of gaps points to
    classifier.py         a scoring classifier on a labelled set: metrics, AUROC with a CI, Youden's J
    tabulate.py           observations to per-query counts
    types.py              the frozen records in and out
    analysis.py           `analyse`: the entry point `compare` uses

docs/methodology.md explains each choice; benchmarks/stats_coverage.py validates them.
"""
