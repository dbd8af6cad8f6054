"""Finding inputs and turning each one into a Document.

Every regular file under the input directory is an input (hidden files and folders, whose
names start with a dot, are skipped and counted). Plain text is decoded by
:mod:`pipeline.encoding`; ``.html``/``.htm`` pages (optionally ``.gz``) go through trafilatura
first, and the extracted text becomes the raw text the edits refer to; ``.warc``/``.warc.gz``
files give one document per HTML response record (read with warcio).
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .documents import Document, NotText

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
WARC_SUFFIXES = (".warc",)
TEXT_SUFFIXES = (".txt", ".text", ".md")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class InputFile:
    id: str
    relpath: str  # posix path relative to the input dir
    size: int
    mtime_ns: int
    outside: bool = False  # a symlink that leads out of the input dir
    sha256: str = ""  # the content's digest: the input's identity (see identify_inputs)
    problem: str = ""  # why it cannot be a document (its name), as a sentence; then never read
    ctime_ns: int = 0  # from the listing's stat, so identify_inputs needs none of its own
    ino: int = 0

    @property
    def kind(self) -> str:
        name = self.relpath.lower()
        if name.endswith(".gz"):
            name = name[:-3]
        if name.endswith(WARC_SUFFIXES):
            return "warc"
        return "html" if name.endswith(HTML_SUFFIXES) else "text"

    def fingerprint(self) -> str:
        """What an output made from this input depends on: its name and content (size and
        mtime only when no digest was taken)."""
        what = self.sha256 or f"{self.size}\0{self.mtime_ns}"
        return f"{self.id}\0{self.relpath}\0{what}\0{int(self.outside)}\0{self.problem}"

    def row(self) -> list:
        return [self.id, self.relpath, self.size, self.mtime_ns, self.outside, self.sha256, self.problem]


def _strip_suffixes(relpath: str) -> str:
    stem = relpath
    if stem.lower().endswith(".gz"):
        stem = stem[:-3]
    base, ext = os.path.splitext(stem)
    if ext.lower() in HTML_SUFFIXES + TEXT_SUFFIXES + WARC_SUFFIXES and base and not base.endswith("/"):
        return base
    return stem


MAX_UNREADABLE_LISTED = 100
NAME_MAX = 255  # bytes in one path component (ext4, xfs, btrfs, tmpfs)
PATH_ROOM = 3000  # bytes an id may take, leaving room for the output folder's own path


def escape_name(name: str) -> str:
    """A file name as text that JSON and every file system take, reversibly: each byte that
    is not valid UTF-8 (os.listdir hands them back as surrogates) as ``%XX``, and each ``%``
    as ``%25`` (so ``bad%FF.txt`` and a ``bad`` + byte 0xFF name never share an id)."""
    if "%" not in name and (name.isascii() or not _has_surrogate(name)):
        return name
    out = []
    for ch in name:
        if "\udc80" <= ch <= "\udcff":
            out.append(f"%{ord(ch) - 0xDC00:02X}")
        elif ch == "%":
            out.append("%25")
        else:
            out.append(ch)
    return "".join(out)


def _has_surrogate(name: str) -> bool:
    try:
        name.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def unescape_name(name: str) -> str:
    """The inverse of :func:`escape_name` for an escaped name: ``os.fsencode`` of the result
    gives the file name's bytes back."""
    def one(m: re.Match) -> str:
        byte = int(m[1], 16)
        return chr(0xDC00 + byte) if byte >= 0x80 else chr(byte)

    return re.sub(r"%([0-9A-F]{2})", one, name)


