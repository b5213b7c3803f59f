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

from fastal.experiment.protocols import PROTOCOLS
from fastal.experiment.report import (_SUMMARY_LEGEND, _protocols_in, _pyplot, markdown_table,
                                      plot_curves, summarize)
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
        description="Compare active learning strategies on the built-in protocols. "
                    "Rerunning the same command resumes: finished rounds are not recomputed.")
    parser.add_argument("--protocol", default="synthetic",
                        help=f"one of {sorted(PROTOCOLS)} or 'all' (default: synthetic)")
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
    return parser


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
        rows = summarize(out, protocol)
        if rows:
            tables.append(markdown_table(rows, protocol))
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
            run(*tasks, n_jobs=args.n_jobs, progress=not args.no_progress, **options)
            _write_report(args.out, tasks[0], tasks[1])
    except OutputInUseError as exc:
        parser.exit(1, f"{parser.prog}: error: {exc}\n")
    except ValueError as exc:
        parser.error(str(exc))


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    protocols = sorted(PROTOCOLS) if args.protocol == "all" else [args.protocol]
    strategies = sorted(STRATEGIES) if args.strategies == "all" else \
        [s.strip() for s in args.strategies.split(",") if s.strip()]
    tasks = (protocols, strategies, args.seeds, args.out)
    options = dict(noise=args.noise, rounds=args.rounds, batch=args.batch)
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
