"""python -m fastal.benchmark: cases on both backends, records, compare, errors (tiny sizes)."""
import dataclasses
import json

import numpy as np
import pytest

import fastal
from fastal.benchmark import CASES, case_names, get_cases, main
from fastal.benchmark import cli
from fastal.benchmark.cases import Peer

SMALL = ["--n", "60", "--d", "4", "--batch", "3", "--labeled", "6", "--repeats", "1",
         "--gemm-size", "64", "--bandwidth-mb", "1", "--settle", "0"]
SETTINGS = (60, 4, "float64", 3, 6, 0, None)


def test_case_list_covers_the_work():
    names = set(case_names())
    assert {"density_euclidean", "density_manhattan", "density_cosine",
            "cosine_similarity_density", "knn_density_euclidean", "knn_density_manhattan",
            "ranked_batch", "kcenter", "min_distance", "uncertainty_sampling",
            "ranked_batch_strategy", "coreset", "information_density",
            "graph_density"} <= names
    assert {case.kind for case in CASES} == {"kernel", "strategy"}


@pytest.mark.parametrize("case", [c for c in CASES if not c.own_data], ids=lambda c: c.name)
def test_every_case_runs_on_both_backends(case):
    """(The cases that make their own rows: tests/test_benchmark_libact_cases.py.)"""
    inputs = case.setup(*SETTINGS)
    results = {}
    for backend in ("compiled", "python"):
        with fastal.use_backend(backend):
            results[backend] = case.run(inputs) if case.kind == "strategy" else \
                case.run(inputs, n_jobs=1)
    a, b = results["compiled"], results["python"]
    if isinstance(a, tuple):          # knn_density: (density, graph)
        a, b = a[0], b[0]
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-6,
                               atol=1e-9)


def test_run_case_records_every_implementation():
    case = get_cases(["ranked_batch"])[0]
    records = cli.run_case(case, SETTINGS, [1, 2], repeats=2, settle=0)
    impls = [(r["impl"], r["threads"]) for r in records]
    assert impls[:3] == [("compiled", 1), ("compiled", min(2, fastal._config.available_cpus())),
                         ("numpy", None)]
    for rec in records:
        if rec["status"] == "ok":
            assert len(rec["times"]) == 2 and rec["min"] <= rec["median"] <= rec["max"]
            assert rec["work_unit"] == "flop"
        else:
            assert rec["reason"].startswith(("skipped:", "error:"))


