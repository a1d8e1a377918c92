"""A small Markdown-to-HTML converter for the subset :mod:`polyslot.report.guide` writes
(headings, paragraphs, bullet and numbered lists, GitHub tables, ``**bold**`` and `` `code` ``,
lines that are one HTML comment, passed through),
so the guide can be a page of the report without another dependency."""

from __future__ import annotations

import html
import re

__all__ = ["markdown_to_html"]

#: A line that is one HTML comment (``<!-- ... -->``): passed through unchanged.
_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def markdown_to_html(text: str, *, heading_offset: int = 0) -> str:
    """Convert the guide's Markdown subset to HTML.

    Parameters
    ----------
    text : str
        Markdown.
    heading_offset : int
        Added to every heading level (``1`` turns ``#`` into ``<h2>``), capped at 6.
    """
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if _COMMENT.match(line):  # markers (e.g. the network plan's) pass through as they are
            out.append(line.strip())
            i += 1
            continue
        m = re.match(r"(#{1,6}) (.*)", line)
        if m:
            level = min(6, len(m.group(1)) + heading_offset)
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
            i += 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            head, body = rows[0], [r for r in rows[1:] if not all(set(c) <= {"-", ":"} for c in r)]
            parts = ["<table><thead><tr>"]
            parts += [f"<th>{_inline(c)}</th>" for c in head]
            parts.append("</tr></thead><tbody>")
            for r in body:
                parts.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>")
            parts.append("</tbody></table>")
            out.append("".join(parts))
        elif re.match(r"(- |\d+\. )", line):
            tag = "ul" if line.startswith("- ") else "ol"
            items = []
            while i < len(lines) and re.match(r"(- |\d+\. )", lines[i]):
                items.append(re.sub(r"^(- |\d+\. )", "", lines[i]))
                i += 1
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(x)}</li>" for x in items) + f"</{tag}>")
        else:
            para = []
            while (
                i < len(lines)
                and lines[i].strip()
                and not re.match(r"(#|\||- |\d+\. )", lines[i])
                and not _COMMENT.match(lines[i])
            ):
                para.append(lines[i])
                i += 1
            out.append(f"<p>{_inline(' '.join(para))}</p>")
    return "\n".join(out)
