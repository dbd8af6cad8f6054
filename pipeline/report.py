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
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from .provenance import id_hash, raw_from_clean

MAX_TABLE_ROWS = 2000
MAX_DETAILS = 100
MAX_DETAIL_CHARS = 60_000

# One colour per reason, picked so that every pair stays apart (CIE76 distance >= 16) for normal
# vision and simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009); a test
# checks it. White space is a repair, not a removal: grey, and shown as a mark.
_COLORS = {
    "caption": "#ff0000", "related_news": "#0099ff", "byline": "#ffcc00", "source_line": "#669966",
    "player_widget": "#6600ff", "metadata": "#996699", "promo": "#ff99cc", "duplicate": "#990099",
    "repeated_boilerplate": "#666666", "metadata_header": "#cccc99", "agency_prefix": "#cc3333",
    "editor_note": "#99cc66", "end_marker": "#6666ff", "caption_credit": "#9900cc",
    "encoding": "#cc33cc", "whitespace": "#bbbbbb",
}
# Characters a browser would not show, or would show as a line break (a CRLF file's \r in a
# <pre>): drawn as a mark instead, so the page shows no blank line that is not in the file.
_MARKS = {"\r": "CR", "\t": "TAB", "\u00a0": "NBSP", "\u200b": "ZWSP", "\u200c": "ZWNJ", "\u200d": "ZWJ",
          "\ufeff": "BOM", "\u2028": "LS", "\u2029": "PS", "\u000b": "VT", "\u000c": "FF", "\u0085": "NEL",
          "\u3000": "IDSP", "\u00ad": "SHY"}
_MARK_RE = re.compile("[" + "".join(_MARKS) + "]")

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
.mark{color:#444;background:#e8e8e8;border-radius:2px;font-size:10px;padding:0 1px;text-decoration:none}
del{box-shadow:inset 0 -2px 0 var(--c,#999)}
.run{color:#444;background:#f7f7f7;padding:6px 10px;border-radius:6px}
ol.top li{margin:2px 0}
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
function openTarget(){
  var t = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (t && t.tagName === 'DETAILS') { t.open = true; }
}
window.addEventListener('hashchange', openTarget); openTarget();
"""


def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _color(reason: str) -> str:
    return _COLORS.get(reason.split("+")[-1], "#999999")


def _shown(s: str) -> str:
    """Escaped text with invisible characters as marks (``\r`` never becomes a line break)."""
    def mark(m: re.Match) -> str:
        ch = m.group(0)
        return f'<span class="mark" title="U+{ord(ch):04X}">{_MARKS[ch]}</span>'

    return _MARK_RE.sub(mark, _e(s))


def anchor(doc_id: str) -> str:
    """The id of a document's side-by-side view: from a hash, so any id makes a valid anchor."""
    return f"d-{id_hash(doc_id):016x}"


def _marked(raw: str, edits: list[dict], limit: int) -> tuple[str, str]:
    """Raw with removed spans struck through and coloured; clean with replacements marked."""
    left, right, pos = [], [], 0
    for e in edits:
        if e["start"] >= limit:
            break
        keep = _shown(raw[pos : e["start"]])
        left.append(keep)
        right.append(keep)
        tip = _e(f"{e['reason']} · rule {e['rule']}")
        if e["text"]:
            c = _color(e["reason"])
            left.append(f'<del title="{tip}" style="background:{c}33;--c:{c}">{_shown(e["text"])}</del>')
        if e["replacement"]:
            right.append(f'<ins title="{tip}">{_shown(e["replacement"])}</ins>')
        pos = e["end"]
    left.append(_shown(raw[pos:limit]))
    right.append(_shown(raw[pos:limit]))
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
        rows.append(f'<tr><td>{_e(reason)}</td><td class="n" data-v="{n}">{n:,} {unit if n != 1 else unit[:-1]}</td>'
                    f'<td><span class="bar" style="width:{w}px;background:{_color(reason)}"></span></td></tr>')
    return f'<table style="width:auto"><tbody>{"".join(rows)}</tbody></table>'


def _histogram(bins: list[int]) -> str:
    """Ten bars: how many documents lost 0-10 %, 10-20 %, ... of their text. The scale is
    logarithmic, so that a bin of 100 beside one of 19,000 still shows (every non-empty bin
    gets a bar); each bar carries its count."""
    top = math.log1p(max(bins) or 1)
    w, h = 44, 120
    bars = []
    for k, n in enumerate(bins):
        bh = max(2, round(h * math.log1p(n) / top)) if n else 0
        bars.append(f'<rect x="{k * (w + 4)}" y="{h - bh + 12}" width="{w}" height="{bh}" fill="#0099ff">'
                    f'<title>{k * 10}–{k * 10 + 10}% removed: {n:,} documents</title></rect>'
                    f'<text x="{k * (w + 4) + w / 2}" y="{h + 26}" font-size="10" text-anchor="middle">{k * 10}–{k * 10 + 10}%</text>'
                    f'<text x="{k * (w + 4) + w / 2}" y="{h - bh + 9}" font-size="10" text-anchor="middle">{n:,}</text>')
    return (f'<svg id="histogram" width="{10 * (w + 4)}" height="{h + 32}" role="img" '
            f'aria-label="documents per share removed, log scale">{"".join(bars)}</svg>'
            '<p class="note">Documents per share of their text removed; bar heights on a log scale, counts on top.</p>')


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
        self.rows: list[list] = []  # [id, status, encoding, removed, share, reasons, note, language]
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
                              ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())), note,
                              (rec.get("metadata") or {}).get("language", "")])
        if rec["status"] != "rejected":
            self.n_kept += 1
            self.bins[min(int(share * 10), 9)] += 1
            self._offer(rec["id"], removed, rec)

    def _offer(self, doc_id: str, removed: int, rec: dict[str, Any]) -> None:
        kept = False
        entry = (removed, _Desc(doc_id))
        if rec["status"] == "ok":  # a duplicate goes whole by design: "most removed" is for what the rules cut
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


