"""Learning curves and summary tables from the records of an output folder."""
import glob
import os

import numpy as np

from fastal.experiment.runner import is_finished, read_records, task_of_path

__all__ = ["load_curves", "summarize", "markdown_table", "plot_curves", "compare_to_random",
           "comparison_table", "answer", "paired_difference", "holm", "protocol_report"]

# a difference from random counts as more than noise when the Holm-adjusted
# Wilcoxon p-value is below this and the confidence interval excludes zero
SIGNIFICANCE = 0.05


_SUMMARY_LEGEND = """\
Columns:

- **strategy**: the query strategy (one table per protocol, best AULC first).
- **seeds**: finished seeds (every round recorded, or the rounds up to a stop) averaged in the row.
- **AULC**: area under the mean learning curve divided by its span of labels, that is
  the mean test accuracy over the curve (higher is better).
- **final acc**: mean test accuracy after the last round.
- **labels to 90 %**, **labels to 95 %**: labeled samples at which the mean accuracy first
  reaches 90 % / 95 % of the full-data accuracy; — when it never does.
- **labels used**: labeled samples at the end (initial ones included), mean over seeds, with
  the range when seeds stopped at different points; a seed that stopped early keeps its last
  accuracy for the rest of the curve.
- **query s / seed**: seconds spent choosing queries, summed over the rounds, mean over seeds.
- **fit s / seed**: seconds spent training the model, summed over the rounds, mean over seeds.
- **full-data accuracy**: the model trained on the whole pool with every label, mean over seeds.

Against random, paired by seed (seeds both finished):

- **Δ AULC**: mean over seeds of the strategy's AULC minus random's; **95 % CI**: Student's t
  interval of that mean.
- **Wilcoxon p**: two-sided signed-rank test of the per-seed differences (scipy); **Holm p**:
  the same adjusted for the number of strategies compared with random in the protocol.
- **wins**: seeds where the strategy's AULC is higher / equal / lower.
- **labels saved to 90 %**, **to 95 %**: random's labels to reach 90 % / 95 % of the full-data
  accuracy minus the strategy's (mean curves); — when either never reaches it.
- The sentence under each table names the strategy with the largest Δ AULC and says whether it
  beats random beyond noise: Holm p below 0.05 and a confidence interval above zero.
"""


def _protocols_in(out):
    """Names of the protocols that ``out`` holds records of."""
    folder = os.path.join(out, "records")
    if not os.path.isdir(folder):
        return []
    return sorted(name for name in os.listdir(folder)
                  if os.path.isdir(os.path.join(folder, name)))


def load_curves(out, protocol):
    """{strategy: dict(n_labeled, accuracy (seeds x points), labels_used, full_accuracy, ...)}.

    Only finished tasks are used: every round recorded, or rounds up to a
    stopping criterion.  Each file is read with ``read_records`` for the task
    its path names, so a file with a bad line is read up to that line, with a
    ``RecordWarning``, and its task counts as unfinished.

    ``n_labeled`` is one grid for the whole protocol: every label count any
    task recorded.  Each seed's accuracy is interpolated linearly onto it,
    and after the seed's last point (where it stopped) it keeps its last
    accuracy.  Without stopping criteria every task records the same label
    counts and nothing is interpolated.
    """
    tasks = {}
    pattern = os.path.join(out, "records", protocol, "*", "seed-*.jsonl")
    for path in sorted(glob.glob(pattern)):
        _, strategy, seed = task_of_path(path)
        records, _ = read_records(path, protocol, strategy, seed)
        if is_finished(records):
            tasks.setdefault(strategy, []).append(records)
    if not tasks:
        return {}
    grid = np.unique([r["n_labeled"] for runs in tasks.values() for records in runs
                      for r in records])
    curves = {}
    for strategy, runs in tasks.items():
        accuracy = []
        for records in runs:
            n = [r["n_labeled"] for r in records]
            acc = [r["accuracy"] for r in records]
            accuracy.append(np.interp(grid, n, acc))   # constant beyond the ends
        curves[strategy] = {
            "n_labeled": grid, "accuracy": np.array(accuracy),
            "labels_used": np.array([records[-1]["n_labeled"] for records in runs]),
            "stopped": [bool(records[-1].get("stopped")) for records in runs],
            "full_accuracy": [records[0]["full_accuracy"] for records in runs],
            "fit_seconds": [sum(r["fit_seconds"] for r in records) for records in runs],
            "query_seconds": [sum(r["query_seconds"] for r in records) for records in runs],
            "seeds": [records[0]["seed"] for records in runs]}
    return curves


