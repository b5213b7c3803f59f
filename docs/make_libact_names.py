"""Write ``libact_names.txt``: libact's public modules, classes and functions.

Usage::

    python docs/make_libact_names.py PATH-TO-LIBACT-CHECKOUT [-o docs/libact_names.txt]

The checkout is read as source text (``ast``), never imported, so libact's
compiled extensions and its dependencies are not needed.  A name is public
when it does not start with an underscore, lives outside the ``tests``
packages and private modules, and is

* a class or function defined at the top level of a module,
* listed in a module's ``__all__``, or
* imported by a package's ``__init__.py`` from one of its public submodules
  (a re-export, such as ``libact.query_strategies.UncertaintySampling``).

The output has one line per name, ``kind module [name]``, sorted by module;
``kind`` is ``module``, ``class``, ``function`` or ``name`` (anything else,
e.g. ``libact.utils.zip``).  The documentation build reads this file, so it
does not need the libact checkout.
"""

import argparse
import ast
import pathlib
import re
import sys

HEADER = """\
# libact's public names, one per line: kind module [name]
# kind: module, class, function or name (another object listed in __all__)
# written by docs/make_libact_names.py from libact {version}; do not edit by hand
"""


def _module_name(root, path):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_public_module(dotted):
    return not any(p.startswith("_") or p == "tests" for p in dotted.split("."))


def _resolve(package, level, module):
    """The absolute module of ``from <level dots><module> import ...``."""
    base = package.split(".")
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _dunder_all(tree):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [ast.literal_eval(e) for e in node.value.elts]
    return []


def _walk_top_level(body):
    """Top-level statements, looking inside ``if``/``try`` blocks as well."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from _walk_top_level(node.body)
            yield from _walk_top_level(node.orelse)
        elif isinstance(node, ast.Try):
            yield from _walk_top_level(node.body)
            for handler in node.handlers:
                yield from _walk_top_level(handler.body)
            yield from _walk_top_level(node.orelse)


def scan(root):
    """``{module: {name: ("class"|"function"|"name", source module or None)}}``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        dotted = _module_name(root, path)
        if not _is_public_module(dotted):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        package = dotted if is_package else dotted.rpartition(".")[0]
        names = {}
        imported = {}
        for node in _walk_top_level(tree.body):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                names[node.name] = ("class", None)
            elif (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and not node.name.startswith("_")):
                names[node.name] = ("function", None)
            elif isinstance(node, ast.ImportFrom) and node.level > 0:
                source = _resolve(package, node.level, node.module)
                for alias in node.names:
                    imported[alias.asname or alias.name] = (source, alias.name)
        exported = set(_dunder_all(tree))
        if is_package:
            exported |= {n for n, (src, _) in imported.items()
                         if _is_public_module(src) and not n.startswith("_")}
        for name in exported:
            if name in names:
                continue
            if name in imported:
                names[name] = ("import", imported[name])
            elif name in {m.rpartition(".")[2] for m in modules} | {
                    p.stem for p in path.parent.iterdir()}:
                continue            # __all__ listing a subpackage, e.g. libact.__all__
            else:
                names[name] = ("name", None)
        modules[dotted] = names

    def kind_of(module, name, seen=()):
        kind, source = modules.get(module, {}).get(name, ("name", None))
        if kind != "import":
            return kind
        src_module, src_name = source
        if (src_module, src_name) in seen:
            return "name"
        return kind_of(src_module, src_name, seen + ((src_module, src_name),))

    rows = []
    for module in sorted(modules):
        rows.append(("module", module, ""))
        for name in sorted(modules[module], key=str.lower):
            rows.append((kind_of(module, name), module, name))
    return rows


def libact_version(root):
    for candidate in (root.parent / "pyproject.toml", root.parent / "setup.py"):
        if candidate.exists():
            match = re.search(r"""version\s*=\s*["']([^"']+)["']""",
                              candidate.read_text(encoding="utf-8"))
            if match:
                return match.group(1)
    return "(version unknown)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("libact", type=pathlib.Path,
                        help="a libact checkout (the folder holding libact/)")
    parser.add_argument("-o", "--output", type=pathlib.Path,
                        default=pathlib.Path(__file__).with_name("libact_names.txt"))
    args = parser.parse_args(argv)
    root = args.libact / "libact"
    if not (root / "__init__.py").exists():
        parser.error(f"{root} is not libact's package folder")
    rows = scan(root)
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(HEADER.format(version=libact_version(root)))
        for kind, module, name in rows:
            out.write(f"{kind} {module} {name}".rstrip() + "\n")
    n_modules = sum(kind == "module" for kind, _, _ in rows)
    print(f"{args.output}: {n_modules} modules, {len(rows) - n_modules} names",
          file=sys.stderr)


if __name__ == "__main__":
    main()
