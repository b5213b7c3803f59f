"""Experiments on one's own data: file formats, model specs, stopping, statistics, answers."""
import csv
import json
import os
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from sklearn.datasets import dump_svmlight_file, make_classification

from fastal.experiment import (ModelSpec, Protocol, StopAfterLabels, StopOnPlateau,
                               compare_to_random, load_curves, load_data, parse_stop,
                               read_records, run, summarize)
from fastal.experiment import __main__ as cli
from fastal.experiment.models import SoftmaxDecisionAdapter
from fastal.experiment.report import answer, holm, paired_difference
from fastal.experiment.runner import task_path
from fastal.models import SklearnProbaAdapter

QUICK = dict(progress=False, n_jobs=1)
CLI_QUICK = ["--n-jobs", "1", "--no-progress"]


def _data(n=240, classes=3, seed=0):
    X, y = make_classification(n, n_features=8, n_informative=5, n_classes=classes,
                               n_clusters_per_class=1, random_state=seed)
    return X, y


def _records(out, protocol, strategy, seed=0):
    records, _ = read_records(task_path(out, protocol, strategy, seed))
    return records


# ---------------------------------------------------------------- formats

def test_npz_file_runs_and_resumes(tmp_path, capsys):
    X, y = _data()
    path = tmp_path / "pool.npz"
    np.savez(path, X=X, y=y)
    out = str(tmp_path / "out")
    args = ["--data", str(path), "--strategies", "random,margin", "--seeds", "2",
            "--rounds", "3", "--batch", "10", "--out", out] + CLI_QUICK
    cli.main(args)
    first = capsys.readouterr()
    assert "| pool: strategy |" in first.out and "| pool: vs random |" in first.out
    recs = _records(out, "pool", "margin")
    assert [r["n_labeled"] for r in recs] == [20, 30, 40, 50]
    # 25 % of 240 rows is the test set: the pool is 180 rows
    assert recs[0]["config"]["test_size"] == 0.25 and len(recs[0]["config"]["data"]) == 64
    cli.main(args)
    assert "resuming: 16 of 16 rounds found" in capsys.readouterr().err


def test_npz_with_its_own_test_set(tmp_path):
    X, y = _data()
    path = tmp_path / "split.npz"
    np.savez(path, X=X[:200], y=y[:200], X_test=X[200:], y_test=y[200:])
    p = Protocol.from_file(path, rounds=2, batch=5, initial=10)
    X_pool, y_pool, X_test, y_test, initial = p.split(3)
    assert X_pool.shape == (200, 8) and np.array_equal(X_test, X[200:])
    assert "test_size" not in p.config()


def test_npy_pair(tmp_path):
    X, y = _data()
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    data = load_data(tmp_path / "X.npy", target=str(tmp_path / "y.npy"))
    assert np.array_equal(data.X, X) and np.array_equal(data.y, y)
    with pytest.raises(ValueError, match="labels' .npy file with --target"):
        load_data(tmp_path / "X.npy")


def _write_csv(path, X, y, extra=None):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"f{j}" for j in range(X.shape[1])] + ["label"] + list(extra or {}))
        for i, (row, label) in enumerate(zip(X, y)):
            w.writerow(list(row) + [f"class-{label}"] +
                       [values[i] for values in (extra or {}).values()])


def test_csv_with_string_labels_and_costs(tmp_path):
    X, y = _data()
    path = tmp_path / "pool.csv"
    _write_csv(path, X, y, extra={"cost": np.arange(len(y)) % 3 + 1})
    data = load_data(path, target="label", cost_column="cost")
    assert data.X.shape == (240, 8) and np.allclose(data.X, X)
    assert set(data.y) == {"class-0", "class-1", "class-2"}
    assert data.cost.tolist() == (np.arange(240) % 3 + 1).tolist()
    out = str(tmp_path / "out")
    run([Protocol.from_file(path, target="label", cost_column="cost", rounds=3, batch=5)],
        ["margin"], 1, out, **QUICK)
    assert len(_records(out, "pool", "margin")) == 4


