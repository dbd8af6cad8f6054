"""Add the raw line to every edit row (score.py aligns edits by it): python3 add_raw.py SET_DIR"""
import json, sys
from pathlib import Path
d = Path(sys.argv[1])
for lab in sorted((d / "labels").glob("*.labels.jsonl")):
    lines = (d / "raw" / (lab.name[: -len(".labels.jsonl")] + ".txt")).read_text(encoding="utf-8").split("\n")
    rows = [json.loads(x) for x in lab.read_text(encoding="utf-8").splitlines() if x.strip()]
    for r in rows:
        if r["action"] == "edit":
            r["raw"] = lines[r["line"] - 1].rstrip("\r")
    lab.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
