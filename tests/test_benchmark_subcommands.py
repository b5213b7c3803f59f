"""python -m fastal.benchmark dask / parity: a tiny cluster run, the records, missing extras."""
import json
import sys

import pytest

from fastal.benchmark import dask_run, parity

TINY = dict(n=1200, d=4, chunk_rows=300, labeled=20, batch=6)


@pytest.fixture(scope="module")
def tiny_run(dask_client):
    """One tiny run of the dask benchmark on the shared 2-worker cluster, and its lines."""
    lines = []
    results = dask_run.run_dask_benchmark(dask_client, **TINY, out=lines.append)
    return results, lines


def test_dask_run_reports_every_figure(tiny_run):
    results, lines = tiny_run
    for key in ("generate_s", "task_round_trip_s", "actor_call_s", "dask_uncertainty_s",
                "dask_ranked_s", "picks", "dask_picks_s", "dask_pick_s",
                "dask_ranked_setup_s", "worker_peak_bytes", "client_peak_bytes", "fetch_s",
                "single_threads", "single_scores_s", "single_uncertainty_s",
                "single_max_min_select_s", "single_ranked_s", "single_peak_bytes",
                "uncertainty_ratio", "ranked_ratio", "overhead_per_pick_s"):
        assert key in results, key
    settings = results["settings"]
    assert {k: settings[k] for k in TINY} == TINY
    assert settings["workers"] == 2 and settings["single"] is True
    assert len(results["worker_peak_bytes"]) == 2
    assert results["picks"] == TINY["batch"]
    assert lines[0].startswith("pool 1,200 x 4 float32")
    assert any(line.startswith("same picks: uncertainty True, ranked True") for line in lines)


def test_dask_run_answers_equal_the_single_process_ones(tiny_run):
    results, _ = tiny_run
    batch, labeled = TINY["batch"], TINY["labeled"]
    for kind in ("uncertainty", "ranked"):
        ids = results[f"dask_{kind}_ids"]
        assert ids == results[f"single_{kind}_ids"]
        assert len(ids) == len(set(ids)) == batch
        assert min(ids) >= labeled and max(ids) < TINY["n"]
    assert results["same_uncertainty"] and results["same_ranked"]


def test_dask_json_record_round_trips(tiny_run, tmp_path):
    results, _ = tiny_run
    path = tmp_path / "dask.json"
    machine = {"cpu": "test cpu", "cores": 2}
    dask_run.write_document(path, dask_run.benchmark_document(results, machine))
    record = json.loads(path.read_text())
    assert record["format"] == dask_run.FORMAT
    assert record["machine"] == machine
    assert record["settings"] == results["settings"]
    figures = {k: v for k, v in results.items() if k != "settings"}
    assert record["figures"] == json.loads(json.dumps(figures))
    assert record["figures"]["dask_ranked_ids"] == results["single_ranked_ids"]


def test_dask_main_on_an_existing_scheduler_writes_json(dask_client, tmp_path, capsys):
    path = tmp_path / "run.json"
    argv = ["--n", "600", "--d", "3", "--chunk-rows", "200", "--labeled", "12", "--batch", "3",
            "--no-single", "--scheduler", dask_client.scheduler.address, "--json", str(path)]
    assert dask_run.main(argv) == 0
    printed = capsys.readouterr().out
    assert "dask ranked batch of 3" in printed and f"wrote {path}" in printed
    record = json.loads(path.read_text())
    assert record["settings"]["scheduler"] == dask_client.scheduler.address
    assert record["settings"]["single"] is False and record["settings"]["n"] == 600
    assert {"cpu", "cores", "versions"} <= set(record["machine"])
    assert len(record["figures"]["dask_ranked_ids"]) == 3
    assert "single_ranked_s" not in record["figures"]


def test_dask_main_without_distributed_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(SystemExit) as exit_info:
        dask_run.main(["--n", "100", "--labeled", "4", "--batch", "2"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert 'pip install "fastal[dask]"' in err
    assert err.startswith("usage: python -m fastal.benchmark dask")


@pytest.mark.parametrize("argv, words", [
    (["--d", "1"], "--d must be at least 2"),
    (["--n", "10", "--labeled", "8", "--batch", "5"], "must not exceed --n"),
    (["--workers", "0"], "--workers must be at least 1"),
])
def test_dask_main_rejects_impossible_settings(argv, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        dask_run.main(argv)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err


def test_parity_without_libact_points_to_the_recipe(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "libact", None)
    with pytest.raises(SystemExit) as exit_info:
        parity.main(["--queries", "2"])
    assert exit_info.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("usage: python -m fastal.benchmark parity")
    assert "needs libact" in err and "README" in err and "pure Python" in err


def test_parity_cases_cover_every_strategy_data_set_and_seed():
    cases = parity.parity_cases()
    assert len(cases) == len(set(cases)) == 48
    assert {c[0] for c in cases} == set(parity.STRATEGIES)
    assert {c[1] for c in cases} == {"iris", "binary"}


@pytest.mark.parametrize("strategy", parity.STRATEGIES)
def test_fastal_side_of_every_parity_strategy_runs(strategy):
    ids = parity.fastal_sequence(strategy, "binary", 0, 3)
    _, y, partial = parity.parity_pool("binary", 0)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(isinstance(i, int) and 0 <= i < len(y) and partial[i] is None for i in ids)


def test_fastal_side_runs_on_iris():
    ids = parity.fastal_sequence("us_svm_sm", "iris", 1, 4)
    assert len(ids) == 4 and len(set(ids)) == 4


def test_first_difference():
    assert parity.first_difference([1, 2, 3], [1, 2, 3]) is None
    assert parity.first_difference([1, 2, 3], [1, 5, 3]) == 1
    assert parity.first_difference([1, 2], [1, 2, 3]) == 2
