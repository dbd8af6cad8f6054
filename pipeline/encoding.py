"""Bytes to text, and text repair: decode robustly, then repair without rewriting.

Decoding picks, in order: a BOM (UTF-8/16/32); UTF-16 without a BOM (NUL-byte pattern);
strict UTF-8; mostly-UTF-8 with a few bad bytes; otherwise the legacy 8-bit encoding
(windows-1258, TCVN3, VISCII, windows-1252) whose result reads most like Vietnamese.

Repair runs ftfy per line (``fix_text`` does the same internally; a whole-document call
misses mojibake lines among good ones) with the settings that *repair* only: curly quotes,
full-width characters and ligatures are content, so they stay. Then NFC, odd spaces to plain
spaces, CRLF and lone CR to LF. Each change becomes an edit with the ftfy plan that made it.
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import ftfy
from ftfy.chardata import CONTROL_CHARS, HTML_ENTITY_RE

from .documents import NotText, Op  # noqa: F401  (NotText: raised here, and imported from here)
from .legacy_codecs import TCVN3, VISCII

# ftfy settings under which correct text (Vietnamese or not) passes byte-identical.
FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html="auto",
    uncurl_quotes=False,  # “ ” ‘ ’ are content
    fix_character_width=False,  # full-width digits and letters are content
    fix_latin_ligatures=False,
    fix_line_breaks=False,  # line ends are handled here, per line
    normalization=None,  # NFC is its own, separately explained edit
    explain=True,
)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"RIFF", "a RIFF media file"),
    (b"OggS", "an Ogg media file"),
    (b"ID3", "an MP3 file"),
    (b"SQLite format 3\x00", "an SQLite database"),
]

_VN_LETTERS = frozenset(
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# Characters that only show up when bytes were decoded with the wrong table.
_IMPLAUSIBLE_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd\u0300-\u036f\u00a1-\u00bf\u00d7\u00f7"
                             r"\u00c4-\u00c7\u00cb\u00ce\u00cf\u00d1\u00d6\u00d8\u00db\u00dc\u00de\u00df"
                             r"\u00e4-\u00e7\u00eb\u00ee\u00ef\u00f1\u00f6\u00f8\u00fb\u00fc\u00fe\u00ff]")


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_SYLLABLE_RE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    r"[aăâeêioôơuưy]{1,3}"
    r"(ch|ng|nh|[cmnpt])?"
)
_TOKEN_RE = re.compile(r"[^\W\d_]+")


def _vietnamese_score(text: str) -> int:
    """Valid Vietnamese syllables with diacritics, minus non-ASCII words that cannot be one.

    Counting letters is not enough: TCVN3 maps almost every high byte to a Vietnamese
    letter, so any 8-bit text decoded with it looks 'Vietnamese' letter by letter.
    """
    score = 0
    text = unicodedata.normalize("NFC", text[:200_000])
    for tok in _TOKEN_RE.findall(text.lower()):
        if tok.isascii():
            continue
        decomposed = unicodedata.normalize("NFD", tok)
        tones = sum(1 for c in decomposed if c in _TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        if tones <= 1 and _SYLLABLE_RE.fullmatch(base):
            score += 1
        else:
            score -= 1
    return score - 4 * len(_IMPLAUSIBLE_RE.findall(text))


def _decode_table(data: bytes, table: str) -> str:
    return data.decode("latin-1").translate({i: table[i] for i in range(256)})


_LEGACY = [
    ("windows-1258", lambda b: b.decode("cp1258", errors="replace")),
    ("tcvn3", lambda b: _decode_table(b, TCVN3)),
    ("viscii", lambda b: _decode_table(b, VISCII)),
    ("windows-1252", lambda b: b.decode("cp1252", errors="replace")),
]


def _looks_utf16(data: bytes) -> str | None:
    sample = data[:8192]
    even, odd = sample[0::2], sample[1::2]
    if not odd:
        return None
    nul_even = even.count(0) / len(even)
    nul_odd = odd.count(0) / len(odd)
    if nul_odd > 0.2 and nul_even < 0.02:
        return "utf-16-le"
    if nul_even > 0.2 and nul_odd < 0.02:
        return "utf-16-be"
    return None


def decode(data: bytes) -> Decoded:
    """Decode a file's bytes; raise NotText with a sentence a user understands."""
    if not data:
        raise NotText("the file is empty")
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            body = data[len(bom):]
            try:
                return _checked(body.decode(enc), f"{enc} with BOM")
            except UnicodeDecodeError:
                if enc.startswith("utf-32") and bom == codecs.BOM_UTF32_LE:
                    continue  # FF FE 00 00 can also open a UTF-16-LE file
                text = body.decode(enc, errors="replace")
                return _checked(text, f"{enc} with BOM ({text.count(chr(0xFFFD))} invalid sequences replaced)")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise NotText(f"the file is {what}, not text")
    if b"\x00" in data[:65536]:
        enc = _looks_utf16(data)
        if enc:
            try:
                return _checked(data.decode(enc), f"{enc} (no BOM)")
            except UnicodeDecodeError:
                pass
        raise NotText("the file is binary (it contains NUL bytes and is not UTF-16 text)")
    try:
        return _checked(data.decode("utf-8"), "utf-8", data)
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for c in text if ord(c) > 0x7F) - bad
    if multibyte >= 4 * bad:  # mostly UTF-8: a few corrupt bytes, not a legacy file
        return _checked(text, f"utf-8 ({bad} invalid byte sequences replaced)")
    best = max(_LEGACY, key=lambda kv: _vietnamese_score(kv[1](data)))
    name, fn = best
    return _checked(unicodedata.normalize("NFC", fn(data)), name)


