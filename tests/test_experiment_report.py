"""Experiment report: resume message, summary legend, summaries kept across runs, plot styles."""
import os

import pytest

from fastal.experiment import plot_curves, register_strategy, run
from fastal.experiment import __main__ as cli
from fastal.experiment.report import _line_styles
from fastal.experiment.strategies import STRATEGIES

TINY = ["--seeds", "1", "--rounds", "1", "--batch", "5", "--n-jobs", "1", "--no-progress"]


def main(capsys, *args):
    cli.main(list(args) + TINY)
    return capsys.readouterr()


def test_rerun_says_how_many_rounds_it_found(tmp_path, capsys):
    out = str(tmp_path)
    first = main(capsys, "--protocol", "synthetic", "--strategies", "random", "--out", out)
    assert "resuming" not in first.err
    second = main(capsys, "--protocol", "synthetic", "--strategies", "random,margin",
                  "--out", out)
    # random's task is finished (rounds 0 and 1), margin's has not started
    assert f"resuming: 2 of 4 rounds found in {out}\n" in second.err


def test_summary_has_a_legend_and_keeps_other_protocols(tmp_path, capsys):
    out = str(tmp_path)
    main(capsys, "--protocol", "all", "--strategies", "random", "--out", out)
    with open(os.path.join(out, "summary.md")) as fh:
        both = fh.read()
    assert "| digits: strategy |" in both and "| synthetic: strategy |" in both
    # a rerun with one protocol adds to the summary instead of dropping the other
    printed = main(capsys, "--protocol", "synthetic", "--strategies", "random,margin",
                   "--out", out).out
    with open(os.path.join(out, "summary.md")) as fh:
        summary = fh.read()
    assert "| digits: strategy |" in summary and "| synthetic: strategy |" in summary
    assert summary.index("| digits: strategy |") < summary.index("| synthetic: strategy |")
    synthetic = summary[summary.index("| synthetic: strategy |"):]
    assert "| margin |" in synthetic and "| random |" in synthetic
    assert summary in printed
    legend = summary[summary.index("Columns:"):]
    for column in ("**strategy**", "**seeds**", "**AULC**", "**final acc**",
                   "**labels to 90 %**", "**labels to 95 %**", "**query s / seed**",
                   "**fit s / seed**", "**full-data accuracy**"):
        assert column in legend
    header = summary.splitlines()[0]
    for column in ("seeds", "AULC", "final acc", "labels to 90 %", "labels to 95 %",
                   "query s / seed", "fit s / seed"):
        assert f"| {column} |" in header


def test_line_styles_stay_distinct_beyond_the_colour_cycle():
    styles = _line_styles(25)
    pairs = {(s["color"], s["linestyle"]) for s in styles}
    assert len(pairs) == 25
    assert {s["linestyle"] for s in styles[:10]} == {"-"}      # ten or fewer: solid lines
    assert styles[10]["linestyle"] != "-"


@pytest.fixture
def twelve_strategies():
    names = [f"random_{i:02d}" for i in range(12)]
    for name in names:
        register_strategy(name, STRATEGIES["random"])
    try:
        yield names
    finally:
        for name in names:
            STRATEGIES.pop(name)


def test_plot_of_twelve_strategies_has_twelve_distinct_lines(tmp_path, monkeypatch,
                                                             twelve_strategies):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = str(tmp_path)
    run(["synthetic"], twelve_strategies, [0], out, rounds=1, batch=5, progress=False, n_jobs=1)
    figures = []
    monkeypatch.setattr(plt, "close", figures.append)      # keep the figure to look at it
    plot_curves(out, "synthetic")
    (fig,) = figures
    lines = fig.axes[0].get_lines()
    assert len(lines) == 12
    looks = {(matplotlib.colors.to_hex(line.get_color()), line.get_linestyle())
             for line in lines}
    assert len(looks) == 12
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels == [f"{name} (1 seeds)" for name in twelve_strategies]
    monkeypatch.undo()
    plt.close(fig)