def test_libsvm_stays_sparse(tmp_path):
    X, y = _data(classes=2)
    X[np.abs(X) < 0.8] = 0
    path = tmp_path / "pool.svm"
    dump_svmlight_file(sp.csr_matrix(X), y, str(path))
    data = load_data(path)
    assert sp.issparse(data.X) and np.allclose(data.X.toarray(), X)
    X_pool = Protocol.from_file(path, rounds=2, batch=5).split(0)[0]
    assert sp.issparse(X_pool)
    out = str(tmp_path / "out")
    cli.main(["--data", str(path), "--strategies", "random,margin,coreset", "--seeds", "1",
              "--rounds", "2", "--batch", "5", "--out", out] + CLI_QUICK)
    assert {s for s in load_curves(out, "pool")} == {"random", "margin", "coreset"}


def test_from_arrays_and_file_checksums(tmp_path):
    X, y = _data()
    a = Protocol.from_arrays(X, y)
    b = Protocol.from_arrays(X.copy(), y.copy())
    c = Protocol.from_arrays(X, np.roll(y, 1))
    assert a.config() == b.config() and a.config() != c.config()
    assert a.config()["initial_sampling"] == "stratified"


def test_stratified_initial_holds_every_class(tmp_path):
    X, y = _data(n=300, classes=5)
    p = Protocol.from_arrays(X, y, initial=10, rounds=1, batch=1)
    for seed in range(5):
        _, y_pool, _, _, initial = p.split(seed)
        assert len(set(y_pool[initial])) == 5 and len(initial) == 10
    with pytest.raises(ValueError, match="cannot hold each of the 5 classes"):
        Protocol.from_arrays(X, y, initial=3, rounds=1, batch=1).split(0)
    rand = Protocol.from_arrays(X, y, initial=3, rounds=1, batch=1, initial_sampling="random")
    assert len(rand.split(0)[4]) == 3


# ---------------------------------------------------------------- models

def test_model_spec_with_parameters(tmp_path):
    make = ModelSpec("sklearn.linear_model:LogisticRegression", {"C": 0.5, "max_iter": 500})
    model = make()
    assert isinstance(model, SklearnProbaAdapter) and model.model.C == 0.5
    assert isinstance(ModelSpec("sklearn.svm:LinearSVC")(), SoftmaxDecisionAdapter)
    X, y = _data()
    out = str(tmp_path / "out")
    run([Protocol.from_arrays(X, y, name="mine", rounds=2, batch=5)], ["random", "entropy"],
        1, out, model="sklearn.linear_model:LogisticRegression", **QUICK)
    config = _records(out, "mine", "entropy")[0]["config"]
    assert config["model"] == "sklearn.linear_model:LogisticRegression"


def test_model_factory_of_ones_own(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_models.py").write_text(
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "def scaled_logreg(C=1.0):\n"
        "    return make_pipeline(StandardScaler(), LogisticRegression(C=C))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_models", raising=False)
    X, y = _data()
    path = tmp_path / "pool.npz"
    np.savez(path, X=X, y=y)
    out = str(tmp_path / "out")
    cli.main(["--data", str(path), "--strategies", "margin", "--seeds", "1", "--rounds", "2",
              "--model", "my_models:scaled_logreg", "--model-params", '{"C": 0.3}',
              "--out", out] + CLI_QUICK)
    config = _records(out, "pool", "margin")[0]["config"]
    assert config["model"] == 'my_models:scaled_logreg {"C": 0.3}'


@pytest.mark.parametrize("spec, message", [
    ("no_such_module_xyz:Model", "cannot import 'no_such_module_xyz'"),
    ("sklearn.linear_model:NoSuchModel", "has no 'NoSuchModel'"),
    ("LogisticRegression", "'package.module:name'"),
])
def test_model_spec_that_does_not_import(spec, message):
    with pytest.raises(ValueError, match=message):
        ModelSpec(spec)


def test_model_spec_errors_on_the_command_line(tmp_path, capsys):
    X, y = _data()
    np.savez(tmp_path / "pool.npz", X=X, y=y)
    base = ["--data", str(tmp_path / "pool.npz"), "--out", str(tmp_path / "o")] + CLI_QUICK
    for extra, message in [(["--model", "nowhere:Thing"], "cannot import 'nowhere'"),
                           (["--model", "sklearn.linear_model:LogisticRegression",
                             "--model-params", "{C: 1}"], "not valid JSON"),
                           (["--model", "sklearn.linear_model:LogisticRegression",
                             "--model-params", '{"nonsense": 1}'], "nonsense"),
                           (["--model", "sklearn.preprocessing:StandardScaler"],
                            "neither a fastal Model nor a scikit-learn classifier")]:
        with pytest.raises(SystemExit) as exc:
            cli.main(base + extra)
        assert exc.value.code == 2 and message in capsys.readouterr().err


