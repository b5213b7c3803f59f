"""The documentation's sources: API reference complete, libact table true, examples run.

These tests read the .rst sources and the helpers in docs/ directly, so they
need neither Sphinx nor the docs extra (the docstring quotes need numpydoc and
are skipped without it).
"""
import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# Every module whose __all__ the API reference documents.
API_MODULES = [
    "fastal",
    "fastal.kernels",
    "fastal.base.dataset",
    "fastal.base.interfaces",
    "fastal.models",
    "fastal.models.multilabel",
    "fastal.labelers",
    "fastal.query_strategies",
    "fastal.query_strategies.multiclass",
    "fastal.query_strategies.multilabel",
    "fastal.utils",
    "fastal.utils.multilabel",
    "fastal.experiment",
    "fastal.testing",
    "fastal.compat",
    "fastal.dask",
]
# modules of optional extras: their names are checked where the extra is installed
OPTIONAL = {"fastal.dask": ("dask", "distributed")}


def _import_api_module(module_name):
    for requirement in OPTIONAL.get(module_name, ()):
        pytest.importorskip(requirement)
    return importlib.import_module(module_name)


def _installed(module_name):
    return all(importlib.util.find_spec(r) is not None for r in OPTIONAL.get(module_name, ()))


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def compat():
    return _load("_docs_libact_compat", DOCS / "_ext" / "libact_compat.py")


# -- API reference ---------------------------------------------------------------

def autosummary_entries(rst_text):
    """``{"module.name"}`` listed in the autosummary blocks of one .rst source,
    each under the module of the ``currentmodule`` / ``module`` / ``automodule``
    directive above it."""
    found = set()
    module = None
    lines = rst_text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = re.match(r"\.\. (?:py:)?(currentmodule|module|automodule)::\s*(\S+)", line)
        if directive:
            module = directive.group(2)
        elif re.match(r"\.\. autosummary::", line):
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                entry = lines[i].strip()
                if entry and not entry.startswith(":"):
                    name = entry.lstrip("~")
                    found.add(name if module is None else f"{module}.{name}")
                i += 1
            continue
        i += 1
    return found


def api_reference_entries():
    entries = set()
    for path in sorted((DOCS / "api").glob("*.rst")):
        entries |= autosummary_entries(path.read_text(encoding="utf-8"))
    return entries


def test_autosummary_parser():
    text = """
.. currentmodule:: pkg.mod

.. autosummary::
   :toctree: generated/
   :nosignatures:

   alpha
   ~beta

Text.

.. autosummary::

   gamma
"""
    assert autosummary_entries(text) == {"pkg.mod.alpha", "pkg.mod.beta", "pkg.mod.gamma"}


@pytest.mark.parametrize("module_name", API_MODULES)
def test_every_public_name_is_in_the_api_reference(module_name):
    module = _import_api_module(module_name)
    assert "__all__" in vars(module), f"{module_name} defines no __all__"
    documented = api_reference_entries()
    missing = [name for name in module.__all__ if f"{module_name}.{name}" not in documented]
    assert not missing, f"docs/api/ lacks {module_name}: {missing}"


def test_api_reference_lists_only_public_names():
    present = [m for m in API_MODULES if _installed(m)]
    public = {f"{m}.{name}" for m in present for name in importlib.import_module(m).__all__}
    missing = tuple(f"{m}." for m in API_MODULES if m not in present)
    stale = sorted(e for e in api_reference_entries() - public if not e.startswith(missing))
    assert not stale, f"docs/api/ lists names that no __all__ has: {stale}"


def test_api_reference_has_a_page_per_module():
    index = (DOCS / "api" / "index.rst").read_text(encoding="utf-8")
    for module_name in API_MODULES:
        assert (DOCS / "api" / f"{module_name}.rst").exists()
        assert re.search(rf"^\s+{re.escape(module_name)}$", index, re.M), module_name