MOST_REMOVED = 20  # documents in the "most removed" list at the top


def _share(removed: int, rec: dict[str, Any]) -> float:
    return min(max(removed / max(rec.get("clean_chars", 0) + removed, 1), 0.0), 1.0)


def _reasons(rec: dict[str, Any]) -> str:
    n = Counter(e["reason"] for e in rec["edits"] if e["reason"] not in ("whitespace", "encoding") and e["text"].strip())
    return ", ".join(f"{k} {v}" for k, v in sorted(n.items()))


def _doc_link(doc_id: str, shown: set[str], listed: set[str] = frozenset()) -> str:
    """The id, linked to its side-by-side view when the page has one, else to its table row."""
    if doc_id in shown:
        return f'<a href="#{anchor(doc_id)}">{_e(doc_id)}</a>'
    if doc_id in listed:
        return f'<a href="#r{anchor(doc_id)[1:]}">{_e(doc_id)}</a>'
    return _e(doc_id)


def _run_details(run: dict[str, Any] | None, n_docs: int, languages: dict[str, int] | None = None) -> str:
    from . import __version__

    run = run or {}
    items = []
    if run.get("input_dir"):
        items.append(f"input <code>{_e(run['input_dir'])}</code>")
    items.append(f"{n_docs:,} document{'' if n_docs == 1 else 's'}")
    if languages:
        top = sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))
        items.append("languages " + ", ".join(f"{_e(k)} {n:,}" for k, n in top[:6]) + (" …" if len(top) > 6 else ""))
    if run.get("settings"):
        items.append(f"settings digest <code>{_e(run['settings'])}</code>")
    items.append(f"pipeline {_e(__version__)}")
    # No clock time: a rerun with nothing changed must give a byte-identical page. The file's
    # own modification time says when it was written.
    return ('<p class="run" id="run">' + " · ".join(items)
            + ' <span class="note">(no date is written, so that a rerun gives the same page byte for byte; '
            "the file's modification time is when this run ended)</span></p>")