# ---------------------------------------------------------------- stopping

def test_labels_budget_cuts_the_last_batch(tmp_path):
    X, y = _data()
    out = str(tmp_path / "out")
    run([Protocol.from_arrays(X, y, name="mine", batch=15)], ["margin"], 1, out,
        stop="labels=50", **QUICK)
    recs = _records(out, "mine", "margin")
    # rounds default to what the budget needs: 20 + 15 + 15 + (cut to) 0 ... = 50
    assert [r["n_labeled"] for r in recs] == [20, 35, 50]
    assert recs[-1]["query_ids"] == [] and recs[-1]["config"]["stop"] == "labels=50"
    assert recs[-1]["config"]["rounds"] == 2


def test_labels_budget_not_a_multiple_of_the_batch(tmp_path):
    X, y = _data()
    out = str(tmp_path / "out")
    run([Protocol.from_arrays(X, y, name="mine", batch=15)], ["random"], 1, out,
        stop=StopAfterLabels(42), **QUICK)
    assert [r["n_labeled"] for r in _records(out, "mine", "random")] == [20, 35, 42]


def test_plateau_stops_early_and_the_curve_ends_there(tmp_path):
    X, y = _data()
    out = str(tmp_path / "out")
    # a min_delta no gain can reach: every task stops after patience + 1 records
    run([Protocol.from_arrays(X, y, name="mine", rounds=10, batch=5)], ["random", "margin"],
        2, out, stop=StopOnPlateau(patience=2, min_delta=1.0), **QUICK)
    recs = _records(out, "mine", "margin")
    assert len(recs) == 3 and recs[-1]["stopped"] and recs[-1]["query_ids"] == []
    rows = {r["strategy"]: r for r in summarize(out, "mine")}
    assert rows["margin"]["labels_used"] == 30 and rows["margin"]["seeds"] == 2
    curves = load_curves(out, "mine")
    assert curves["margin"]["n_labeled"].tolist() == [20, 25, 30]


def test_cost_budget_keeps_the_queries_that_fit(tmp_path):
    X, y = _data()
    cost = np.arange(len(y)) % 4 + 1.0
    out = str(tmp_path / "out")
    protocol = Protocol.from_arrays(X, y, name="mine", rounds=10, batch=6, cost=cost)
    run([protocol], ["margin"], 1, out, stop="cost=25", **QUICK)
    recs = _records(out, "mine", "margin")
    pool_cost = protocol.pool_cost(0)
    spent = sum(pool_cost[i] for r in recs for i in r["query_ids"])
    assert spent <= 25 and recs[-1]["stopped"]
    assert recs[-1]["cost_spent"] == pytest.approx(spent)
    # it stopped because the strategy's next pick (cost at most 4) did not fit
    assert spent > 25 - 4


def test_rounds_criterion_and_any_of(tmp_path, capsys):
    X, y = _data()
    np.savez(tmp_path / "pool.npz", X=X, y=y)
    out = str(tmp_path / "out")
    cli.main(["--data", str(tmp_path / "pool.npz"), "--strategies", "random", "--seeds", "1",
              "--batch", "5", "--stop", "rounds=2", "--stop", "labels=100", "--out", out]
             + CLI_QUICK)
    recs = _records(out, "pool", "random")
    assert [r["n_labeled"] for r in recs] == [20, 25, 30] and recs[-1]["stopped"]
    assert recs[0]["config"]["stop"] == "rounds=2 labels=100"