def test_extension_documents_the_same_modules(compat):
    assert list(compat.API_MODULES) == API_MODULES


# -- libact compatibility data ---------------------------------------------------

def test_libact_names_file_lists_libact_names(compat):
    rows = compat.read_names()
    kinds = {kind for kind, _, _ in rows}
    assert kinds <= set(compat.KINDS)
    modules = {module for kind, module, _ in rows if kind == "module"}
    names = {f"{module}.{name}" for kind, module, name in rows if name}
    assert len(modules) >= 30 and len(names) >= 60
    for expected in ("libact.base.dataset.Dataset",
                     "libact.query_strategies.UncertaintySampling",
                     "libact.query_strategies.multiclass.HierarchicalSampling",
                     "libact.query_strategies.multilabel.MMC",
                     "libact.models.SVM",
                     "libact.utils.seed_random_state"):
        assert expected in names
    assert {"libact", "libact.query_strategies", "libact.base.interfaces"} <= modules
    # every name sits under a module that is listed itself
    assert {module for _, module, _ in rows} == modules
    assert len(rows) == len(set(rows))
    assert not any("tests" in module.split(".") for module in modules)


def _fastal_has(kind, fastal_module, name):
    """Whether fastal has ``name`` (a class for a libact class, a callable for a
    function) in ``fastal_module``, checked here without the docs' helpers."""
    try:
        module = importlib.import_module(fastal_module)
    except ImportError:
        return False
    if not name:
        return True
    if not hasattr(module, name):
        return False
    obj = getattr(module, name)
    return {"class": inspect.isclass, "function": callable}.get(kind, lambda _: True)(obj)


def test_every_provided_claim_imports_from_fastal(compat):
    entries = compat.compatibility(details=False)
    assert any(e.provided for e in entries), "the table claims nothing"
    for entry in entries:
        assert entry.fastal_module == "fastal" + entry.module[len("libact"):]
        assert entry.provided == _fastal_has(entry.kind, entry.fastal_module, entry.name), \
            entry.libact_path
        if entry.provided and entry.name:
            imported = getattr(importlib.import_module(entry.fastal_module), entry.name)
            assert imported is entry.obj


def test_claims_follow_what_fastal_has(compat):
    assert compat.resolve("class", "libact.query_strategies", "UncertaintySampling",
                          details=False).provided
    missing_name = compat.resolve("class", "libact.query_strategies", "NoSuchStrategy",
                                  details=False)
    assert not missing_name.provided and "NoSuchStrategy" in missing_name.error
    missing_module = compat.resolve("module", "libact.no_such_module", details=False)
    assert not missing_module.provided
    not_a_class = compat.resolve("class", "libact.utils", "seed_random_state", details=False)
    assert not not_a_class.provided


def test_departures_are_quoted_from_the_docstrings(compat):
    pytest.importorskip("numpydoc")
    from fastal.query_strategies import DWUS, HintSVM, VarianceReduction, CoreSet

    def words(text):
        return " ".join(text.split())

    for cls in (DWUS, HintSVM, VarianceReduction):
        passages = compat.departures(cls)
        assert passages, cls.__name__
        doc = words(inspect.getdoc(cls))
        for passage in passages:
            quoted = re.sub(r"^``\w+``: ", "", passage)      # parameter passages
            assert words(quoted) in doc
    assert "cache_features" in compat.additions(CoreSet)