def _aulc(n, accuracy):
    """Area under accuracy over labels divided by the span of labels (last axis)."""
    accuracy = np.asarray(accuracy)
    if n[-1] == n[0]:
        return accuracy[..., 0]
    widths = np.diff(n)
    return np.sum((accuracy[..., 1:] + accuracy[..., :-1]) / 2 * widths, axis=-1) / (n[-1] - n[0])


def _labels_to_reach(n_labeled, mean_acc, target):
    hit = np.flatnonzero(mean_acc >= target)
    return int(n_labeled[hit[0]]) if hit.size else None


def summarize(out, protocol):
    """One row per strategy: AULC, final accuracy, labels to 90/95 % of full-data accuracy, times.

    AULC is the area under the mean learning curve divided by the span of
    labels (the mean accuracy over the curve); full-data accuracy is the
    model trained on the whole pool, averaged over seeds.
    """
    rows = []
    for strategy, c in sorted(load_curves(out, protocol).items()):
        n, acc = c["n_labeled"], c["accuracy"]
        mean = acc.mean(axis=0)
        full = float(np.mean(c["full_accuracy"]))
        aulc = float(_aulc(n, mean))
        rows.append({
            "strategy": strategy, "seeds": len(c["seeds"]), "aulc": aulc,
            "labels_used": float(np.mean(c["labels_used"])),
            "labels_used_range": (int(np.min(c["labels_used"])), int(np.max(c["labels_used"]))),
            "final_accuracy": float(mean[-1]), "full_accuracy": full,
            "labels_90": _labels_to_reach(n, mean, 0.90 * full),
            "labels_95": _labels_to_reach(n, mean, 0.95 * full),
            "query_seconds": float(np.mean(c["query_seconds"])),
            "fit_seconds": float(np.mean(c["fit_seconds"])),
        })
    return rows


def _labels_used(row):
    low, high = row.get("labels_used_range", (None, None))
    if low is None:
        return "—"
    if low == high:
        return str(low)
    return f"{row['labels_used']:.0f} ({low}–{high})"


def markdown_table(rows, protocol):
    head = (f"| {protocol}: strategy | seeds | AULC | final acc | labels to 90 % | labels to 95 % "
            "| labels used | query s / seed | fit s / seed |\n"
            "|---|---|---|---|---|---|---|---|---|\n")
    body = ""
    for r in sorted(rows, key=lambda r: -r["aulc"]):
        fmt = lambda v: "—" if v is None else str(v)
        body += (f"| {r['strategy']} | {r['seeds']} | {r['aulc']:.3f} | {r['final_accuracy']:.3f} "
                 f"| {fmt(r['labels_90'])} | {fmt(r['labels_95'])} | {_labels_used(r)} "
                 f"| {r['query_seconds']:.2f} | {r['fit_seconds']:.2f} |\n")
    if rows:
        body += f"\nfull-data accuracy (whole pool labeled): {rows[0]['full_accuracy']:.3f}\n"
    return head + body


def paired_difference(differences, confidence=0.95):
    """Mean, Student's t confidence interval and two-sided Wilcoxon signed-rank p-value.

    Parameters
    ----------
    differences : array-like
        One paired difference per seed.
    confidence : float, default 0.95

    Returns
    -------
    dict
        ``mean``, ``ci_low``, ``ci_high`` (None with fewer than two values)
        and ``p`` (scipy's ``wilcoxon``; 1.0 when every difference is zero,
        None with fewer than two values).

    Examples
    --------
    >>> r = paired_difference([1, 2, 3, 4, 5])
    >>> round(r["mean"], 3), round(r["ci_low"], 3), round(r["ci_high"], 3), r["p"]
    (3.0, 1.037, 4.963, 0.0625)
    """
    from scipy import stats

    d = np.asarray(differences, dtype=np.float64)
    result = {"mean": float(d.mean()) if d.size else None, "ci_low": None, "ci_high": None,
              "p": None}
    if d.size < 2:
        return result
    sem = d.std(ddof=1) / np.sqrt(d.size)
    half = float(stats.t.ppf(0.5 + confidence / 2, d.size - 1) * sem)
    result["ci_low"], result["ci_high"] = result["mean"] - half, result["mean"] + half
    result["p"] = 1.0 if not np.any(d) else float(stats.wilcoxon(d).pvalue)
    return result