def test_stop_spec_errors(tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown stopping criterion 'budget=3'"):
        parse_stop("budget=3")
    with pytest.raises(ValueError, match="the form is labels=N"):
        parse_stop("labels=many")
    with pytest.raises(TypeError, match="stopping criterion"):
        parse_stop([lambda history: True])
    X, y = _data()
    with pytest.raises(ValueError, match=r"labels budget \(15\) must be larger than the "
                                         r"initial labels \(20\)"):
        run([Protocol.from_arrays(X, y)], ["random"], 1, str(tmp_path / "o"),
            stop="labels=15", **QUICK)
    np.savez(tmp_path / "pool.npz", X=X, y=y)
    with pytest.raises(SystemExit):
        cli.main(["--data", str(tmp_path / "pool.npz"), "--initial", "30", "--stop",
                  "labels=25", "--out", str(tmp_path / "o")] + CLI_QUICK)
    assert "labels budget (25) must be larger than the initial labels (30)" in \
        capsys.readouterr().err


def test_stop_on_a_builtin_protocol_keeps_it_otherwise(tmp_path):
    out = str(tmp_path / "out")
    run(["synthetic"], ["random"], 1, out, stop="labels=60", **QUICK)
    recs = _records(out, "synthetic", "random")
    assert [r["n_labeled"] for r in recs] == [20, 40, 60]
    assert recs[0]["config"] == {"name": "synthetic", "rounds": 2, "batch": 20, "initial": 20,
                                 "noise": 0.0, "stop": "labels=60"}


# ---------------------------------------------------------------- resuming

def test_changed_data_file_is_detected_on_resume(tmp_path, capsys):
    X, y = _data()
    path = tmp_path / "pool.npz"
    np.savez(path, X=X, y=y)
    args = ["--data", str(path), "--strategies", "random", "--seeds", "1", "--rounds", "2",
            "--out", str(tmp_path / "out")] + CLI_QUICK
    cli.main(args)
    capsys.readouterr()
    X[0, 0] += 1.0
    np.savez(path, X=X, y=y)
    with pytest.raises(SystemExit) as exc:
        cli.main(args)
    assert exc.value.code == 2
    assert "the data changed since (its checksum differs)" in capsys.readouterr().err


def test_records_after_a_stop_are_rejected(tmp_path):
    X, y = _data()
    out = str(tmp_path / "out")
    run([Protocol.from_arrays(X, y, name="mine", rounds=5, batch=10)], ["random"], 1, out,
        stop=StopOnPlateau(patience=1, min_delta=1.0), **QUICK)
    path = task_path(out, "mine", "random", 0)
    recs = _records(out, "mine", "random")
    extra = dict(recs[-1], round=recs[-1]["round"] + 1)
    del extra["stopped"]
    with open(path, "a") as fh:
        fh.write(json.dumps(extra) + "\n")
    with pytest.warns(RuntimeWarning, match="where the task stopped"):
        assert len(read_records(path)[0]) == len(recs)


# ---------------------------------------------------------------- bad data

def test_missing_target_column(tmp_path, capsys):
    X, y = _data()
    _write_csv(tmp_path / "pool.csv", X, y)
    with pytest.raises(ValueError, match=r"has no column 'klass'; its columns: \['f0'"):
        load_data(tmp_path / "pool.csv", target="klass")
    with pytest.raises(SystemExit):
        cli.main(["--data", str(tmp_path / "pool.csv"), "--out", str(tmp_path / "o")]
                 + CLI_QUICK)
    assert "name the label column with --target" in capsys.readouterr().err


def test_non_numeric_feature(tmp_path):
    path = tmp_path / "pool.csv"
    path.write_text("size,colour,label\n1.0,red,a\n2.0,blue,b\n")
    with pytest.raises(TypeError, match="feature column 'colour' holds 'red', not a number"):
        load_data(path, target="label")
    path.write_text("size,colour,label\n1.0,,a\n2.0,3,b\n")
    with pytest.raises(ValueError, match="feature column 'colour' is empty"):
        load_data(path, target="label")


@pytest.mark.parametrize("arrays, message", [
    (dict(X=np.zeros((4, 2))), "holds no array 'y'"),
    (dict(X=np.zeros(4), y=np.zeros(4)), "must be 2-D"),
    (dict(X=np.zeros((4, 2)), y=np.zeros(3)), "3 labels for 4 rows"),
    (dict(X=np.array([[0.0, np.nan]] * 4), y=np.zeros(4)), "X contains NaN"),
    (dict(X=np.array([["a", "b"]] * 4), y=np.zeros(4)), "X must hold real numbers"),
    (dict(X=np.zeros((4, 2)), y=[0, 1, np.nan, 1]), "NaN or infinite labels"),
])
def test_bad_npz(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises((ValueError, TypeError), match=message):
        load_data(tmp_path / "bad.npz")


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_data(tmp_path / "nowhere.npz")
    (tmp_path / "data.parquet").write_bytes(b"x")
    with pytest.raises(ValueError, match="name it with --format"):
        load_data(tmp_path / "data.parquet")


# ---------------------------------------------------------------- statistics

def test_paired_difference_against_scipy():
    rng = np.random.default_rng(0)
    d = rng.normal(0.01, 0.02, 20)
    r = paired_difference(d)
    low, high = stats.t.interval(0.95, 19, loc=d.mean(), scale=stats.sem(d))
    assert r["mean"] == pytest.approx(d.mean())
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((low, high))
    assert r["p"] == pytest.approx(stats.wilcoxon(d).pvalue)
    # known values: all five differences positive, exact two-sided p = 2 / 2**5
    assert paired_difference([1, 2, 3, 4, 5])["p"] == pytest.approx(0.0625)
    assert paired_difference([0.0, 0.0, 0.0])["p"] == 1.0
    assert paired_difference([0.3])["p"] is None


def test_holm_adjustment():
    # Holm by hand: sorted 0.01, 0.03, 0.04 times 3, 2, 1, made monotone
    assert holm([0.04, 0.01, 0.03]) == pytest.approx([0.06, 0.03, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def _fake_task(out, strategy, seed, accuracies):
    path = task_path(out, "fake", strategy, seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    config = {"name": "fake", "rounds": len(accuracies) - 1, "batch": 10, "initial": 10,
              "noise": 0.0}
    with open(path, "w") as fh:
        for rnd, acc in enumerate(accuracies):
            last = rnd == len(accuracies) - 1
            fh.write(json.dumps({
                "protocol": "fake", "config": config, "strategy": strategy, "seed": seed,
                "round": rnd, "n_labeled": 10 + 10 * rnd, "accuracy": acc,
                "full_accuracy": 0.9, "query_ids": [] if last else list(range(rnd * 10,
                                                                              rnd * 10 + 10)),
                "fit_seconds": 0.0, "query_seconds": 0.0}) + "\n")


def test_comparison_and_answer_on_known_curves(tmp_path):
    out = str(tmp_path)
    for seed in range(8):
        _fake_task(out, "random", seed, [0.5, 0.6, 0.7])
        # "good" is ahead by 0.05 + a seed-dependent amount at the middle point
        _fake_task(out, "good", seed, [0.5, 0.7 + seed / 100, 0.8])
        # "same" alternates around random
        _fake_task(out, "same", seed, [0.5, 0.6 + (0.01 if seed % 2 else -0.01), 0.7])
    rows = {r["strategy"]: r for r in compare_to_random(out, "fake")}
    good = rows["good"]
    assert good["seeds"] == 8 and good["wins"] == 8 and good["losses"] == 0
    # AULC of three equally spaced points: (a0 + 2 a1 + a2) / 4
    assert good["mean"] == pytest.approx(np.mean(
        [(0.5 + 2 * (0.7 + s / 100) + 0.8) / 4 - (0.5 + 2 * 0.6 + 0.7) / 4 for s in range(8)]))
    assert good["p"] == pytest.approx(2 / 2 ** 8)
    assert good["p_holm"] == pytest.approx(min(1.0, 2 * good["p"]))
    same = rows["same"]
    assert same["wins"] == 4 and same["losses"] == 4 and same["p"] == pytest.approx(1.0)
    # 90 % of 0.9 = 0.81 is never reached by random: nothing to say about labels saved
    assert good["saved_90"] is None
    sentence = answer(list(rows.values()), "fake")
    assert sentence.startswith("**fake: good beats random beyond noise** at 8 seeds")


def test_answer_for_noise_and_for_no_random(tmp_path):
    out = str(tmp_path)
    for seed in range(4):
        _fake_task(out, "random", seed, [0.5, 0.6, 0.7])
        _fake_task(out, "same", seed, [0.5, 0.6 + (0.01 if seed % 2 else -0.005), 0.7])
    sentence = answer(compare_to_random(out, "fake"), "fake")
    assert sentence.startswith("**fake: not distinguishable from random at 4 seeds**")
    assert answer([], "fake").startswith("**fake:** no finished `random` results")
