"""python -m fastal.experiment: run protocols, write records, plots and a summary."""
import argparse
import os
import sys
import time

from fastal.experiment.protocols import PROTOCOLS
from fastal.experiment.report import markdown_table, plot_curves, summarize
from fastal.experiment.runner import run
from fastal.experiment.strategies import STRATEGIES


def main(argv=None):
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
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    protocols = sorted(PROTOCOLS) if args.protocol == "all" else [args.protocol]
    strategies = sorted(STRATEGIES) if args.strategies == "all" else \
        [s.strip() for s in args.strategies.split(",") if s.strip()]
    t0 = time.perf_counter()
    try:
        run(protocols, strategies, args.seeds, args.out, n_jobs=args.n_jobs, noise=args.noise,
            progress=not args.no_progress, rounds=args.rounds, batch=args.batch)
    except ValueError as exc:
        parser.error(str(exc))
    tables = []
    for protocol in protocols:
        png = plot_curves(args.out, protocol, strategies=strategies)
        tables.append(markdown_table(summarize(args.out, protocol), protocol))
        print(f"wrote {png}")
    text = "\n".join(tables)
    with open(os.path.join(args.out, "summary.md"), "w") as fh:
        fh.write(text)
    print(text)
    print(f"total wall time: {time.perf_counter() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
