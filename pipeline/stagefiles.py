"""The private files one stage hands the next: documents as marshal records.

Stage files are read back by this same code only, so they need speed, not portability:
marshal reads and writes a document several times faster than JSON (measured: 0.35 s against
0.95 s per pass over the 19.7k-document corpus), and stages pass documents three times. The
header names the format and Python version; a file from another version is refused, and
the tasks' fingerprints include the version, so it is rebuilt rather than read.

The raw text is written once, by the first stage; later stages write documents without it
and read it back from that first file (``raw_from``), in step: every stage keeps every
document, in order. A corpus then costs its raw size once on disk, not once per stage.
"""
from __future__ import annotations

import contextlib
import marshal
import stat
import os
import sys
from typing import BinaryIO, Iterable, Iterator

from .documents import Document

VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
HEADER = f"pipeline-stage 2 marshal {marshal.version} python {VERSION}\n".encode()


class StageFileError(ValueError):
    pass


def write_docs(f: BinaryIO, docs: Iterable[Document], with_raw: bool = True, header: bool = True) -> int:
    """Write ``docs`` to the open binary file ``f`` (without their raw text unless
    ``with_raw``); returns how many. ``header=False`` appends to a file already begun."""
    if header:
        f.write(HEADER)
    n = 0
    for d in docs:
        rec = d.to_record()
        if not with_raw:
            rec = rec[:2] + (None,) + rec[3:]
        blob = marshal.dumps(rec)
        f.write(len(blob).to_bytes(8, "little"))  # length first: one read per record back
        f.write(blob)
        n += 1
    return n


def _records(path: str) -> Iterator[tuple]:
    with open(path, "rb") as f:
        left = os.fstat(f.fileno()).st_size
        head = f.readline()
        if head != HEADER:
            raise StageFileError(f"{path} was written by another version ({head[:60]!r}); delete work/_stages and rerun")
        left -= len(head)
        while True:
            size = f.read(8)
            if not size:
                return
            n = int.from_bytes(size, "little")
            if len(size) < 8 or n > left - 8:  # checked before reading: a bad length must not allocate
                raise StageFileError(f"{path} is truncated or damaged; delete it and rerun")
            blob = f.read(n)
            left -= 8 + n
            if len(blob) < n:
                raise StageFileError(f"{path} is truncated; delete it and rerun")
            yield marshal.loads(blob)


def read_docs(path: str, raw_from: str | None = None) -> Iterator[Document]:
    """The documents of a stage file, one at a time (memory: one document); their raw text
    from ``raw_from`` (the first stage's file) when this file was written without it."""
    if raw_from is None:
        for rec in _records(path):
            yield Document.from_record(rec)
        return
    raws = _records(raw_from)
    for rec in _records(path):
        full = next(raws, None)
        if full is None or full[0] != rec[0]:
            raise StageFileError(f"{path} and {raw_from} do not hold the same documents; delete work/_stages and rerun")
        yield Document.from_record(rec[:2] + (full[2],) + rec[3:])


# --- Records: what a task wrote, so a later run verifies its state instead of trusting it ---

RECORD_VERSION = 2  # 2: digests are XXH3-128 (1: SHA-256)


def content_hash(data: bytes = b""):
    """The hash a record keeps of each file: XXH3-128. It is there to find damage (a truncated,
    edited or swapped file), not to resist a forger, and stage files are hundreds of MB per run:
    it costs a fifth of SHA-256's time (on the 19.7k corpus 430 MB go through it per run)."""
    import xxhash

    return xxhash.xxh3_128(data)


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def file_entry(path: str) -> list:
    """[size, digest (:func:`content_hash`), mtime_ns, ctime_ns, inode] of a file: length and hash say what it holds;
    the times and inode let a later check skip re-hashing when nothing touched it (an edit
    changes the ctime, which no user can set back)."""
    h = content_hash()
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        while chunk := f.read(1 << 20):
            h.update(chunk)
    size, mtime, ctime, ino = _stat_key(st)
    return [size, h.hexdigest(), mtime, ctime, ino]


def entry_for_bytes(path: str, data: bytes) -> list:
    """:func:`file_entry` for a file just written with ``data`` (no need to read it back)."""
    size, mtime, ctime, ino = _stat_key(os.stat(path))
    return [size, content_hash(data).hexdigest(), mtime, ctime, ino]


_verified: dict[tuple, bool] = {}


def entry_matches(path: str, entry: list) -> bool:
    """Whether ``path`` still holds what ``entry`` recorded: the length first, then the hash,
    read only when the size, times or inode moved."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return stat_matches(st, path, entry)


def stat_matches(st: os.stat_result, path: str, entry: list) -> bool:
    """:func:`entry_matches` for a file already stat'ed."""
    if not stat.S_ISREG(st.st_mode) or st.st_size != entry[0]:
        return False
    key = _stat_key(st)
    if key[1] == entry[2] and key[2] == entry[3] and key[3] == entry[4]:
        return True
    memo = (path, key)
    if memo not in _verified:
        try:
            _verified[memo] = file_entry(path)[1] == entry[1]
        except OSError:
            return False
    return _verified[memo]


def write_record(record_path: str, base: str, names: Iterable[str], extra: dict | None = None,
                 entries: dict[str, list] | None = None) -> None:
    """Seal a task's output: every file (``names``, relative to ``base``) with its length and
    hash, written atomically last. The record is the task's Luigi output: no record, not done."""
    from .writers import dumps_bytes, write_atomic

    files = dict(entries or {})
    for name in names:
        if name not in files:
            files[name] = file_entry(os.path.join(base, name))
    write_atomic(record_path, dumps_bytes({"version": RECORD_VERSION, "files": files, **(extra or {})}))


def read_record(record_path: str) -> dict | None:
    from .writers import loads

    try:
        with open(record_path, "rb") as f:
            rec = loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("version") != RECORD_VERSION or not isinstance(rec.get("files"), dict):
        return None
    return rec


def verify_record(record_path: str, base: str) -> bool:
    """True when the record exists and every file it names is there, whole and unchanged."""
    rec = read_record(record_path)
    if rec is None:
        return False
    return all(entry_matches(os.path.join(base, name), e) for name, e in rec["files"].items())


class _HashingWriter:
    """A binary file that hashes what goes through it, so a record costs no second read."""

    def __init__(self, f: BinaryIO):
        self._f, self._h, self.size = f, content_hash(), 0

    def write(self, data) -> int:
        self._h.update(data)
        self.size += len(memoryview(data).cast("B"))
        return self._f.write(data)

    def tell(self) -> int:
        return self._f.tell()

    def flush(self) -> None:
        self._f.flush()

    def hexdigest(self) -> str:
        return self._h.hexdigest()


@contextlib.contextmanager
def hashed_open(path: str, entries: dict[str, list], base: str) -> Iterator[_HashingWriter]:
    """:func:`pipeline.writers.atomic_open`, adding the file's record entry to ``entries``."""
    from .writers import atomic_open

    with atomic_open(path) as f:
        w = _HashingWriter(f)
        yield w
    size, mtime, ctime, ino = _stat_key(os.stat(path))
    if size != w.size:
        raise StageFileError(f"{path}: wrote {w.size} bytes, found {size}")
    entries[os.path.relpath(path, base)] = [size, w.hexdigest(), mtime, ctime, ino]
