"""Ranked batch and k-center over a grid of shapes, with fastal.benchmark's cases.

    python bench/bench_ranked.py [--quick] [--n 20000 50000 200000] [--L 100 1000]
                                 [--b 100 1000] [--d 16 64] [--dtype float32 float64]

For every shape, ``fastal.benchmark.run_case`` times the cases ``ranked_batch``
and ``kcenter`` (compiled backend) and their peer "NumPy incremental (GEMV per
pick)" (``fastal.benchmark.numpy_max_min``), interleaved, median of the
repeats (3 for n <= 50,000, else 1); then the picks of fastal's ranked batch
are compared with the NumPy algorithm's.  One shape of the grid is
``python -m fastal.benchmark --cases ranked_batch kcenter --n N+L --labeled L
--batch b --d d --dtype T``.  Columns: seconds, NumPy / fastal ranked
("speed-up"), fastal ranked / k-center ("vs k-center").
"""
import argparse
import itertools

from fastal.benchmark import NUMPY_INCREMENTAL, get_cases, make_inputs, numpy_max_min, run_case
from fastal.kernels import max_min_select


def _median(records, impl):
    (rec,) = [r for r in records if r["impl"] == impl]
    return rec["median"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20_000, 50_000, 200_000])
    parser.add_argument("--L", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--b", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--d", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    parser.add_argument("--quick", action="store_true", help="n = 20000 and 50000 only")
    args = parser.parse_args(argv)
    ns = [n for n in args.n if n <= 50_000] if args.quick else args.n
    ranked, kcenter = get_cases(["ranked_batch", "kcenter"])
    print(f"{'n':>7s} {'L':>5s} {'b':>5s} {'d':>3s} {'dtype':7s} {'ranked s':>9s} "
          f"{'k-center s':>10s} {'numpy s':>8s} {'speed-up':>8s} {'vs k-center':>11s} same picks")
    for n, L, b, d, dtype in itertools.product(ns, args.L, args.b, args.d, args.dtype):
        settings = (n + L, d, dtype, b, L, 0, None)
        repeats = 3 if n <= 50_000 else 1
        recs = run_case(ranked, settings, [None], repeats, peers=[NUMPY_INCREMENTAL],
                        twin=False, max_peer_seconds=float("inf"))
        t_ranked, t_numpy = _median(recs, "compiled"), _median(recs, NUMPY_INCREMENTAL)
        t_center = _median(run_case(kcenter, settings, [None], repeats, peers=False,
                                    twin=False), "compiled")
        inp = make_inputs(*settings)
        picks = max_min_select(inp["P"], inp["L"], b, scores=inp["u"])
        ref = numpy_max_min(inp["P"], inp["L"], b, inp["u"])
        same = "yes" if picks.tolist() == ref.tolist() else "differs*"
        print(f"{n:7d} {L:5d} {b:5d} {d:3d} {dtype:7s} {t_ranked:9.3f} {t_center:10.3f} "
              f"{t_numpy:8.3f} {t_numpy / t_ranked:8.2f} {t_ranked / t_center:11.2f} {same}",
              flush=True)
    print("* the NumPy algorithm's distances come from a norm expansion; picks can differ "
          "where two rows' scores are within its rounding")


if __name__ == "__main__":
    main()