def _checked(text: str, encoding: str, utf8: bytes | None = None) -> Decoded:
    """``text`` unless its first 64K characters are over 5 % control characters. ``utf8``:
    the bytes it was decoded from, when that was strict UTF-8: a text this short is counted
    in them, in C (on the 19.7k corpus 0.04 s of CPU instead of the regex's 0.15 s)."""
    sample = text[:65536]
    if not sample:
        return Decoded(text, encoding)
    if utf8 is not None and len(text) <= 65536:
        controls = _utf8_controls(utf8)
    else:
        controls = len(_CONTROL_RE.findall(sample))
    if controls > 0.05 * len(sample):
        raise NotText("the file is binary (too many control characters for text)")
    return Decoded(text, encoding)


# _CONTROL_RE's characters in UTF-8: C0 and DEL are the bytes themselves, C1 is C2 80-9F.
_C0_BYTES = bytes(range(0x09)) + b"\x0b" + bytes(range(0x0E, 0x20)) + b"\x7f"
_C1_UTF8_RE = re.compile(rb"\xc2[\x80-\x9f]")


def _utf8_controls(data: bytes) -> int:
    """How many characters of the valid UTF-8 ``data`` ``_CONTROL_RE`` matches."""
    n = len(data) - len(data.translate(None, _C0_BYTES))
    if b"\xc2" in data:
        n += len(_C1_UTF8_RE.findall(data))
    return n


# --- repair -------------------------------------------------------------------------------