def holm(p_values):
    """Holm's step-down adjustment of p-values (None entries stay None).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, None])
    [0.03, 0.06, 0.06, None]
    """
    known = [(p, i) for i, p in enumerate(p_values) if p is not None]
    adjusted = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(known)):
        running = max(running, min(1.0, (len(known) - rank) * p))
        adjusted[i] = round(running, 12)
    return adjusted


def compare_to_random(out, protocol, baseline="random"):
    """One row per strategy: its AULC against ``baseline``'s, paired by seed.

    Each row holds ``strategy``, ``seeds`` (paired), ``mean`` (mean AULC
    difference), ``ci_low``/``ci_high`` (95 % Student's t interval), ``p``
    (Wilcoxon signed-rank), ``p_holm`` (Holm-adjusted over the rows),
    ``wins``/``ties``/``losses`` (seeds) and ``saved_90``/``saved_95``
    (baseline's labels to reach 90 / 95 % of the full-data accuracy minus the
    strategy's, on the mean curves; None when either never does).  Empty
    when ``out`` has no finished ``baseline`` task for the protocol.
    """
    curves = load_curves(out, protocol)
    if baseline not in curves:
        return []
    base = curves[baseline]
    base_aulc = dict(zip(base["seeds"], _aulc(base["n_labeled"], base["accuracy"])))
    full = float(np.mean(base["full_accuracy"]))
    base_mean = base["accuracy"].mean(axis=0)
    rows = []
    for strategy, c in sorted(curves.items()):
        if strategy == baseline:
            continue
        aulc = dict(zip(c["seeds"], _aulc(c["n_labeled"], c["accuracy"])))
        seeds = sorted(set(aulc) & set(base_aulc))
        d = np.array([aulc[s] - base_aulc[s] for s in seeds])
        row = {"strategy": strategy, "seeds": len(seeds), **paired_difference(d),
               "wins": int(np.sum(d > 0)), "ties": int(np.sum(d == 0)),
               "losses": int(np.sum(d < 0))}
        mean = c["accuracy"].mean(axis=0)
        for level in (90, 95):
            a = _labels_to_reach(c["n_labeled"], mean, level / 100 * full)
            b = _labels_to_reach(base["n_labeled"], base_mean, level / 100 * full)
            row[f"saved_{level}"] = None if a is None or b is None else b - a
        rows.append(row)
    for row, p in zip(rows, holm([r["p"] for r in rows])):
        row["p_holm"] = p
    return rows


def _signed(value, digits=3):
    return "—" if value is None else f"{value:+.{digits}f}"


def _p(value):
    if value is None:
        return "—"
    return f"{value:.2g}" if value >= 0.001 else f"{value:.1e}"


def comparison_table(rows, protocol, baseline="random"):
    """Markdown table of ``compare_to_random`` rows, largest Δ AULC first."""
    head = (f"| {protocol}: vs {baseline} | paired seeds | Δ AULC | 95 % CI | Wilcoxon p "
            "| Holm p | wins / ties / losses | labels saved to 90 % | labels saved to 95 % |\n"
            "|---|---|---|---|---|---|---|---|---|\n")
    body = ""
    for r in sorted(rows, key=lambda r: -(r["mean"] if r["mean"] is not None else -np.inf)):
        ci = "—" if r["ci_low"] is None else f"{_signed(r['ci_low'])} to {_signed(r['ci_high'])}"
        saved = lambda v: "—" if v is None else f"{v:+d}"
        body += (f"| {r['strategy']} | {r['seeds']} | {_signed(r['mean'])} | {ci} | {_p(r['p'])} "
                 f"| {_p(r['p_holm'])} | {r['wins']} / {r['ties']} / {r['losses']} "
                 f"| {saved(r['saved_90'])} | {saved(r['saved_95'])} |\n")
    return head + body


