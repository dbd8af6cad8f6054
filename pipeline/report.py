"""``report.html``: one self-contained page a person reads to check a run.

Corpus totals, removed lines and characters per reason, a histogram of the share removed per
document, a sortable table of documents, and for a sample of documents the raw and clean texts
side by side with every removed span highlighted (the rule shows on hover). No network, no
CDN: styles and the few lines of script are inline. Every byte of document text is escaped.

On a large corpus the table lists at most ``MAX_TABLE_ROWS`` documents and the side-by-side
views at most ``MAX_DETAILS`` (the documents with the most removed, then a sample of the rest
picked by a hash of the id), so the file stays small; the page says when it samples.
"""
from __future__ import annotations

import html
import heapq
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from .provenance import id_hash, raw_from_clean

MAX_TABLE_ROWS = 2000
MAX_DETAILS = 100
MAX_DETAIL_CHARS = 60_000

_COLORS = {
    "caption": "#e4572e", "related_news": "#29335c", "byline": "#f3a712", "source_line": "#a8c686",
    "player_widget": "#669bbc", "metadata": "#8d6a9f", "promo": "#c5283d", "duplicate": "#255f85",
    "repeated_boilerplate": "#4f6d7a", "metadata_header": "#b56576", "agency_prefix": "#e56b6f",
    "editor_note": "#6d597a", "end_marker": "#355070", "caption_credit": "#eaac8b",
    "encoding": "#2a9d8f", "whitespace": "#bbbbbb",
}

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.totals{display:flex;gap:14px;flex-wrap:wrap}.totals div{background:#f4f4f4;padding:8px 14px;border-radius:6px}
.totals b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{cursor:pointer;background:#fafafa;position:sticky;top:0}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{height:14px;display:inline-block;vertical-align:middle}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.pair pre{white-space:pre-wrap;word-break:break-word;background:#fbfbfb;border:1px solid #ddd;padding:8px;margin:0;font:13px/1.45 system-ui,sans-serif;max-height:480px;overflow:auto}
del{text-decoration:line-through;text-decoration-color:#0006}ins{text-decoration:none;background:#d7f5dd}
.key span{display:inline-block;margin:2px 8px 2px 0}.key i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}
details{margin:8px 0;border:1px solid #eee;border-radius:6px;padding:6px 10px}summary{cursor:pointer}
.note{color:#666}
"""

_JS = """
document.querySelectorAll('table.sortable th').forEach(function(th, col){
  th.addEventListener('click', function(){
    var tb = th.closest('table').tBodies[0], rows = Array.prototype.slice.call(tb.rows);
    var asc = th.dataset.asc !== '1'; th.dataset.asc = asc ? '1' : '0';
    rows.sort(function(a, b){
      var x = a.cells[col].dataset.v || a.cells[col].textContent, y = b.cells[col].dataset.v || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function(r){ tb.appendChild(r); });
  });
});
"""


def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _color(reason: str) -> str:
    return _COLORS.get(reason.split("+")[-1], "#999999")


def _marked(raw: str, edits: list[dict], limit: int) -> tuple[str, str]:
    """Raw with removed spans struck through and coloured; clean with replacements marked."""
    left, right, pos = [], [], 0
    for e in edits:
        if e["start"] >= limit:
            break
        keep = raw[pos : e["start"]]
        left.append(_e(keep))
        right.append(_e(keep))
        tip = _e(f"{e['reason']} · rule {e['rule']}")
        if e["text"]:
            left.append(f'<del title="{tip}" style="background:{_color(e["reason"])}33">{_e(e["text"])}</del>')
        if e["replacement"]:
            right.append(f'<ins title="{tip}">{_e(e["replacement"])}</ins>')
        pos = e["end"]
    left.append(_e(raw[pos:limit]))
    right.append(_e(raw[pos:limit]))
    if len(raw) > limit:
        more = f"\n… ({len(raw) - limit:,} more characters not shown)"
        left.append(_e(more))
        right.append(_e(more))
    return "".join(left), "".join(right)


def _bars(counts: dict[str, int], unit: str) -> str:
    if not counts:
        return '<p class="note">Nothing removed.</p>'
    top = max(counts.values()) or 1
    rows = []
    for reason, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        w = max(2, int(420 * n / top))
        rows.append(f'<tr><td>{_e(reason)}</td><td class="n" data-v="{n}">{n:,} {unit}</td>'
                    f'<td><span class="bar" style="width:{w}px;background:{_color(reason)}"></span></td></tr>')
    return f'<table style="width:auto"><tbody>{"".join(rows)}</tbody></table>'


def _histogram(bins: list[int]) -> str:
    """Ten bars: how many documents lost 0-10 %, 10-20 %, ... of their text."""
    top = max(bins) or 1
    w, h = 36, 120
    bars = []
    for k, n in enumerate(bins):
        bh = int(h * n / top)
        bars.append(f'<rect x="{k * (w + 4)}" y="{h - bh}" width="{w}" height="{bh}" fill="#669bbc">'
                    f'<title>{k * 10}–{k * 10 + 10}% removed: {n} documents</title></rect>'
                    f'<text x="{k * (w + 4) + w / 2}" y="{h + 14}" font-size="10" text-anchor="middle">{k * 10}%</text>'
                    f'<text x="{k * (w + 4) + w / 2}" y="{max(h - bh - 3, 10)}" font-size="10" text-anchor="middle">{n}</text>')
    return f'<svg width="{10 * (w + 4)}" height="{h + 20}" role="img" aria-label="share removed per document">{"".join(bars)}</svg>'


class _Desc:
    """A string that sorts in reverse: the heap of most-removed documents breaks ties by id."""

    __slots__ = ("s",)

    def __init__(self, s: str):
        self.s = s

    def __lt__(self, other: "_Desc") -> bool:
        return self.s > other.s


class ReportStats:
    """What the report needs from the manifest, gathered one record at a time.

    Each EmitShard gathers its own shard's and the corpus step merges them in shard order, so
    the manifest is never read back. Everything is bounded: the first ``MAX_TABLE_ROWS`` rows,
    the documents with the most removed and a sample of the rest (the smallest hashes of their
    ids), each in a heap, and the full records of only the documents those heaps hold. Both
    heaps order by a total order, so merged partials choose exactly what one pass would.
    """

    def __init__(self) -> None:
        self.n_docs = self.n_kept = 0
        self.bins = [0] * 10
        self.rows: list[list] = []  # [id, status, encoding, removed, share, reasons, note]
        self.top: list[tuple[int, _Desc]] = []  # the root is the least removed
        self.sample: list[tuple[int, str, int]] = []  # (-id hash, id, removed): the root is the largest hash
        self.records: dict[str, dict[str, Any]] = {}  # the full records of documents in a heap

    def add(self, rec: dict[str, Any]) -> None:
        self.n_docs += 1
        removed = sum(len(e["text"]) - len(e["replacement"]) for e in rec["edits"]
                      if e["reason"] not in ("whitespace", "encoding"))
        raw_len = max(rec.get("clean_chars", 0) + removed, 1)
        share = min(max(removed / raw_len, 0.0), 1.0) if rec["status"] != "rejected" else 0.0
        if len(self.rows) < MAX_TABLE_ROWS:
            reasons = Counter(e["reason"] for e in rec["edits"]
                              if e["reason"] not in ("whitespace", "encoding") and e["text"].strip())
            note = rec.get("error") or (rec.get("duplicate_of") or {}).get("id", "")
            self.rows.append([rec["id"], rec["status"], rec["encoding"], removed, share,
                              ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())), note])
        if rec["status"] != "rejected":
            self.n_kept += 1
            self.bins[min(int(share * 10), 9)] += 1
            self._offer(rec["id"], removed, rec)

    def _offer(self, doc_id: str, removed: int, rec: dict[str, Any]) -> None:
        kept = False
        entry = (removed, _Desc(doc_id))
        if len(self.top) < MAX_DETAILS // 2:
            heapq.heappush(self.top, entry)
            kept = True
        elif self.top[0] < entry:
            heapq.heapreplace(self.top, entry)
            kept = True
        h = (-id_hash(doc_id), doc_id, removed)
        if len(self.sample) < MAX_DETAILS:
            heapq.heappush(self.sample, h)
            kept = True
        elif self.sample[0] < h:
            heapq.heapreplace(self.sample, h)
            kept = True
        if kept:
            self.records[doc_id] = rec
            if len(self.records) > 4 * MAX_DETAILS:
                self._prune()

    def _prune(self) -> None:
        held = {d.s for _, d in self.top} | {doc_id for _, doc_id, _ in self.sample}
        self.records = {k: v for k, v in self.records.items() if k in held}

    def merge(self, other: "ReportStats") -> None:
        """Add the stats of the shard that follows this one."""
        self.n_docs += other.n_docs
        self.n_kept += other.n_kept
        self.bins = [a + b for a, b in zip(self.bins, other.bins)]
        self.rows.extend(other.rows[: MAX_TABLE_ROWS - len(self.rows)])
        held = {d.s: removed for removed, d in other.top}
        held.update((doc_id, removed) for _, doc_id, removed in other.sample)
        for doc_id, removed in held.items():
            self._offer(doc_id, removed, other.records[doc_id])
        self._prune()

    def to_json(self) -> dict[str, Any]:
        self._prune()
        return {"n_docs": self.n_docs, "n_kept": self.n_kept, "bins": self.bins, "rows": self.rows,
                "top": [[removed, d.s] for removed, d in self.top],
                "sample": [[doc_id, removed] for _, doc_id, removed in self.sample], "records": self.records}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "ReportStats":
        st = cls()
        st.n_docs, st.n_kept, st.bins, st.rows, st.records = d["n_docs"], d["n_kept"], d["bins"], d["rows"], d["records"]
        st.top = [(removed, _Desc(doc_id)) for removed, doc_id in d["top"]]
        st.sample = [(-id_hash(doc_id), doc_id, removed) for doc_id, removed in d["sample"]]
        heapq.heapify(st.top)
        heapq.heapify(st.sample)
        return st

    def chosen(self) -> list[tuple[int, str, dict[str, Any]]]:
        """The documents shown side by side: the most removed, then the sample, most removed first."""
        removed_of = {d.s: removed for removed, d in self.top}
        for _, doc_id, removed in sorted(self.sample, reverse=True):  # smallest hash first
            if len(removed_of) >= MAX_DETAILS:
                break
            removed_of.setdefault(doc_id, removed)
        out = [(removed, doc_id, self.records[doc_id]) for doc_id, removed in removed_of.items()]
        out.sort(key=lambda t: (-t[0], t[1]))
        return out


def report_stats(records: Iterable[dict[str, Any]]) -> ReportStats:
    st = ReportStats()
    for rec in records:
        st.add(rec)
    return st


def build_report(stats: ReportStats, clean_dir: Path, summary: dict[str, Any], title: str = "Cleaning report") -> str:
    """The whole page as a string, from the gathered ``stats`` and the corpus ``summary``."""
    rows, n_docs, n_kept, bins = stats.rows, stats.n_docs, stats.n_kept, stats.bins
    chosen = stats.chosen()

    parts = [f"<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>",
             f"<meta name=\"viewport\" content=\"width=device-width\"><style>{_CSS}</style></head><body>",
             f"<h1>{_e(title)}</h1>",
             '<div class="totals">']
    for label, key in (("documents", "documents"), ("kept", "ok"), ("duplicates", "duplicate"), ("rejected", "rejected")):
        parts.append(f'<div id="total-{key}"><b>{summary.get(key, 0):,}</b>{label}</div>')
    parts.append(f'<div id="total-lines"><b>{sum(summary.get("lines_removed", {}).values()):,}</b>lines removed</div></div>')
    parts.append("<h2>Removed lines per reason</h2>" + _bars(summary.get("lines_removed", {}), "lines"))
    parts.append("<h2>Removed characters per reason</h2>" + _bars(summary.get("chars_removed", {}), "chars"))
    parts.append("<h2>Share of each document removed</h2>" + _histogram(bins))
    sampled = n_docs > len(rows)
    parts.append("<h2>Documents</h2><p class=\"note\">Click a column to sort."
                 + (f" Showing the first {len(rows):,} of {n_docs:,} documents (by id); the manifest has them all." if sampled else "")
                 + "</p>")
    parts.append('<table class="sortable" id="docs"><thead><tr><th>id</th><th>status</th><th>encoding</th>'
                 '<th>removed chars</th><th>share removed</th><th>reasons</th><th>error / duplicate of</th></tr></thead><tbody>')
    for doc_id, status, encoding, removed, share, rs, note in rows:
        parts.append(f"<tr><td>{_e(doc_id)}</td><td>{_e(status)}</td><td>{_e(encoding)}</td>"
                     f'<td class="n" data-v="{removed}">{removed:,}</td><td class="n" data-v="{share:.4f}">{share:.0%}</td>'
                     f"<td>{_e(rs)}</td><td>{_e(note)}</td></tr>")
    parts.append("</tbody></table>")
    parts.append(f"<h2>Raw and clean, side by side</h2><p class=\"note\">{len(chosen)} of {n_kept:,} documents "
                 "(the most removed, then a sample of the rest). Struck-through spans were removed; hover for the rule. "
                 "Green marks text put in by a repair.</p>")
    key = "".join(f'<span><i style="background:{c}"></i>{_e(r)}</span>' for r, c in _COLORS.items())
    parts.append(f'<div class="key">{key}</div>')
    for k, (removed, doc_id, rec) in enumerate(chosen):
        clean_path = clean_dir / f"{doc_id}.txt"
        try:
            clean = clean_path.read_bytes().decode("utf-8")
        except OSError:
            continue
        raw = raw_from_clean(rec["edits"], clean)
        left, right = _marked(raw, rec["edits"], MAX_DETAIL_CHARS)
        parts.append(f"<details{' open' if k == 0 else ''}><summary>{_e(doc_id)} — {removed:,} characters removed ({_e(rec['status'])})</summary>"
                     f'<div class="pair"><pre class="raw">{left}</pre><pre class="clean">{right}</pre></div></details>')
    parts.append(f"<script>{_JS}</script>")
    parts.append("</body></html>\n")
    return "".join(parts)
