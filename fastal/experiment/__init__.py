"""Experiment runner: the classic active learning comparison, resumable, with plots.

Library use::

    from fastal.experiment import run, summarize, plot_curves, markdown_table
    run(["synthetic"], ["random", "margin"], seeds=5, out="results")
    print(markdown_table(summarize("results", "synthetic"), "synthetic"))
    plot_curves("results", "synthetic")

One's own data: ``run([Protocol.from_arrays(X, y, name="mine")], ...)`` or
``Protocol.from_file("pool.npz")``; on the command line ``--data FILE``.

Command line: ``python -m fastal.experiment --help``.
"""
from fastal.experiment.data import load_data
from fastal.experiment.models import MarginSVC, ModelSpec, SoftmaxDecisionAdapter, model_from_spec
from fastal.experiment.oracles import NoisyLabeler, noisy_labels
from fastal.experiment.protocols import PROTOCOLS, Protocol, get_protocol
from fastal.experiment.report import (answer, compare_to_random, comparison_table, load_curves,
                                      markdown_table, plot_curves, protocol_report, summarize)
from fastal.experiment.runner import (OutputInUseError, RecordWarning, read_records, run,
                                      run_task, saved_rounds)
from fastal.experiment.stopping import (StopAfterLabels, StopAfterRounds, StopOnBudget,
                                        StopOnPlateau, any_of, parse_stop)
from fastal.experiment.strategies import STRATEGIES, get_strategy, register_strategy

__all__ = ["run", "run_task", "read_records", "saved_rounds", "RecordWarning",
           "OutputInUseError", "summarize", "markdown_table", "plot_curves",
           "load_curves", "Protocol", "PROTOCOLS", "get_protocol", "STRATEGIES",
           "register_strategy", "get_strategy", "MarginSVC", "NoisyLabeler", "noisy_labels",
           "StopAfterLabels", "StopAfterRounds", "StopOnPlateau", "StopOnBudget", "any_of",
           "parse_stop", "load_data", "ModelSpec", "model_from_spec", "SoftmaxDecisionAdapter",
           "compare_to_random", "comparison_table", "answer", "protocol_report"]
