"""The summary a run prints at the end (and ``pipeline stats`` prints again): counts in words
with their plurals right, and where every output went."""
from __future__ import annotations

from typing import Any

# Every output of a run, as (path under the output folder, what it is): the summary names them all.
OUTPUTS = (
    ("report.html", "report (open in a browser)"),
    ("clean/", "clean texts, one per document"),
    ("extracted/", "the decoded text of HTML, WARC and non-UTF-8 inputs (what the edits' offsets count in)"),
    ("dataset/", "kept documents as compressed shards, for datatrove, HF datasets, duckdb"),
    ("clean.jsonl", "kept documents, one JSON line each"),
    ("manifest.jsonl", "every input with every edit and its reason"),
    ("summary.json", "these totals"),
    ("index/", "MinHash index for a later run's --against"),
)


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``1 document``, ``2 documents``, ``1,234 entries`` (``nouns`` for irregular plurals)."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def format_summary(s: dict[str, Any], output_dir: str, outputs=OUTPUTS) -> str:
    dup = "duplicate" if s["duplicate"] == 1 else "duplicates"
    lines = [
        "",
        f"Cleaned {plural(s['documents'], 'document')} into {output_dir}/: "
        f"{s['ok']:,} kept, {s['duplicate']:,} {dup}, {s['rejected']:,} rejected.",
    ]
    if s["lines_removed"]:
        lines.append("Lines removed by reason:")
        width = max(len(r) for r in s["lines_removed"])
        for reason, n in sorted(s["lines_removed"].items(), key=lambda kv: -kv[1]):
            lines.append(f"  {reason:<{width}}  {n:>8,}")
    inline = {r: n for r, n in s["edits"].items() if r not in s["lines_removed"] and r not in ("whitespace",)}
    if inline:
        lines.append("In-line edits: " + ", ".join(f"{r} {n:,}" for r, n in sorted(inline.items())))
    if s.get("languages"):
        langs = sorted(s["languages"].items(), key=lambda kv: (-kv[1], kv[0]))
        lines.append("Languages: " + ", ".join(f"{k} {n:,}" for k, n in langs[:10]) + (" ..." if len(langs) > 10 else ""))
    if s.get("skipped_entries"):
        n = s["skipped_entries"]
        lines.append(f"Skipped {plural(n, 'entry', 'entries')} that {'is' if n == 1 else 'are'} not documents "
                     "(hidden names starting with '.', linked folders, special files).")
    if s.get("unreadable_folders"):
        n = s["unreadable_folders"]
        shown = ", ".join(s["unreadable_paths"][:5]) + (" ..." if n > 5 else "")
        lines.append(f"WARNING: could not read {plural(n, 'folder')}; {'its' if n == 1 else 'their'} files are not "
                     f"in this run: {shown}")
    if outputs:
        width = max(len(p) for p, _ in outputs) + len(output_dir) + 1
        lines.append("Outputs:")
        lines += [f"  {output_dir}/{p:<{width - len(output_dir) - 1}}  {what}" for p, what in outputs]
    return "\n".join(lines)
