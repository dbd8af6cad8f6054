"""Atomic file output: a file is either complete or absent, never half-written."""
from __future__ import annotations

import contextlib
import errno
import functools
import itertools
import json
import os
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator


try:  # orjson is several times faster; its output equals the json module's compact form
    import orjson

    def dumps_bytes(obj: Any) -> bytes:
        try:
            return orjson.dumps(obj)
        except TypeError:  # e.g. a lone surrogate, which orjson refuses
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")

    def loads(data: str | bytes) -> Any:
        return orjson.loads(data)

except ImportError:  # pragma: no cover
    def dumps_bytes(obj: Any) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")

    def loads(data: str | bytes) -> Any:
        return json.loads(data)


def dumps(obj: Any) -> str:
    return dumps_bytes(obj).decode("utf-8", "surrogatepass")


_counter = itertools.count()


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file at a temporary name in the same folder, renamed over ``path`` on success."""
    path = Path(path)
    tmp = path.parent / f".{path.name[:80]}.{os.getpid()}.{next(_counter)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # os.write may write less than asked
        view = view[os.write(fd, view):]


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """``data`` to ``path`` through a temporary name: plain system calls, as emit writes one
    file per document (the context manager and file object cost as much as the write)."""
    path = os.fspath(path)
    data = data.encode("utf-8") if isinstance(data, str) else data
    head, name = os.path.split(path)
    tmp = os.path.join(head, f".{name[:80]}.{os.getpid()}.{next(_counter)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(tmp, flags, 0o644)
    except FileNotFoundError:
        os.makedirs(head, exist_ok=True)
        fd = os.open(tmp, flags, 0o644)
    try:
        _write_all(fd, data)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_in_place(path: str, data: bytes) -> os.stat_result:
    """``data`` to ``path`` directly (create or truncate), never through a link; returns the
    file's stat once written (from the open file: no second path lookup).

    For the per-document files of a shard, which are provisional until the shard's manifest
    part (written atomically, last) marks it done; a rerun rewrites them. On ext4 a temporary
    name and a rename cost twice the file system time of the write itself, once per document.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags, 0o644)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, flags, 0o644)
    except OSError as e:
        if e.errno != errno.ELOOP:
            raise
        os.unlink(path)  # a link where the file goes: replace the link, never write through it
        fd = os.open(path, flags, 0o644)
    try:
        _write_all(fd, data)
        return os.fstat(fd)
    finally:
        os.close(fd)


@functools.lru_cache(maxsize=1024)
def _real_dir(path: str) -> str:
    return os.path.realpath(path)


def safe_child(root: str | os.PathLike, relative: str, suffix: str = "") -> str:
    """``root/relative+suffix``, refusing anything that would land outside ``root``.

    Names come from input paths; a name with ``..``, an absolute path, a NUL, or a folder
    that is a link leading out of ``root`` is refused.
    """
    root = os.fspath(root)
    if "/" not in relative:  # one name (most ids): no folder of it can be a link
        if relative in ("", ".", "..") or "\x00" in relative:
            raise ValueError(f"unsafe output name: {relative!r}")
        return os.path.join(root, relative + suffix)
    parts = relative.split("/")
    if relative.startswith("/") or "\x00" in relative or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"unsafe output name: {relative!r}")
    root_real = _real_dir(root)
    target = os.path.join(root, relative + suffix)
    if len(parts) > 1:  # in a subfolder: an existing one must not be a link out of root
        parent = os.path.dirname(target)
        if os.path.isdir(parent):
            real = _real_dir(parent)
            if real != root_real and not real.startswith(root_real + os.sep):
                raise ValueError(f"unsafe output name: {relative!r}")
    return target


def concat_files(parts: Iterable[str | os.PathLike], dest: str | os.PathLike) -> None:
    """Concatenate part files into ``dest`` atomically, streaming (no whole-file buffer)."""
    with atomic_open(dest) as out:
        for p in parts:
            with open(p, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
