"""Publishing a run's outputs as one generation, switched into place at once.

A run assembles every output (``manifest.jsonl``, ``clean.jsonl``, ``clean/``, ``extracted/``,
``summary.json``, ``report.html``, ``index/``) in a hidden folder ``.gen-RUN`` beside the old
ones. The published names are symbolic links through one more link, ``.current``::

    OUT/manifest.jsonl -> .current/manifest.jsonl        OUT/.current -> .gen-RUN

so renaming ``.current`` switches every output at the same instant: a reader sees the old
generation or the new one, never a mix and never a half-written file, whatever stops the run.
The old generation is removed after the switch. The per-document files of a generation are
hard links to the emit stage's files (one write per document, not two).
"""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from .stagefiles import entry_matches, file_entry, read_record, stat_matches, write_record

CURRENT = ".current"
GEN_PREFIX = ".gen-"
RECORD = ".record"
PUBLISHED = ("manifest.jsonl", "clean.jsonl", "dataset", "clean", "extracted", "summary.json", "report.html", "index")
FOLDERS = ("clean", "extracted", "index")
TREES = ("clean/", "extracted/")  # one file per document: recorded in parts, never all at once


def current_generation(out: str | os.PathLike) -> Path | None:
    """The published generation's folder, or None (nothing published, or the old layout)."""
    try:
        target = os.readlink(os.path.join(out, CURRENT))
    except OSError:
        return None
    if "/" in target or not target.startswith(GEN_PREFIX):
        return None
    return Path(out) / target


def new_generation(out: str | os.PathLike, run_fp: str) -> Path:
    """An empty folder for the next generation; unpublished ones a stopped run left are removed."""
    out = Path(out)
    current = current_generation(out)
    remove_generations(out, keep=current)
    name = f"{GEN_PREFIX}{run_fp}"
    if current is not None and current.name == name:  # the same run rebuilt (a damaged output)
        name += "-b"
    gen = out / name
    gen.mkdir(parents=True)
    for folder in FOLDERS:
        (gen / folder).mkdir()
    return gen


def remove_generations(out: Path, keep: Path | None) -> None:
    for p in out.iterdir() if out.is_dir() else ():
        if p.name.startswith(GEN_PREFIX) and (keep is None or p.name != keep.name):
            shutil.rmtree(p, ignore_errors=True)


def link_tree(src: str | os.PathLike, dest: str | os.PathLike) -> None:
    """Every file under ``src`` at the same place under ``dest``, as a hard link (a copy where
    the file system allows none). Stage files are never rewritten in place, so sharing is safe.
    Names are joined as strings, one ``scandir`` per folder: this runs once per document."""
    src = os.fspath(src)
    if not os.path.isdir(src):
        return
    stack = [(src, os.fspath(dest))]
    while stack:
        folder, target = stack.pop()
        os.makedirs(target, exist_ok=True)
        folder_, target_ = folder + os.sep, target + os.sep
        with os.scandir(folder) as entries:
            for e in entries:
                name = e.name
                if e.is_dir(follow_symlinks=False):
                    stack.append((folder_ + name, target_ + name))
                    continue
                try:
                    os.link(folder_ + name, target_ + name)
                except OSError as err:
                    if err.errno not in (18, 1, 38, 95):  # EXDEV, EPERM, ENOSYS, EOPNOTSUPP: copy instead
                        raise
                    shutil.copyfile(folder_ + name, target_ + name)


