"""The ``pipeline`` command: run the cleaning, and look at what it did.

    pipeline run   [--input-dir seeds] [--output-dir work] [--workers 2]
    pipeline diff  NAME [--output-dir work] [--reason caption]
    pipeline stats [--output-dir work]
    pipeline clean FILE
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path

from .provenance import raw_from_clean, tally


def _load_manifest(output_dir: str):
    path = Path(output_dir) / "manifest.jsonl"
    if not path.exists():
        raise SystemExit(
            f"pipeline: no manifest at {path}. Run the cleaning first:\n"
            f"  pipeline run --output-dir {output_dir}    (or: luigi --module pipeline CleanAll)"
        )
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def _color(enabled: bool):
    def paint(code: str, s: str) -> str:
        return f"\x1b[{code}m{s}\x1b[0m" if enabled else s

    return paint


def cmd_diff(args) -> int:
    rec = next((r for r in _load_manifest(args.output_dir) if r["id"] == args.name), None)
    if rec is None:
        ids = [r["id"] for r in _load_manifest(args.output_dir)]
        close = difflib.get_close_matches(args.name, ids, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else f" ({len(ids)} documents; `pipeline stats` lists totals.)"
        print(f"pipeline: no document {args.name!r} in {args.output_dir}/manifest.jsonl.{hint}", file=sys.stderr)
        return 2
    if rec["status"] == "rejected":
        print(f"{rec['id']}: rejected: {rec['error']}")
        return 0
    clean_path = Path(args.output_dir) / "clean" / f"{rec['id']}.txt"
    clean = clean_path.read_text(encoding="utf-8")
    raw = raw_from_clean(rec["edits"], clean)
    paint = _color(args.color == "always" or (args.color == "auto" and sys.stdout.isatty()))

    raw_lines = raw.split("\n")
    starts = []
    pos = 0
    for ln in raw_lines:
        starts.append(pos)
        pos += len(ln) + 1

    def tags_for(i: int) -> list[str]:
        s, e = starts[i], starts[i] + len(raw_lines[i]) + 1
        return sorted({f"{ed['reason']} ({ed['rule']})" for ed in rec["edits"]
                       if ed["start"] < e and ed["end"] > s or ed["start"] == ed["end"] == s})

    sm = difflib.SequenceMatcher(None, raw_lines, clean.split("\n"), autojunk=False)
    print(paint("1", f"--- raw/{rec['id']}  ({rec['source']}, {rec['encoding']})"))
    print(paint("1", f"+++ clean/{rec['id']}.txt  (status {rec['status']})"))
    clean_lines = clean.split("\n")
    for group in sm.get_grouped_opcodes(args.context):
        hunk = []
        keep = False
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                hunk += [" " + raw_lines[i] for i in range(i1, i2)]
                continue
            for i in range(i1, i2):
                tags = tags_for(i)
                if args.reason and not any(t.split(" ")[0].split("+").count(args.reason) for t in tags):
                    continue
                keep = True
                if raw_lines[i].strip() or tags:
                    hunk.append(paint("31", "-" + raw_lines[i]) + paint("2", "    # " + ", ".join(tags) if tags else ""))
            if keep or not args.reason:
                hunk += [paint("32", "+" + clean_lines[j]) for j in range(j1, j2)]
        if keep or (not args.reason and hunk):
            print(paint("36", f"@@ raw line {group[0][1] + 1} @@"))
            print("\n".join(hunk))
    return 0


def cmd_stats(args) -> int:
    s = tally(_load_manifest(args.output_dir))
    from .tasks import format_summary

    print(format_summary(s, args.output_dir).strip())
    if s["chars_removed"]:
        print("Characters removed by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(s["chars_removed"].items())))
    return 0


def cmd_run(args) -> int:
    import luigi

    from .tasks import CleanAll

    kwargs = {"input_dir": args.input_dir, "output_dir": args.output_dir, "allow_empty": args.allow_empty}
    if args.shard_size is not None:
        kwargs["shard_size"] = args.shard_size
    if args.workers < 1:
        print(f"pipeline: --workers must be 1 or more (got {args.workers})", file=sys.stderr)
        return 2
    # CleanAll checks the folders, takes the output folder's lock and lists the inputs when
    # it is made; a refusal is one sentence and SystemExit(2).
    ok = luigi.build([CleanAll(**kwargs)], workers=args.workers, local_scheduler=True)
    return 0 if ok else 1


def cmd_clean(args) -> int:
    from .chain import clean_document
    from .readers import read_bytes_document

    data = Path(args.file).read_bytes()
    doc = clean_document(read_bytes_document(Path(args.file).stem, data, args.file))
    if doc.status == "rejected":
        print(f"pipeline: rejected: {doc.error}", file=sys.stderr)
        return 1
    sys.stdout.write(doc.text)
    if args.explain:
        for e in doc.edits:
            print(f"# {e.reason} ({e.rule}) [{e.start}:{e.end}] {e.text[:80]!r} -> {e.replacement[:40]!r}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pipeline",
        description="Clean a news corpus (captions, related-news blocks, widgets, bylines, mojibake, "
        "near-duplicates) and record every change with its reason in a manifest.",
        epilog="The same run as a Luigi command: luigi --module pipeline CleanAll [--input-dir D] [--output-dir D]",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="clean every document under --input-dir", description="Run CleanAll with the local scheduler.")
    r.add_argument("--input-dir", default="seeds", help="folder of raw documents (default: seeds)")
    r.add_argument("--output-dir", default="work", help="where clean/, clean.jsonl and manifest.jsonl go (default: work)")
    r.add_argument("--workers", type=int, default=1, help="parallel Luigi workers (default: 1)")
    r.add_argument("--shard-size", type=int, default=None, help="documents per shard task (default: luigi.cfg; 0 = automatic)")
    r.add_argument("--allow-empty", action="store_true", help="let an empty input folder replace earlier outputs")
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("diff", help="raw against clean for one document, each removal tagged with its reason",
                       description="Unified diff of one document's raw text against its clean text. "
                       "Each removed line is tagged with the reason and rule from the manifest.")
    d.add_argument("name", help="document id (its path under the input dir, without extension)")
    d.add_argument("--output-dir", default="work", help="the run's output folder (default: work)")
    d.add_argument("--reason", help="show only removals with this reason (caption, related_news, ...)")
    d.add_argument("--context", type=int, default=2, help="lines of context around each change (default: 2)")
    d.add_argument("--color", choices=["auto", "always", "never"], default="auto", help="colour output (default: auto)")
    d.set_defaults(func=cmd_diff)

    s = sub.add_parser("stats", help="corpus totals per reason from the manifest")
    s.add_argument("--output-dir", default="work", help="the run's output folder (default: work)")
    s.set_defaults(func=cmd_stats)

    c = sub.add_parser("clean", help="clean one file and print the result (no manifest, no dedup across files)")
    c.add_argument("file")
    c.add_argument("--explain", action="store_true", help="also print each edit on stderr")
    c.set_defaults(func=cmd_clean)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