def build_report(stats: ReportStats, clean_dir: Path, summary: dict[str, Any], title: str = "Cleaning report",
                 run: dict[str, Any] | None = None) -> str:
    """The whole page as a string, from the gathered ``stats`` and the corpus ``summary``.
    ``run``: ``input_dir`` and ``settings`` (digest), shown at the top with the version."""
    rows, n_docs, n_kept, bins = stats.rows, stats.n_docs, stats.n_kept, stats.bins
    chosen = stats.chosen()
    views: list[tuple[int, str, dict[str, Any], str]] = []  # the side-by-side views that have a clean file
    for removed, doc_id, rec in chosen:
        try:
            clean = (clean_dir / f"{doc_id}.txt").read_bytes().decode("utf-8")
        except OSError:
            continue
        views.append((removed, doc_id, rec, clean))
    shown = {doc_id for _, doc_id, _, _ in views}
    listed = {row[0] for row in rows}  # ids in the table (a kept copy without a view links to its row)

    langs = summary.get("languages") or {"vi": 1}
    page_lang = next(iter(langs)) if len(langs) == 1 else "mul"  # BCP 47: several languages
    parts = [f"<!doctype html><html lang=\"{_e(page_lang)}\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>",
             f"<meta name=\"viewport\" content=\"width=device-width\"><style>{_CSS}</style></head><body>",
             f"<h1>{_e(title)}</h1>", _run_details(run, n_docs, summary.get("languages")),
             '<div class="totals">']
    for label, key in (("documents", "documents"), ("kept", "ok"), ("duplicates", "duplicate"), ("rejected", "rejected")):
        parts.append(f'<div id="total-{key}"><b>{summary.get(key, 0):,}</b>{label}</div>')
    parts.append(f'<div id="total-lines"><b>{sum(summary.get("lines_removed", {}).values()):,}</b>lines removed</div></div>')

    top = sorted(((removed, d.s) for removed, d in stats.top if removed > 0), key=lambda t: (-t[0], t[1]))[:MOST_REMOVED]
    parts.append("<h2>Most removed</h2>")
    if top:
        parts.append('<ol class="top" id="most-removed">')
        for removed, doc_id in top:
            rec = stats.records[doc_id]
            parts.append(f"<li>{_doc_link(doc_id, shown)} — {removed:,} characters ({_share(removed, rec):.0%}) "
                         f'<span class="note">{_e(_reasons(rec))}</span></li>')
        parts.append("</ol>")
    else:
        parts.append('<p class="note">Nothing removed.</p>')
    parts.append("<h2>Removed lines per reason</h2>" + _bars(summary.get("lines_removed", {}), "lines"))
    parts.append("<h2>Removed characters per reason</h2>" + _bars(summary.get("chars_removed", {}), "chars"))
    parts.append("<h2>Share of each document removed</h2>" + _histogram(bins))
    sampled = n_docs > len(rows)
    parts.append("<h2>Documents</h2><p class=\"note\">Click a column to sort; an id links to its side-by-side view when "
                 "the page has one."
                 + (f" Showing the first {len(rows):,} of {n_docs:,} documents (by id); the manifest has them all." if sampled else "")
                 + "</p>")
    parts.append('<table class="sortable" id="docs"><thead><tr><th>id</th><th>status</th><th>language</th><th>encoding</th>'
                 '<th>removed chars</th><th>share removed</th><th>reasons</th><th>error / duplicate of</th></tr></thead><tbody>')
    for doc_id, status, encoding, removed, share, rs, note, language in rows:
        note_html = _doc_link(note, shown, listed) if status == "duplicate" else _e(note)
        row_id = f'r{anchor(doc_id)[1:]}'  # the row's own anchor, on its id cell's content
        cell = (f'<a id="{row_id}" href="#{anchor(doc_id)}">{_e(doc_id)}</a>' if doc_id in shown
                else f'<span id="{row_id}">{_e(doc_id)}</span>')
        parts.append(f'<tr><td>{cell}</td><td>{_e(status)}</td><td>{_e(language)}</td><td>{_e(encoding)}</td>'
                     f'<td class="n" data-v="{removed}">{removed:,}</td><td class="n" data-v="{share:.4f}">{share:.0%}</td>'
                     f"<td>{_e(rs)}</td><td>{note_html}</td></tr>")
    parts.append("</tbody></table>")
    parts.append(f"<h2>Raw and clean, side by side</h2><p class=\"note\">{len(views)} of {n_kept:,} documents "
                 "(the most removed, then a sample of the rest). Struck-through spans were removed; hover for the rule. "
                 "Green marks text put in by a repair; grey marks stand for characters a page would not show "
                 "(CR a carriage return, NBSP a no-break space, ...).</p>")
    key = "".join(f'<span><i style="background:{c}"></i>{_e(r)}</span>' for r, c in _COLORS.items())
    parts.append(f'<div class="key">{key}</div>')
    for k, (removed, doc_id, rec, clean) in enumerate(views):
        raw = raw_from_clean(rec["edits"], clean)
        left, right = _marked(raw, rec["edits"], MAX_DETAIL_CHARS)
        status = _e(rec["status"])
        dup = rec.get("duplicate_of") if rec["status"] == "duplicate" else None
        if dup and dup.get("id"):
            where = f" in {_e(dup['run'])}" if dup.get("run") else ""
            status = (f'duplicate of <span class="kept">{_doc_link(dup["id"], shown, listed) if not where else _e(dup["id"])}'
                      f'</span>{where}')
        parts.append(f'<details id="{anchor(doc_id)}"{" open" if k == 0 else ""}><summary>{_e(doc_id)} — '
                     f"{removed:,} characters removed ({status})</summary>"
                     f'<div class="pair"><pre class="raw">{left}</pre><pre class="clean">{right}</pre></div></details>')
    parts.append(f"<script>{_JS}</script>")
    parts.append("</body></html>\n")
    return "".join(parts)
