"""Atomic file output: a file is either complete or absent, never half-written."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write through a temporary file in the same folder, then rename over the target."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    while chunk := f.read(1 << 20):
                        out.write(chunk)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
