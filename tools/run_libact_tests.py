"""Run libact's own test suite against fastal.

    python tools/run_libact_tests.py /path/to/libact-checkout [--only PATTERN] [--json OUT]

The checkout is used as it is (this script downloads nothing).  Every
``tests`` folder under ``<checkout>/libact`` is copied to a temporary package
``libact_tests`` (so the tests' relative imports and data files keep working),
a ``conftest.py`` there calls ``fastal.compat.install()`` so that ``import
libact...`` resolves to fastal, and pytest runs the copy.  The result is a
table of passed / failed / errored tests per module; failures whose message
names a scikit-learn argument that scikit-learn has removed are listed with
that reason.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict

# Messages of calls into scikit-learn with arguments it no longer accepts.
REMOVED_SKLEARN_ARGUMENTS = [
    (re.compile(r"unexpected keyword argument '(multi_class|n_jobs|normalize|solver_options)'"),
     "scikit-learn removed the argument {0!r}"),
    (re.compile(r"got an unexpected keyword argument '([a-z_]+)'.*(LogisticRegression|SVC|"
                r"LinearSVC|KMeans|MDS)"), "scikit-learn removed the argument {0!r}"),
]

# A copied parent package stands for libact's: its submodules (the tests import
# some of them relatively, ``from ..density_weighted_meta import ...``) are
# the aliases fastal.compat installed.
PACKAGE_INIT = '''import os
import sys
_prefix = "{libact}."
_here = os.path.dirname(__file__)
for _name, _module in list(sys.modules.items()):
    _sub = _name[len(_prefix):]
    if (_name.startswith(_prefix) and "." not in _sub
            and not os.path.isdir(os.path.join(_here, _sub))):   # copied folders stay ours
        sys.modules.setdefault(__name__ + "." + _sub, _module)
'''

CONFTEST = '''"""Point ``libact`` at fastal for the copied libact tests."""
import fastal.compat

fastal.compat.install()
'''


def copy_tests(checkout, dest):
    """Copy every ``tests`` folder of the checkout's ``libact`` package under ``dest``."""
    source_root = os.path.join(checkout, "libact")
    if not os.path.isdir(source_root):
        raise SystemExit(f"{checkout} has no libact/ folder: give the path of a libact checkout")
    copied = []
    for root, dirs, _ in os.walk(source_root):
        dirs.sort()
        if os.path.basename(root) != "tests":
            continue
        rel = os.path.relpath(root, source_root)
        target = os.path.join(dest, rel)
        shutil.copytree(root, target, ignore=shutil.ignore_patterns("meson.build", "__pycache__"))
        parent = os.path.dirname(target)
        while os.path.abspath(parent) != os.path.abspath(os.path.dirname(dest)):
            init = os.path.join(parent, "__init__.py")
            if not os.path.exists(init):
                dotted = os.path.relpath(parent, dest).replace(os.sep, ".")
                with open(init, "w") as fh:
                    fh.write(PACKAGE_INIT.format(libact="libact" + (
                        "" if dotted == "." else "." + dotted)))
            parent = os.path.dirname(parent)
        copied.append(rel)
    return copied


def read_junit(path):
    """{module: {"passed": n, "failed": [(test, message)], "errors": [...], "skipped": n}}."""
    result = defaultdict(lambda: {"passed": 0, "failed": [], "errors": [], "skipped": 0})
    for case in ET.parse(path).getroot().iter("testcase"):
        classname = case.get("classname", "")
        if classname:   # a test: module.Class or module
            parts = classname.split(".")
            is_class = parts[-1][:1].isupper()
            module = ".".join(parts[:-1] if is_class else parts)
            name = f"{parts[-1]}.{case.get('name')}" if is_class else case.get("name")
        else:           # a module that failed to import: name is its dotted path
            module = case.get("name", "").lstrip(".")
            name = "(import)"
        module = module.replace("libact_tests.", "")
        failure = case.find("failure")
        error = case.find("error")
        if failure is not None:
            result[module]["failed"].append((name, failure.get("message", "")))
        elif error is not None:
            result[module]["errors"].append((name, error.get("message", "")))
        elif case.find("skipped") is not None:
            result[module]["skipped"] += 1
        else:
            result[module]["passed"] += 1
    return result


def removed_argument_reason(message):
    for pattern, reason in REMOVED_SKLEARN_ARGUMENTS:
        found = pattern.search(message or "")
        if found:
            return reason.format(found.group(1))
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", help="path of a libact checkout (the folder holding libact/)")
    parser.add_argument("--only", default=None, help="run only test modules matching this "
                                                     "pytest -k expression")
    parser.add_argument("--json", default=None, help="write the per-module result here")
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="fastal-libact-tests-")
    try:
        package = os.path.join(work, "libact_tests")
        os.makedirs(package)
        open(os.path.join(package, "__init__.py"), "w").close()
        copied = copy_tests(os.path.abspath(args.checkout), package)
        with open(os.path.join(work, "conftest.py"), "w") as fh:
            fh.write(CONFTEST)
        junit = os.path.join(work, "junit.xml")
        command = [sys.executable, "-m", "pytest", work, "-q", "-p", "no:cacheprovider",
                   "--rootdir", work, f"--junitxml={junit}", "-o", "junit_family=xunit2",
                   "-W", "ignore::DeprecationWarning", "--continue-on-collection-errors"]
        if args.only:
            command += ["-k", args.only]
        print(f"libact tests from {os.path.abspath(args.checkout)}: {', '.join(copied)}")
        proc = subprocess.run(command, cwd=work, capture_output=True, text=True)
        if not os.path.exists(junit):
            print(proc.stdout[-4000:], proc.stderr[-4000:])
            return 2
        result = read_junit(junit)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    totals = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "removed-argument": 0}
    print(f"\n{'module':58s} passed failed errors skipped")
    for module in sorted(result):
        r = result[module]
        print(f"{module:58s} {r['passed']:6d} {len(r['failed']):6d} {len(r['errors']):6d} "
              f"{r['skipped']:7d}")
        totals["passed"] += r["passed"]
        totals["skipped"] += r["skipped"]
        for kind in ("failed", "errors"):
            for name, message in r[kind]:
                reason = removed_argument_reason(message)
                if reason:
                    totals["removed-argument"] += 1
                    print(f"    {kind[:-1] if kind == 'errors' else 'failed'} (accepted: {reason}): "
                          f"{name}")
                else:
                    totals[kind] += 1
                    print(f"    {kind}: {name}: {message.splitlines()[0][:160] if message else ''}")
    print(f"\ntotal: {totals['passed']} passed, {totals['failed']} failed, {totals['errors']} "
          f"errors, {totals['skipped']} skipped, {totals['removed-argument']} failing only on "
          "scikit-learn's removed arguments")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"modules": result, "totals": totals}, fh, indent=1)
    return 0 if totals["failed"] == 0 and totals["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