def switch(out: str | os.PathLike, gen: Path) -> None:
    """Make ``gen`` the published generation: one rename of ``.current``; then the published
    names are made links through it (a no-op after the first run), replacing an old layout's
    real files and folders, and older generations are removed."""
    out = Path(out)
    tmp = out / f"{CURRENT}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(gen.name, tmp)
    os.replace(tmp, out / CURRENT)
    _fsync_dir(out)
    for name in PUBLISHED:
        path = out / name
        want = f"{CURRENT}/{name}"
        try:
            if os.readlink(path) == want:
                continue
        except OSError:
            pass
        old = None
        if path.is_dir() and not path.is_symlink():  # a folder of the old layout: out of the way first
            old = out / f".old-{name}.{os.getpid()}"
            os.rename(path, old)
        link = out / f".{name}.{os.getpid()}.link"
        link.unlink(missing_ok=True)
        os.symlink(want, link)
        os.replace(link, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    remove_generations(out, keep=gen)
    for p in out.iterdir():  # an old layout's folders a stopped switch left
        if p.name.startswith(".old-"):
            shutil.rmtree(p, ignore_errors=True)


def seal(gen: Path, run_fp: str, known: dict[str, tuple[int, str]] | None = None,
         parts: list[tuple[str, str]] | None = None) -> None:
    """Record every file of the generation with its length and hash (after the switch and the
    clean-up, so that the times recorded are final): what ``is_published`` checks. ``known``
    gives (size, digest) of files whose digest the stage records hold already: those are only
    stat'ed, not read again.

    The per-document files (``clean/``, ``extracted/``) are recorded in parts, one per emit
    shard (``parts``: the shard's stage record and the prefix of its tree there), each written
    as its own file ``.record.NNNNN`` that the main record pins by its digest: a million
    documents never sit in memory at once, here or in ``is_published``."""
    known = known or {}
    gen_s = os.fspath(gen)
    part_names, in_parts = [], 0
    for k, (record, prefix) in enumerate(parts or ()):
        rec = read_record(record) or {"files": {}}
        entries: dict[str, list] = {}
        for name, e in rec["files"].items():
            if not name.startswith(prefix):
                continue
            rel = name[len(prefix):]
            if rel.startswith(TREES):
                entry = _linked_entry(os.path.join(gen_s, rel), e)
                if entry is not None:
                    entries[rel] = entry
        part = f"{RECORD}.{k:05d}"
        write_record(os.path.join(gen_s, part), gen_s, (), entries=entries)
        part_names.append(part)
        in_parts += len(entries)
    if parts is not None and sum(1 for _ in _tree_names(gen_s)) != in_parts:
        # a file no shard's record names (never on a run's own outputs): found the slow way
        named = set()
        for part in part_names:
            named.update((read_record(os.path.join(gen_s, part)) or {"files": {}})["files"])
        strays = sorted(n for n in _tree_names(gen_s) if n not in named)
        part = f"{RECORD}.{len(part_names):05d}"
        write_record(os.path.join(gen_s, part), gen_s, strays)
        part_names.append(part)
    names, entries = [], {}
    stack = [(gen_s, "")]
    while stack:  # one scandir per folder, one stat per file
        path, prefix = stack.pop()
        with os.scandir(path) as it:
            for e in it:
                name = prefix + e.name
                if e.is_dir(follow_symlinks=False):
                    if parts is None or (name + "/") not in TREES:
                        stack.append((e.path, name + "/"))
                    continue
                if name == RECORD:
                    continue
                hit = known.get(name)
                if hit is not None:
                    st = e.stat(follow_symlinks=False)
                    if st.st_size == hit[0]:
                        entries[name] = [st.st_size, hit[1], st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
                        continue
                names.append(name)
    extra = {"run": run_fp} if parts is None else {"run": run_fp, "parts": part_names}
    write_record(str(gen / RECORD), str(gen), sorted(names), extra=extra, entries=entries)


def _linked_entry(path: str, staged: list) -> list | None:
    """The record entry of a generation's link to a stage file whose (size, digest) the stage
    record holds: a stat, and a read only when the size differs."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if st.st_size == staged[0] and stat.S_ISREG(st.st_mode):
        return [st.st_size, staged[1], st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
    return file_entry(path)


def _files_under(path: str, prefix: str):
    """The names (``prefix`` + the path below ``path``) of every file under a folder, without a stat."""
    stack = [(path, prefix)]
    while stack:
        folder, pre = stack.pop()
        try:
            it = os.scandir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    stack.append((e.path, pre + e.name + "/"))
                else:
                    yield pre + e.name


def _tree_names(gen: str):
    for tree in TREES:
        yield from _files_under(os.path.join(gen, tree[:-1]), tree)


def verify_generation(gen: Path, rec: dict | None = None) -> bool:
    """Whether every file the generation's record (``rec``, when read already) names, its
    parts' too, is there, whole and unchanged, and no other file is."""
    gen_s = os.fspath(gen)
    rec = rec or read_record(os.path.join(gen_s, RECORD))
    if rec is None:
        return False
    parts = rec.get("parts")
    parted = isinstance(parts, list)
    # One pass over the folder: every file's stat but the per-document ones (counted only).
    seen: dict[str, os.stat_result] = {}
    in_trees = 0
    stack = [(gen_s, "")]
    while stack:
        path, prefix = stack.pop()
        with os.scandir(path) as it:
            for e in it:
                name = prefix + e.name
                if e.is_dir(follow_symlinks=False):
                    if parted and (name + "/") in TREES:
                        in_trees += sum(1 for _ in _files_under(e.path, ""))
                    else:
                        stack.append((e.path, name + "/"))
                else:
                    seen[name] = e.stat(follow_symlinks=False)
    seen.pop(RECORD, None)
    files = rec["files"]
    if seen.keys() != files.keys():  # a file added, or one gone
        return False
    if not all(stat_matches(st, os.path.join(gen_s, name), files[name]) for name, st in seen.items()):
        return False
    if not parted:
        return True
    named = 0
    for part in parts:  # each pinned by its digest in ``files``, checked above
        if not isinstance(part, str) or part not in files:
            return False
        prec = read_record(os.path.join(gen_s, part))
        if prec is None:
            return False
        for name, entry in prec["files"].items():
            if not name.startswith(TREES) or not entry_matches(os.path.join(gen_s, name), entry):
                return False
        named += len(prec["files"])
    return named == in_trees  # every file a part names is there: so no other is


def is_published(out: str | os.PathLike, run_fp: str) -> bool:
    """Whether ``out`` shows the generation of ``run_fp``, whole: every published name a link
    through ``.current``, every file of the generation as recorded (deleted, truncated or
    edited files make it False), and no file beyond them."""
    gen = current_generation(out)
    if gen is None:
        return False
    rec = read_record(str(gen / RECORD))
    if rec is None or rec.get("run") != run_fp:
        return False
    for name in PUBLISHED:
        try:
            if os.readlink(os.path.join(out, name)) != f"{CURRENT}/{name}":
                return False
        except OSError:
            return False
    return verify_generation(gen, rec)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = ["CURRENT", "PUBLISHED", "current_generation", "new_generation", "link_tree", "switch", "seal", "is_published",
           "verify_generation", "file_entry"]