def name_problem(doc_id: str, relpath: str, clash: bool) -> tuple[str, str]:
    """(the id to use, the sentence that rejects the input, or "") for what its name alone
    rules out: bytes that are not UTF-8, an output name too long for the file system, an
    output name that a folder beside it takes."""
    if not clash and len(doc_id) < 60 and "%" not in doc_id and doc_id.isascii():
        return doc_id, ""  # the common case: 4 bytes a character at most cannot reach NAME_MAX
    safe = escape_name(doc_id)
    if _has_surrogate(doc_id):
        where = "file" if _has_surrogate(doc_id.rsplit("/", 1)[-1]) else "folder"
        return safe, (f"the {where} name is not valid UTF-8 (its bad bytes are shown as %XX in the id); "
                      f"rename the {where} to include it")
    doc_id = safe
    parts = (doc_id + ".txt").split("/")
    longest = max(len(p.encode("utf-8")) for p in parts)
    if longest > NAME_MAX or len(doc_id.encode("utf-8")) > PATH_ROOM:
        return doc_id, (f"the file name is too long for its output clean/{parts[-1][:40]}... "
                        f"({longest} bytes with .txt; the limit is {NAME_MAX}); rename the file to include it")
    if clash:
        leaf = doc_id.rsplit("/", 1)[-1]
        return doc_id, (f"its output clean/{doc_id}.txt would clash with the folder {leaf}.txt/ beside it; "
                        "rename one of them to include it")
    return doc_id, ""


def iter_inputs(input_dir: str | os.PathLike, tally: dict | None = None) -> Iterator[InputFile]:
    """Every input file, in document-id order, as a stream; ``tally["skipped"]`` counts the
    hidden files and folders, linked folders and special files passed over, and
    ``tally["unreadable"]`` the folders that could not be listed (``tally["unreadable_paths"]``
    names the first ``MAX_UNREADABLE_LISTED``): the run goes on without them and says so.

    Each folder is read and sorted on its own (files by the id they give, folders by name plus
    "/"), which yields ids in global order: every id under an entry starts with that entry's
    key. Memory is one folder's names at a time, not the whole corpus's listing.
    """
    root = Path(input_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"input directory not found: {root}")
    tally = {} if tally is None else tally
    tally.setdefault("skipped", 0)
    tally.setdefault("unreadable", 0)
    tally.setdefault("unreadable_paths", [])
    real_prefix = str(root.resolve()).rstrip(os.sep) + os.sep
    try:
        top = _sorted_folder(str(root), tally)
    except OSError as e:
        raise PermissionError(f"input directory cannot be read: {root} ({e.strerror or e})") from e
    # A stack, not recursion (the depth is the input's): (folder, its relpath prefix, its entries).
    stack = [(str(root), "", iter(top))]
    while stack:
        folder, prefix, entries = stack[-1]
        item = next(entries, None)
        if item is None:
            stack.pop()
            continue
        key, name, kind, clash = item
        path = folder + os.sep + name  # os.path.join's checks, 19.7k times, cost more than the rest of a step
        if kind == _DIR:
            try:
                listing = _sorted_folder(path, tally)
            except OSError:  # no permission, or gone: counted and named in the summary
                tally["unreadable"] += 1
                if len(tally["unreadable_paths"]) < MAX_UNREADABLE_LISTED:
                    tally["unreadable_paths"].append(prefix + name + "/")
                continue
            stack.append((path, prefix + name + "/", iter(listing)))
            continue
        try:
            st = os.stat(path)  # follows symlinks: size of what the link points to
        except OSError:
            try:
                st = os.lstat(path)  # a dangling link: read_document reports it
            except OSError:
                tally["skipped"] += 1  # gone since the folder was read
                continue
        outside = False
        if kind == _LINK and stat.S_ISDIR(st.st_mode):  # a linked folder is not followed
            tally["skipped"] += 1
            continue
        if kind == _LINK:
            outside = not (os.path.realpath(path) + os.sep).startswith(real_prefix)
        if not stat.S_ISREG(st.st_mode) and not (kind == _LINK and (outside or stat.S_ISLNK(st.st_mode))):
            # a FIFO, socket or device, or a link to one: opening a FIFO would wait forever
            tally["skipped"] += 1
            continue
        doc_id, problem = name_problem(prefix + key, prefix + name, clash)
        yield InputFile(doc_id, escape_name(prefix + name), st.st_size, st.st_mtime_ns, outside, "", problem,
                        st.st_ctime_ns, st.st_ino)


