"""Vietnamese-aware sentence splitting with exact offsets.

Flattened articles (a whole body on one line) hide captions, credits and links between
sentences; to cut them the line is split into segments first. Offsets are exact so that every
cut stays an edit of the raw text.

Two kinds of boundary:
- hard: terminal punctuation (``.``, ``!``, ``?``, ``…``, ``./.``, ``>>``), possibly followed by
  closing quotes or brackets, then white space and something that opens a sentence (a capital,
  a digit, an opening quote or bracket) -- unless the word before the stop is an abbreviation
  (``TP.``, ``PGS.TS.``, ``Th.S``) or an initial (``N.``); a bracketed group (``[...]``, a
  credit ``(Ảnh: ...)``) is a segment of its own;
- soft: no punctuation at all, a lower-case word then a capitalised word followed by a
  lower-case one (``... đảo điên Bắt đầu vào ...``): where a caption without a stop was glued
  to the next sentence. Words after which a capital is usually a name (``ông``, ``tại``) do
  not open one. Soft segments are only candidates: a caller decides what they are.

Numbers (``2.5``, ``3.950.000``, ``20.12``) and ``TP.HCM`` never split: a boundary needs white
space after the stop.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
LOWER = "a-zđàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"

HARD, SOFT, BRACKET, END = "hard", "soft", "bracket", "end"

# A stop cluster: terminal marks, an end mark ``/.``, closing quotes or brackets; or ``>>``.
_CANDIDATE = re.compile(
    r"(?P<stop>[.!?…]+(?:/\.)?[\"”’»)\]]*|>{2,}|»|:)(?P<ws>\s+)(?=[\"“‘«(\[\-–]?[" + UPPER + r"0-9])"
    r"|(?<=[" + LOWER + r"0-9\"”’)])(?P<soft>\s+)(?=[" + UPPER + r"][" + LOWER + r"]*\s+[" + LOWER + r"]|“)"
    r"|(?P<open>\s+)(?=\[|\((?:(?:Ảnh|Photo|Video|Clip)\b|(?:ảnh|video|clip|Nguồn|Nguồn ảnh)\s*:))"
)
_BRACKET_OPEN = re.compile(r"\[|\((?:(?:Ảnh|Photo|Video|Clip)\b|(?:ảnh|video|clip|Nguồn|Nguồn ảnh)\s*:)")
_INITIALS = re.compile(r"(?:[" + UPPER + r"][" + LOWER + r"]?\.){2,}[" + UPPER + r"]?")  # N.K. / Th.S
_LOWER_WORD = re.compile(r"(?<!\w)[" + LOWER + r"]+(?!\w)")
_FIRST_WORD = re.compile(r"\w+")
_WORD_BEFORE = re.compile(r"([\w./&]+)[.!?…]*$")


_WORD_ENDS = frozenset(" ,.;:!?")


class Lexicon:
    """Does the text write this word (as a word of its own)? A substring search per question,
    remembered: a long line asks a few, and a set of all its words would cost more."""

    __slots__ = ("text", "seen")

    def __init__(self, text: str):
        self.text = " " + text + " "
        self.seen: dict[str, bool] = {}

    def __contains__(self, w: str) -> bool:
        hit = self.seen.get(w)
        if hit is None:
            # " w" followed by a space or a stop: one pass over the text (most words asked are
            # not in it), not one per following character
            t, key = self.text, " " + w
            n = len(key)
            i = t.find(key)
            while i != -1 and t[i + n : i + n + 1] not in _WORD_ENDS:
                i = t.find(key, i + 1)
            hit = self.seen[w] = i != -1
        return hit


class Segment(NamedTuple):  # a tuple: tens of thousands are made per corpus, cheaply
    start: int
    end: int  # exclusive; the segment has no leading or trailing white space
    stop: str  # how it ends: hard, soft, bracket or end (of the text)


@dataclass(frozen=True)
class SplitterConfig:
    abbreviations: frozenset[str] = frozenset()  # case-sensitive, without the final dot
    name_openers: frozenset[str] = frozenset()  # lower-case words after which a capital is a name
    labels: frozenset[str] = frozenset()  # words whose colon introduces a value, not a sentence
    speech: frozenset[str] = frozenset()  # words after which a quotation is reported speech

    @classmethod
    def from_pack(cls, section: dict) -> "SplitterConfig":
        return cls(frozenset(section.get("abbreviations", ())),
                   frozenset(w.lower() for w in section.get("name_openers", ())),
                   frozenset(section.get("labels", ())),
                   frozenset(w.lower() for w in section.get("speech", ())))


def _closing_bracket(text: str, i: int, limit: int = 160) -> int:
    """Index just past the bracket that closes the one opening at ``i`` (-1: none near)."""
    close = "]" if text[i] == "[" else ")"
    depth = 0
    for k in range(i, min(len(text), i + limit)):
        c = text[k]
        if c == text[i]:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return k + 1
    return -1


def _is_abbreviation(text: str, stop_at: int, cfg: SplitterConfig) -> bool:
    """The word ending at ``stop_at`` (a ``.``) is an abbreviation or an initial."""
    m = _WORD_BEFORE.search(text, max(0, stop_at - 24), stop_at)
    if not m:
        return False
    w = m.group(1).rstrip(".")
    if not w:
        return False
    if w in cfg.abbreviations or w.split(".")[-1] in cfg.abbreviations:
        return True
    # initials: N. / N.K. / Th.S
    return len(w) == 1 and w.isupper() or bool(_INITIALS.fullmatch(w + "."))


def split(text: str, cfg: SplitterConfig, start: int = 0, end: int | None = None,
          lexicon: "Lexicon | None" = None) -> list[Segment]:
    """Segments of ``text[start:end]`` in order, with absolute offsets, covering its non-blank
    text. ``lexicon``: the words of the whole text, when a caller splits several stretches of
    one text (else the stretch's own)."""
    end = len(text) if end is None else end
    bounds: list[tuple[int, int, str]] = []  # (segment end, next segment start, kind)
    pos = start
    lower_words = lexicon
    first = start
    while first < end and text[first].isspace():
        first += 1
    if _BRACKET_OPEN.match(text, first):  # the stretch opens with a credit or a link in brackets
        close = _closing_bracket(text, first)
        if close != -1 and close <= end:
            tail = re.match(r"[.,:;]?(\s+)", text[close:end])
            if tail and close + tail.end() < end:
                bounds.append((close + tail.start(1), close + tail.end(1), BRACKET))
                pos = close + tail.end()
    for m in _CANDIDATE.finditer(text, start, end):
        if m.start() < pos:
            continue
        if m.group("stop") is not None:
            stop = m.group("stop")
            ws_s, ws_e = m.span("ws")
            if stop == ":":
                w = text[max(start, m.start() - 16):m.start()].rsplit(None, 1)
                if w and w[-1] in cfg.labels:
                    continue  # ``Ảnh: Name``: a label and its value stay together
                kind = SOFT
            else:
                kind = HARD
                if stop[0] == "." and stop.rstrip("\"”’»)]") == "." and _is_abbreviation(text, m.start(), cfg):
                    continue
        elif m.group("soft") is not None:
            ws_s, ws_e = m.span("soft")
            prev = text[max(start, ws_s - 16):ws_s].rsplit(None, 1)
            w = prev[-1].strip("\"”’)") if prev else ""
            if text[ws_e] == "“":  # a quotation opening after a word: a caption may end there
                if not w[:1].isalnum() or w.lower() in cfg.speech:
                    continue
            elif w.lower() in cfg.name_openers:
                continue  # a capital after ``ông``, ``tại``: a name goes on
            else:
                # a capital is a new sentence only when the text also writes that word in lower
                # case (``... đảo điên Bắt đầu ...``, ``... Brazil Trái với ...``); a name it
                # never lowers goes on (``sao Việt``, ``thủ đô Bogota``)
                if lower_words is None:
                    lower_words = Lexicon(text[start:end])
                nxt = _FIRST_WORD.match(text, ws_e)
                if not nxt or nxt.group().lower() not in lower_words:
                    continue
            kind = SOFT
        else:
            ws_s, ws_e = m.span("open")
            kind = HARD if text[ws_s - 1] in ".!?…" else SOFT
        pos = m.end()
        if _BRACKET_OPEN.match(text, ws_e):  # a link or a credit in brackets: a segment of its own
            close = _closing_bracket(text, ws_e)
            if close == -1 or close > end:
                if m.group("open") is not None:
                    continue
            else:
                tail = re.match(r"[.,:;]?(\s+)", text[close:end])
                bounds.append((ws_s, ws_e, kind))
                if tail and close + tail.end() < end:
                    bounds.append((close + tail.start(1), close + tail.end(1), BRACKET))
                    pos = close + tail.end()
                else:
                    pos = end
                continue
        bounds.append((ws_s, ws_e, kind))
    segs: list[Segment] = []
    s = start
    while s < end and text[s].isspace():
        s += 1
    for e, nxt, kind in bounds:
        if e > s:
            segs.append(Segment(s, e, kind))
            s = nxt
    e = end
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        segs.append(Segment(s, e, END))
    return segs
