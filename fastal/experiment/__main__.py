"""python -m fastal.experiment: run protocols, write records, plots and a summary.

Exit status: 0 when done, 1 when another run is using the output folder, 2
for invalid arguments, 130 when interrupted (Ctrl-C).
"""
import argparse
import contextlib
import os
import signal
import sys
import threading
import time

from fastal.experiment.data import FORMATS
from fastal.experiment.models import model_from_spec
from fastal.experiment.protocols import PROTOCOLS, Protocol
from fastal.experiment.report import _SUMMARY_LEGEND, _protocols_in, _pyplot, plot_curves, \
    protocol_report
from fastal.experiment.runner import (OutputInUseError, _round_counts, output_lock, run,
                                      saved_rounds)
from fastal.experiment.strategies import STRATEGIES


@contextlib.contextmanager
def _one_interrupt():
    """In a ``with`` block, the first Ctrl-C raises KeyboardInterrupt; later ones are ignored.

    A second Ctrl-C would otherwise land in joblib's clean-up or cut the
    message short.  Nothing changes outside the main thread (the only one
    that can set signal handlers) or where Ctrl-C is ignored already (a job
    started in the background).
    """
    previous = None
    if threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        previous = signal.signal(signal.SIGINT, _interrupt)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _interrupt(signum, frame):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m fastal.experiment",
        description="Compare active learning strategies on the built-in protocols or on "
                    "your own data (--data). Rerunning the same command resumes: finished "
                    "rounds are not recomputed.")
    parser.add_argument("--protocol", default="synthetic",
                        help=f"one of {sorted(PROTOCOLS)} or 'all' (default: synthetic; "
                             "ignored with --data)")
    parser.add_argument("--strategies", default="all",
                        help=f"comma-separated names from {sorted(STRATEGIES)}, "
                             "'package.module:factory', or 'all' (default)")
    parser.add_argument("--seeds", type=int, default=20, help="number of seeds (default 20)")
    parser.add_argument("--out", required=True, help="output folder (created; reused to resume)")
    parser.add_argument("--n-jobs", type=int, default=None, help="parallel tasks (default: CPUs)")
    parser.add_argument("--noise", type=float, default=0.0, help="oracle label flip rate")
    parser.add_argument("--rounds", type=int, default=None, help="override the protocol's rounds")
    parser.add_argument("--batch", type=int, default=None, help="override the protocol's batch size")
    parser.add_argument("--no-progress", action="store_true",
                        help="do not show the progress bar (finished tasks out of all)")
    data = parser.add_argument_group(
        "your data", "--data runs the comparison on a file instead of a built-in protocol")
    data.add_argument("--data", metavar="FILE",
                      help=".npz (arrays X, y; optional cost, X_test, y_test), .npy (X; "
                           "labels in the .npy named by --target), .csv (header row; label "
                           "column named by --target) or libsvm/svmlight text (kept sparse)")
    data.add_argument("--format", choices=sorted(set(FORMATS.values())),
                      help="the file's format when its ending does not say it")
    data.add_argument("--target", help="the CSV label column, or the labels' .npy file")
    data.add_argument("--cost-column", help="a CSV column with each row's labelling cost")
    data.add_argument("--name", help="the name results are stored under (default: the "
                                     "file's name)")
    data.add_argument("--test-size", type=float, default=0.25,
                      help="share of the rows split off as the test set, stratified by seed "
                           "(default 0.25; not used when the .npz holds X_test, y_test)")
    data.add_argument("--initial", type=int, default=None,
                      help="labels to start with, stratified by class (default 20 with "
                           "--data, else the protocol's)")
    data.add_argument("--initial-random", action="store_true",
                      help="draw the initial labels at random instead of stratified")
    model = parser.add_argument_group("model and stopping")
    model.add_argument("--model", metavar="MODULE:NAME",
                       help="a scikit-learn classifier or a factory returning one, e.g. "
                            "sklearn.linear_model:LogisticRegression (default: the protocol's "
                            "SVC)")
    model.add_argument("--model-params", metavar="JSON", default=None,
                       help='keyword arguments of --model as a JSON object, e.g. \'{"C": 0.5}\'')
    model.add_argument("--stop", action="append", metavar="CRITERION",
                       help="stop a task early; repeat for several (any stops it): labels=N "
                            "(a labels budget, the initial labels included; the rounds "
                            "default to those that spend it), plateau[=PATIENCE[:MIN_DELTA]] "
                            "(default 3:0.005), cost=BUDGET (each queried label costs one "
                            "unit, or its row's cost), rounds=N")
    return parser