_FILE, _LINK, _DIR = 0, 1, 2


def _sorted_folder(folder: str, tally: dict[str, int]) -> list[tuple[str, str, int]]:
    """One folder's entries as (sort key, name, kind), sorted: a file's key is its id within
    the folder, a folder's is its name plus "/".

    A file's id is its name without the known suffix, unless that would not be unique in the
    folder (two files with one stem, or a stem equal to another file's name): then the name.
    Kept lean (a flat folder of a million files is a million entries here at once)."""
    names: list[str] = []
    kinds: list[int] = []
    with os.scandir(folder) as entries:
        for e in entries:
            if e.name.startswith("."):
                tally["skipped"] += 1
                continue
            link = e.is_symlink()
            names.append(e.name)
            kinds.append(_LINK if link else _DIR if e.is_dir(follow_symlinks=False) else _FILE)
    stems = [n if k == _DIR else _strip_suffixes(n) for n, k in zip(names, kinds)]
    counts: dict[str, int] = {}
    for stem, k in zip(stems, kinds):
        if k != _DIR:
            counts[stem] = counts.get(stem, 0) + 1
    taken = {n for n, k in zip(names, kinds) if k != _DIR}
    folders = {n for n, k in zip(names, kinds) if k == _DIR}
    out = []
    for i, (name, kind) in enumerate(zip(names, kinds)):
        if kind == _DIR:
            out.append((name + "/", name, kind, False))
        else:
            stem = stems[i]
            unique = counts[stem] == 1 and (stem is name or stem == name or stem not in taken)
            key = stem if unique else name
            out.append((key, name, kind, key + ".txt" in folders))
    del names, kinds, stems, counts, taken
    out.sort()
    return out


def count_inputs(input_dir: str | os.PathLike) -> int:
    """Roughly how many inputs there are (entries that are not hidden and not folders), from
    the folder listings alone: enough to choose a shard size before the real walk."""
    n, stack = 0, [str(input_dir)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for e in entries:
                    if e.name.startswith("."):
                        continue
                    if not e.is_symlink() and e.is_dir(follow_symlinks=False):
                        stack.append(e.path)
                    else:
                        n += 1
        except OSError:
            continue  # iter_inputs reports the folders it cannot read
    return n


def list_inputs(input_dir: str | os.PathLike) -> tuple[list[InputFile], int]:
    """All input files in id order, and the number skipped (hidden, linked folders, special)."""
    tally: dict = {}
    inputs = list(iter_inputs(input_dir, tally))
    return inputs, tally["skipped"]


def size_words(n: int) -> str:
    """A byte count as a reader says it: ``64 MiB``, ``1.5 KiB``, ``2,000 bytes`` (a limit under
    a MiB read "0 MiB")."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n:,} bytes"


def check_limit(data: bytes, max_bytes: int) -> bytes:
    """``data``, unless it is over the per-document limit (the run and ``pipeline clean`` alike)."""
    if len(data) > max_bytes:
        raise NotText(f"the file is larger than the {size_words(max_bytes)} limit per document")
    return data


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing more than ``max_bytes``. Plain system calls: a buffered
    file object costs an isatty ioctl, a seek and a buffer per file, and inputs are many."""
    fd = os.open(path, os.O_RDONLY)
    try:
        # Ask for what the file holds (plus one byte, to see growth), not for the limit:
        # a read of max_bytes allocates max_bytes, a real cost over many small files.
        st = os.fstat(fd)
        want = min(st.st_size, max_bytes) + 1
        chunks, got = [], 0
        while got <= max_bytes:
            ask = max(want - got, 1 << 16)
            chunk = os.read(fd, ask)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if len(chunk) < ask and stat.S_ISREG(st.st_mode):
                break  # a short read of a regular file is its end: no second call to learn it
    finally:
        os.close(fd)
    return check_limit(chunks[0] if len(chunks) == 1 else b"".join(chunks), max_bytes)


def gunzip_limited(data: bytes, max_bytes: int) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, max_bytes + 1)
    except zlib.error as e:
        raise NotText(f"the file ends in .gz but is not valid gzip data ({e})") from None
    if len(out) > max_bytes:
        raise NotText(f"the file decompresses to more than the {size_words(max_bytes)} limit")
    return out


