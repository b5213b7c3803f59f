"""The README's runnable examples run and print what they say."""
import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_text_example_runs():
    (block,) = [b for b in python_blocks() if "TfidfVectorizer" in b]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(README), "exec"), {})
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1] == "21 labeled"
    for line in lines[:2]:                      # five distinct unlabeled row numbers
        ids = [int(v) for v in line.strip("[]").split()]
        assert len(set(ids)) == 5 and not {0, 1, 100, 101, 200, 201} & set(ids)


def test_the_usage_snippets_run_as_written():
    use, one_call = python_blocks()[:2]
    assert "load_digits" in use and "fastal.query" in one_call
    namespace = {}
    exec(compile(use, str(README), "exec"), namespace)
    assert namespace["ds"].len_labeled() == 41 and len(set(namespace["batch"].tolist())) == 20
    exec(compile(one_call, str(README), "exec"), namespace)
    assert namespace["ids"].shape == (50,) and namespace["scores"].shape == (1797,)


def test_the_experiment_on_your_own_data_runs_and_answers(tmp_path, monkeypatch):
    import shlex

    from fastal.experiment import __main__ as cli

    text = README.read_text()
    (make,) = [b for b in python_blocks() if "cancer.npz" in b]
    (command,) = re.findall(r"```bash\n(python -m fastal.experiment --data .*?)```", text,
                            flags=re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(make, str(README), "exec"), {})
    args = shlex.split(command.replace("\\\n", " "))[3:]
    with contextlib.redirect_stdout(io.StringIO()):
        cli.main(args + ["--no-progress", "--n-jobs", "1"])
    summary = (tmp_path / "results" / "summary.md").read_text()
    (quoted,) = re.findall(r"^> (\*\*cancer:.*)$", text, flags=re.M)
    answers = [line for line in summary.splitlines() if line.startswith("**cancer:")]
    assert len(answers) == 1
    # the verdict the README quotes is the one the run gives
    assert answers[0].split("**")[1] == quoted.split("**")[1]


def test_the_dask_example_runs():
    import pytest

    pytest.importorskip("dask")
    pytest.importorskip("distributed")
    (block,) = [b for b in python_blocks() if "fastal.dask.next_batch" in b]
    namespace = {"__name__": "readme_example"}      # defines main() without running it
    exec(compile(block, str(README), "exec"), namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace["main"]()
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["0", "1", "2"]
