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
from typing import Any, Callable, Iterable

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


def build_report(open_records: Callable[[], Iterable[dict[str, Any]]], clean_dir: Path, summary: dict[str, Any],
                 title: str = "Cleaning report") -> str:
    """The whole page as a string. ``open_records()`` streams the manifest records; it is read
    twice, so memory holds one number per document, not the manifest."""
    rows, bins = [], [0] * 10
    n_docs = n_kept = 0
    # Documents shown side by side: the most removed, then a sample of the rest (the smallest
    # hashes of their ids: the same on every run). Both kept in bounded heaps, so memory does
    # not grow with the corpus.
    top: list[tuple[int, _Desc]] = []
    sample: list[tuple[int, str, int]] = []
    for rec in open_records():
        n_docs += 1
        removed = sum(len(e["text"]) - len(e["replacement"]) for e in rec["edits"]
                      if e["reason"] not in ("whitespace", "encoding"))
        raw_len = max(rec.get("clean_chars", 0) + removed, 1)
        share = min(max(removed / raw_len, 0.0), 1.0) if rec["status"] != "rejected" else 0.0
        reasons = Counter(e["reason"] for e in rec["edits"] if e["reason"] not in ("whitespace", "encoding") and e["text"].strip())
        if len(rows) < MAX_TABLE_ROWS:
            rows.append((rec, removed, share, reasons))
        if rec["status"] != "rejected":
            n_kept += 1
            bins[min(int(share * 10), 9)] += 1
            heapq.heappush(top, (removed, _Desc(rec["id"])))  # the root is the least removed
            if len(top) > MAX_DETAILS // 2:
                heapq.heappop(top)
            h = id_hash(rec["id"])
            heapq.heappush(sample, (-h, rec["id"], removed))  # the root is the largest hash
            if len(sample) > MAX_DETAILS:
                heapq.heappop(sample)
    removed_of = {d.s: removed for removed, d in top}
    for _, doc_id, removed in sorted(sample, reverse=True):  # smallest hash first
        if len(removed_of) >= MAX_DETAILS:
            break
        removed_of.setdefault(doc_id, removed)
    chosen = [(removed_of[r["id"]], r["id"], r) for r in open_records() if r["id"] in removed_of]
    chosen.sort(key=lambda t: (-t[0], t[1]))  # the most removed first

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
    for rec, removed, share, reasons in rows:
        note = rec.get("error") or (rec.get("duplicate_of") or {}).get("id", "")
        rs = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
        parts.append(f"<tr><td>{_e(rec['id'])}</td><td>{_e(rec['status'])}</td><td>{_e(rec['encoding'])}</td>"
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
