"""``.. markdown-tables:: FILE``: a Markdown file of tables and short lines, as rst.

The experiment runner writes its summary as Markdown (pipe tables separated
by one-line paragraphs).  This directive includes such a file in a page at
build time, so the page always shows the file as it is: each pipe table
becomes a ``list-table`` (first row: header; the ``|---|`` line dropped), each
other non-empty line a paragraph, and Markdown ``code`` spans become
literals.  Nothing else of Markdown is interpreted.
"""
import pathlib
import re

_CODE = re.compile(r"`([^`]+)`")


def _inline(text):
    return _CODE.sub(r"``\1``", text.strip())


def _cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def markdown_to_rst(text, table_class="summary-table"):
    """rst lines for the Markdown ``text`` (pipe tables and paragraphs)."""
    out, table = [], []

    def flush():
        if not table:
            return
        rows = [r for r in table if not re.fullmatch(r"[\s|:-]+", r)]
        out.extend([".. list-table::", "   :header-rows: 1", f"   :class: {table_class}", ""])
        for row in rows:
            cells = _cells(row)
            out.append(f"   * - {_inline(cells[0])}".rstrip())
            out.extend(f"     - {_inline(cell)}".rstrip() for cell in cells[1:])
        out.append("")
        table.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            table.append(line)
            continue
        flush()
        if line.strip():
            out.extend([_inline(line), ""])
    flush()
    return out


def setup(app):
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class MarkdownTables(SphinxDirective):
        required_arguments = 1

        def run(self):
            rel, path = self.env.relfn2path(self.arguments[0])
            self.env.note_dependency(rel)
            lines = markdown_to_rst(pathlib.Path(path).read_text(encoding="utf-8"))
            node = nodes.container()
            self.state.nested_parse(StringList(lines, source=path), self.content_offset, node)
            return node.children

    app.add_directive("markdown-tables", MarkdownTables)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
