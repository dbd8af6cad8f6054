"""Which language a document is in, cheaply, and which rule pack that calls for.

Most documents of a Vietnamese corpus are decided without a model: letters that only
Vietnamese uses (ơ ư ă đ and the tone-marked vowels of U+1EA0-U+1EF9) make up 10-25 % of the
characters of Vietnamese prose and almost none of any other language's. Clear English is decided
by its function words; then a text with a few Vietnamese-only letters (0.5 % of 2,000
characters: Vietnamese typed mostly without tone marks) is Vietnamese, with confidence 0.9. Everything else goes to py3langid (its model ships in the wheel; it is
loaded once per run, and kept unpacked in a cache folder: see :func:`_model`), on a short prefix.
"""
from __future__ import annotations

import functools
import re

PREFIX = 500  # characters the gates look at
MODEL_PREFIX = 600  # characters py3langid classifies (its cost grows with the text)
VI_SHARE = 0.03  # Vietnamese-only letters, as a share of the prefix's non-space characters
EN_SHARE = 0.15  # English function words, as a share of the prefix's words
WEAK_PREFIX, WEAK_VI_SHARE, WEAK_VI_LETTERS = 2000, 0.005, 3  # Vietnamese typed without most tone marks
WEAK_VI_CONFIDENCE = 0.9
EN_MIN_WORDS = 12
MIN_WORDS = 5  # fewer words than this, and no gate decided: nothing to tell by
MIN_CONFIDENCE = 0.5  # py3langid below this is a guess: und
_VI_ONLY = re.compile("[ơƠưƯăĂđĐ\u1ea0-\u1ef9]")
_WORD = re.compile(r"[A-Za-z']+")
# Frequent in English, rare as words of other Latin-script languages (no "a", "in", "on", "die").
_EN_WORDS = frozenset("the and of to is that for with are was were by this from at it its his her their they "
                      "have has had been which who said would will not but".split())

# Rule packs by language; a language without one gets the language-neutral base pack.
PACKS = {"vi": "vi", "en": "en"}
BASE = "base"
AUTO = "auto"


def detect(text: str) -> tuple[str, float]:
    """``(ISO 639-1 code, confidence)``. ``und`` when there is nothing to tell by. A gate's
    decision has confidence 1.0 (0.9 for the weak Vietnamese one); otherwise py3langid's
    probability."""
    p = text[:PREFIX]
    dense = len(p) - p.count(" ") - p.count("\n")
    if not dense:
        return "und", 0.0
    if len(_VI_ONLY.findall(p)) >= VI_SHARE * dense:
        return "vi", 1.0
    words = _WORD.findall(p)
    if len(words) >= EN_MIN_WORDS and sum(w.lower() in _EN_WORDS for w in words) >= EN_SHARE * len(words):
        return "en", 1.0
    # Vietnamese typed mostly without tone marks ("Em co dang ky mot bo dem ...") still has a few
    # of its own letters, which no other language has; English with Vietnamese names was
    # decided above. py3langid took such texts for English.
    w = text[:WEAK_PREFIX]
    n_vi = len(_VI_ONLY.findall(w))
    if n_vi >= WEAK_VI_LETTERS and n_vi >= WEAK_VI_SHARE * (len(w) - w.count(" ") - w.count("\n")):
        return "vi", WEAK_VI_CONFIDENCE
    if len(text.split()) < MIN_WORDS:  # two words tell no language (py3langid says 'sr', 'no')
        return "und", 0.0
    lang, prob = _model().classify(text[:MODEL_PREFIX])
    if lang == "zxx" or prob < MIN_CONFIDENCE:  # py3langid's "no linguistic content", or a guess
        return "und", round(prob, 4)
    return lang, round(prob, 4)


@functools.lru_cache(maxsize=1)
def _model():
    """py3langid's identifier. Its model ships LZMA-compressed (4.5 MB; 0.3 s of CPU to unpack
    68 MB, every run): the unpacked file is kept in a cache folder (:func:`cache_dir`) and
    read from there, checked against its digest, in a tenth of the time. Without a usable
    folder, or when the check fails, the wheel's file is unpacked as py3langid does it."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    source = MODEL_DIR / MODEL_FILE
    try:
        return _identifier(_unpacked(source))
    except (OSError, ValueError, KeyError, ImportError):
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def cache_dir():
    """``$PIPELINE_CACHE_DIR``, else ``$XDG_CACHE_HOME/news-corpus-pipeline``, else
    ``~/.cache/news-corpus-pipeline``; ``PIPELINE_CACHE_DIR=""`` turns the cache off (None)."""
    import os
    from pathlib import Path

    own = os.environ.get("PIPELINE_CACHE_DIR")
    if own is not None:
        return Path(own) if own else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "news-corpus-pipeline"


def _unpacked(source):
    """The bytes of the unpacked model (an .npz), from the cache when a file there has the
    digest its name records; else unpacked from ``source`` and cached (written to a temporary
    name, then renamed: a stopped or concurrent run never leaves half a file under the name)."""
    import hashlib
    import lzma
    import os

    import xxhash

    folder = cache_dir()
    if folder is None:
        raise OSError("no cache folder")
    packed = source.read_bytes()  # the wheel's file: 4.5 MB
    key = hashlib.sha256(packed).hexdigest()[:16]
    for p in sorted(folder.glob(f"langid-{key}-*.npz")):
        data = p.read_bytes()
        if p.name == f"langid-{key}-{xxhash.xxh3_128_hexdigest(data)}.npz":
            return data
        p.unlink(missing_ok=True)  # damaged: unpacked again below
    data = lzma.decompress(packed)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".langid-{key}.{os.getpid()}.tmp"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, folder / f"langid-{key}-{xxhash.xxh3_128_hexdigest(data)}.npz")
    except OSError:  # a full disk: no cache this time, and no half file left behind
        tmp.unlink(missing_ok=True)
    return data


def _identifier(npz: bytes):
    """A LanguageIdentifier from the unpacked model, built as py3langid's ``load_model`` and
    ``from_model_file`` build it (a test checks both give the same answers)."""
    import io

    import numpy as np
    from py3langid.langid import LanguageIdentifier
    from py3langid.modelio import _to_array

    with np.load(io.BytesIO(npz), allow_pickle=False) as data:
        ptc, pc, classes = data["ptc"], data["pc"], data["classes"].tolist()
        nextmove, row, output = _to_array(data["nextmove"]), _to_array(data["nextmove_row"]), data["out_feat"].tolist()
    return LanguageIdentifier(np.asarray(ptc), np.asarray(pc), classes, nextmove, output, norm_probs=True, tk_row=row)


def pack_for(language: str) -> str:
    """The rule pack for a language: its own, or the language-neutral base."""
    return PACKS.get(language, BASE)


def packs_for(setting: str) -> list[str]:
    """The packs a ``rule_pack`` setting may use: all of them for ``auto``."""
    return sorted({*PACKS.values(), BASE}) if setting == AUTO else [setting]
