"""Shingles that suit Vietnamese: syllable n-grams of lower-cased NFC text, tones kept.

Stripping diacritics would merge different words (ma, má, mà, mả, mã, mạ), so they stay.
Short lines get character n-grams instead, which still separate two different captions.
"""
from __future__ import annotations

import re
import unicodedata

_SYLLABLE = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    return " ".join(_SYLLABLE.findall(unicodedata.normalize("NFC", text).lower()))


def shingles(text: str, n: int = 3, min_syllables: int = 8, char_n: int = 5) -> set[str]:
    norm = normalize(text)
    syl = norm.split()
    if len(syl) >= min_syllables:
        return {" ".join(syl[i : i + n]) for i in range(len(syl) - n + 1)}
    if len(norm) <= char_n:
        return {norm} if norm else set()
    return {norm[i : i + char_n] for i in range(len(norm) - char_n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
