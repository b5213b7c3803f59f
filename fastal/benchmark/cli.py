"""``python -m fastal.benchmark``: fastal's kernels and strategies on the compiled
backend, the NumPy twin and the installed peers, on one machine in one process.

    python -m fastal.benchmark [--n 20000] [--d 50] [--dtype float32] [--batch 100]
        [--labeled 100] [--pool normal|embedding|mixture|tfidf] [--data rows.npy]
        [--cases NAME ...] [--repeats 3] [--threads 1 2 4] [--json out.json]
        [--density-samples 10000] [--max-peer-seconds 30] [--max-peer-gb 8]
    python -m fastal.benchmark compare before.json after.json
    python -m fastal.benchmark list
    python -m fastal.benchmark dask [...]      (fastal.dask on a cluster; --help)
    python -m fastal.benchmark parity [...]    (libact's queries against fastal's; --help)
"""
import argparse
import importlib
import json
import os
import statistics
import sys
import time

import numpy as np
import scipy.sparse as sp

import fastal
from fastal.benchmark._measure import copy_bandwidth, gemm_rate, machine_info, measure
from fastal.benchmark.cases import DENSITY_SAMPLES, case_names, get_cases
from fastal.benchmark.pools import POOLS, TFIDF_COLUMNS, make_pool
from fastal.kernels import SAMPLINGS

FORMAT = "fastal-benchmark/1"
TRIAL_N = 1000
DEFAULT_N = 20000
# a call shorter than SHORT_CALL_S is timed in loops of at least LOOP_S, as timeit does
SHORT_CALL_S = 0.05
LOOP_S = 0.2
MAX_LOOPS = 1000
# sleep before every timed call: OpenBLAS workers spin for about 2**28 cycles
# (0.1 s at 3 GHz) after a call, and a kernel timed within that time after a
# NumPy matrix product shares the cores with them (measured: a 0.040 s ranked
# batch took 0.055 s 0.03 s after NumPy, 0.040 s after 0.1 s)
SETTLE_S = 0.15


def _default_max_gb():
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
        return round(max(1.0, total / 2), 1)
    except (ValueError, OSError, AttributeError):
        return 8.0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m fastal.benchmark",
        description="Time fastal's kernels and strategies on the compiled backend, the NumPy "
                    "twin and the installed peers (modAL, scikit-learn, alipy, scikit-activeml, "
                    "cardinal, libact), on the same data in one process.",
        epilog="Other commands: 'python -m fastal.benchmark compare A.json B.json' prints the "
               "ratio of two --json records; 'python -m fastal.benchmark list' lists the cases; "
               "'python -m fastal.benchmark dask --help' times fastal.dask on a cluster; "
               "'python -m fastal.benchmark parity --help' runs libact and fastal side by side.")
    parser.add_argument("--n", type=int, default=None,
                        help=f"rows (default {DEFAULT_N}, or the case's own size for the "
                             "strategies whose work grows faster; with --data: the file's first "
                             "N rows)")
    parser.add_argument("--d", type=int, default=None,
                        help=f"features of the random rows (default 50; {TFIDF_COLUMNS} columns "
                             "for --pool tfidf)")
    parser.add_argument("--pool", choices=POOLS, default="normal",
                        help="the random rows: independent normal features (default), "
                             "'embedding' (rows near an 8-dimensional subspace in 20 clusters), "
                             "'mixture' (50 Gaussian clusters of different widths) or 'tfidf' "
                             "(sparse CSR rows like TF-IDF vectors, 100 terms a row)")
    parser.add_argument("--density-samples", type=int, default=DENSITY_SAMPLES,
                        help="reference rows m of the sampled density cases (density_sampled, "
                             "information_density_sampled)")
    parser.add_argument("--density-sampling", choices=SAMPLINGS, default="local",
                        help="how density_sampled draws its m rows (pairwise_density's "
                             "sampling=; default local)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default=None,
                        help="default float64 (with --data: the file's float type)")
    parser.add_argument("--batch", type=int, default=100, help="batch size of the queries")
    parser.add_argument("--labeled", type=int, default=100, help="labeled rows (the first ones)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=None, help="a 2-D numeric .npy file of rows")
    parser.add_argument("--cases", nargs="+", default=None, metavar="NAME",
                        help="cases to run (default all): " + ", ".join(case_names()))
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved runs of every implementation (median and min-max)")
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="thread counts for the compiled backend (n_jobs of each kernel "
                             "call); several print a scaling table")
    parser.add_argument("--json", default=None, help="write the machine and every timing here")
    parser.add_argument("--no-peers", action="store_true", help="fastal's backends only")
    parser.add_argument("--no-twin", action="store_true", help="skip the NumPy twin")
    parser.add_argument("--max-peer-seconds", type=float, default=30.0,
                        help="skip a peer (or the twin) whose estimated time per run exceeds this")
    parser.add_argument("--max-peer-gb", type=float, default=_default_max_gb(),
                        help="skip a peer whose estimated memory exceeds this (default: half "
                             "the machine's memory)")
    parser.add_argument("--settle", type=float, default=SETTLE_S,
                        help="seconds of sleep before each timed call, so the previous call's "
                             f"spinning pool threads go idle (default {SETTLE_S})")
    parser.add_argument("--gemm-size", type=int, default=2000, help=argparse.SUPPRESS)
    parser.add_argument("--bandwidth-mb", type=float, default=256.0, help=argparse.SUPPRESS)
    return parser