def read_document(input_dir: str | os.PathLike, inp: InputFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read, decode (or extract) one input. Never raises: a bad input comes back rejected."""
    doc = Document(id=inp.id, source=inp.relpath)
    doc.info["input"] = inp.kind
    path = Path(input_dir) / inp.relpath
    if inp.problem:
        doc.reject(inp.problem)
        return doc
    if inp.outside:
        doc.reject("the file is a symbolic link that points outside the input directory; it was not read")
        return doc
    try:
        data = read_limited(path, max_bytes)
        doc.raw_sha256 = hashlib.sha256(data).hexdigest()
        if inp.sha256 and doc.raw_sha256 != inp.sha256:
            raise InputChanged(f"{inp.relpath} changed while the run was reading it; run again when it is written")
        if not data:
            raise NotText("the file is empty")
        if inp.relpath.lower().endswith(".gz"):
            data = gunzip_limited(data, max_bytes)
        _decode_into(doc, data, inp.kind)
    except NotText as e:
        doc.reject(str(e))
    except OSError as e:
        doc.reject(f"the file could not be read ({e.strerror or e})")
    return doc


class InputChanged(RuntimeError):
    """An input's content is not what the plan hashed: the outputs would not match their key."""


def _hash_file(path: str) -> tuple[os.stat_result, str]:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO swapped in: no wait
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{path} is not a regular file")
        want = min(st.st_size, 1 << 20) + 1  # one byte more than it holds: a short read is its end
        chunk = os.read(fd, want)
        h = hashlib.sha256(chunk)
        if len(chunk) == want or len(chunk) < st.st_size:  # larger than 1 MiB, grew, or a short read
            while chunk := os.read(fd, 1 << 20):
                h.update(chunk)
    finally:
        os.close(fd)
    return st, h.hexdigest()


def identify_inputs(input_dir: str | os.PathLike, inputs, cache: Iterable[list], seen) -> Iterator[InputFile]:
    """Each input with the digest of its content, its identity. ``cache`` (the last run's rows
    ``[id, relpath, size, mtime_ns, ctime_ns, inode, digest]`` in listing order) spares
    re-reading a file whose size, mtime, ctime and inode are all unchanged: an edit moves the
    ctime, which no user can set back, even when the size and the mtime are restored. ``seen``
    (a callable) gets this run's rows, in the same order.

    Both streams come in id order, so they are walked side by side: memory is one row, however
    many inputs (a row out of order is only a miss: the file is read again)."""
    rows = iter(cache)
    row = next(rows, None)
    for inp in inputs:
        if inp.outside or inp.problem:
            yield inp
            continue
        path = os.path.join(input_dir, inp.relpath)
        while row is not None and row[0] < inp.id:
            row = next(rows, None)
        hit = row if row is not None and row[0] == inp.id and row[1] == inp.relpath else None
        try:
            if inp.ino:  # the listing's stat
                key = [inp.size, inp.mtime_ns, inp.ctime_ns, inp.ino]
            else:
                st = os.stat(path)
                key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            if hit is not None and hit[2:6] == key:
                digest = hit[6]
            else:
                st, digest = _hash_file(path)
                key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        except OSError:  # unreadable or gone: read_document rejects it with the reason
            yield inp
            continue
        seen([inp.id, inp.relpath, *key, digest])
        yield InputFile(inp.id, inp.relpath, key[0], key[1], inp.outside, digest, inp.problem)


def read_documents(input_dir: str | os.PathLike, inp: InputFile, max_bytes: int = DEFAULT_MAX_BYTES):
    """The documents of one input: one, or one per HTML response record of a WARC file."""
    if inp.kind == "warc" and not inp.outside:
        yield from read_warc(input_dir, inp, max_bytes)
    else:
        yield read_document(input_dir, inp, max_bytes)


def read_warc(input_dir: str | os.PathLike, inp: InputFile, max_bytes: int = DEFAULT_MAX_BYTES):
    """One document per HTML response record, with ids ``FILE/00001``, ``FILE/00002``, ...

    A file that is not a readable WARC, or holds no HTML response, comes back as one rejected
    document named after the file, so it is still accounted for.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    from .html import extract_html

    path = Path(input_dir) / inp.relpath
    n = 0
    try:
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                ctype = (record.http_headers.get_header("Content-Type") or "").lower()
                if "html" not in ctype:
                    continue
                n += 1
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                doc = Document(id=f"{inp.id}/{n:05d}", source=f"{inp.relpath}#{n}")
                doc.info["input"] = "html"
                try:
                    data = record.content_stream().read(max_bytes + 1)
                    if len(data) > max_bytes:
                        raise NotText(f"the record is larger than the {max_bytes // (1024 * 1024)} MiB limit per document")
                    doc.raw_sha256 = hashlib.sha256(data).hexdigest()
                    doc.raw, doc.encoding, meta = extract_html(data)
                    doc.encoding = "warc " + doc.encoding
                    doc.metadata.update(meta)
                    if uri:
                        doc.metadata["warc_target_uri"] = uri
                except NotText as e:
                    doc.reject(str(e))
                except Exception as e:  # a broken record must not stop the file
                    doc.reject(f"the WARC record could not be read ({type(e).__name__})")
                yield doc
    except (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error) as e:
        if n == 0:
            doc = Document(id=inp.id, source=inp.relpath)
            doc.info["input"] = "warc"
            doc.reject(f"the file is not a readable WARC archive ({type(e).__name__})")
            yield doc
        return
    if n == 0:
        doc = Document(id=inp.id, source=inp.relpath)
        doc.info["input"] = "warc"
        doc.reject("the WARC archive holds no HTML response records")
        yield doc


def read_bytes_document(doc_id: str, data: bytes, source: str = "<bytes>", kind: str = "text") -> Document:
    """A Document from bytes in memory (tests, one-off use); ``kind="html"``: a page, through
    trafilatura as in a run."""
    doc = Document(id=doc_id, source=source)
    doc.info["input"] = kind
    doc.raw_sha256 = hashlib.sha256(data).hexdigest()
    try:
        _decode_into(doc, data, kind)
    except NotText as e:
        doc.reject(str(e))
    return doc


def _decode_into(doc: Document, data: bytes, kind: str) -> None:
    """The text of ``data`` into ``doc``: a page through trafilatura, anything else decoded."""
    if kind == "html":
        from .html import extract_html

        doc.raw, doc.encoding, meta = extract_html(data)
        doc.metadata.update(meta)
    else:
        from .encoding import decode  # ftfy: imported by the tasks that decode, not by the listing

        decoded = decode(data)
        doc.raw, doc.encoding = decoded.text, decoded.encoding


def looks_like_html(name: str, data: bytes) -> bool:
    """A page by its name (``.html``, ``.htm``, ``.xhtml``), or, unnamed (standard input), by
    how it opens."""
    if name not in ("", "-"):
        return name.lower().removesuffix(".gz").endswith(HTML_SUFFIXES)
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:200]


__all__ = ["InputFile", "count_inputs", "iter_inputs", "list_inputs", "read_document", "read_documents", "read_warc", "read_bytes_document"]