def _unverbose(pattern: str) -> str:
    """A re.VERBOSE pattern without its comments and layout white space."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            out.append(c)
            in_class = c != "]"
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1 : i + 2] == "]":  # a ']' right after '[' is literal
                out.append("]")
                i += 1
        elif c == "#":
            j = pattern.find("\n", i)
            i = len(pattern) if j < 0 else j
            continue
        elif not c.isspace():
            out.append(c)
        i += 1
    return "".join(out)


def _badness_search():
    """ftfy's mojibake detector (``is_bad``), run by RE2 when it is installed.

    ftfy re-decodes a line only when its BADNESS_RE matches; that big alternation is the
    slowest part of repair in Python's backtracking engine. RE2 runs the same pattern in linear
    time. RE2's ``\\w`` and ``\\s`` are ASCII-only, so they are widened to Unicode classes:
    RE2 then matches wherever Python's engine does (and perhaps more), so it is a safe filter.
    """
    from ftfy.badness import BADNESS_RE

    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 is a declared dependency
        return BADNESS_RE.search, re.compile(BADNESS_RE.pattern, re.VERBOSE | re.MULTILINE).search
    pat = _unverbose(BADNESS_RE.pattern).replace("\\w", "[\\p{L}\\p{N}\\p{M}_]").replace(
        "\\s", "[\\s\\p{Z}\\x0b\\x1c-\\x1f\\x85]")
    return re2.compile(pat).search, re2.compile("(?m)" + pat).search


# Per line, and over a whole document: with (?m) its one anchor (^) matches at every line
# start, and it has no look-arounds, so a line that matches makes its document match.
_BAD_SEARCH, _BAD_SEARCH_DOC = _badness_search()

# ftfy's other enabled fixers act only on these: entities, C1 and other control characters,
# surrogates, terminal escapes. A line with none of them that BADNESS_RE does not flag is
# returned unchanged by ftfy, so it skips the call (bench/speed.py checks this on a corpus).
_FTFY_CHARS = re.compile(
    "[\x80-\x9f\ud800-\udfff\x1b" + "".join(re.escape(chr(c)) for c in sorted(CONTROL_CHARS)) + "]"
)


def _has_entity(text: str) -> bool:
    # ftfy unescapes only what HTML_ENTITY_RE finds: an '&' alone is text, not a trigger.
    return "&" in text and HTML_ENTITY_RE.search(text) is not None


def _ftfy_triggered(text: str) -> bool:
    return _FTFY_CHARS.search(text) is not None or _has_entity(text)



_ODD_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_ZERO_WIDTH = "\u200b\ufeff"
_SPACE_MAP = {ord(c): " " for c in _ODD_SPACES} | {ord(c): None for c in _ZERO_WIDTH}
_SPACE_RE = re.compile("[" + _ODD_SPACES + "]+|[" + _ZERO_WIDTH + "]+")
_ANY_SPACE = _ODD_SPACES + _ZERO_WIDTH
# ftfy's trigger characters and the spaces to fix, in one class: one scan of a document.
_DOC_GATE = re.compile(_FTFY_CHARS.pattern[:-1] + "".join(re.escape(c) for c in _ANY_SPACE) + "]")
_BREAK_RE = re.compile("\r\n|\r|\u2028|\u2029|\n")


def _needs_ftfy(line: str) -> bool:
    if _ftfy_triggered(line):
        return True
    if line.isascii():  # ftfy's encoding fixes leave ASCII alone
        return False
    return _BAD_SEARCH(line) is not None


def repair_line(line: str) -> tuple[str, list | None]:
    """ftfy with repair-only settings; the plan is None when ftfy changed nothing."""
    if not _needs_ftfy(line):
        return line, None
    fixed, plan = ftfy.fix_and_explain(line, config=FTFY_CONFIG)
    if fixed == line:
        return line, None
    return fixed, [list(step) for step in plan]


def _diff_span(a: str, b: str) -> tuple[int, int, int]:
    """Smallest a[i:j] -> b[i:k] that turns a into b."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    j, k = len(a), len(b)
    while j > i and k > i and a[j - 1] == b[k - 1]:
        j -= 1
        k -= 1
    return i, j, k