def load_data(path):
    """Rows of a .npy file (memory-mapped); ValueError unless 2-D and real-valued."""
    try:
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"--data {path}: cannot read it as a .npy array ({exc})") from None
    if not isinstance(data, np.ndarray):
        raise ValueError(f"--data {path}: expected one array in a .npy file, got {type(data)}")
    if data.ndim != 2:
        raise ValueError(f"--data {path}: expected a 2-D array (rows x features), got shape "
                         f"{data.shape}")
    if not (np.issubdtype(data.dtype, np.integer) or np.issubdtype(data.dtype, np.floating)):
        raise ValueError(f"--data {path}: expected numbers (integers or floats), got dtype "
                         f"{data.dtype}")
    if data.shape[0] < 2 or data.shape[1] < 1:
        raise ValueError(f"--data {path}: needs at least 2 rows and 1 feature, got shape "
                         f"{data.shape}")
    return data


def check_settings(args, parser):
    """Resolve defaults and reject impossible shapes with parser.error (SystemExit 2)."""
    try:
        args.case_list = get_cases(args.cases)
    except ValueError as exc:
        parser.error(str(exc))
    args.data_array = None
    args.n_given = args.n is not None
    if args.data is not None and args.pool != "normal":
        parser.error("--pool and --data are alternatives: the rows come from one of them")
    if args.data is not None:
        try:
            args.data_array = load_data(args.data)
        except ValueError as exc:
            parser.error(str(exc))
        rows, args.d = args.data_array.shape
        args.n = rows if args.n is None else min(args.n, rows)
        if args.dtype is None:
            args.dtype = (str(args.data_array.dtype)
                          if args.data_array.dtype in (np.float32, np.float64) else "float64")
    if args.d is None:
        args.d = TFIDF_COLUMNS if args.pool == "tfidf" else 50
    args.n = DEFAULT_N if args.n is None else args.n
    args.dtype = args.dtype or "float64"
    if args.n < 2:
        parser.error(f"--n must be at least 2, got {args.n}")
    if args.d < 1:
        parser.error(f"--d must be at least 1, got {args.d}")
    if args.density_samples < 1:
        parser.error(f"--density-samples must be at least 1, got {args.density_samples}")
    if args.labeled < 2:
        parser.error(f"--labeled must be at least 2 (two classes for the models), got "
                     f"{args.labeled}")
    if args.batch < 1:
        parser.error(f"--batch must be at least 1, got {args.batch}")
    for case in args.case_list:
        n = case_rows(case, args)
        if args.labeled + args.batch > n:
            parser.error(f"--labeled + --batch ({args.labeled} + {args.batch}) must not exceed "
                         f"the rows ({n}{'' if args.n_given else ' of case ' + case.name})")
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.threads is not None and min(args.threads) < 1:
        parser.error(f"--threads must be positive, got {args.threads}")
    if args.max_peer_seconds <= 0 or args.max_peer_gb <= 0:
        parser.error("--max-peer-seconds and --max-peer-gb must be positive")
    return args


def case_rows(case, args):
    """The rows a case runs on: --n or the data's rows, else the case's own default."""
    if args.n_given or (args.data_array is not None and not case.own_data):
        return args.n
    return case.default_n or DEFAULT_N


