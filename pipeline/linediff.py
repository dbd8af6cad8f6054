"""A document's raw lines beside what each became, from the manifest's edits (no guessing).

``pipeline diff`` prints these. Lines are never split or joined by the cleaning, only removed
or edited in place, so each raw line has exactly one counterpart: the text its own characters
became. An edit belongs to every line it overlaps; its replacement to the line it starts on.
White-space-only differences (a CRLF file's ``\\r``, folded blank lines, odd spaces) are a kind
of their own, so a reader can hide them: on CRLF inputs they are on every line.
"""
from __future__ import annotations

import bisect
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

LAYOUT = {"whitespace"}  # reasons that change white space only
# Reasons the engine and the duplicate stages give (packs add theirs: see known_reasons).
BUILTIN_REASONS = {"caption", "related_news", "byline", "duplicate", "repeated_boilerplate", "encoding", "whitespace"}
_VISIBLE = {"\r": "␍", "\t": "⇥", "\u00a0": "⍽", "\u200b": "[ZWSP]", "\ufeff": "[BOM]", "\u200c": "[ZWNJ]",
            "\u200d": "[ZWJ]", "\u2028": "[LS]", "\u2029": "[PS]", "\u3000": "[IDSP]"}


def visible(s: str) -> str:
    """White space a terminal would not show (or would act on, like ``\\r``) as a mark."""
    return "".join(_VISIBLE.get(ch, ch) for ch in s)


def fold(s: str) -> str:
    return " ".join(s.split())


@dataclass
class RawLine:
    number: int  # 1-based, in the raw text
    raw: str  # without its "\n"
    start: int = 0  # offset of its first character in the raw text
    became: str = ""  # its clean counterpart, without "\n"; "" when removed
    edits: list[dict] = field(default_factory=list)
    nl_kept: bool = False  # its newline is not inside an edit (a blank line that stays)

    def reasons(self, whitespace: bool = True) -> set[str]:
        out = {r for e in self.edits for r in e["reason"].split("+")}
        return out if whitespace else out - LAYOUT

    @property
    def kind(self) -> str:
        """same | space (white space only) | blank (a blank raw line) | removed | changed."""
        if self.became == self.raw:
            return "same"
        if not self.raw.strip():
            return "blank"
        if not self.became.strip():
            return "removed"
        return "space" if fold(self.became) == fold(self.raw) else "changed"

    def tags(self, whitespace: bool = True) -> list[str]:
        out = []
        for e in self.edits:
            parts = [r for r in e["reason"].split("+") if whitespace or r not in LAYOUT]
            if not parts:
                continue
            tag = f"{'+'.join(parts)} ({e['rule']})"
            ref = e.get("duplicate_of")
            if isinstance(ref, dict) and ref.get("id"):
                tag += f" of {ref['id']}"
            if tag not in out:
                out.append(tag)
        return out


def align(raw: str, edits: list[dict]) -> list[RawLine]:
    """Every raw line with the edits that touch it and the clean text it became."""
    lines, starts, pos = [], [], 0
    for k, part in enumerate(raw.split("\n")):
        lines.append(RawLine(k + 1, part, start=pos))
        starts.append(pos)
        pos += len(part) + 1
    became: list[list[str]] = [[] for _ in lines]

    def keep(a: int, b: int) -> None:  # raw[a:b] unchanged: to the lines it lies on
        while a < b:
            k = bisect.bisect_right(starts, a) - 1
            end = min(b, starts[k] + len(lines[k].raw))
            became[k].append(raw[a:end])
            if b > starts[k] + len(lines[k].raw):
                lines[k].nl_kept = True
            a = max(end, starts[k] + len(lines[k].raw) + 1)  # past the newline

    at = 0
    for e in edits:
        keep(at, e["start"])
        first = bisect.bisect_right(starts, e["start"]) - 1
        last = bisect.bisect_right(starts, max(e["end"] - 1, e["start"])) - 1
        for k in range(first, last + 1):
            lines[k].edits.append(e)
        became[first].append(e["replacement"].replace("\n", ""))
        at = e["end"]
    keep(at, len(raw))
    for ln, parts in zip(lines, became):
        ln.became = "".join(parts)
    if lines and lines[-1].raw == "" and len(lines) > 1:
        lines.pop()  # the final newline's empty "line"
    return lines


INLINE_MIN_CHARS = 300  # a changed line this long shows its cuts inside it, not twice whole


def show_inline(ln: RawLine) -> bool:
    """A long line, or one with in-line cuts (a flattened body): its cuts are shown inside it."""
    return len(ln.raw) >= INLINE_MIN_CHARS or any(e.get("inline") for e in ln.edits)


def inline(ln: RawLine, paint, whitespace: bool = False, context: int = 60, show=visible) -> str:
    """The raw line once, each cut in place as ``[-text-]{reason}`` (``{+new+}`` when it was
    replaced), the unchanged text between cuts shortened to ``context`` characters each side."""
    out, pos, end = [], ln.start, ln.start + len(ln.raw)
    raw = ln.raw

    def keep(a: int, b: int, first: bool, last: bool) -> None:
        t = raw[a - ln.start : b - ln.start]
        if len(t) > 2 * context + 3 and not (first and last):
            t = (("… " + t[-context:]) if first else (t[:context] + " …") if last
                 else (t[:context] + " … " + t[-context:]))
        out.append(show(t))

    cuts = [e for e in ln.edits if whitespace or any(r not in LAYOUT for r in e["reason"].split("+"))]
    for i, e in enumerate(cuts):
        a, b = max(e["start"], ln.start), min(e["end"], end)
        if a > pos:
            keep(pos, a, first=i == 0, last=False)
        piece = show(raw[a - ln.start : b - ln.start])
        rep = e["replacement"].replace("\n", "") if e["start"] >= ln.start else ""
        out.append(paint("31", f"[-{piece}-]") + (paint("32", f"{{+{show(rep)}+}}") if rep else "")
                   + paint("2", f"{{{e['reason']}}}"))
        pos = max(pos, b)
    if pos < end:
        keep(pos, end, first=not cuts, last=True)
    return "".join(out)


@dataclass
class Hunk:
    lines: list[RawLine]


def hunks(lines: list[RawLine], context: int = 2, reason: str | None = None, whitespace: bool = False) -> list[Hunk]:
    """Groups of changed lines with ``context`` lines around them. ``reason``: only changes
    with that reason start a hunk (the hunk still shows every line in it as it is)."""
    def wanted(ln: RawLine) -> bool:
        kind = ln.kind
        if kind == "same" or not whitespace and kind in ("space", "blank"):
            return False
        return reason is None or reason in ln.reasons()

    marks = [k for k, ln in enumerate(lines) if wanted(ln)]
    out: list[Hunk] = []
    lo = hi = -1
    for k in marks:
        a, b = max(0, k - context), min(len(lines), k + context + 1)
        if out and a <= hi:
            hi = b
            out[-1] = Hunk(lines[lo:hi])
        else:
            lo, hi = a, b
            out.append(Hunk(lines[lo:hi]))
    return out


def known_reasons(pack_dir: Path | None = None) -> set[str]:
    """Every reason the engine, the duplicate stages or a shipped rule pack can give."""
    if pack_dir is None:
        from .rules.engine import PACK_DIR as pack_dir
    out = set(BUILTIN_REASONS)
    for p in sorted(Path(pack_dir).glob("*.toml")):
        cfg = tomllib.loads(p.read_text(encoding="utf-8"))
        for kind in ("line", "block", "inline"):
            out.update(r["reason"] for r in cfg.get(kind, []) if "reason" in r)
    return out
