"""Rich text in the fake's two REST versions: v2 wiki-markup strings, v3 Atlassian Document Format.

Jira Cloud stores one value per rich-text field and answers it per API version
(https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#version: version 3 adds ADF
for comment bodies, worklog comments, the `description` and `environment` fields and multi-line
text (textarea) custom fields; version 2 sends the same fields as wiki-markup strings;
https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/ for ADF nodes and
marks). The fake keeps the v2 string and derives the v3 document from it, covering the markup it
seeds itself: `h1.`-`h6.` headings, `* ` bullet lists, paragraphs (consecutive lines joined by
`hardBreak`, blank lines between paragraphs), `*strong*` and `{{monospace}}` (the `code` mark).
Anything else stays plain text, so an arbitrary edit still gives a valid document.
"""

from __future__ import annotations

import re
from typing import Any

_INLINE = re.compile(r"\*([^*\n]+)\*|\{\{([^}\n]+)\}\}")
_HEADING = re.compile(r"h([1-6])\.\s+(.*)")


def inline(text: str) -> list[dict[str, Any]]:
    """ADF text nodes of one line, with `strong` and `code` marks."""
    nodes: list[dict[str, Any]] = []
    at = 0
    for found in _INLINE.finditer(text):
        if found.start() > at:
            nodes.append({"type": "text", "text": text[at:found.start()]})
        strong, code = found.groups()
        mark = "strong" if strong is not None else "code"
        nodes.append({"type": "text", "text": strong if strong is not None else code, "marks": [{"type": mark}]})
        at = found.end()
    if at < len(text):
        nodes.append({"type": "text", "text": text[at:]})
    return nodes


def adf(wiki: str) -> dict[str, Any]:
    """The ADF document (`{"type": "doc", "version": 1, ...}`) of a wiki-markup string."""
    content: list[dict[str, Any]] = []
    lines: list[str] = []  # the open paragraph
    bullets: list[str] = []  # the open bullet list

    def close() -> None:
        if lines:
            nodes: list[dict[str, Any]] = []
            for index, line in enumerate(lines):
                nodes += ([{"type": "hardBreak"}] if index else []) + inline(line)
            content.append({"type": "paragraph", "content": nodes})
            lines.clear()
        if bullets:
            content.append({"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": inline(item)}]}
                for item in bullets]})
            bullets.clear()

    for line in wiki.split("\n"):
        heading = _HEADING.fullmatch(line)
        if line.startswith("* "):
            if lines:
                close()
            bullets.append(line[2:])
        elif heading:
            close()
            content.append({"type": "heading", "attrs": {"level": int(heading.group(1))},
                            "content": inline(heading.group(2))})
        elif not line.strip():
            close()
        else:
            if bullets:
                close()
            lines.append(line)
    close()
    return {"type": "doc", "version": 1, "content": content}
