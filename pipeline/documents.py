"""Documents and their edits: the one data model every stage shares.

A document keeps its decoded raw text untouched and a sorted list of edits against it.
The current (cleaned) text is always ``apply_edits(raw, edits)``, so every change a stage
makes stays explainable as a span of the raw text, a replacement, a reason and a rule.

Stages work on the current text and hand :meth:`EditedText.apply` operations in current
coordinates; this module maps them back to raw offsets, so stages never juggle offsets.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple


_CRLF = re.compile("\r\n")


class NotText(ValueError):
    """The bytes are not a text document; the message is shown to users."""


@dataclass(slots=True)
class Edit:
    """Replace ``raw[start:end]`` (== ``text``) with ``replacement``, because of ``reason``."""

    start: int
    end: int
    text: str
    replacement: str
    reason: str
    rule: str
    extra: dict[str, Any] | None = None
    # Made by splitting a deletion around an earlier removal (EditedText._apply_one): a CR
    # inside it, folded away while the stages ran, is split around too (see unfold_crlf).
    split: bool = False

    def to_json(self) -> dict[str, Any]:
        d = {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "replacement": self.replacement,
            "reason": self.reason,
            "rule": self.rule,
        }
        if self.extra:
            d.update(self.extra)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Edit":
        extra = {k: v for k, v in d.items() if k not in _EDIT_FIELDS}
        return cls(d["start"], d["end"], d["text"], d["replacement"], d["reason"], d["rule"], extra or None)


_EDIT_FIELDS = {"start", "end", "text", "replacement", "reason", "rule"}


class Op(NamedTuple):
    """An operation in *current* coordinates: replace ``current[start:end]``."""

    start: int
    end: int
    replacement: str
    reason: str
    rule: str
    extra: dict[str, Any] | None = None


def apply_edits(raw: str, edits: Iterable[Edit]) -> str:
    out = []
    pos = 0
    for e in edits:
        out.append(raw[pos : e.start])
        out.append(e.replacement)
        pos = e.end
    out.append(raw[pos:])
    return "".join(out)


class InvariantError(AssertionError):
    pass


def check_invariant(raw: str, edits: list[Edit], clean: str | None = None) -> None:
    """Raise InvariantError unless the edits are sorted, disjoint, quote raw and rebuild ``clean``."""
    pos = 0
    for i, e in enumerate(edits):
        if not (0 <= e.start <= e.end <= len(raw)):
            raise InvariantError(f"edit {i} out of range: {e.start}..{e.end}")
        if e.start < pos:
            raise InvariantError(f"edit {i} overlaps or is out of order at {e.start}")
        if raw[e.start : e.end] != e.text:
            raise InvariantError(f"edit {i} text does not match raw[{e.start}:{e.end}]")
        pos = e.end
    if clean is not None and apply_edits(raw, edits) != clean:
        raise InvariantError("applying the edits to raw does not give the clean text")


def _join(a: str, b: str) -> str:
    parts = a.split("+")
    for p in b.split("+"):
        if p not in parts:
            parts.append(p)
    return "+".join(parts)


class EditedText:
    """Raw text plus edits; applies batches of operations given in current coordinates.

    Operations that touch an earlier edit are merged with it (reasons joined with ``+``),
    so edits stay disjoint. Pure deletions are split around earlier deletions instead, so
    a dropped caption and the blank line folded after it stay two explainable edits.
    """

    __slots__ = ("raw", "edits", "_text", "_old_starts", "_dropped", "_new")

    def __init__(self, raw: str, edits: list[Edit] | None = None):
        self.raw = raw
        self.edits: list[Edit] = list(edits or [])
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = apply_edits(self.raw, self.edits)
        return self._text

    # --- mapping -------------------------------------------------------------------------
    def _pieces(self):
        """Current-coordinate starts of each piece; pieces alternate raw gaps and edits."""
        cur_starts: list[int] = []
        pieces: list[tuple[int, int, int, Edit | None]] = []  # (raw_s, raw_e, cur_s, edit)
        pos = cur = 0
        for e in self.edits:
            if e.start > pos:
                pieces.append((pos, e.start, cur, None))
                cur_starts.append(cur)
                cur += e.start - pos
            pieces.append((e.start, e.end, cur, e))
            cur_starts.append(cur)
            cur += len(e.replacement)
            pos = e.end
        if pos < len(self.raw) or not pieces:
            pieces.append((pos, len(self.raw), cur, None))
            cur_starts.append(cur)
        return cur_starts, pieces

    def raw_offset(self, cur: int, at_start: bool = True) -> int:
        """Raw offset of a current offset (outside any edit touching it)."""
        return self.mapper()(cur, at_start)

    def mapper(self):
        """``f(cur, at_start) -> raw offset``, with the piece table built once."""
        cur_starts, pieces = self._pieces()

        def to_raw(cur: int, at_start: bool = True) -> int:
            k = bisect.bisect_right(cur_starts, cur) - 1
            if k >= 0:  # fast path: strictly inside an unedited stretch of raw
                raw_s, raw_e, pc, e = pieces[k]
                if e is None and pc < cur < pc + raw_e - raw_s:
                    return raw_s + cur - pc
            # Every piece that starts at ``cur`` (several deletions may sit there side by
            # side: an in-line cut, then a CR) and the one before, which may end there.
            i = max(bisect.bisect_left(cur_starts, cur) - 1, 0)
            j = bisect.bisect_right(cur_starts, cur, lo=i)
            return self._map(cur, pieces[i:j], at_start)

        return to_raw

    def apply(self, ops: Iterable[Op]) -> None:
        ops = sorted(ops, key=lambda o: (o.start, o.end))
        if not ops:
            return
        for a, b in zip(ops, ops[1:]):
            if b.start < a.end:
                raise ValueError(f"overlapping operations at {b.start}")
        if not self.edits:  # the first batch (repair's): current offsets are raw offsets
            self._apply_to_raw(ops)
        else:
            self._apply_general(ops)

    def _apply_general(self, ops: list[Op]) -> None:
        """``apply`` for sorted, disjoint ``ops``, whatever edits the text holds already."""
        cur_text = self.text
        cur_starts, pieces = self._pieces()
        ops = self._group(ops, cur_text, pieces)
        # Apply from the last op backwards: earlier current coordinates stay valid. New edits
        # and merged-away old ones are collected and the list is rebuilt once (linear batches).
        self._old_starts = [e.start for e in self.edits]
        self._dropped: set[int] = set()
        self._new: list[Edit] = []
        for op in reversed(ops):
            self._apply_one(op, cur_text, cur_starts, pieces)
        kept = [e for e in self.edits if id(e) not in self._dropped] if self._dropped else self.edits
        self.edits = sorted(kept + self._new, key=lambda e: (e.start, e.end)) if self._new else list(kept)
        del self._old_starts, self._dropped, self._new
        self._text = None

    def _apply_to_raw(self, ops: list[Op]) -> None:
        """``apply`` with no earlier edit (sorted, disjoint ops): each op is its own edit, as
        ``_apply_one`` makes it against the one piece of raw text, without the piece table
        (the first batch of a document, often one line-end edit per line)."""
        raw, n = self.raw, len(self.raw)
        new = []
        for op in reversed(ops):  # the order _apply_one appends in, for the stable sort below
            cs, ce = op.start, op.end
            if not (0 <= cs <= ce <= n):
                raise ValueError(f"operation {cs}..{ce} outside the text (length {n})")
            if cs == ce and op.replacement == "":
                continue
            new.append(Edit(cs, ce, raw[cs:ce], op.replacement, op.reason, op.rule, dict(op.extra) if op.extra else None))
        self.edits = sorted(new, key=lambda e: (e.start, e.end))
        self._text = None

    @staticmethod
    def _group(ops: list[Op], cur_text: str, pieces) -> list[Op]:
        """Fuse operations that overlap the same earlier edit, so each edit is merged once."""
        spans = [(pc, pc + len(e.replacement)) for _, _, pc, e in pieces if e is not None and e.replacement]
        if not spans:
            return ops

        span_starts = [a for a, _ in spans]

        def region(op: Op) -> tuple[int, int]:
            rs, re_ = op.start, op.end
            k = bisect.bisect_right(span_starts, op.end) - 1
            while k >= 0:  # spans are sorted and disjoint: walk back while they can touch
                a, b = spans[k]
                if b < op.start:
                    break
                if a < op.end and b > op.start or (op.start == op.end and a <= op.start <= b):
                    rs, re_ = min(rs, a), max(re_, b)
                k -= 1
            return rs, re_

        out: list[list] = []
        for op in ops:
            rs, re_ = region(op)
            if out and rs < out[-1][1]:
                out[-1][1] = max(out[-1][1], re_)
                out[-1][2].append(op)
            else:
                out.append([rs, re_, [op]])
        fused = []
        for _, _, group in out:
            if len(group) == 1:
                fused.append(group[0])
                continue
            first, last = group[0], group[-1]
            parts, pos = [], first.start
            reason, rule, extra = first.reason, first.rule, None
            for op in group:
                parts.append(cur_text[pos : op.start])
                parts.append(op.replacement)
                pos = op.end
                reason, rule = _join(reason, op.reason), _join(rule, op.rule)
                if op.extra:
                    extra = {**(extra or {}), **op.extra}
            fused.append(Op(first.start, last.end, "".join(parts), reason, rule, extra))
        return fused

    def _apply_one(self, op: Op, cur_text: str, cur_starts, pieces, split: bool = False) -> None:
        cs, ce = op.start, op.end
        if not (0 <= cs <= ce <= len(cur_text)):
            raise ValueError(f"operation {cs}..{ce} outside the text (length {len(cur_text)})")
        # Pieces that may touch [cs, ce]: from the last piece starting at or before cs.
        i = max(bisect.bisect_right(cur_starts, cs) - 1, 0)
        while i > 0 and cur_starts[i - 1] >= cs - 1:
            i -= 1  # also the piece ending at cs: an insertion there must merge with it
        i = max(i - 1, 0)
        touched = []
        j = i
        while j < len(pieces) and cur_starts[j] <= ce:
            touched.append(pieces[j])
            j += 1
        # Expand the region over non-empty edits the op overlaps.
        rs, re_ = cs, ce
        merged: list[Edit] = []
        swallowed: set[int] = set()
        inner_deletions: list[tuple[int, Edit]] = []
        for p in touched:
            raw_s, raw_e, pc, e = p
            if e is None:
                continue
            n = len(e.replacement)
            if n > 0 and (pc < ce and pc + n > cs or cs == ce and pc <= cs <= pc + n):
                rs, re_ = min(rs, pc), max(re_, pc + n)
                merged.append(e)
                if op.replacement == "" and cs <= pc and pc + n <= ce:
                    swallowed.add(id(e))  # wholly deleted: its own reason no longer shows
            elif n == 0 and cs < pc < ce:
                inner_deletions.append((pc, e))
        if op.replacement == "" and all(e.reason == "whitespace" for _, e in inner_deletions):
            # A deleted line takes the white-space repairs inside it along (a CR of its CRLF).
            # A deletion that also holds an earlier removal (blank lines folded around a dropped
            # caption in a CRLF file) is split below instead, so the removal keeps its reason.
            rest = []
            for pc, e in inner_deletions:
                if e.reason == "whitespace":
                    merged.append(e)
                    swallowed.add(id(e))
                else:
                    rest.append((pc, e))
            inner_deletions = rest
        if op.replacement == "" and not merged and inner_deletions:
            # Split a pure deletion around earlier deletions it contains.
            bounds = [cs] + [pc for pc, _ in inner_deletions] + [ce]
            for a, b in zip(bounds, bounds[1:]):
                if b > a:
                    self._apply_one(Op(a, b, "", op.reason, op.rule, op.extra), cur_text, cur_starts, pieces, True)
            return
        merged.extend(e for _, e in inner_deletions)
        raw_start = self._map(rs, touched, at_start=True)
        raw_end = self._map(re_, touched, at_start=False) if re_ > rs else raw_start
        for e in merged:
            raw_start = min(raw_start, e.start)
            raw_end = max(raw_end, e.end)
        if merged:  # deletions lying between merged edits are swallowed too
            ids = {id(e) for e in merged}
            lo = bisect.bisect_left(self._old_starts, raw_start)
            hi = bisect.bisect_right(self._old_starts, raw_end)
            merged.extend(
                e for e in self.edits[lo:hi]
                if id(e) not in ids and e.start < e.end and e.start >= raw_start and e.end <= raw_end
            )
        replacement = cur_text[rs:cs] + op.replacement + cur_text[ce:re_]
        reason, rule, extra = op.reason, op.rule, dict(op.extra) if op.extra else None
        for e in merged:
            if id(e) in swallowed or (e.replacement == "" and op.replacement == ""):
                continue
            reason, rule = _join(e.reason, reason), _join(e.rule, rule)
            if e.extra:
                extra = {**e.extra, **(extra or {})}
        for e in merged:  # only edits from before this batch: batch ops are disjoint
            self._dropped.add(id(e))
        if raw_start == raw_end and replacement == "":
            return
        self._new.append(Edit(raw_start, raw_end, self.raw[raw_start:raw_end], replacement, reason, rule, extra, split))

    @staticmethod
    def _map(c: int, touched, at_start: bool) -> int:
        """Raw offset of current offset ``c``; at a boundary, stay outside neighbouring edits."""
        cands = []
        for raw_s, raw_e, pc, e in touched:
            n = len(e.replacement) if e is not None else raw_e - raw_s
            if e is None:
                if pc <= c <= pc + n:
                    cands.append(raw_s + (c - pc))
            elif n == 0:
                if pc == c:
                    cands.append(raw_e if at_start else raw_s)
            elif pc == c:
                cands.append(raw_s)
            elif pc + n == c:
                cands.append(raw_e)
        if not cands:
            raise ValueError(f"cannot map offset {c}")
        return max(cands) if at_start else min(cands)


@dataclass
class Document:
    """One input document as it moves through the stages."""

    id: str
    source: str
    raw: str = ""
    raw_sha256: str = ""
    encoding: str = ""
    edits: list[Edit] = field(default_factory=list)
    status: str = "ok"  # ok | duplicate | rejected
    error: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)  # stage notes: input kind, ftfy plans, dedup
    # While the stages run, a text with CRLF line ends holds ``raw`` with each CR of a CRLF taken
    # out, and here the offsets (in that text) of the line feeds that had one (fold_crlf);
    # unfold_crlf puts raw and the edits back, each CR its own edit, before anything is written.
    crlf: list[int] | None = None

    @property
    def text(self) -> str:
        return apply_edits(self.raw, self.edits)

    def edited(self) -> EditedText:
        return EditedText(self.raw, self.edits)

    def update(self, et: EditedText) -> None:
        self.edits = et.edits

    def reject(self, error: str) -> None:
        self.status = "rejected"
        self.error = error

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "raw_sha256": self.raw_sha256,
            "encoding": self.encoding,
            "status": self.status,
            "error": self.error,
            "metadata": self.metadata,
            "info": self.info,
            "raw": self.raw,
            "edits": [e.to_json() for e in self.edits],
        }

    def to_record(self) -> tuple:
        """A flat tuple of plain values, for the private stage files (see stagefiles.py)."""
        return (self.id, self.source, self.raw, self.raw_sha256, self.encoding,
                [(e.start, e.end, e.text, e.replacement, e.reason, e.rule, e.extra, e.split) for e in self.edits],
                self.status, self.error, self.metadata, self.info, self.crlf)

    @classmethod
    def from_record(cls, r: tuple) -> "Document":
        i, src, raw, sha, enc, edits, status, error, meta, info, crlf = r
        return cls(i, src, raw, sha, enc, [Edit(*e) for e in edits], status, error, meta, info, crlf)

    # --- CRLF line ends, folded while the stages run ---------------------------------------
    # A CRLF text (most of VNTC: 120,000 line ends in the 19.7k corpus) made one edit per line
    # end, which every stage read, mapped, applied and wrote again: a tenth of the run's CPU.
    # Folded, the stages see the text with LF line ends and no such edit; the manifest still
    # gets one ``whitespace``/``crlf`` edit per CR, as before, with every offset in the raw text.

    def fold_crlf(self) -> None:
        """Take each CR of a CRLF out of ``raw`` (before any edit), noting where it was. Not
        when a CR stands alone too (its repair depends on what follows it)."""
        raw = self.raw
        if self.edits or "\r\n" not in raw or raw.count("\r") != raw.count("\r\n"):
            return
        self.crlf = [m.start() - k for k, m in enumerate(_CRLF.finditer(raw))]
        self.raw = raw.replace("\r\n", "\n")

    def raw_len(self) -> int:
        """The length of the raw text, with its CRs."""
        return len(self.raw) + len(self.crlf or ())

    def raw_mapper(self, et: "EditedText"):
        """``et.mapper()`` for offsets in the raw text with its CRs (what references to this
        document's raw text must use: they are written out as they are)."""
        to_raw, crs = et.mapper(), self.crlf
        if not crs:
            return to_raw

        def mapped(cur: int, at_start: bool = True) -> int:
            x = to_raw(cur, at_start)
            return x + (bisect.bisect_right(crs, x) if at_start else bisect.bisect_left(crs, x))

        return mapped

    def unfold_crlf(self) -> None:
        """Put the CRs back: ``raw`` as read, the edits in its offsets, and a ``whitespace``/
        ``crlf`` deletion for each CR, as the stages would have made them on the raw text
        (a deleted line takes its CR along; a deletion split around an earlier removal is
        split around the CR too; a replacement across one takes it in, reasons joined)."""
        crs = self.crlf
        if not crs:
            return
        lf, parts, pos = self.raw, [], 0
        for q in crs:
            parts.append(lf[pos:q])
            parts.append("\r")
            pos = q
        parts.append(lf[pos:])
        raw = "".join(parts)
        out: list[Edit] = []
        k, n = 0, len(crs)

        def cr(j: int) -> Edit:  # the j-th CR sits at crs[j] + j in the raw text (j CRs before it)
            at = crs[j] + j
            return Edit(at, at + 1, "\r", "", "whitespace", "crlf")

        for e in self.edits:
            a, b = e.start, e.end
            while k < n and crs[k] <= a:
                out.append(cr(k))
                k += 1
            start = a + k  # after a CR at ``a``: the edit begins at its line feed
            first = k
            while k < n and crs[k] < b:
                k += 1
            inside = range(first, k)
            end = b + k if b > a else start  # before a CR at ``b``
            if inside and e.replacement == "" and e.split:
                pos = start
                for j in inside:
                    at = crs[j] + j
                    if at > pos:
                        out.append(Edit(pos, at, raw[pos:at], "", e.reason, e.rule, e.extra))
                    out.append(cr(j))
                    pos = at + 1
                if end > pos:
                    out.append(Edit(pos, end, raw[pos:end], "", e.reason, e.rule, e.extra))
                continue
            reason, rule = e.reason, e.rule
            if inside and e.replacement:
                reason, rule = _join("whitespace", reason), _join("crlf", rule)
            out.append(Edit(start, end, raw[start:end], e.replacement, reason, rule, e.extra))
        while k < n:
            out.append(cr(k))
            k += 1
        self.raw, self.edits, self.crlf = raw, out, None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Document":
        return cls(
            id=d["id"],
            source=d["source"],
            raw=d["raw"],
            raw_sha256=d["raw_sha256"],
            encoding=d["encoding"],
            edits=[Edit.from_json(e) for e in d["edits"]],
            status=d["status"],
            error=d["error"],
            metadata=d["metadata"],
            info=d.get("info", {}),
        )
