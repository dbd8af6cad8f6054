"""Atomic file output: a file is either complete or absent, never half-written."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file at a temporary name in the same folder, renamed over ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=path.parent)
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


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    with atomic_open(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def write_jsonl_atomic(path: str | os.PathLike, records: Iterable[Any]) -> int:
    n = 0
    parts = []
    for r in records:
        parts.append(dumps(r))
        n += 1
    write_atomic(path, "".join(p + "\n" for p in parts))
    return n


def safe_child(root: str | os.PathLike, relative: str, suffix: str = "") -> Path:
    """``root/relative+suffix``, refusing anything that would land outside ``root``."""
    root = Path(root).resolve()
    rel = Path(relative + suffix)
    if not relative or rel.is_absolute() or any(part in ("..", "") for part in rel.parts) or "\x00" in relative:
        raise ValueError(f"unsafe output name: {relative!r}")
    target = (root / rel).resolve()
    if not target.is_relative_to(root):
        raise ValueError(f"unsafe output name: {relative!r}")
    return root / rel


def concat_files(parts: Iterable[str | os.PathLike], dest: str | os.PathLike) -> None:
    """Concatenate part files into ``dest`` atomically, streaming (no whole-file buffer)."""
    with atomic_open(dest) as out:
        for p in parts:
            with open(p, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
