#!/usr/bin/env python3
"""HTML inputs: what trafilatura gives on its own, what we extract, and what cleaning removes.

    python bench/html_eval.py [--html ../shared/html] [-v]

For each page: lines in trafilatura's default output, lines we extract (title and standfirst
put back), lines after cleaning, and what was removed by reason. ``-v`` prints every removed
line so a person can check that no content went. Pages with an ``.expected.json`` (fundus
format) also report how many expected body paragraphs survive whole.
"""
import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--html", default=str(ROOT.parent / "shared" / "html"))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    import trafilatura

    tmp = Path(tempfile.mkdtemp(prefix="html-eval-"))
    src = tmp / "in"
    src.mkdir()
    for p in Path(a.html).glob("*.html"):
        shutil.copy(p, src / p.name)
    out = tmp / "out"
    subprocess.run([sys.executable, "-m", "luigi", "--module", "pipeline", "CleanAll", "--input-dir", str(src),
                    "--output-dir", str(out)], cwd=ROOT, check=True, capture_output=True)
    recs = {r["id"]: r for r in map(json.loads, (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines())}
    print(f"{'page':58s} {'trafilatura':>11s} {'extracted':>9s} {'clean':>5s}  removed")
    for p in sorted(src.glob("*.html")):
        rec = recs[p.stem]
        own = [l for l in (trafilatura.extract(p.read_bytes()) or "").split("\n") if l.strip()]
        ext = [l for l in (out / "extracted" / f"{p.stem}.txt").read_text(encoding="utf-8").split("\n") if l.strip()]
        clean_text = (out / "clean" / f"{p.stem}.txt").read_text(encoding="utf-8") if rec["status"] != "rejected" else ""
        clean = [l for l in clean_text.split("\n") if l.strip()]
        reasons = collections.Counter(e["reason"] for e in rec["edits"] if e["text"].strip() and e["reason"] not in ("whitespace", "encoding"))
        print(f"{p.stem[:58]:58s} {len(own):11d} {len(ext):9d} {len(clean):5d}  {dict(reasons)}")
        expected = p.with_suffix(".expected.json")
        if (Path(a.html) / expected.name).exists():
            exp = json.loads((Path(a.html) / expected.name).read_text(encoding="utf-8"))["V1"]
            paras = [x for s in exp["body"]["sections"] for x in s["paragraphs"]]
            body = [x for x in paras if "Ảnh:" not in x]
            print(f"    expected body paragraphs kept whole: {sum(x in clean_text for x in body)}/{len(body)}; "
                  f"captions removed: {sum(x not in clean_text for x in paras if 'Ảnh:' in x)}/{len(paras) - len(body)}; "
                  f"title first: {clean[0] == exp['title'] if clean else False}; standfirst kept: {exp['body']['summary'][0] in clean_text}")
        if a.verbose:
            for e in rec["edits"]:
                if e["text"].strip() and e["reason"] not in ("whitespace", "encoding"):
                    print(f"      - [{e['reason']}] {e['text'].strip()[:110]}")
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
