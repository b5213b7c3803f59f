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
