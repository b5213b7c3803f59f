"""The libact compatibility table, computed from fastal itself at build time.

``libact_names.txt`` (written by ``make_libact_names.py`` from a libact
checkout) lists libact's public modules, classes and functions.  For each,
this module imports the same path with ``libact`` replaced by ``fastal`` and
reports whether fastal provides it; for classes whose docstrings say where
fastal departs from libact on purpose, it quotes those passages.

The functions here need neither Sphinx nor libact (the test suite uses them);
``setup`` registers the ``libact-compat`` directive when Sphinx loads the
module as an extension.
"""
import importlib
import inspect
import pathlib
import re
from dataclasses import dataclass, field

NAMES_FILE = pathlib.Path(__file__).resolve().parent.parent / "libact_names.txt"
KINDS = ("module", "class", "function", "name")

# A sentence that mentions libact together with one of these words says how
# fastal's behaviour departs from libact's.
_DEPARTURE = re.compile(
    r"\bdiffer(s|ence)?\b|\blibact (fails|raises|silently|returns)\b|\bfastal raises\b",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)[.!?]\)?\s+(?=\S)")
_FASTAL_ONLY = re.compile(r"^\s*fastal only\b", re.IGNORECASE)


@dataclass
class Entry:
    """One libact name and what fastal has under the same path."""

    kind: str                 # module, class, function or name
    module: str               # libact module, e.g. "libact.query_strategies"
    name: str = ""            # "" for a module entry
    provided: bool = False
    obj: object = None        # fastal's object, when provided
    error: str = ""           # why not, when not provided
    departures: list = field(default_factory=list)   # rst passages
    additions: list = field(default_factory=list)    # fastal-only parameter names

    @property
    def libact_path(self):
        return f"{self.module}.{self.name}" if self.name else self.module

    @property
    def fastal_module(self):
        return "fastal" + self.module[len("libact"):]

    @property
    def fastal_path(self):
        return f"{self.fastal_module}.{self.name}" if self.name else self.fastal_module


def read_names(path=NAMES_FILE):
    """``[(kind, module, name)]`` from the names file (name is "" for a module)."""
    rows = []
    for line in pathlib.Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) not in (2, 3) or not parts[1].startswith("libact"):
            raise ValueError(f"{path}: malformed line {line!r}")
        kind, module, name = parts[0], parts[1], (parts[2] if len(parts) == 3 else "")
        if kind not in KINDS or (kind == "module") != (name == ""):
            raise ValueError(f"{path}: malformed line {line!r}")
        rows.append((kind, module, name))
    return rows


def resolve(kind, module, name="", details=True):
    """The fastal counterpart of one libact name, as an ``Entry``.

    ``details``: also read the departures and fastal-only parameters from the
    class docstring (needs numpydoc).
    """
    entry = Entry(kind, module, name)
    try:
        mod = importlib.import_module(entry.fastal_module)
    except ImportError as exc:
        entry.error = f"no module {entry.fastal_module} ({exc})"
        return entry
    if not name:
        entry.provided, entry.obj = True, mod
        return entry
    if not hasattr(mod, name):
        entry.error = f"{entry.fastal_module} has no {name}"
        return entry
    entry.obj = getattr(mod, name)
    if kind == "class" and not inspect.isclass(entry.obj):
        entry.error = f"{entry.fastal_path} is not a class"
        return entry
    if kind == "function" and not callable(entry.obj):
        entry.error = f"{entry.fastal_path} is not callable"
        return entry
    entry.provided = True
    if details and inspect.isclass(entry.obj):
        entry.departures = departures(entry.obj)
        entry.additions = additions(entry.obj)
    return entry


def compatibility(path=NAMES_FILE, details=True):
    """Every libact name of the names file, resolved against fastal."""
    return [resolve(*row, details=details) for row in read_names(path)]


def _docstring(obj):
    from numpydoc.docscrape import NumpyDocString

    text = inspect.getdoc(obj) or ""
    return NumpyDocString(text) if text else None


def _paragraphs(lines):
    block = []
    for line in list(lines) + [""]:
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []


def _from_departure(text):
    """The part of ``text`` from its first sentence that states a departure, or None."""
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        sentence = text[start:end]
        if "libact" in sentence.lower() and _DEPARTURE.search(sentence):
            return text[start:]
    return None


