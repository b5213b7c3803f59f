"""What fastal says about itself: help(fastal), the options of its command lines, the demo."""
import argparse
import importlib

import pytest

import fastal
from fastal import demo
from fastal.experiment import __main__ as experiment_cli


@pytest.mark.parametrize("parser", [demo._parser(), experiment_cli._parser()],
                         ids=["demo", "experiment"])
def test_every_option_has_a_description(parser):
    for action in parser._actions:
        assert action.help and action.help is not argparse.SUPPRESS, action.option_strings
    assert parser.description
    text = parser.format_help()
    for action in parser._actions:
        assert action.help.split("%")[0][:20] in " ".join(text.split())


def test_demo_says_what_it_does_before_its_table():
    lines = []
    demo.run(rounds=1, batch=5, out=lines.append)
    table = next(i for i, line in enumerate(lines) if line.split()[:2] == ["round", "labels"])
    intro = " ".join(lines[:table])
    for words in ("digits", "uncertainty sampling", "random", "labeled images",
                  "test accuracy", "Columns"):
        assert words in intro
    assert len(lines) == table + 3          # header, round 0, round 1


SUBPACKAGES = ["fastal.base", "fastal.query_strategies", "fastal.models", "fastal.labelers",
               "fastal.utils", "fastal.kernels", "fastal.experiment", "fastal.benchmark",
               "fastal.compat", "fastal.testing"]


def test_package_docstring_names_the_subpackages_and_where_to_start():
    doc = fastal.__doc__
    for name in SUBPACKAGES:
        assert f"``{name}``" in doc, name
        importlib.import_module(name)
    start = doc[doc.index("Where to start"):doc.index("Subpackages")]
    for entry in ("fastal.query(", "Dataset", "make_query()", "python -m fastal.demo",
                  "fastal.compat.install()", "fastal.show_config()"):
        assert entry in start
