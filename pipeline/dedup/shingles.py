"""Shingles that suit Vietnamese: syllable n-grams of lower-cased NFC text, tones kept.

Stripping diacritics would merge different words (ma, má, mà, mả, mã, mạ), so they stay.
Lines under ``min_syllables`` syllables get character n-grams instead, which still separate
two different short captions.

``shingle_hashes`` gives the same shingles as 32-bit hashes, computed fast: each distinct
syllable is hashed once per process (Vietnamese has a few thousand), and n-grams are combined
in numpy. These hashes are what the MinHash signatures are built from.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import xxhash

from .minhash import fmix32

_SYLLABLE = re.compile(r"\w+", re.UNICODE)
_K = (np.uint32(0x9E3779B1), np.uint32(0x85EBCA77), np.uint32(0xC2B2AE3D))
_syllable_hash: dict[str, int] = {}


def syllables(text: str) -> list[str]:
    return _SYLLABLE.findall(unicodedata.normalize("NFC", text).lower())


def shingles(text: str, n: int = 3, min_syllables: int = 8, char_n: int = 5) -> set[str]:
    syl = syllables(text)
    if len(syl) >= min_syllables:
        return {" ".join(syl[i : i + n]) for i in range(len(syl) - n + 1)}
    norm = " ".join(syl)
    if len(norm) <= char_n:
        return {norm} if norm else set()
    return {norm[i : i + char_n] for i in range(len(norm) - char_n + 1)}


def _hash_syllables(syl: list[str]) -> np.ndarray:
    cache = _syllable_hash
    try:
        return np.array(list(map(cache.__getitem__, syl)), dtype=np.uint32)
    except KeyError:
        for s in syl:
            if s not in cache:
                cache[s] = xxhash.xxh32_intdigest(s.encode())
        return np.array(list(map(cache.__getitem__, syl)), dtype=np.uint32)


def shingle_hashes(text: str, min_syllables: int = 8, char_n: int = 5, unique: bool = True) -> np.ndarray:
    """uint32 hashes of the shingles of ``text`` (sorted and unique unless ``unique=False``;
    MinHash takes a minimum, so repeats do not change a signature)."""
    syl = syllables(text)
    if len(syl) >= min_syllables:
        h = _hash_syllables(syl)
        with np.errstate(over="ignore"):
            tri = fmix32(h[:-2] * _K[0] + h[1:-1] * _K[1] + h[2:] * _K[2])
        return np.unique(tri) if unique else tri
    norm = " ".join(syl)
    if not norm:
        return np.zeros(0, np.uint32)
    grams = {norm} if len(norm) <= char_n else {norm[i : i + char_n] for i in range(len(norm) - char_n + 1)}
    return np.unique(np.fromiter((xxhash.xxh32_intdigest(g.encode()) for g in grams), np.uint32, len(grams)))


def jaccard(a, b) -> float:
    if isinstance(a, np.ndarray):
        if not len(a) or not len(b):
            return 0.0
        inter = len(np.intersect1d(a, b, assume_unique=True))
        return inter / (len(a) + len(b) - inter)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


_TOKEN_OR_BREAK = re.compile(r"\w+|\n", re.UNICODE)
MAX_LINE_CHARS = 1_000_000


def line_shingle_hashes(lines: list[str], min_syllables: int = 8, char_n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of many lines at once: (flat uint32 hashes, per-line counts).

    Equal, line by line, to ``shingle_hashes(line, unique=False)``, with one regex pass and a
    few numpy operations for the whole batch instead of per line.
    """
    # A line is signed on its first MAX_LINE_CHARS characters: enough to tell copies apart,
    # and memory stays bounded on a 50 MB line.
    lines = [ln if len(ln) <= MAX_LINE_CHARS else ln[:MAX_LINE_CHARS] for ln in lines]
    toks = _TOKEN_OR_BREAK.findall(unicodedata.normalize("NFC", "\n".join(lines)).lower())
    toks.append("\n")
    breaks, i = [], 0
    for _ in range(len(lines)):  # C-level scans for each line's end
        i = toks.index("\n", i)
        breaks.append(i)
        i += 1
    brk = np.asarray(breaks, dtype=np.int64)
    starts = np.concatenate(([0], brk[:-1] + 1))
    counts = brk - starts
    h = _hash_syllables(toks)
    with np.errstate(over="ignore"):
        tri = fmix32(h[:-2] * _K[0] + h[1:-1] * _K[1] + h[2:] * _K[2]) if len(h) >= 3 else np.zeros(0, np.uint32)
    parts, sizes = [], []
    for k, (st, c) in enumerate(zip(starts.tolist(), counts.tolist())):
        if c >= min_syllables:  # trigrams inside the line only: they start at st .. st+c-3
            parts.append(tri[st : st + c - 2])
            sizes.append(c - 2)
        else:
            extra = shingle_hashes(lines[k], min_syllables, char_n, unique=False)
            parts.append(extra)
            sizes.append(len(extra))
    flat = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
    return flat.astype(np.uint32, copy=False), np.asarray(sizes, dtype=np.int64)