def departures(cls):
    """Passages of ``cls``'s docstring (rst) that say where fastal departs from libact.

    From the summary and notes: each paragraph from its first sentence that
    names libact with "differs" / "difference" / "libact fails" / "libact
    raises" / "libact silently" / "libact returns" / "fastal raises" (a
    passage ending with a colon takes the list that follows it).  From the
    parameters: the descriptions with such a sentence.
    """
    doc = _docstring(cls)
    if doc is None:
        return []
    found = []
    for section in ("Extended Summary", "Notes"):
        blocks = list(_paragraphs(doc[section]))
        take_next = False
        for block in blocks:
            text = "\n".join(line.rstrip() for line in block)
            if take_next:
                found[-1] += "\n\n" + text
                take_next = text.rstrip().endswith(":")
                continue
            passage = _from_departure(text)
            if passage is not None:
                found.append(passage)
                take_next = passage.rstrip().endswith(":")
    for param in doc["Parameters"]:
        text = "\n".join(param.desc)
        passage = _from_departure(text)
        if passage is not None:
            found.append(f"``{param.name}``: {text}")
    return found


def additions(cls):
    """Parameters of ``cls`` that its docstring marks "fastal only"."""
    doc = _docstring(cls)
    if doc is None:
        return []
    return [p.name for p in doc["Parameters"] if p.desc and _FASTAL_ONLY.match(p.desc[0])]


# API reference: the modules whose ``__all__`` the reference documents; a
# "provided" entry links to the documented name of the same object.
API_MODULES = (
    "fastal", "fastal.kernels", "fastal.base.dataset", "fastal.base.interfaces",
    "fastal.models", "fastal.models.multilabel", "fastal.labelers",
    "fastal.query_strategies", "fastal.query_strategies.multiclass",
    "fastal.query_strategies.multilabel", "fastal.utils", "fastal.utils.multilabel",
    "fastal.experiment", "fastal.testing", "fastal.compat", "fastal.dask",
)


def documented_names():
    """``{id(object): "module.name"}`` for every name the API reference documents."""
    found = {}
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            found.setdefault(id(getattr(module, name)), f"{module_name}.{name}")
    return found


