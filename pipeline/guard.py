"""Checks made before a run starts, the one-run-per-output lock, and stopping on a signal.

Every refusal is one sentence on stderr and exit status 2 (usage) or 1 (environment), never a
traceback: these are conditions a user meets, not bugs.
"""
from __future__ import annotations

import errno
import os
import signal
import sys
import time

LOCK_NAME = ".lock"


class Refused(Exception):
    """A run that must not start, with the sentence that says why and what to do."""

    def __init__(self, sentence: str, status: int = 2):
        super().__init__(sentence)
        self.status = status


def stop(sentence: str, status: int = 2):
    """Print the sentence and exit: the one way a refusal leaves the process."""
    print(f"pipeline: {sentence}", file=sys.stderr, flush=True)
    raise SystemExit(status)


def check_arguments(workers: int, shard_size: int) -> None:
    if workers < 1:
        raise Refused(f"--workers must be 1 or more (got {workers})")
    if shard_size < 0:
        raise Refused(f"--shard-size must be 0 (automatic) or a number of documents (got {shard_size})")


def _inside(a: str, b: str) -> bool:
    return a == b or a.startswith(b.rstrip(os.sep) + os.sep)


def check_folders(input_dir: str, output_dir: str, against: str = "") -> None:
    """The input must exist; the output must be neither the input, nor inside it (a rerun would
    read its own outputs), nor hold it (the run would overwrite or prune its inputs)."""
    if not os.path.isdir(input_dir):
        raise Refused(f"the input folder {input_dir} does not exist (in {os.getcwd()}); give one with --input-dir")
    src, dst = os.path.realpath(input_dir), os.path.realpath(output_dir)
    if src == dst:
        raise Refused(f"the output folder {output_dir} is the input folder; choose another --output-dir")
    if _inside(dst, src):
        raise Refused(f"the output folder {output_dir} is inside the input folder {input_dir}, so a rerun would read "
                      "its own outputs; choose an --output-dir outside it")
    if _inside(src, dst):
        raise Refused(f"the input folder {input_dir} is inside the output folder {output_dir}, which the run rewrites; "
                      "choose an --output-dir that does not hold it")
    if against:
        if not os.path.isdir(against):
            raise Refused(f"--against {against}: no such folder")
        if not os.path.isdir(os.path.join(against, "index")):
            raise Refused(f"--against {against} holds no index/ folder; give the output folder of an earlier run")
        from .publish import current_generation, verify_generation

        gen = current_generation(against)
        if gen is not None and not verify_generation(gen):
            raise Refused(f"--against {against}: its outputs were changed or damaged since that run wrote them; "
                          "run CleanAll into that folder again first")


def check_writable(output_dir: str) -> None:
    try:
        os.makedirs(output_dir, exist_ok=True)
        probe = os.path.join(output_dir, f".probe.{os.getpid()}")
        with open(probe, "wb") as f:
            f.write(b"x")
        os.unlink(probe)
    except OSError as e:
        raise Refused(environment_sentence(e, output_dir), status=1) from None


def environment_sentence(e: OSError, path: str | None = None) -> str:
    """One sentence for an error of the machine, not of the run: disk full, read-only, denied."""
    where = path or e.filename or "the output folder"
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on the device holding {where}; free some space and run again (the earlier outputs are unchanged)"
    if e.errno == errno.EROFS:
        return f"{where} is on a read-only file system; choose another --output-dir"
    if e.errno in (errno.EACCES, errno.EPERM):
        return f"no permission to write {where}; choose another --output-dir or change its permissions"
    return f"could not write {where} ({e.strerror or e}); the earlier outputs are unchanged"


_held: dict[str, int] = {}


def acquire_lock(output_dir: str, wait: bool = False) -> None:
    """One run per output folder: an exclusive lock on ``OUT/.lock``, which holds the holder's
    pid. Forked task processes share it, so it is free only when the whole run has ended.
    A second run stops with a sentence naming the holder (or waits, with ``wait``)."""
    import fcntl

    key = os.path.realpath(output_dir)
    if key in _held:
        return
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if wait:
                time.sleep(0.2)
                continue
            try:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            except OSError:
                holder = "unknown"
            os.close(fd)
            raise Refused(f"another run (pid {holder}) is writing to {output_dir}; wait for it to end or stop it")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _held[key] = fd


def release_lock(output_dir: str) -> None:
    fd = _held.pop(os.path.realpath(output_dir), None)
    if fd is not None:
        os.close(fd)


_installed = False
_main_pid = 0


def _die_with_parent() -> None:
    """In a task process luigi forked: end when the run's main process ends, even by SIGKILL,
    instead of writing on for seconds as an orphan (Linux only; elsewhere a no-op)."""
    if not _main_pid or os.getpid() == _main_pid:
        return
    die_with_parent(_main_pid)


def die_with_parent(parent: int) -> None:
    """End this (forked) process with SIGKILL when ``parent`` ends. An orphan would hold the
    output folder's lock and the run's stderr open, and go on writing (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it ended before the call took effect
        os._exit(1)


def stop_on_signals(output_dir: str) -> None:
    """SIGTERM and SIGINT: stop every task process, then exit with one sentence and status
    128+signal. Nothing is published half-done because publishing is one rename (see
    :mod:`pipeline.publish`); what the stopped tasks left is never trusted by a rerun."""
    global _installed, _main_pid
    if _installed:
        return
    _installed = True
    main = _main_pid = os.getpid()

    def handler(signum, frame):
        if os.getpid() != main:  # a forked task process: just end
            os._exit(128 + signum)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        children = _children()
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass
        name = signal.Signals(signum).name
        print(f"pipeline: stopped by {name}; the outputs in {output_dir} are as they were before this run "
              "(run again to finish)", file=sys.stderr, flush=True)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _children() -> list[int]:
    """This process's descendants (task processes and theirs), from /proc: the task processes
    are forked by luigi's multiprocessing, whose own bookkeeping may not be reachable here."""
    me = os.getpid()
    parents: dict[int, list[int]] = {}
    try:
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    except OSError:
        import multiprocessing

        return [p.pid for p in multiprocessing.active_children()]
    out, stack = [], [me]
    while stack:
        for child in parents.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


class RunStopped(RuntimeError):
    """A task stopped by a condition of the machine or the inputs, said in one sentence: Luigi
    fails the task, and the log filter below prints the sentence instead of a traceback."""


def sentences_for_errors(run):
    """Wrap a task's ``run``: environment errors (disk full, read-only, denied) and inputs that
    changed under the run become :class:`RunStopped` with one sentence naming the path."""
    import functools

    @functools.wraps(run)
    def wrapped(self, *args, **kwargs):
        _die_with_parent()
        try:
            return run(self, *args, **kwargs)
        except RunStopped:
            raise
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM):
                raise RunStopped(environment_sentence(e)) from None
            raise
        except Exception as e:
            if type(e).__name__ == "InputChanged":
                raise RunStopped(str(e)) from None
            raise

    return wrapped


class _OneSentence:
    """A logging filter: a task that failed with :class:`RunStopped` is reported as its
    sentence, once, not as Luigi's traceback."""

    def __init__(self):
        self.said: set[str] = set()

    def filter(self, record) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, RunStopped):
            if str(exc) not in self.said:
                self.said.add(str(exc))
                print(f"pipeline: {exc}", file=sys.stderr, flush=True)
            return False
        return True


def quiet_expected_failures() -> None:
    import logging

    logger = logging.getLogger("luigi-interface")
    if not any(isinstance(f, _OneSentence) for f in logger.filters):
        logger.addFilter(_OneSentence())