def test_missing_peer_is_skipped(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_modal(name, *args, **kwargs):
        if name == "modAL" or name.startswith("modAL."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_modal)
    monkeypatch.setattr(cli.importlib, "import_module",
                        lambda name: no_modal(name))
    case = get_cases(["density_euclidean"])[0]
    records = cli.run_case(case, SETTINGS, [None], repeats=1, settle=0)
    peer = [r for r in records if r["impl"].startswith("modAL")]
    assert peer and peer[0]["status"] == "skipped"
    assert peer[0]["reason"].startswith("skipped: not installed")
    assert records[0]["status"] == "ok"


def test_peer_over_the_memory_limit_is_skipped():
    import dataclasses
    big = Peer("n x n peer", "numpy", lambda inp: None, memory=lambda inp: 8 * 10 ** 9)
    case = dataclasses.replace(get_cases(["density_euclidean"])[0], peers=(big,))
    records = cli.run_case(case, SETTINGS, [None], repeats=1, max_peer_gb=1.0, settle=0)
    peer = [r for r in records if r["impl"] == "n x n peer"][0]
    assert peer["status"] == "skipped" and "--max-peer-gb" in peer["reason"]


def test_slow_peer_is_skipped_from_a_trial(monkeypatch):
    import dataclasses
    import time
    # 0.01 s at the first trial's 1,000 rows, growing as n^2: about 0.06 s at 2,500 rows
    slow = Peer("slow peer", "numpy",
                lambda inp: time.sleep(0.01 * (len(inp["X"]) / 1000) ** 2), exponent=2.0)
    # the same 0.01 s at 1,000 rows, but a fixed cost: it stays 0.01 s
    fixed = Peer("fixed cost", "numpy", lambda inp: time.sleep(0.01), exponent=2.0)
    case = dataclasses.replace(get_cases(["min_distance"])[0], peers=(slow, fixed))
    settings = (2500, 2, "float64", 3, 6, 0, None)
    records = cli.run_case(case, settings, [1], repeats=1, twin=False,
                           max_peer_seconds=0.03, settle=0)
    by_impl = {rec["impl"]: rec for rec in records}
    assert by_impl["slow peer"]["status"] == "skipped"
    assert "--max-peer-seconds" in by_impl["slow peer"]["reason"]
    assert "a fixed part and a part growing as n^2" in by_impl["slow peer"]["reason"]
    assert by_impl["fixed cost"]["status"] == "ok"


def test_cli_json_round_trip(tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(SMALL + ["--cases", "density_euclidean", "kcenter", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "GEMM rate" in text and "density_euclidean" in text and "kcenter" in text
    doc = json.loads(out.read_text())
    assert doc["format"] == cli.FORMAT
    assert doc["settings"]["n"] == 60 and doc["settings"]["cases"] == ["density_euclidean",
                                                                      "kcenter"]
    assert {"cpu", "cores", "blas", "versions"} <= set(doc["machine"])
    assert doc["machine"]["versions"]["numpy"] == np.__version__
    assert doc["rates"]["gemm_float64"] > 0 and doc["rates"]["copy_bandwidth"] > 0
    compiled = [r for r in doc["records"] if r["impl"] == "compiled"]
    assert len(compiled) == 2 and all(r["median"] > 0 and r["bound_s"] > 0 for r in compiled)
    assert json.loads(json.dumps(doc)) == doc
    assert cli.load_record(str(out)) == doc


def test_cli_threads_prints_scaling(capsys):
    main(SMALL + ["--cases", "min_distance", "--threads", "1", "2", "--no-peers", "--no-twin"])
    text = capsys.readouterr().out
    assert "thread scaling" in text


def test_cli_data_file(tmp_path, capsys):
    path = tmp_path / "rows.npy"
    np.save(path, np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32))
    main(["--data", str(path)] + SMALL[4:] + ["--cases", "min_distance", "--no-peers"])
    text = capsys.readouterr().out
    assert "n = 40 x d = 3 float32" in text


def _record(times_by_key):
    return {"format": cli.FORMAT, "machine": {"cpu": "x"}, "settings": {"n": 10},
            "records": [{"case": case, "impl": impl, "threads": thr, "status": "ok",
                         "times": list(times), "median": float(np.median(times)),
                         "min": min(times), "max": max(times)}
                        for (case, impl, thr), times in times_by_key.items()]}


def test_compare_flags_only_beyond_the_noise(tmp_path, capsys):
    a = _record({("density_euclidean", "compiled", 1): [1.0, 1.1, 1.2],
                 ("kcenter", "compiled", 1): [1.0, 1.1, 1.2],
                 ("min_distance", "compiled", 1): [1.0, 1.1, 1.2],
                 ("min_distance", "numpy", None): [2.0, 2.0, 2.0],
                 ("only_in_a", "compiled", 1): [1.0]})
    b = _record({("density_euclidean", "compiled", 2): [0.5, 0.55, 0.6],
                 ("kcenter", "compiled", 2): [1.3, 1.4, 1.5],
                 ("min_distance", "compiled", 2): [0.9, 1.05, 1.15],
                 ("min_distance", "numpy", None): [2.0, 2.2, 2.4]})
    rows = {(r["case"], r["impl"]): r for r in cli.compare(a, b, out=lambda line: None)}
    assert set(rows) == {("density_euclidean", "compiled"), ("kcenter", "compiled"),
                         ("min_distance", "compiled"), ("min_distance", "numpy")}
    assert rows["density_euclidean", "compiled"]["verdict"] == "faster"
    assert rows["density_euclidean", "compiled"]["ratio"] == pytest.approx(0.5)
    assert rows["density_euclidean", "compiled"]["threads"] == "1->2"
    assert rows["kcenter", "compiled"]["verdict"] == "slower"
    assert rows["min_distance", "compiled"]["verdict"].startswith("same")
    assert rows["min_distance", "numpy"]["verdict"].startswith("same")
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a))
    pb.write_text(json.dumps(b))
    assert main(["compare", str(pa), str(pb)]) == 0
    text = capsys.readouterr().out
    assert "faster" in text and "slower" in text and "0.50" in text


@pytest.mark.parametrize("argv, message", [
    (["--cases", "no_such_case"], "unknown case"),
    (["--n", "1"], "--n must be at least 2"),
    (["--n", "10", "--labeled", "8", "--batch", "5"], "must not exceed"),
    (["--repeats", "0"], "--repeats"),
    (["--density-samples", "0"], "--density-samples must be at least 1"),
    (["--pool", "galaxy"], "invalid choice"),
])
def test_bad_arguments_exit_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_unknown_case_lists_the_valid_ones(capsys):
    with pytest.raises(SystemExit):
        main(["--cases", "nope"])
    err = capsys.readouterr().err
    assert "density_euclidean" in err and "graph_density" in err


@pytest.mark.parametrize("array, message", [
    (np.arange(5.0), "2-D"),
    (np.array([["a", "b"], ["c", "d"]]), "numbers"),
    (np.ones((2, 2, 2)), "2-D"),
])
def test_bad_data_file(tmp_path, capsys, array, message):
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(SystemExit):
        main(["--data", str(path)])
    assert message in capsys.readouterr().err
    with pytest.raises(ValueError, match=message):
        cli.load_data(str(path))


def test_unreadable_data_file(tmp_path, capsys):
    path = tmp_path / "text.npy"
    path.write_text("not an array")
    with pytest.raises(SystemExit):
        main(["--data", str(path)])
    assert "cannot read" in capsys.readouterr().err


def test_compare_rejects_other_files(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(SystemExit):
        main(["compare", str(path), str(path)])
    assert "not a fastal-benchmark" in capsys.readouterr().err


def test_short_calls_are_timed_in_loops(monkeypatch):
    # every call counts as short and a repeat would need more than MAX_LOOPS calls:
    # the loop count is MAX_LOOPS whatever the machine's speed
    monkeypatch.setattr(cli, "SHORT_CALL_S", 1e9)
    monkeypatch.setattr(cli, "LOOP_S", 1e9)
    monkeypatch.setattr(cli, "MAX_LOOPS", 3)
    calls = []
    case = get_cases(["min_distance"])[0]
    counted = type(case)(**{**case.__dict__,
                            "run": lambda inp, n_jobs=None: calls.append(1) or case.run(inp)})
    records = cli.run_case(counted, SETTINGS, [1], repeats=2, peers=False, twin=False, settle=0)
    (rec,) = records
    assert rec["loops"] == 3 and len(rec["times"]) == 2
    # one untimed warm-up, the calibrating call, then two repeats of three calls
    assert len(calls) == 1 + 1 + 2 * 3


def test_peers_can_be_chosen_by_name():
    from fastal.benchmark import NUMPY_INCREMENTAL
    case = get_cases(["ranked_batch"])[0]
    records = cli.run_case(case, SETTINGS, [1], repeats=1, peers=[NUMPY_INCREMENTAL],
                           twin=False, settle=0)
    assert [r["impl"] for r in records] == ["compiled", NUMPY_INCREMENTAL]
    assert all(r["status"] == "ok" for r in records)


@pytest.mark.parametrize("with_scores", [True, False])
def test_numpy_incremental_baseline_picks_what_fastal_picks(with_scores):
    from fastal.benchmark import make_inputs, numpy_max_min
    from fastal.kernels import max_min_select
    inp = make_inputs(400, 5, "float64", 25, 20, 3)
    scores = inp["u"] if with_scores else None
    ours = max_min_select(inp["P"], inp["L"], 25, scores=scores)
    assert numpy_max_min(inp["P"], inp["L"], 25, scores).tolist() == ours.tolist()


def _documented_commands():
    """Every ``python -m fastal.benchmark ...`` command line of the README and the docs."""
    import pathlib
    import re
    root = pathlib.Path(__file__).resolve().parents[1]
    commands = []
    for path in [root / "README.md", *sorted((root / "docs").glob("*.rst"))]:
        text = path.read_text(encoding="utf-8").replace("``", "`")
        text = re.sub(r"\s*\n\s*", " ", text)       # commands wrapped over lines
        for found in re.findall(r"`(python -m fastal\.benchmark[^`]*)`", text):
            commands.append((path.name, found.split("#")[0].strip()))
        for block in re.findall(r"```bash(.*?)```", path.read_text(encoding="utf-8"), re.S):
            commands += [(path.name, line.split("#")[0].strip()) for line in block.splitlines()
                         if line.startswith("python -m fastal.benchmark")]
    return commands


def test_the_documented_benchmark_commands_are_valid():
    import shlex
    commands = _documented_commands()
    assert len(commands) >= 8
    parser = cli.build_parser()
    for where, command in commands:
        argv = shlex.split(command)[3:]
        if argv and argv[0] in ("compare", "list"):
            continue
        if argv and argv[0] in ("dask", "parity"):
            from fastal.benchmark import dask_run, parity
            module = dask_run if argv[0] == "dask" else parity
            module.build_parser().parse_args(argv[1:])
            continue
        args = parser.parse_args(argv)
        if args.data is None:          # a user's file: its shape is theirs
            cli.check_settings(args, parser)
        else:
            cli.get_cases(args.cases)


# ------------------------------------------------------------ pools, sparse rows, checks

@pytest.mark.parametrize("kind", ["normal", "embedding", "mixture"])
def test_dense_pools(kind):
    from fastal.benchmark.pools import make_pool
    X = make_pool(kind, 250, 12, "float32", seed=3)
    assert X.shape == (250, 12) and X.dtype == np.float32 and np.isfinite(X).all()
    np.testing.assert_array_equal(X, make_pool(kind, 250, 12, "float32", seed=3))
    assert not np.array_equal(X, make_pool(kind, 250, 12, "float32", seed=4))


def test_tfidf_pool_is_sparse_with_unit_rows():
    from fastal.benchmark.pools import make_pool
    X = make_pool("tfidf", 300, 2048, "float64", seed=0)
    assert X.format == "csr" and X.shape == (300, 2048)
    per_row = np.diff(X.indptr)
    assert per_row.max() <= 100 and per_row.min() > 50
    np.testing.assert_allclose(np.sqrt(X.multiply(X).sum(axis=1)).A.ravel(), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="unknown pool"):
        make_pool("galaxy", 10, 2, "float64")


def test_sparse_rows_skip_the_dense_only_implementations():
    from fastal.benchmark.pools import make_pool
    X = make_pool("tfidf", 80, 512, "float64", seed=0)
    settings = (80, 512, "float64", 3, 6, 0, X)
    records = cli.run_case(get_cases(["ranked_batch"])[0], settings, [1], 1, settle=0)
    by_impl = {r["impl"]: r for r in records}
    assert by_impl["compiled"]["status"] == "ok" and by_impl["numpy"]["status"] == "ok"
    assert by_impl["NumPy incremental (GEMV per pick)"]["reason"] == "skipped: dense rows only"
    assert all("work" not in r for r in records)       # no arithmetic bound for sparse rows
    (only,) = cli.run_case(get_cases(["knn_density_approximate"])[0], settings, [1], 1,
                           settle=0)
    assert only["status"] == "skipped" and only["reason"] == "skipped: dense rows only"


def test_the_sampled_density_check_measures_the_error():
    case = get_cases(["density_sampled"])[0]
    exact = cli.run_case(case, SETTINGS + ({"density_samples": 60},), [1], 1, twin=False,
                         settle=0)
    # m = n: the exact density
    assert "m = 60 (local): median 0.000%, 99th percentile 0.000%, max 0.000%" in \
        exact[0]["check"]
    sampled = cli.run_case(case, SETTINGS + ({"density_samples": 10},), [1], 1, twin=False,
                           settle=0)
    line = sampled[0]["check"]
    assert "m = 10 (local)" in line and "m = 5:" in line and "max 0.000%" not in line


def test_a_check_sees_every_implementation(monkeypatch):
    seen = {}

    def check(inputs, results):
        seen.update(results)
        return "looked"
    case = dataclasses.replace(get_cases(["min_distance"])[0], check=check)
    records = cli.run_case(case, SETTINGS, [1], 1, settle=0)
    assert records[0]["check"] == "looked" and "check" not in records[1]
    assert set(seen) >= {"compiled", "numpy"}
    np.testing.assert_allclose(seen["compiled"], seen["numpy"])


def test_cases_with_their_own_size_run_at_it_unless_n_is_given(monkeypatch, capsys):
    small = dataclasses.replace(get_cases(["min_distance"])[0], name="small_case",
                                default_n=40)
    monkeypatch.setattr(cli, "get_cases", lambda names=None: [small])
    parser = cli.build_parser()
    few = ["--labeled", "4", "--batch", "2"]
    args = cli.check_settings(parser.parse_args(few), parser)
    assert cli.case_rows(small, args) == 40
    args = cli.check_settings(parser.parse_args(few + ["--n", "70"]), parser)
    assert cli.case_rows(small, args) == 70
    main(["--d", "3", "--batch", "2", "--labeled", "4", "--repeats", "1",
          "--gemm-size", "32", "--bandwidth-mb", "1", "--settle", "0", "--no-peers"])
    assert "n = 40 x d = 3" in capsys.readouterr().out


def test_pool_option_and_json_record(tmp_path, capsys):
    out = tmp_path / "run.json"
    main(SMALL + ["--pool", "embedding", "--cases", "density_sampled", "--density-samples",
                  "20", "--no-twin", "--json", str(out)])
    text = capsys.readouterr().out
    assert "embedding pool" in text and "check (density_sampled): relative error" in text
    record = json.loads(out.read_text())
    assert record["settings"]["pool"] == "embedding"
    assert record["settings"]["density_samples"] == 20
    assert "m = 20 (local)" in record["records"][0]["check"]
    assert record["records"][0]["n"] == 60


def test_pool_and_data_are_alternatives(tmp_path, capsys):
    path = tmp_path / "rows.npy"
    np.save(path, np.ones((10, 2)))
    with pytest.raises(SystemExit):
        main(["--data", str(path), "--pool", "mixture"])
    assert "alternatives" in capsys.readouterr().err


def test_measure_reports_the_peak_of_a_call_with_nothing_running_beside_it():
    """The peak memory of a call is its high-water mark; where the kernel can reset
    that mark (Linux), no sampling thread runs beside the call (it would take
    part of a core from the kernels' threads)."""
    import threading
    from fastal.benchmark import measure
    from fastal.benchmark._measure import _reset_peak
    before = threading.active_count()
    seen = []

    def call():
        seen.append(threading.active_count())
        return np.ones(10_000_000).sum()

    seconds, peak, result = measure(call)
    assert result == 1e7 and seconds > 0
    if peak is not None:
        assert 70 <= peak <= 200             # 80 MB allocated, touched and freed
    if _reset_peak():
        assert seen == [before]