# ------------------------------------------------------------------ running

class _Impl:
    def __init__(self, label, threads, fn, trial=None, memory=0.0, trial2=None):
        self.label, self.threads, self.fn = label, threads, fn
        self.trial, self.trial2, self.memory = trial, trial2, memory
        self.times, self.peaks = [], []
        self.status, self.reason = "ok", ""
        self.warm = False
        self.loops = 1
        self.result = None

    def timed(self, settle):
        """(seconds per call, peak MB) of one repeat: ``loops`` calls in a row.

        The first repeat of a call shorter than SHORT_CALL_S sets ``loops`` so
        that a repeat lasts about LOOP_S, and is then taken again in loops.
        """
        if settle:
            time.sleep(settle)
        loops = self.loops
        fn = self.fn if loops == 1 else (lambda: [self.fn() for _ in range(loops)][-1])
        seconds, peak, self.result = measure(fn)
        if loops == 1 and not self.times and seconds < SHORT_CALL_S:
            self.loops = int(min(MAX_LOOPS, np.ceil(LOOP_S / max(seconds, 1e-6))))
            return self.timed(settle)
        return seconds / loops, peak


def _compiled_fn(case, inputs, threads):
    def run():
        with fastal.use_backend("compiled"):
            if case.kind == "kernel":
                return case.run(inputs, n_jobs=threads)
            previous = fastal.set_num_threads(threads)
            try:
                return case.run(inputs)
            finally:
                fastal.set_num_threads(previous)
    return run


def _twin_fn(case, inputs):
    def run():
        with fastal.use_backend("python"):
            return case.run(inputs)
    return run


def _peer_available(peer):
    """Whether the peer's module imports and is not fastal itself (``fastal.compat.install()``
    makes ``libact`` an alias of fastal's modules)."""
    try:
        module = importlib.import_module(peer.module)
    except ImportError:
        return False
    except Exception:     # a peer that breaks on import counts as missing
        return False
    where = os.path.realpath(getattr(module, "__file__", None) or "")
    return not where.startswith(os.path.dirname(os.path.realpath(fastal.__file__)) + os.sep)


def _guard(impl, n, exponent, settings, limit_s, limit_gb):
    """Skip ``impl`` when its estimated memory or time exceeds the limits.

    The time is estimated from trial runs on the first TRIAL_N rows: scaled
    by (n / TRIAL_N) ** exponent; when that exceeds the limit, a second trial
    on 2 TRIAL_N rows separates a fixed cost from the part that grows (t = a +
    b n ** exponent through the two trials), so that work dominated by a fixed
    cost at small sizes is not taken for work that grows with n.  No trial is
    needed below 2 * TRIAL_N rows.
    """
    if impl.memory > limit_gb * 1e9:
        impl.status = "skipped"
        impl.reason = (f"skipped: would need about {impl.memory / 1e9:.1f} GB "
                       f"> --max-peer-gb {limit_gb:g}")
        return
    if n < 2 * TRIAL_N or impl.trial is None:
        return
    try:
        seconds, _, _ = measure(impl.trial, interval=0.05)
        impl.warm = True
        estimate = seconds * (n / TRIAL_N) ** exponent
        how = f"a {seconds:.3f} s trial at n = {TRIAL_N} scaled by n^{exponent:g}"
        if estimate > limit_s and impl.trial2 is not None:
            larger, _, _ = measure(impl.trial2, interval=0.05)
            growing = max(0.0, larger - seconds) / ((2.0 ** exponent - 1.0) * TRIAL_N ** exponent)
            estimate = max(0.0, seconds - growing * TRIAL_N ** exponent) + growing * n ** exponent
            how = (f"trials of {seconds:.3f} s at n = {TRIAL_N} and {larger:.3f} s at n = "
                   f"{2 * TRIAL_N}: a fixed part and a part growing as n^{exponent:g}")
    except Exception as exc:
        impl.status, impl.reason = "error", f"error: {type(exc).__name__}: {exc}"
        return
    if estimate > limit_s:
        impl.status = "skipped"
        impl.reason = (f"skipped: estimated {estimate:.0f} s per run ({how}) > "
                       f"--max-peer-seconds {limit_s:g}")