def import_dotted(path):
    """The object at a dotted path (module attributes followed), or None."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:]:
            if not hasattr(obj, attr):
                return None
            obj = getattr(obj, attr)
        return obj
    return None


def documented_target(path, documented=None):
    """The documented name of the object at ``path`` (a fastal path that the API
    reference does not document itself, e.g. a submodule path or a re-export),
    with any attribute path kept: ``fastal.query_strategies.coreset.CoreSet.make_query``
    gives ``fastal.query_strategies.CoreSet.make_query``.  None when there is none."""
    documented = documented_names() if documented is None else documented
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        obj = import_dotted(".".join(parts[:split]))
        if obj is not None and not inspect.ismodule(obj) and id(obj) in documented:
            return ".".join([documented[id(obj)]] + parts[split:])
    return None


def libact_version(path=NAMES_FILE):
    match = re.search(r"from libact (\S+);", pathlib.Path(path).read_text(encoding="utf-8"))
    return match.group(1) if match else ""


def _anchor(entry):
    return "libact-departure-" + re.sub(r"[^a-z0-9]+", "-", entry.fastal_path.lower())


def _fastal_cell(entry, documented):
    if not entry.provided:
        return f"**not provided** ({entry.error})"
    if entry.kind == "module":
        if entry.fastal_module in API_MODULES:
            return f":py:mod:`provided <{entry.fastal_module}>`"
        return "provided"
    target = documented.get(id(entry.obj))
    return f":py:obj:`provided <{target}>`" if target else "provided"


def _notes_cell(entry, first_of_object):
    notes = []
    if entry.departures:
        target = first_of_object.get(id(entry.obj), entry)
        notes.append(f":ref:`differs on purpose <{_anchor(target)}>`")
    if entry.additions:
        params = ", ".join(f"``{name}``" for name in entry.additions)
        notes.append(f"fastal-only parameters: {params}")
    if entry.provided and entry.kind != "module" and \
            getattr(entry.obj, "__name__", entry.name) != entry.name:
        notes.append(f"alias of ``{entry.obj.__name__}``")
    return "; ".join(notes)


def _matches(module, patterns):
    for pattern in patterns:
        if pattern.endswith(".*"):
            if module.startswith(pattern[:-1]):
                return True
        elif module == pattern:
            return True
    return False


def table_rst(entries, patterns):
    """rst list-table of the entries whose libact module matches one of ``patterns``
    (``libact.models`` exactly, or ``libact.models.*`` for its submodules)."""
    documented = documented_names()
    first_of_object = {}
    for entry in entries:
        if entry.departures:
            first_of_object.setdefault(id(entry.obj), entry)
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 55 12 33",
             "   :class: libact-compat", "",
             "   * - libact", "     - kind", "     - in fastal"]
    for entry in entries:
        if not _matches(entry.module, patterns):
            continue
        # a module row gives the full path; the names under it only their own
        name = f"``{entry.name}``" if entry.name else f"``{entry.module}``"
        kind = "**module**" if entry.kind == "module" else entry.kind
        if entry.name:
            name = "\u2003" + name
        status = _fastal_cell(entry, documented)
        notes = _notes_cell(entry, first_of_object)
        lines += [f"   * - {name}", f"     - {kind}",
                  f"     - {status}; {notes}" if notes else f"     - {status}"]
    return lines


def departures_rst(entries, underline="~"):
    """One section per fastal class whose docstring states a departure from libact."""
    lines = []
    seen = set()
    for entry in entries:
        if not entry.departures or id(entry.obj) in seen:
            continue
        seen.add(id(entry.obj))
        documented = documented_names().get(id(entry.obj), entry.fastal_path)
        title = f"{entry.name}"
        lines += [f".. _{_anchor(entry)}:", "", title, underline * len(title), "",
                  f"From the docstring of :py:obj:`{documented}`:", ""]
        for passage in entry.departures:
            lines += ["   " + line if line.strip() else "" for line in passage.splitlines()]
            lines.append("")
    return lines


def summary_rst(entries):
    provided = sum(e.provided for e in entries)
    kinds = {}
    for e in entries:
        kinds.setdefault(e.kind, [0, 0])
        kinds[e.kind][0] += e.provided
        kinds[e.kind][1] += 1
    words = {"module": ("module", "modules"), "class": ("class", "classes"),
             "function": ("function", "functions"), "name": ("other name", "other names")}
    detail = ", ".join(
        f"{done} of {total} {words.get(kind, (kind, kind))[total != 1]}"
        for kind, (done, total) in kinds.items())
    version = libact_version()
    of = f"libact {version}" if version else "libact"
    return [f"fastal provides **{provided} of the {len(entries)}** public names of {of} "
            f"under the same paths ({detail}).", ""]


def setup(app):
    """Sphinx entry point: the ``libact-compat-summary``, ``libact-compat-table`` and
    ``libact-compat-departures`` directives."""
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util import logging
    from sphinx.util.docutils import SphinxDirective
    from sphinx.util.nodes import nested_parse_with_titles

    logger = logging.getLogger(__name__)
    cache = {}

    def entries():
        if "entries" not in cache:
            cache["entries"] = compatibility()
        return cache["entries"]

    class _Generated(SphinxDirective):
        def render(self, lines):
            self.env.note_dependency(str(NAMES_FILE))
            node = nodes.section() if self.titles else nodes.container()
            node.document = self.state.document
            content = StringList(lines, source=f"<{self.name}>")
            if self.titles:
                nested_parse_with_titles(self.state, content, node)
            else:
                self.state.nested_parse(content, self.content_offset, node)
            return node.children

    class Summary(_Generated):
        titles = False

        def run(self):
            return self.render(summary_rst(entries()))

    class Table(_Generated):
        titles = False
        required_arguments = 1
        final_argument_whitespace = True

        def run(self):
            patterns = self.arguments[0].split()
            covered = self.env.__dict__.setdefault("libact_compat_covered", {})
            covered.setdefault(self.env.docname, set()).update(
                e.libact_path for e in entries() if _matches(e.module, patterns))
            return self.render(table_rst(entries(), patterns))

    class Departures(_Generated):
        titles = True

        def run(self):
            return self.render(departures_rst(entries()))

    def purge(app, env, docname):
        env.__dict__.get("libact_compat_covered", {}).pop(docname, None)

    def merge(app, env, docnames, other):
        env.__dict__.setdefault("libact_compat_covered", {}).update(
            other.__dict__.get("libact_compat_covered", {}))

    def check(app, env):
        tables = env.__dict__.get("libact_compat_covered", {})
        if not tables:
            return
        covered = set().union(*tables.values())
        missing = [e.libact_path for e in entries() if e.libact_path not in covered]
        if missing:
            logger.warning("libact names in no libact-compat-table: %s", ", ".join(missing))
        for e in entries():
            if not e.provided:
                logger.info("libact name not provided by fastal: %s (%s)",
                            e.libact_path, e.error)

    def resolve_alias(app, env, node, contnode):
        """A Python cross-reference to a fastal object under another of its names
        (``fastal.query_strategies.multiclass.UncertaintySampling``) goes to the
        page of its documented name."""
        if node.get("refdomain") != "py":
            return None
        target = node.get("reftarget", "")
        if not target.startswith("fastal."):
            return None
        if "documented" not in cache:
            cache["documented"] = documented_names()
        documented = documented_target(target, cache["documented"])
        if documented is None or documented == target:
            return None
        return env.get_domain("py").resolve_xref(
            env, node.get("refdoc"), app.builder, node.get("reftype"), documented, node,
            contnode)

    app.add_directive("libact-compat-summary", Summary)
    app.add_directive("libact-compat-table", Table)
    app.add_directive("libact-compat-departures", Departures)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-check-consistency", check)
    app.connect("missing-reference", resolve_alias)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