def answer(rows, protocol, baseline="random"):
    """One sentence: the best strategy against ``baseline`` and whether it beats it beyond noise.

    ``rows`` are ``compare_to_random``'s.  Beyond noise means a Holm-adjusted
    Wilcoxon p-value below 0.05 and a 95 % confidence interval of the AULC
    difference above zero.

    Examples
    --------
    >>> rows = [{"strategy": "margin", "seeds": 20, "mean": 0.012, "ci_low": 0.008,
    ...          "ci_high": 0.016, "p": 1e-5, "p_holm": 2e-5, "wins": 19, "ties": 0,
    ...          "losses": 1, "saved_90": 40, "saved_95": 60}]
    >>> print(answer(rows, "digits"))
    **digits: margin beats random beyond noise** at 20 seeds: AULC +0.012 (95 % CI +0.008 to +0.016), Holm-adjusted Wilcoxon p = 2.0e-05, higher on 19 of 20 seeds; it reaches 95 % of the full-data accuracy with 60 fewer labels.
    """
    usable = [r for r in rows if r["mean"] is not None and r["seeds"] >= 2]
    if not rows:
        return (f"**{protocol}:** no finished `{baseline}` results to compare with; run the "
                f"strategy `{baseline}` with the same seeds.")
    if not usable:
        return (f"**{protocol}:** too few seeds paired with `{baseline}` to say anything "
                "(at least 2 are needed; 20 give a useful answer).")
    best = max(usable, key=lambda r: r["mean"])
    n = best["seeds"]
    stats = (f"AULC {_signed(best['mean'])} (95 % CI {_signed(best['ci_low'])} to "
             f"{_signed(best['ci_high'])}), Holm-adjusted Wilcoxon p = {_p(best['p_holm'])}")
    if best["mean"] > 0 and best["p_holm"] is not None and best["p_holm"] < SIGNIFICANCE \
            and best["ci_low"] > 0:
        saved = best["saved_95"] if best["saved_95"] is not None else best["saved_90"]
        level = 95 if best["saved_95"] is not None else 90
        tail = ""
        if saved:
            tail = (f"; it reaches {level} % of the full-data accuracy with {abs(saved)} "
                    f"{'fewer' if saved > 0 else 'more'} labels")
        return (f"**{protocol}: {best['strategy']} beats {baseline} beyond noise** at {n} seeds: "
                f"{stats}, higher on {best['wins']} of {n} seeds{tail}.")
    if best["mean"] <= 0:
        return (f"**{protocol}: no strategy beats {baseline}** at {n} seeds; the best, "
                f"{best['strategy']}, has {stats}.")
    return (f"**{protocol}: not distinguishable from {baseline} at {n} seeds**; the best, "
            f"{best['strategy']}, has {stats}, higher on {best['wins']} of {n} seeds.")


_LINESTYLES = ("-", "--", ":", "-.")


def _line_styles(n, colors=None):
    """``n`` distinct (color, linestyle) pairs: the colour cycle with solid lines, then
    again dashed, dotted and dash-dotted, so that more curves than colours stay apart."""
    colors = list(colors or [f"C{i}" for i in range(10)])
    return [{"color": colors[i % len(colors)],
             "linestyle": _LINESTYLES[(i // len(colors)) % len(_LINESTYLES)]}
            for i in range(n)]


def _pyplot():
    """``matplotlib.pyplot`` with the file-only Agg backend (imported on first use)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_curves(out, protocol, path=None, strategies=None, title=None):
    """PNG of mean accuracy vs labels per strategy with the 10-90 % band over seeds."""
    plt = _pyplot()
    curves = load_curves(out, protocol)
    if strategies:
        curves = {s: c for s, c in curves.items() if s in strategies}
    if not curves:
        raise ValueError(f"no finished results for protocol {protocol!r} in {out}")
    path = path or os.path.join(out, f"{protocol}.png")
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    styles = _line_styles(len(curves), plt.rcParams["axes.prop_cycle"].by_key().get("color"))
    for (strategy, c), style in zip(sorted(curves.items()), styles):
        # the curve ends where the strategy's last seed stopped
        end = int(np.searchsorted(c["n_labeled"], np.max(c["labels_used"]), side="right"))
        n, acc = c["n_labeled"][:end], c["accuracy"][:, :end]
        ax.plot(n, acc.mean(axis=0), label=f"{strategy} ({acc.shape[0]} seeds)", lw=1.6, **style)
        lo, hi = np.quantile(acc, [0.1, 0.9], axis=0)
        ax.fill_between(n, lo, hi, color=style["color"], alpha=0.15, lw=0)
    ax.set_xlabel("labeled samples")
    ax.set_ylabel("test accuracy")
    ax.set_title(title or f"{protocol}: mean accuracy, 10-90 % band over seeds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right", ncol=1 if len(curves) <= 8 else 2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def protocol_report(out, protocol):
    """The summary of one protocol in markdown: the strategies' table, the comparison with
    random and the answer sentence; None when ``out`` has no finished results for it."""
    rows = summarize(out, protocol)
    if not rows:
        return None
    text = markdown_table(rows, protocol)
    compared = compare_to_random(out, protocol)
    if compared:
        text += "\n" + comparison_table(compared, protocol)
    return text + "\n" + answer(compared, protocol) + "\n"
