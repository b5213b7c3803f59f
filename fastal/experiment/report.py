"""Learning curves and summary tables from the records of an output folder."""
import glob
import os

import numpy as np

from fastal.experiment.runner import read_records, task_of_path

__all__ = ["load_curves", "summarize", "markdown_table", "plot_curves"]


_SUMMARY_LEGEND = """\
Columns:

- **strategy**: the query strategy (one table per protocol, best AULC first).
- **seeds**: finished seeds (every round recorded) averaged in the row.
- **AULC**: area under the mean learning curve divided by its span of labels, that is
  the mean test accuracy over the curve (higher is better).
- **final acc**: mean test accuracy after the last round.
- **labels to 90 %**, **labels to 95 %**: labeled samples at which the mean accuracy first
  reaches 90 % / 95 % of the full-data accuracy; — when it never does.
- **query s / seed**: seconds spent choosing queries, summed over the rounds, mean over seeds.
- **fit s / seed**: seconds spent training the model, summed over the rounds, mean over seeds.
- **full-data accuracy**: the model trained on the whole pool with every label, mean over seeds.
"""


def _protocols_in(out):
    """Names of the protocols that ``out`` holds records of."""
    folder = os.path.join(out, "records")
    if not os.path.isdir(folder):
        return []
    return sorted(name for name in os.listdir(folder)
                  if os.path.isdir(os.path.join(folder, name)))


def load_curves(out, protocol):
    """{strategy: dict(n_labeled, accuracy (seeds x rounds), full_accuracy, fit, query)}.

    Only finished tasks (every round recorded) are used.  Each file is read
    with ``read_records`` for the task its path names, so a file with a bad
    line is read up to that line, with a ``RecordWarning``, and its task
    counts as unfinished.
    """
    curves = {}
    pattern = os.path.join(out, "records", protocol, "*", "seed-*.jsonl")
    for path in sorted(glob.glob(pattern)):
        _, strategy, seed = task_of_path(path)
        records, _ = read_records(path, protocol, strategy, seed)
        if not records or len(records) != records[0]["config"]["rounds"] + 1:
            continue
        c = curves.setdefault(strategy, {"n_labeled": None, "accuracy": [], "full_accuracy": [],
                                         "fit_seconds": [], "query_seconds": [], "seeds": []})
        c["n_labeled"] = np.array([r["n_labeled"] for r in records])
        c["accuracy"].append([r["accuracy"] for r in records])
        c["full_accuracy"].append(records[0]["full_accuracy"])
        c["fit_seconds"].append(sum(r["fit_seconds"] for r in records))
        c["query_seconds"].append(sum(r["query_seconds"] for r in records))
        c["seeds"].append(records[0]["seed"])
    for c in curves.values():
        c["accuracy"] = np.array(c["accuracy"])
    return curves


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
        aulc = float(np.sum((mean[1:] + mean[:-1]) / 2 * np.diff(n)) / (n[-1] - n[0]))
        rows.append({
            "strategy": strategy, "seeds": len(c["seeds"]), "aulc": aulc,
            "final_accuracy": float(mean[-1]), "full_accuracy": full,
            "labels_90": _labels_to_reach(n, mean, 0.90 * full),
            "labels_95": _labels_to_reach(n, mean, 0.95 * full),
            "query_seconds": float(np.mean(c["query_seconds"])),
            "fit_seconds": float(np.mean(c["fit_seconds"])),
        })
    return rows


def markdown_table(rows, protocol):
    head = (f"| {protocol}: strategy | seeds | AULC | final acc | labels to 90 % | labels to 95 % "
            "| query s / seed | fit s / seed |\n|---|---|---|---|---|---|---|---|\n")
    body = ""
    for r in sorted(rows, key=lambda r: -r["aulc"]):
        fmt = lambda v: "—" if v is None else str(v)
        body += (f"| {r['strategy']} | {r['seeds']} | {r['aulc']:.3f} | {r['final_accuracy']:.3f} "
                 f"| {fmt(r['labels_90'])} | {fmt(r['labels_95'])} | {r['query_seconds']:.2f} "
                 f"| {r['fit_seconds']:.2f} |\n")
    if rows:
        body += f"\nfull-data accuracy (whole pool labeled): {rows[0]['full_accuracy']:.3f}\n"
    return head + body


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
        n, acc = c["n_labeled"], c["accuracy"]
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
