#!/usr/bin/env python3
"""Check labels against the policy's format: python3 check.py SET_DIR (holding raw/ and labels/)."""
import json, re, sys, unicodedata
from pathlib import Path

KEEP = {"title", "heading", "body"}
DROP = {"caption", "related_news", "byline", "source_line", "player_widget", "metadata", "duplicate", "promo"}
EDIT = DROP | {"metadata_header", "agency_prefix", "editor_note", "end_marker", "caption_credit"}


def fold(s):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s)).strip()


def main(d: Path) -> int:
    bad = 0
    raws = sorted((d / "raw").glob("*.txt"))
    for raw in raws:
        lab = d / "labels" / (raw.stem + ".labels.jsonl")
        if not lab.exists():
            print(f"{raw.name}: no labels yet"); bad += 1; continue
        lines = raw.read_text(encoding="utf-8").split("\n")
        want = [i + 1 for i, l in enumerate(lines) if l.strip()]
        rows = [json.loads(x) for x in lab.read_text(encoding="utf-8").splitlines() if x.strip()]
        got = [r["line"] for r in rows]
        if got != want:
            print(f"{lab.name}: line numbers {got[:8]}... do not match the non-blank raw lines {want[:8]}..."); bad += 1; continue
        for r in rows:
            raw_line = lines[r["line"] - 1].rstrip("\r")
            a, reason = r.get("action"), r.get("reason")
            where = f"{lab.name}:{r['line']}"
            if a == "keep":
                ok = reason in KEEP and r["text"] == raw_line
            elif a == "drop":
                ok = reason in DROP and r["text"] == raw_line
            elif a == "edit":
                removed = r.get("removed")
                pieces = removed if isinstance(removed, list) else [removed]
                reasons = r.get("reasons", [reason])
                ok = all(x in EDIT for x in reasons) and len(reasons) == len(pieces) and all(p and p in raw_line for p in pieces)
                rest = raw_line
                for p in pieces:
                    rest = rest.replace(p, " ", 1)
                ok = ok and fold(rest) == fold(r["text"])
            else:
                ok = False
            if not ok:
                print(f"{where}: bad row {json.dumps(r, ensure_ascii=False)[:200]}"); bad += 1
    print(f"{len(raws)} documents checked, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
