"""Planning a run: the inputs listed into shards, each shard's fingerprint, the run's digest.

Pure of Luigi: :func:`write_plan` runs in a short-lived forked process (:func:`in_child`)
before any task is scheduled, and the tasks read only their own shard's file of it.
"""
from __future__ import annotations

import errno
import functools
import hashlib
import itertools
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .dedup.index import ARRAYS, KEYS, IndexError_, load_folder
from .readers import count_inputs, identify_inputs, iter_inputs
from .writers import dumps_bytes, loads, write_atomic

STAGES = "_stages"


@functools.lru_cache(maxsize=4)
def load_plan(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _shard_plan_path(plan_path: str, shard: int) -> str:
    """Shard ``shard``'s list of inputs, beside the plan's index (``plan/RUN/00000.json``)."""
    return os.path.join(os.path.splitext(plan_path)[0], f"{shard:05d}.json")


def shard_args_from_plan(path: str) -> list[dict[str, Any]]:
    plan = load_plan(path)
    n = len(plan["shards"])
    return [{"input_dir": plan["input_dir"], "output_dir": plan["output_dir"], "shard": k, "n_shards": n,
             "fingerprint": sh["fingerprint"], "plan": path} for k, sh in enumerate(plan["shards"])]


INDEX = "index"
SIDE_ARRAYS = ARRAYS  # the .npy files beside a shard's .npz (see pipeline.dedup.index)


def prior_index(against: str) -> list[dict[str, Any]]:
    """The dedup index an earlier run left in ``against``/index/, as extra read-only shards."""
    if not against:
        return []
    from .dedup import corpus

    folder = Path(against) / INDEX
    if not folder.is_dir():
        raise FileNotFoundError(f"--against {against}: no {INDEX}/ folder there (run CleanAll into it first)")
    try:
        shards = load_folder(folder)
    except IndexError_ as e:
        raise FileNotFoundError(f"--against {against}: {e}") from None
    return [{"shard": corpus.PRIOR_SHARD_BASE + k, "run": str(Path(against)), **idx.paths()} for k, idx in enumerate(shards)]


def prior_fingerprint(against: str) -> str:
    h = hashlib.sha256(against.encode())
    for p in prior_index(against):
        for key in KEYS:
            st = os.stat(p[key])  # any write moves the ctime
            h.update(f"{p[key]}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}".encode())
    return h.hexdigest()[:16]


def auto_shard_size(n_inputs: int, workers: int = 1, smallest: int = 5000, largest: int = 10_000) -> int:
    """Documents per shard when none is given: one shard per worker, between ``smallest`` and
    ``largest``. Every task costs a fork, a process exit, Luigi's bookkeeping and a shard's
    fixed work, so shards are as large as the workers allow (on the 19.7k corpus with two
    workers, shards of 9,861 ran 4-6 % faster than shards of 5,000, and those 5-10 % faster
    than 2,000), up to what keeps a task's memory small (about 300 MB at 10,000). The outputs
    never depend on it (tested), only the time; the price of large shards: a changed input
    reruns its shard, and a run with another number of workers makes new shards."""
    per_worker = -(-n_inputs // max(1, workers))
    return max(smallest, min(largest, per_worker))


INPUTS_CACHE = "inputs.cache"
BALANCED_MAX_SHARDS = 8  # up to this many automatic shards, they are balanced (balanced_parts)
BALANCE_QUANTUM = 256  # shard bounds fall on multiples of this many inputs


def balanced_parts(inputs: list, k: int) -> list[list]:
    """``inputs`` in ``k`` runs (in order) of about the same weight, each input weighing one
    document plus its size in average documents: a stage's time grows with both (a flattened
    body costs the rules more per document, a long line-per-paragraph text the signatures).
    With one shard per worker, the slower shard is the run's: on the 19.7k corpus two shards of
    9,861 documents reached the corpus step 0.44 s apart; split by weight (9,472 and 10,249)
    0-0.24 s apart, and the run took 0.13 s less (median of five).
    Bounds fall on multiples of ``BALANCE_QUANTUM`` inputs, so that an edit that changes a
    file's size seldom moves a bound (which would run both shards again)."""
    n = len(inputs)
    if n == 0:
        return []
    if k <= 1 or n <= k:
        return [inputs] if k <= 1 else [[i] for i in inputs]
    total = sum(i.size for i in inputs) or 1
    cum, bounds, step = 0.0, [0], 2.0 / k  # the weights sum to 2: one for the counts, one for the sizes
    for idx, inp in enumerate(inputs):
        cum += 1.0 / n + inp.size / total
        if len(bounds) < k and cum >= step * len(bounds):
            at = (idx + 1 + BALANCE_QUANTUM // 2) // BALANCE_QUANTUM * BALANCE_QUANTUM
            if not bounds[-1] < at < n:
                at = idx + 1
            if bounds[-1] < at < n:
                bounds.append(at)
    bounds.append(n)
    return [inputs[a:b] for a, b in zip(bounds, bounds[1:])]


def write_plan(input_dir: str, output_dir: str, shard_size: int, settings: str, prior: str,
               workers: int = 1) -> tuple[str, list[str], int, dict]:
    """List the inputs into shards and write the run's plan: one file per shard with its inputs
    (read only by that shard's tasks) and a small index of the shards' fingerprints, named by
    the run's digest. Returns (plan path, fingerprints, inputs, what the listing passed over).

    An input's identity is the digest of its content (see ``readers.identify_inputs``; the
    last run's digests spare re-reading unchanged files). The listing streams in id order and
    each shard's file is written as soon as it is full; the folder is renamed into place once
    the digest (of every fingerprint) is known.
    """
    n_listed = count_inputs(input_dir)
    size = shard_size or auto_shard_size(n_listed, workers)
    balance = not shard_size and -(-n_listed // size) <= BALANCED_MAX_SHARDS
    tally: dict[str, Any] = {}
    cache_path = os.path.join(output_dir, STAGES, INPUTS_CACHE)
    plans = os.path.join(output_dir, STAGES, "plan")
    os.makedirs(plans, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".listing-", dir=plans)
    fingerprints, n_inputs = [], 0
    cache_tmp = tempfile.mkdtemp(prefix=".listing-cache-", dir=plans)  # not in ``tmp``: that becomes the plan
    old_cache = _CacheReader(cache_path)
    new_cache = _CacheWriter(os.path.join(cache_tmp, INPUTS_CACHE))
    stream = identify_inputs(input_dir, iter_inputs(input_dir, tally), old_cache.rows(), new_cache.add)
    try:
        if balance:  # a few large shards, one per worker: split so that they weigh the same
            listed = list(stream)
            parts = balanced_parts(listed, -(-len(listed) // size) if listed else 0)
        else:  # streamed: memory is one shard's inputs, whatever the corpus
            parts = iter(lambda: list(itertools.islice(stream, size)), [])
        for part in parts:
            h = hashlib.sha256(settings.encode())
            for inp in part:
                h.update(inp.fingerprint().encode("utf-8", "surrogateescape") + b"\n")
            rows = [i.row() for i in part]
            with open(os.path.join(tmp, f"{len(fingerprints):05d}.json"), "w", encoding="utf-8") as f:
                f.write(json.dumps(rows, ensure_ascii=False))
            fingerprints.append(h.hexdigest()[:16])
            n_inputs += len(part)
        run_fp = hashlib.sha256("".join(fingerprints).encode() + settings.encode() + prior.encode()).hexdigest()[:16]
        plan_path = os.path.join(plans, f"{run_fp}.json")
        if not os.path.exists(plan_path):
            _put_in_place(tmp, os.path.splitext(plan_path)[0])
            write_atomic(plan_path, json.dumps({"input_dir": input_dir, "output_dir": output_dir,
                                                "shards": [{"fingerprint": fp} for fp in fingerprints]}))
        new_cache.close()
        if new_cache.digest() != old_cache.digest():
            os.replace(new_cache.path, cache_path)
    finally:
        old_cache.close()
        new_cache.close()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(cache_tmp, ignore_errors=True)
    passed_over = {"skipped_entries": tally["skipped"], "unreadable_folders": tally["unreadable"],
                   "unreadable_paths": tally["unreadable_paths"]}
    return plan_path, fingerprints, n_inputs, passed_over


_CACHE_HEADER = b'{"inputs_cache":2}\n'


class _CacheReader:
    """The last run's input digests, one JSON row per line in listing order, read as a stream
    (a million inputs make a 160 MB cache: it is never held whole). Anything unreadable, or of
    an older layout, is an empty cache: every file is read again, once."""

    def __init__(self, path: str):
        self._h = hashlib.sha256()
        try:
            self._f = open(path, "rb")
        except OSError:
            self._f = None
            return
        head = self._f.readline()
        if head != _CACHE_HEADER:
            self._f.close()
            self._f = None
        else:
            self._h.update(head)

    def rows(self):
        if self._f is None:
            return
        for line in self._f:
            self._h.update(line)
            try:
                row = loads(line)
            except ValueError:
                return
            if isinstance(row, list) and len(row) == 7 and isinstance(row[0], str) and isinstance(row[1], str):
                yield row

    def digest(self) -> str | None:
        """The whole old file's digest (what the listing did not reach is read now)."""
        if self._f is None:
            return None
        for line in self._f:
            self._h.update(line)
        return self._h.hexdigest()

    def close(self) -> None:
        if self._f is not None:
            self._f.close()


class _CacheWriter:
    def __init__(self, path: str):
        self.path = path
        self._f = open(path, "wb", buffering=1 << 20)
        self._h = hashlib.sha256(_CACHE_HEADER)
        self._f.write(_CACHE_HEADER)

    def add(self, row: list) -> None:
        line = dumps_bytes(row) + b"\n"
        self._h.update(line)
        self._f.write(line)

    def digest(self) -> str:
        return self._h.hexdigest()

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()


def _put_in_place(tmp: str, final: str) -> None:
    """Rename the listing's folder to its final name. The folder may be there already: a
    stopped run's, or another worker's on the same output folder (with luigid) that got there
    first. Its files are then this listing's (the name is the digest of what they list) unless
    someone changed them: kept when they are the same, replaced when not. Never removed first
    (a worker may be reading it)."""
    try:
        os.rename(tmp, final)
        return
    except OSError as e:
        if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    if sorted(os.listdir(tmp)) == sorted(os.listdir(final)) and all(
            _same_bytes(os.path.join(tmp, n), os.path.join(final, n)) for n in os.listdir(tmp)):
        return
    aside = tempfile.mkdtemp(prefix=".damaged-", dir=os.path.dirname(final))
    try:
        os.rename(final, os.path.join(aside, "plan"))
        os.rename(tmp, final)
    except OSError as e:  # another worker replaced it at the same moment: its files are these
        if e.errno not in (errno.ENOENT, errno.ENOTEMPTY, errno.EEXIST):
            raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def _same_bytes(a: str, b: str) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def in_child(fn, *args, meanwhile=None, what: str = "listing the inputs"):
    """``fn(*args)`` in a forked process, where the platform has fork: the memory it takes
    (a folder of a million names is hundreds of MB) goes back to the system when it ends,
    instead of staying in the scheduling process that every task is forked from.
    ``meanwhile()`` runs here while the child works; if it raises, the child is stopped."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        if meanwhile:
            meanwhile()
        return fn(*args)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, os.getpid(), fn, args), daemon=True)
    child.start()  # before ``meanwhile`` starts any thread: a fork copies no running thread
    send.close()
    try:
        if meanwhile:
            meanwhile()
        try:
            ok, value = receive.recv()
        except EOFError:  # it died without a word (killed, out of memory)
            child.join()
            raise RuntimeError(f"{what} stopped with exit code {child.exitcode}") from None
    except BaseException:
        child.kill()
        child.join()
        raise
    finally:
        receive.close()
    child.join()
    if not ok:
        raise value
    return value


def _child(send, parent: int, fn, args) -> None:
    from .guard import die_with_parent

    die_with_parent(parent)
    try:
        result = (True, fn(*args))
    except BaseException as e:  # raised again in the parent, as it is when it pickles
        result = (False, e)
    try:
        send.send(result)
    except Exception as e:  # an exception that does not pickle: its sentence
        send.send((False, RuntimeError(f"{type(result[1]).__name__}: {result[1]}" if not result[0] else str(e))))
    send.close()