def test_names_generator_reads_a_source_tree(tmp_path):
    generator = _load("_docs_make_libact_names", DOCS / "make_libact_names.py")
    package = tmp_path / "libact"
    (package / "sub").mkdir(parents=True)
    (package / "tests").mkdir()
    (package / "__init__.py").write_text('__all__ = ["sub"]\n')
    (package / "sub" / "__init__.py").write_text(
        "from .impl import Thing, helper as public_helper\n"
        "from ._private import hidden\n"
        "__all__ = ['Thing', 'public_helper', 'alias']\n"
        "alias = Thing\n")
    (package / "sub" / "impl.py").write_text(
        "class Thing:\n    pass\n\nclass _Hidden:\n    pass\n\n"
        "def helper():\n    pass\n\ntry:\n    def optional():\n        pass\n"
        "except ImportError:\n    pass\n")
    (package / "sub" / "_private.py").write_text("def hidden():\n    pass\n")
    (package / "tests" / "__init__.py").write_text("class TestThing:\n    pass\n")
    rows = generator.scan(package)
    assert rows == [
        ("module", "libact", ""),
        ("module", "libact.sub", ""),
        ("name", "libact.sub", "alias"),
        ("function", "libact.sub", "public_helper"),
        ("class", "libact.sub", "Thing"),
        ("module", "libact.sub.impl", ""),
        ("function", "libact.sub.impl", "helper"),
        ("function", "libact.sub.impl", "optional"),
        ("class", "libact.sub.impl", "Thing"),
    ]
    out = tmp_path / "names.txt"
    generator.main([str(tmp_path), "-o", str(out)])
    compat_rows = _load("_docs_libact_compat_2", DOCS / "_ext" / "libact_compat.py") \
        .read_names(out)
    assert compat_rows == rows


# -- pages -----------------------------------------------------------------------

def python_blocks(rst_path):
    """``[(section title, code)]`` for every ``code-block:: python`` of a page."""
    lines = rst_path.read_text(encoding="utf-8").splitlines()
    blocks, section = [], ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and re.fullmatch(r"([=\-~^])\1+", lines[i + 1]) \
                and len(lines[i + 1]) >= len(line.strip()):
            section = line.strip()
        if line.strip() == ".. code-block:: python" and not line.startswith(" "):
            i += 1
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("   ")):
                body.append(lines[i][3:])
                i += 1
            blocks.append((section, "\n".join(body).strip() + "\n"))
            continue
        i += 1
    return blocks


@pytest.mark.parametrize("page, sections", [
    ("getting_started.rst", None),                  # every block, in order
    ("peers.rst", {"A complete example"}),
    ("kernels.rst", {"Example"}),
])
def test_page_examples_run(page, sections, capsys):
    blocks = [code for section, code in python_blocks(DOCS / page)
              if sections is None or section in sections]
    assert blocks, page
    namespace = {"__name__": "__docs_example__"}
    for code in blocks:
        exec(compile(code, str(DOCS / page), "exec"), namespace)
    assert capsys.readouterr().out.strip()


def test_getting_started_has_the_install_and_test_commands():
    text = (DOCS / "getting_started.rst").read_text(encoding="utf-8")
    assert 'pip install -e ".[test,ann]"' in text
    assert re.search(r"^\s+pytest\b", text, re.M)


def test_markdown_tables_convert_the_experiment_summary():
    converter = _load("_docs_markdown_tables", DOCS / "_ext" / "markdown_tables.py")
    markdown = (DOCS / "experiment_summary.md").read_text(encoding="utf-8")
    rst = converter.markdown_to_rst(markdown)
    n_tables = sum(line.startswith(".. list-table::") for line in rst)
    n_markdown_tables = len(re.findall(r"(?:^\|.*\n)+", markdown, re.M))
    assert n_tables == n_markdown_tables >= 1
    rows = sum(line.startswith("   * - ") for line in rst)
    table_lines = [line for line in markdown.splitlines() if line.startswith("|")]
    separators = [line for line in table_lines if re.fullmatch(r"[\s|:-]+", line)]
    assert rows == len(table_lines) - len(separators)


def test_figures_referenced_by_the_pages_exist():
    for page in DOCS.glob("*.rst"):
        for image in re.findall(r"^\.\. (?:image|figure):: (\S+)", page.read_text(), re.M):
            assert (DOCS / image).exists(), (page.name, image)