def _data_protocol(args):
    """The Protocol of --data and its options."""
    if args.initial_random and not args.data:
        raise ValueError("--initial-random needs --data")
    options = dict(test_size=args.test_size,
                   initial_sampling="random" if args.initial_random else "stratified",
                   rounds=args.rounds or 20, batch=args.batch or 10,
                   initial=args.initial if args.initial is not None else 20)
    return Protocol.from_file(args.data, target=args.target, fmt=args.format,
                              cost_column=args.cost_column, name=args.name, **options)


def _write_report(out, protocols, strategies):
    """A learning-curve PNG per protocol run and ``out/summary.md`` (also printed).

    The summary has a table for every protocol with finished results in
    ``out``, those of earlier runs into the same folder included, then the
    legend of the columns.
    """
    for protocol in protocols:
        png = plot_curves(out, protocol, strategies=strategies)
        print(f"wrote {png}")
    tables = []
    for protocol in sorted(set(protocols) | set(_protocols_in(out))):
        report = protocol_report(out, protocol)
        if report:
            tables.append(report)
    text = "\n".join(tables) + "\n" + _SUMMARY_LEGEND
    with open(os.path.join(out, "summary.md"), "w") as fh:
        fh.write(text)
    print(text)


def _run(parser, args, tasks, options):
    """Run the tasks and write the report while holding the output folder's lock."""
    try:
        saved, planned = _round_counts(*tasks, **options)   # checks the arguments; writes nothing
        with output_lock(args.out):
            _pyplot()     # now, so that a Ctrl-C cannot land in the import of its C modules
            if saved:
                print(f"resuming: {saved} of {planned} rounds found in {args.out}",
                      file=sys.stderr)
            built = run(*tasks, n_jobs=args.n_jobs, progress=not args.no_progress, **options)
            _write_report(args.out, [p.name for p in built], tasks[1])
    except OutputInUseError as exc:
        parser.exit(1, f"{parser.prog}: error: {exc}\n")
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    strategies = sorted(STRATEGIES) if args.strategies == "all" else \
        [s.strip() for s in args.strategies.split(",") if s.strip()]
    try:
        model = None if args.model is None else model_from_spec(args.model, args.model_params)
        if args.model is None and args.model_params is not None:
            raise ValueError("--model-params needs --model")
        if args.data:
            protocols = [_data_protocol(args)]
            # rounds not given: the protocol's 20, or as many as a labels budget needs
            options = dict(noise=args.noise, rounds=args.rounds, stop=args.stop, model=model)
        else:
            if args.initial_random or args.target or args.cost_column or args.format:
                raise ValueError("--initial-random, --target, --cost-column and --format "
                                 "need --data")
            protocols = sorted(PROTOCOLS) if args.protocol == "all" else [args.protocol]
            options = dict(noise=args.noise, rounds=args.rounds, batch=args.batch,
                           initial=args.initial, stop=args.stop, model=model)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    tasks = (protocols, strategies, args.seeds, args.out)
    t0 = time.perf_counter()
    with _one_interrupt():
        try:
            _run(parser, args, tasks, options)
        except KeyboardInterrupt:
            saved = saved_rounds(*tasks, **options)
            parser.exit(130, f"interrupted; {saved} rounds saved — "
                             "rerun the same command to resume\n")
    print(f"total wall time: {time.perf_counter() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    finally:
        # everything is saved or reported: a Ctrl-C while the interpreter and
        # joblib's worker processes shut down would only add a traceback
        signal.signal(signal.SIGINT, signal.SIG_IGN)
