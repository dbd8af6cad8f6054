"""Final layout: fold runs of blank lines to one, trim both ends, end with one newline.

Surviving lines keep their own spacing (trailing spaces included), so a diff of raw
against clean shows only what was removed or repaired.
"""
from __future__ import annotations

import re

from .documents import Op

_BLANK_RUN = re.compile(r"\n(?:[^\S\n]*\n)+")


def layout_ops(text: str) -> list[Op]:
    """Deletions (and at most one inserted final newline) that lay ``text`` out cleanly."""
    if not text.strip():
        return [Op(0, len(text), "", "whitespace", "empty")] if text else []
    ops: list[Op] = []
    lead_end = 0
    lead = re.match(r"(?:[^\S\n]*\n)+", text)
    if lead:
        lead_end = lead.end()
        ops.append(Op(0, lead_end, "", "whitespace", "leading_blank_lines"))
    body_end = len(text.rstrip())
    # the last content line keeps its text; trailing spaces on it stay, blank lines after go
    last_nl = text.find("\n", body_end)
    for m in _BLANK_RUN.finditer(text, lead_end, last_nl if last_nl != -1 else len(text)):
        # keep the first "\n" (end of the line above) and the last one (the blank line)
        inner_s, inner_e = m.start() + 1, m.end() - 1
        if inner_e > inner_s:
            ops.append(Op(inner_s, inner_e, "", "whitespace", "fold_blank_lines"))
    if last_nl == -1:
        ops.append(Op(len(text), len(text), "\n", "whitespace", "final_newline"))
    elif last_nl + 1 < len(text):
        ops.append(Op(last_nl + 1, len(text), "", "whitespace", "trailing_blank_lines"))
    return ops
