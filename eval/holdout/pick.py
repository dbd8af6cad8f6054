#!/usr/bin/env python3
"""Pick the held-out evaluation documents reproducibly.

python3 eval/holdout/pick.py [--corpus DIR] [--copy]

Eligible: corpus files (vntc__, vfnd__, baomoi__) whose name (stem) appears nowhere under
/work/shared (seeds, gold, dev, train, train-flat, ...: file names and file contents, the corpus
tarball itself excepted) or /work/main/training (any set). Each kind is sorted by
sha256("holdout-2026-11-30:" + stem) and the first N taken: 30 vntc, 30 vfnd, and the first 20
baomoi with a line over 1,500 characters. A file that is not valid UTF-8 is skipped (reported)
and the next one taken. With --copy the raw files are copied byte for byte into
eval/holdout/{vntc,vfnd,baomoi}/raw/.
"""
import argparse, hashlib, re, shutil, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SALT = "holdout-2026-11-30:"
EXCLUDE_ROOTS = [Path("/work/shared"), Path("/work/main/training")]
TOKEN = re.compile(r"(?:vntc|vfnd|baomoi)__[A-Za-z0-9_.\-]+")
SUFFIXES = (".labels.jsonl", ".clean.txt", ".expected.json", ".txt", ".html", ".jsonl", ".json")
WANT = {"vntc": 30, "vfnd": 30, "baomoi": 20}


def strip(name):
    for s in SUFFIXES:
        if name.endswith(s):
            return name[: -len(s)]
    return name


def seen_names():
    seen = set()
    for root in EXCLUDE_ROOTS:
        for p in root.rglob("*"):
            if not p.is_file():
                continue
            seen.add(strip(p.name))
            if p.name.endswith(".tar.gz"):
                continue  # the corpus itself holds every name
            try:
                text = p.read_bytes().decode("utf-8", "ignore")
            except OSError:
                continue
            for t in TOKEN.findall(text):
                seen.add(strip(t.rstrip(".")))
    return seen


def key(stem):
    return hashlib.sha256((SALT + stem).encode()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/tmp/lead-corpus/vi-news")
    ap.add_argument("--copy", action="store_true")
    a = ap.parse_args()
    corpus = Path(a.corpus)
    seen = seen_names()
    files = sorted(corpus.glob("*.txt"))
    for kind, n in WANT.items():
        stems = [f.stem for f in files if f.stem.startswith(kind + "__")]
        eligible = sorted((s for s in stems if s not in seen), key=key)
        print(f"# {kind}: {len(stems)} in corpus, {len(eligible)} eligible", file=sys.stderr)
        picked = []
        for s in eligible:
            data = (corpus / (s + ".txt")).read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                print(f"# {kind}: {s} is not UTF-8, skipped", file=sys.stderr)
                continue
            if kind == "baomoi" and not any(len(l.rstrip("\r")) > 1500 for l in text.split("\n")):
                continue
            picked.append(s)
            if len(picked) == n:
                break
        for s in picked:
            print(f"{kind}\t{s}")
            if a.copy:
                out = HERE / kind / "raw"
                out.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(corpus / (s + ".txt"), out / (s + ".txt"))


if __name__ == "__main__":
    main()
