"""Shingles that suit Vietnamese: syllable n-grams of lower-cased NFC text, tones kept.

Stripping diacritics would merge different words (ma, má, mà, mả, mã, mạ), so they stay.
Lines under ``min_syllables`` syllables get character n-grams instead, which still separate
two different short captions.

``shingles`` gives the shingles as strings (the reference, for exact Jaccard in tests and
benchmarks). ``line_shingle_hashes`` gives the same shingles as 32-bit hashes for many lines
at once, and is what the MinHash signatures are built from. It never makes a Python string
per syllable: syllables are found and hashed in numpy (``textarray``). A regex and a
dictionary of syllable hashes cost three times as much.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import xxhash

from ..textarray import codepoints, run_hashes, runs, word_mask
from .minhash import fmix32

_SYLLABLE = re.compile(r"\w+", re.UNICODE)
_K = (np.uint32(0x9E3779B1), np.uint32(0x85EBCA77), np.uint32(0xC2B2AE3D))
MAX_LINE_CHARS = 1_000_000
_CHUNK_CHARS = 1 << 20  # lines are hashed in batches of about this many characters (bounded memory)


def syllables(text: str) -> list[str]:
    return _SYLLABLE.findall(unicodedata.normalize("NFC", text).lower())


def shingles(text: str, n: int = 3, min_syllables: int = 8, char_n: int = 5) -> set[str]:
    syl = syllables(text)
    if len(syl) >= min_syllables:
        return {" ".join(syl[i : i + n]) for i in range(len(syl) - n + 1)}
    return _char_grams(" ".join(syl), char_n)


def _char_grams(norm: str, char_n: int) -> set[str]:
    if len(norm) <= char_n:
        return {norm} if norm else set()
    return {norm[i : i + char_n] for i in range(len(norm) - char_n + 1)}


def line_shingle_hashes(lines: list[str], min_syllables: int = 8, char_n: int = 5,
                        with_counts: bool = False):
    """Shingle hashes of many lines at once: (flat uint32 hashes, per-line counts), lines in
    order, each line's hashes in text order (not unique: MinHash takes a minimum), and with
    ``with_counts`` each line's number of syllables too.

    A line of ``min_syllables`` or more syllables gives its syllable 3-grams; a shorter one
    the character ``char_n``-grams of its syllables joined by spaces (as ``shingles``).
    Text is taken as NFC (the repair stage normalises every document); ``shingles``
    normalises, for text from elsewhere.
    """
    # A line is signed on its first MAX_LINE_CHARS characters: enough to tell copies apart,
    # and memory stays bounded on a 50 MB line.
    lines = [ln if len(ln) <= MAX_LINE_CHARS else ln[:MAX_LINE_CHARS] for ln in lines]
    lines = [ln.replace("\n", " ") if "\n" in ln else ln for ln in lines]  # one line each, whatever comes
    parts, batch, size = [], [], 0
    for ln in lines:
        batch.append(ln)
        size += len(ln) + 1
        if size >= _CHUNK_CHARS:
            parts.append(_batch_hashes(batch, min_syllables, char_n))
            batch, size = [], 0
    if batch or not parts:
        parts.append(_batch_hashes(batch, min_syllables, char_n))
    out = tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
    return out if with_counts else out[:2]


def _batch_hashes(lines: list[str], min_syllables: int, char_n: int):
    n = len(lines)
    if not n:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64), np.zeros(0, np.int64)
    text = "\n".join(lines)
    codes = codepoints(text)
    starts, ends = runs(word_mask(codes))
    h = run_hashes(codes, starts, ends)
    breaks = np.flatnonzero(codes == 10)  # "\n" is not a word character: no syllable spans one
    line_of = np.searchsorted(breaks, starts)
    counts = np.bincount(line_of, minlength=n)
    long_line = counts >= min_syllables
    if len(h) >= 3:
        with np.errstate(over="ignore"):
            tri = fmix32(h[:-2] * _K[0] + h[1:-1] * _K[1] + h[2:] * _K[2])
        # A trigram belongs to a long line when its three syllables all lie in that line.
        keep = (line_of[:-2] == line_of[2:]) & long_line[line_of[:-2]]
        tri, tri_line = tri[keep], line_of[:-2][keep]
    else:
        tri, tri_line = np.zeros(0, np.uint32), np.zeros(0, np.int64)
    sizes = np.where(long_line, np.maximum(counts - 2, 0), 0).astype(np.int64)
    short = np.flatnonzero(~long_line & (counts > 0))
    if not len(short):
        return tri, sizes, counts
    # Short lines: character n-grams of the syllables joined by spaces, hashed one by one.
    in_short = (~long_line)[line_of]
    s_list, e_list = starts[in_short].tolist(), ends[in_short].tolist()
    extra_ids, extra, t = [], [], 0
    for k, c in zip(short.tolist(), counts[short].tolist()):
        norm = " ".join([text[s:e] for s, e in zip(s_list[t : t + c], e_list[t : t + c])]).lower()
        t += c
        grams = _char_grams(norm, char_n)
        hashes = sorted(xxhash.xxh32_intdigest(g.encode("utf-8", "surrogatepass")) for g in grams)
        sizes[k] = len(hashes)
        extra.extend(hashes)
        extra_ids.extend([k] * len(hashes))
    # Merge the two kinds back into line order (a stable sort by line keeps text order).
    ids = np.concatenate((tri_line, np.asarray(extra_ids, np.int64)))
    vals = np.concatenate((tri, np.asarray(extra, np.uint32)))
    return vals[np.argsort(ids, kind="stable")], sizes, counts


def jaccard(a, b) -> float:
    if isinstance(a, np.ndarray):
        if not len(a) or not len(b):
            return 0.0
        inter = len(np.intersect1d(a, b, assume_unique=True))
        return inter / (len(a) + len(b) - inter)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
