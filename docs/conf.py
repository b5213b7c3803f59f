"""Sphinx configuration of fastal's documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html``
"""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import fastal  # noqa: E402

project = "fastal"
author = "fastal contributors"
copyright = "fastal contributors"
version = fastal.__version__
release = fastal.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "libact_compat",
    "markdown_tables",
]

exclude_patterns = ["_build", "experiment_summary.md"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["fastal.css"]

# autodoc / autosummary: one page per public name, written at build time
# into api/generated/ (not kept in the repository).
autosummary_generate = True
autosummary_imported_members = True
autodoc_member_order = "bysource"
autodoc_typehints = "none"

# numpydoc: docstrings are numpydoc-formatted; the member tables of a class
# come from the class template, not from numpydoc.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"fastal {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "header_links_before_dropdown": 5,
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# The guide pages have no sub-pages: no left sidebar, more room for tables.
html_sidebars = {page: [] for page in (
    "index", "getting_started", "libact", "peers", "kernels", "large_pools",
    "experiments", "performance")}
html_show_sourcelink = False


# -- docstrings written as plain text ---------------------------------------
# fastal's docstrings read well in ``help()``: they write absolute values and
# set sizes as |x| and |U|, and attribute names such as ``cluster_centers_``
# without markup.  In reStructuredText ``|x|`` is a substitution and ``name_``
# a hyperlink, so both are escaped here, outside inline literals, roles and
# ``.. math::`` blocks, after numpydoc has laid out the sections.
import inspect  # noqa: E402
import re  # noqa: E402

_KEEP = re.compile(r"``.+?``|:[\w:.-]+:`[^`]*`|`[^`]*`_{0,2}", re.DOTALL)
_BAR = re.compile(r"(?<!\\)\|")
_TRAILING_UNDERSCORE = re.compile(r"(?<![\w\\*`])([A-Za-z]\w*?)_(?=[\s,.;:)\]}]|$)")


def _escape_plain(text):
    """Escape ``|`` and trailing underscores in ``text`` (several lines at once, so
    that inline literals broken across lines are recognised), literals and roles kept."""
    def escape(plain):
        return _TRAILING_UNDERSCORE.sub(r"\1\\_", _BAR.sub(r"\\|", plain))

    out, last = [], 0
    for match in _KEEP.finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def escape_plain_text_markup(app, what, name, obj, options, lines):
    """Escape plain-text ``|`` and ``name_`` in a docstring, paragraph by paragraph,
    leaving ``.. math::`` blocks alone."""
    result, chunk, math_indent = [], [], None

    def flush():
        if chunk:
            result.extend(_escape_plain("\n".join(chunk)).split("\n"))
            chunk.clear()

    for line in lines:
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if math_indent is not None and (not stripped or indent > math_indent):
            result.append(line)
            continue
        math_indent = None
        if stripped.startswith(".. math::"):
            flush()
            math_indent = indent
            result.append(line)
        elif not stripped:
            flush()
            result.append(line)
        else:
            chunk.append(line)
    flush()
    lines[:] = result


# ``fastal.utils.zip`` is Python's built-in ``zip``, exported because libact's
# ``libact.utils`` exports it; its own docstring is not reStructuredText.
def describe_builtin_zip(app, what, name, obj, options, lines):
    if name == "fastal.utils.zip" and obj is zip:
        lines[:] = [
            "Python's built-in :func:`zip`, exported under libact's name.",
            "",
            "``libact.utils`` exports ``zip`` (a leftover of its Python 2 support);",
            "``fastal.utils`` does the same so that ``from libact.utils import zip``",
            "keeps working after switching the import to fastal.",
        ]


# Module-level data have no docstring of their own; autodoc would show the
# docstring of their type (str, dict).  These say what they hold.
DATA_DOCS = {
    "fastal.__version__": "fastal's version, a string such as ``\"0.1.0\"``.",
    "fastal.experiment.PROTOCOLS":
        "The built-in protocols by name (``\"synthetic\"``, ``\"digits\"``): "
        ":class:`~fastal.experiment.Protocol` objects, as ``--protocol`` takes them.",
    "fastal.experiment.STRATEGIES":
        "Strategy factories by name, as :func:`fastal.query` and ``--strategies`` "
        "take them; :func:`~fastal.experiment.register_strategy` adds to it.",
}


def describe_data(app, what, name, obj, options, lines):
    if what not in ("data", "attribute"):
        return
    own = "\n".join(lines).strip()
    if name in DATA_DOCS and (not own or own == (inspect.getdoc(type(obj)) or "").strip()):
        lines[:] = [DATA_DOCS[name]]
    elif own and own == (inspect.getdoc(type(obj)) or "").strip():
        lines[:] = []


# Bases that the reference does not document — private helpers such as
# ``fastal.query_strategies._selection.ScoredQueryStrategy`` or mixins such as
# ``fastal.utils.signatures.KeywordChecked`` — mean nothing to a reader: show
# the documented classes they derive from instead.
_documented = {}


def public_bases(app, name, obj, options, bases):
    if not _documented:
        from libact_compat import documented_names
        _documented.update(documented_names())

    def expand(cls):
        internal = (cls.__module__ or "").split(".")[0] == "fastal" \
            and id(cls) not in _documented
        if not internal:
            return [cls]
        return [b for base in cls.__bases__ for b in expand(base)]

    public = []
    for base in bases:
        for cls in expand(base):
            if cls not in public:
                public.append(cls)
    bases[:] = [cls for cls in public if cls is not object] or [object]


def setup(app):
    app.connect("autodoc-process-docstring", describe_builtin_zip, priority=100)
    app.connect("autodoc-process-docstring", describe_data, priority=100)
    app.connect("autodoc-process-bases", public_bases)
    app.connect("autodoc-process-docstring", escape_plain_text_markup, priority=600)
