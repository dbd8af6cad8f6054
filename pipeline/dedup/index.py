"""A shard's signatures and LSH band hashes on disk, under names this module alone knows.

One shard is a ``.npz`` of small arrays (ids, dates, sites, offsets, flags) and one ``.npy``
per large array: band hashes sorted with their rows (a band task maps one range of one band at
a time), and the document and paragraph signatures (the corpus step maps only the rows it
compares). The same files serve as a run's stage state and, linked, as its published
``index/`` for a later ``--against``; that folder carries a format line, so an index from an
incompatible version is refused with a sentence instead of misread.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

FORMAT = "pipeline-index 1\n"
FORMAT_FILE = "FORMAT"
ARRAYS = ("doc_bands", "para_bands", "doc_band_rows", "para_band_rows", "doc_sig", "para_sig")  # one .npy each
KEYS = ("sigs", *ARRAYS)


class IndexError_(ValueError):
    """An index folder this version cannot read, with the sentence that says what to do."""


class ShardIndex:
    """The files of one shard's index, named from ``stem`` (a path without suffix)."""

    def __init__(self, stem: str | os.PathLike):
        self.stem = os.fspath(stem)

    def path(self, key: str) -> str:
        return f"{self.stem}.npz" if key == "sigs" else f"{self.stem}.{key}.npy"

    def paths(self) -> dict[str, str]:
        return {key: self.path(key) for key in KEYS}

    def save(self, arrays: dict[str, Any], entries: dict[str, list], base: str) -> None:
        """Write ``arrays`` (``sign_documents``' output; emptied as it goes), adding each file's
        length and hash to ``entries`` (paths relative to ``base``) for the task's record."""
        import numpy as np

        from ..stagefiles import file_entry, hashed_open
        from ..writers import atomic_open

        for key in ARRAYS:
            with hashed_open(self.path(key), entries, base) as f:
                np.save(f, arrays.pop(key))
        with atomic_open(self.path("sigs")) as f:  # a zip needs a real file (it seeks): hashed after
            np.savez(f, **arrays)
        entries[os.path.relpath(self.path("sigs"), base)] = file_entry(self.path("sigs"))

    def missing(self) -> list[str]:
        return [key for key in KEYS if not os.path.exists(self.path(key))]


def save_folder(folder: str | os.PathLike, shards: list[dict[str, str]], link) -> None:
    """Publish shards' files (``ShardIndex.paths()`` each) into ``folder`` as ``00000.*``,
    ``00001.*``, ... with ``link(src, dest)``, and the format line."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for k, files in enumerate(shards):
        dest = ShardIndex(folder / f"{k:05d}")
        for key in KEYS:
            link(files[key], dest.path(key))
    (folder / FORMAT_FILE).write_text(FORMAT, encoding="ascii")


def load_folder(folder: str | os.PathLike) -> list[ShardIndex]:
    """The shards of a published index folder, in order; refused when its format is not this
    version's or a shard's files are missing."""
    folder = Path(folder)
    try:
        fmt = (folder / FORMAT_FILE).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        fmt = ""
    if fmt != FORMAT:
        raise IndexError_(f"{folder} was written by another version of this pipeline (format {fmt.strip() or 'unknown'}); "
                          "run CleanAll into that folder again")
    out = []
    for npz in sorted(folder.glob("*.npz")):
        idx = ShardIndex(npz.with_suffix(""))
        if idx.missing():
            raise IndexError_(f"{folder}: {npz.name} has no {', '.join(idx.missing())} files; run CleanAll into that folder again")
        out.append(idx)
    return out