def _nfc_ops(line: str, base: int) -> list[Op]:
    """One edit per cluster (base letter + combining marks) that NFC changes."""
    ops: list[Op] = []
    n = len(line)
    i = 0
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(line[j]):
            j += 1
        cluster = line[i:j]
        norm = unicodedata.normalize("NFC", cluster)
        if norm != cluster:
            ops.append(Op(base + i, base + j, norm, "encoding", "nfc"))
        i = j
    # Compositions across clusters (rare: Hangul jamo) fall back to one span.
    rebuilt = []
    pos = 0
    for op in ops:
        rebuilt.append(line[pos : op.start - base])
        rebuilt.append(op.replacement)
        pos = op.end - base
    rebuilt.append(line[pos:])
    if "".join(rebuilt) != unicodedata.normalize("NFC", line):
        norm = unicodedata.normalize("NFC", line)
        i, j, k = _diff_span(line, norm)
        ops = [Op(base + i, base + j, norm[i:k], "encoding", "nfc")]
    return ops


def repair_ops(text: str) -> list[Op]:
    """Edits that repair ``text``: line ends, ftfy per line, NFC, odd and zero-width spaces."""
    if _lines_need_nothing(text):
        return _break_ops(text) if "\r" in text or "\u2028" in text or "\u2029" in text else []
    ops: list[Op] = []
    pos = 0
    for m in _BREAK_RE.finditer(text):
        ops.extend(_line_ops(text[pos : m.start()], pos))
        brk = m.group()
        if brk == "\r\n":
            ops.append(Op(m.start(), m.start() + 1, "", "whitespace", "crlf"))
        elif brk != "\n":
            ops.append(Op(m.start(), m.end(), "\n", "whitespace", "line_break"))
        pos = m.end()
    ops.extend(_line_ops(text[pos:], pos))
    return ops


def _lines_need_nothing(text: str) -> bool:
    """True when no line of ``text`` needs ftfy, NFC or a space fix: three or four scans of
    the whole document instead of as many per line (most documents need nothing)."""
    if _DOC_GATE.search(text) is not None or _has_entity(text):
        return False  # one of ftfy's trigger characters, an entity, or an odd space
    if text.isascii():
        return True
    return _BAD_SEARCH_DOC(text) is None and unicodedata.is_normalized("NFC", text)


_ODD_BREAK_RE = re.compile("\r\n?|\u2028|\u2029")


def _break_ops(text: str) -> list[Op]:
    """Only the line ends: CRLF loses its CR, other breaks become LF (as ``repair_ops``)."""
    return [Op(m.start(), m.start() + 1, "", "whitespace", "crlf") if m.group() == "\r\n"
            else Op(m.start(), m.end(), "\n", "whitespace", "line_break")
            for m in _ODD_BREAK_RE.finditer(text)]


def _line_ops(line: str, base: int) -> list[Op]:
    if not line:
        return []
    fixed, plan = repair_line(line)
    if plan is not None:
        final = unicodedata.normalize("NFC", fixed).translate(_SPACE_MAP)
        i, j, k = _diff_span(line, final)
        return [Op(base + i, base + j, final[i:k], "encoding", "ftfy", {"ftfy": plan})]
    ops: list[Op] = []
    if not line.isascii():
        if not unicodedata.is_normalized("NFC", line):
            ops = _nfc_ops(line, base)
        if any(c in line for c in _ANY_SPACE):
            ops = _merge_space_ops(ops, line, base)
    return ops


def _merge_space_ops(nfc_ops: list[Op], line: str, base: int) -> list[Op]:
    space_ops = [
        Op(base + m.start(), base + m.end(), m.group().translate(_SPACE_MAP), "whitespace",
           "odd_space" if m.group()[0] in _ODD_SPACES else "zero_width")
        for m in _SPACE_RE.finditer(line)
    ]
    if not nfc_ops:
        return space_ops
    # Both kinds in one line: keep the space edits that no NFC cluster covers.
    taken = [(o.start, o.end) for o in nfc_ops]
    space_ops = [o for o in space_ops if not any(s < o.end and o.start < e for s, e in taken)]
    return sorted(nfc_ops + space_ops, key=lambda o: o.start)