def run_case(case, settings, threads_list, repeats, peers=True, twin=True,
             max_peer_seconds=60.0, max_peer_gb=8.0, settle=None):
    """Records (dicts) of one case: every implementation, timed in interleaved repeats.

    ``settings`` is (n, d, dtype, batch, labeled, seed, data[, options]):
    ``data`` the rows (None: n x d normal rows), ``options`` a dict added to
    the case's inputs (``density_samples``).  ``peers`` is True (every peer of
    the case), False, or the names of the peers to run.  Sparse rows skip the
    implementations that take dense rows only.  After the timing the case's
    ``check`` (if any) reads the results of every implementation's last call;
    its line is the record's ``check``.
    Before every timed call the process sleeps ``settle`` seconds (None:
    SETTLE_S), so the worker threads of the previous call's thread pool
    (OpenBLAS, OpenMP), which spin for a while after their work, do not
    compete with the next one.  Every
    implementation first runs once untimed on at most TRIAL_N rows (imports,
    first-call work); that run is also the trial that scales to the time limit.
    A call shorter than SHORT_CALL_S is timed in loops (as ``timeit`` does),
    each repeat lasting about LOOP_S; its record says ``loops`` and gives the
    time per call.
    """
    n, d, dtype, batch, labeled, seed, data = settings[:7]
    settle = SETTLE_S if settle is None else settle
    options = dict(settings[7]) if len(settings) > 7 and settings[7] else {}
    sparse_rows = data is not None and sp.issparse(data)
    if sparse_rows and not case.sparse:
        return [{"case": case.name, "kind": case.kind, "impl": "compiled",
                 "threads": None, "status": "skipped", "reason": "skipped: dense rows only",
                 "times": [], "loops": 1}]

    def setup(*args):
        inp = case.setup(*args)
        for key, value in options.items():
            inp[key] = min(value, inp["X"].shape[0]) if key == "density_samples" else value
        return inp

    inputs = setup(n, d, dtype, batch, labeled, seed, data)
    small_n = min(n, TRIAL_N)
    trial_settings = (small_n, d, dtype, min(batch, max(1, small_n - labeled - 1)),
                      min(labeled, small_n // 2), seed, data)
    trial_inputs = {}

    def trial(make, rows=small_n):
        def run():
            if rows not in trial_inputs:
                trial_inputs[rows] = setup(rows, *trial_settings[1:])
            return make(trial_inputs[rows])
        return run

    impls = []
    for threads in threads_list:
        label_threads = fastal.resolve_n_threads(threads)
        impls.append(_Impl("compiled", label_threads, _compiled_fn(case, inputs, threads),
                           trial=trial(lambda inp, t=threads: _compiled_fn(case, inp, t)())))
    if twin:
        impl = _Impl("numpy", None, _twin_fn(case, inputs),
                     trial=trial(lambda inp: _twin_fn(case, inp)()))
        impl.trial2 = trial(lambda inp: _twin_fn(case, inp)(), 2 * TRIAL_N)
        _guard(impl, n, case.exponent, settings, max_peer_seconds, float("inf"))
        impls.append(impl)
    if peers:
        chosen = case.peers if peers is True else [p for p in case.peers if p.name in peers]
        for peer in chosen:
            impl = _Impl(peer.name, None, (lambda p=peer: p.run(inputs)),
                         trial=trial(lambda inp, p=peer: p.run(inp)),
                         trial2=trial(lambda inp, p=peer: p.run(inp), 2 * TRIAL_N),
                         memory=float(peer.memory(inputs)))
            if sparse_rows and not peer.sparse:
                impl.status, impl.reason = "skipped", "skipped: dense rows only"
            elif not _peer_available(peer):
                impl.status = "skipped"
                impl.reason = f"skipped: not installed ({peer.module})"
            else:
                _guard(impl, n, peer.exponent, settings, max_peer_seconds, max_peer_gb)
            impls.append(impl)
    for impl in impls:       # imports and first-call work, untimed, on at most TRIAL_N rows
        if impl.status == "ok" and impl.trial is not None and not impl.warm:
            try:
                impl.trial()
            except Exception as exc:
                impl.status, impl.reason = "error", f"error: {type(exc).__name__}: {exc}"
    trial_inputs.clear()
    for _ in range(repeats):
        for impl in impls:
            if impl.status != "ok":
                continue
            try:
                seconds, peak = impl.timed(settle)
            except Exception as exc:
                impl.status, impl.reason = "error", f"error: {type(exc).__name__}: {exc}"
                continue
            impl.times.append(seconds)
            impl.peaks.append(peak)
    # (sparse rows: no arithmetic bound, their work depends on the non-zeros)
    bound = case.bound(inputs) if case.bound and not sparse_rows else None
    check = None
    if case.check is not None:
        results = {impl.label: impl.result for impl in impls
                   if impl.status == "ok" and impl.times and impl.label not in ("compiled",)}
        # the first compiled implementation (the first thread count) stands for "compiled"
        compiled = [impl for impl in impls if impl.label == "compiled" and impl.status == "ok"
                    and impl.times]
        if compiled:
            results["compiled"] = compiled[0].result
        try:
            check = case.check(inputs, results)
        except Exception as exc:
            check = f"check failed: {type(exc).__name__}: {exc}"
    for impl in impls:
        impl.result = None
    records = []
    for impl in impls:
        rec = {"case": case.name, "kind": case.kind, "impl": impl.label,
               "threads": impl.threads, "status": impl.status, "reason": impl.reason,
               "times": impl.times, "loops": impl.loops}
        if impl.status == "ok" and impl.times:
            rec.update(median=statistics.median(impl.times), min=min(impl.times),
                       max=max(impl.times),
                       peak_mb=None if None in impl.peaks else max(impl.peaks))
        if bound is not None:
            rec["work"], rec["work_unit"] = bound
        if check is not None and not records:
            rec["check"] = check
        records.append(rec)
    return records


def bound_seconds(rec, rates, dtype):
    """The arithmetic (or bandwidth) bound of a record's work, or None."""
    if "work" not in rec or not rates:
        return None
    if rec["work_unit"] == "flop":
        rate = rates.get(f"gemm_{dtype}")
    else:
        rate = rates.get("copy_bandwidth")
    return rec["work"] / rate if rate else None


# ------------------------------------------------------------------ printing

def _fmt_s(x):
    return "-" if x is None else (f"{x:.4f}" if x < 10 else f"{x:.1f}")


def print_records(records, rates, dtype, out):
    head = (f"{'case':28s} {'implementation':44s} {'thr':>4s} {'median s':>9s} "
            f"{'min-max s':>17s} {'peak MB':>8s} {'x compiled':>10s} {'/ bound':>8s}")
    out(head)
    out("-" * len(head))
    base = {}
    for rec in records:
        if rec["impl"] == "compiled" and rec.get("median") and rec["case"] not in base:
            base[rec["case"]] = rec["median"]
    last = None
    for rec in records:
        name = rec["case"] if rec["case"] != last else ""
        last = rec["case"]
        thr = "" if rec["threads"] is None else str(rec["threads"])
        if rec["status"] != "ok" or not rec.get("times"):
            out(f"{name:28s} {rec['impl'][:44]:44s} {thr:>4s} {rec['reason']}")
            continue
        spread = f"{_fmt_s(rec['min'])}-{_fmt_s(rec['max'])}"
        peak = "n/a" if rec["peak_mb"] is None else f"{rec['peak_mb']:.1f}"
        ratio = (f"{rec['median'] / base[rec['case']]:.1f}x"
                 if rec["case"] in base and rec["impl"] != "compiled" else "")
        bound = bound_seconds(rec, rates, dtype)
        over = f"{rec['median'] / bound:.2f}" if bound else ""
        out(f"{name:28s} {rec['impl'][:44]:44s} {thr:>4s} {_fmt_s(rec['median']):>9s} "
            f"{spread:>17s} {peak:>8s} {ratio:>10s} {over:>8s}")
    for rec in records:
        if rec.get("check"):
            out(f"{'':28s} check ({rec['case']}): {rec['check']}")


def print_scaling(records, threads, out):
    resolved = [fastal.resolve_n_threads(t) for t in threads]
    out("")
    out("thread scaling (compiled backend, median seconds; speed-up over "
        f"{resolved[0]} thread{'s' if resolved[0] > 1 else ''})")
    out(f"{'case':28s}" + "".join(f"{t:>9d}T" for t in resolved) + "   speed-up")
    by_case = {}
    for rec in records:
        if rec["impl"] == "compiled" and rec.get("median"):
            by_case.setdefault(rec["case"], {})[rec["threads"]] = rec["median"]
    for case, times in by_case.items():
        row = [times.get(t) for t in resolved]
        ups = " ".join(f"{row[0] / t:.2f}" if t and row[0] else "-" for t in row[1:])
        out(f"{case:28s}" + "".join(f"{_fmt_s(t):>10s}" for t in row) + f"   {ups}")


# ------------------------------------------------------------------ compare

def _pairs(a_recs, b_recs):
    """(case, impl, threads label, a, b) for every timing present in both records."""
    def group(recs):
        out = {}
        for rec in recs:
            if rec.get("status") == "ok" and rec.get("times"):
                out.setdefault((rec["case"], rec["impl"]), {})[rec["threads"]] = rec
        return out
    A, B = group(a_recs), group(b_recs)
    for key in A:
        if key not in B:
            continue
        ta, tb = A[key], B[key]
        common = [t for t in ta if t in tb]
        if common:
            for t in common:
                yield key + ("" if t is None else str(t), ta[t], tb[t])
        elif len(ta) == 1 and len(tb) == 1:
            (t1, r1), (t2, r2) = next(iter(ta.items())), next(iter(tb.items()))
            yield key + (f"{t1}->{t2}", r1, r2)


def verdict(a, b):
    """'faster' / 'slower' when the min-max ranges of b and a do not overlap, else 'same'."""
    if b["max"] < a["min"]:
        return "faster"
    if b["min"] > a["max"]:
        return "slower"
    return "same (within noise)"


def compare(a, b, out=print):
    """Print the B / A time ratio per case and implementation; returns the rows."""
    rows = []
    for case, impl, thr, ra, rb in _pairs(a["records"], b["records"]):
        ratio = rb["median"] / ra["median"] if ra["median"] > 0 else float("inf")
        rows.append({"case": case, "impl": impl, "threads": thr, "a": ra["median"],
                     "b": rb["median"], "ratio": ratio, "verdict": verdict(ra, rb)})
    head = (f"{'case':28s} {'implementation':44s} {'threads':>7s} {'A s':>9s} {'B s':>9s} "
            f"{'B/A':>7s}  verdict")
    out(head)
    out("-" * len(head))
    for r in rows:
        out(f"{r['case']:28s} {r['impl'][:44]:44s} {r['threads']:>7s} {_fmt_s(r['a']):>9s} "
            f"{_fmt_s(r['b']):>9s} {r['ratio']:7.2f}  {r['verdict']}")
    if not rows:
        out("(no case and implementation timed in both records)")
    return rows


def load_record(path):
    try:
        with open(path) as fh:
            rec = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read a benchmark record ({exc})") from None
    if not isinstance(rec, dict) or rec.get("format") != FORMAT or "records" not in rec:
        raise ValueError(f"{path}: not a {FORMAT} record (write one with --json)")
    return rec


def compare_main(argv):
    parser = argparse.ArgumentParser(
        prog="python -m fastal.benchmark compare",
        description="B / A median time per case and implementation; 'faster' or 'slower' only "
                    "when the min-max ranges of the repeats do not overlap.")
    parser.add_argument("a", help="the reference record (--json)")
    parser.add_argument("b", help="the record compared with it")
    args = parser.parse_args(argv)
    try:
        a, b = load_record(args.a), load_record(args.b)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"A: {args.a} ({a['machine'].get('cpu')}, n = {a['settings'].get('n')}, "
          f"threads {a['settings'].get('threads')})")
    print(f"B: {args.b} ({b['machine'].get('cpu')}, n = {b['settings'].get('n')}, "
          f"threads {b['settings'].get('threads')})")
    if a["settings"].get("n") != b["settings"].get("n") or \
            a["settings"].get("dtype") != b["settings"].get("dtype"):
        print("note: the two records have different shapes or dtypes")
    compare(a, b)
    return 0


# ------------------------------------------------------------------ main

def run_main(argv, out=print):
    parser = build_parser()
    args = check_settings(parser.parse_args(argv), parser)
    threads = args.threads or [None]
    info = machine_info()
    out(f"fastal {info['versions']['fastal']} | {info['cpu']} | {info['cpus_available']} CPUs "
        f"available | BLAS: " + ", ".join(f"{b.get('internal_api')} {b.get('version')} "
                                          f"({b.get('num_threads')} threads)"
                                          for b in info["blas"] if "error" not in b))
    rates = {"gemm_float64": gemm_rate(np.float64, args.gemm_size),
             "gemm_float32": gemm_rate(np.float32, args.gemm_size),
             "copy_bandwidth": copy_bandwidth(args.bandwidth_mb)}
    out(f"GEMM rate ({args.gemm_size}^3): float64 {rates['gemm_float64'] / 1e9:.1f} GFLOP/s, "
        f"float32 {rates['gemm_float32'] / 1e9:.1f} GFLOP/s; copy bandwidth "
        f"{rates['copy_bandwidth'] / 1e9:.1f} GB/s (read + write)")
    rows = {case.name: case_rows(case, args) for case in args.case_list}
    data = args.data_array
    pooled = [rows[case.name] for case in args.case_list if not case.own_data]
    if data is None and args.pool != "normal" and pooled:
        data = make_pool(args.pool, max(pooled), args.d, args.dtype, args.seed)
    source = args.data or (f"{args.pool} pool" if args.pool != "normal" else "random normal rows")
    sizes = sorted(set(rows.values()))
    out(f"n = {'/'.join(map(str, sizes))} x d = {args.d} {args.dtype} ({source}"
        f"{', sparse CSR' if data is not None and sp.issparse(data) else ''}), batch "
        f"{args.batch}, labeled {args.labeled}, {args.repeats} interleaved repeats; '/ bound': "
        "time over n^2 d flops (density, k-NN), n m d (sampled density) or n L d flops "
        "(ranked, k-center, min distance) at the GEMM rate, or one read of the rows at the copy "
        "bandwidth (cosine similarity)")
    if len(sizes) > 1:
        out("rows per case: " + ", ".join(f"{name} {n}" for name, n in rows.items()
                                          if n != DEFAULT_N) + f", the others {DEFAULT_N}"
            if DEFAULT_N in sizes else "rows per case: " +
            ", ".join(f"{name} {n}" for name, n in rows.items()))
    out("")
    options = {"density_samples": args.density_samples,
               "density_sampling": args.density_sampling}
    records = []
    printed = 0
    for case in args.case_list:
        settings = (rows[case.name], args.d, args.dtype, args.batch, args.labeled, args.seed,
                    None if case.own_data else data, options)
        case_records = run_case(case, settings, threads, args.repeats, peers=not args.no_peers,
                            twin=not args.no_twin, max_peer_seconds=args.max_peer_seconds,
                            max_peer_gb=args.max_peer_gb, settle=args.settle)
        for rec in case_records:
            rec["n"] = rows[case.name]
        records += case_records
        if printed == 0:
            print_records(records, rates, args.dtype, out)
        else:
            lines = []
            print_records(records[printed:], rates, args.dtype, lines.append)
            for line in lines[2:]:
                out(line)
        printed = len(records)
    if len(threads) > 1:
        print_scaling(records, threads, out)
    if args.json:
        for rec in records:
            rec["bound_s"] = bound_seconds(rec, rates, args.dtype)
        document = {
            "format": FORMAT, "machine": info, "rates": rates,
            "settings": {"n": args.n, "d": args.d, "dtype": args.dtype, "batch": args.batch,
                         "labeled": args.labeled, "seed": args.seed, "data": args.data,
                         "pool": args.pool, "density_samples": args.density_samples,
                         "density_sampling": args.density_sampling,
                         "rows": rows,
                         "repeats": args.repeats, "threads": args.threads,
                         "cases": [c.name for c in args.case_list]},
            "records": records,
        }
        with open(args.json, "w") as fh:
            json.dump(document, fh, indent=1)
        out(f"\nwrote {args.json}")
    return records


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "compare":
        return compare_main(argv[1:])
    if argv and argv[0] == "dask":
        from fastal.benchmark.dask_run import main as dask_main
        return dask_main(argv[1:])
    if argv and argv[0] == "parity":
        from fastal.benchmark.parity import main as parity_main
        return parity_main(argv[1:])
    if argv and argv[0] == "list":
        for case in get_cases():
            print(f"{case.name:28s} {case.kind:9s} {case.description}")
        return 0
    run_main(argv)
    return 0
