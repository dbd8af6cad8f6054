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
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .documents import Document
from .encoding import NotText, decode

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

    @property
    def kind(self) -> str:
        name = self.relpath.lower()
        if name.endswith(".gz"):
            name = name[:-3]
        if name.endswith(WARC_SUFFIXES):
            return "warc"
        return "html" if name.endswith(HTML_SUFFIXES) else "text"

    def fingerprint(self) -> str:
        return f"{self.relpath}\0{self.size}\0{self.mtime_ns}"


def _strip_suffixes(relpath: str) -> str:
    stem = relpath
    if stem.lower().endswith(".gz"):
        stem = stem[:-3]
    base, ext = os.path.splitext(stem)
    if ext.lower() in HTML_SUFFIXES + TEXT_SUFFIXES + WARC_SUFFIXES and base and not base.endswith("/"):
        return base
    return stem


MAX_UNREADABLE_LISTED = 100


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
        key, name, kind = item
        path = os.path.join(folder, name)
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
        elif not stat.S_ISREG(st.st_mode):
            tally["skipped"] += 1
            continue
        yield InputFile(prefix + key, prefix + name, st.st_size, st.st_mtime_ns, outside)


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
    out = []
    for i, (name, kind) in enumerate(zip(names, kinds)):
        if kind == _DIR:
            out.append((name + "/", name, kind))
        else:
            stem = stems[i]
            unique = counts[stem] == 1 and (stem is name or stem == name or stem not in taken)
            out.append((stem if unique else name, name, kind))
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


def _read_limited(path: Path, max_bytes: int) -> bytes:
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
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > max_bytes:
        raise NotText(f"the file is larger than the {max_bytes // (1024 * 1024)} MiB limit per document")
    return data


def _gunzip_limited(data: bytes, max_bytes: int) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, max_bytes + 1)
    except zlib.error as e:
        raise NotText(f"the file ends in .gz but is not valid gzip data ({e})") from None
    if len(out) > max_bytes:
        raise NotText(f"the file decompresses to more than the {max_bytes // (1024 * 1024)} MiB limit")
    return out


def read_document(input_dir: str | os.PathLike, inp: InputFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read, decode (or extract) one input. Never raises: a bad input comes back rejected."""
    doc = Document(id=inp.id, source=inp.relpath)
    doc.info["input"] = inp.kind
    path = Path(input_dir) / inp.relpath
    if inp.outside:
        doc.reject("the file is a symbolic link that points outside the input directory; it was not read")
        return doc
    try:
        data = _read_limited(path, max_bytes)
        doc.raw_sha256 = hashlib.sha256(data).hexdigest()
        if not data:
            raise NotText("the file is empty")
        if inp.relpath.lower().endswith(".gz"):
            data = _gunzip_limited(data, max_bytes)
        if inp.kind == "html":
            from .html import extract_html

            doc.raw, doc.encoding, meta = extract_html(data)
            doc.metadata.update(meta)
        else:
            decoded = decode(data)
            doc.raw, doc.encoding = decoded.text, decoded.encoding
    except NotText as e:
        doc.reject(str(e))
    except OSError as e:
        doc.reject(f"the file could not be read ({e.strerror or e})")
    return doc


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


def read_bytes_document(doc_id: str, data: bytes, source: str = "<bytes>") -> Document:
    """A Document from bytes in memory (tests, one-off use)."""
    doc = Document(id=doc_id, source=source)
    doc.info["input"] = "text"
    doc.raw_sha256 = hashlib.sha256(data).hexdigest()
    try:
        decoded = decode(data)
        doc.raw, doc.encoding = decoded.text, decoded.encoding
    except NotText as e:
        doc.reject(str(e))
    return doc


__all__ = ["InputFile", "count_inputs", "iter_inputs", "list_inputs", "read_document", "read_documents", "read_warc", "read_bytes_document"]
