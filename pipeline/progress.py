"""What a person at a terminal sees while a run works: one live line on stderr (documents done
out of the total, the rate, the time left), and a sentence when a rerun has nothing to do.

It runs in the scheduling process and only looks at which stage outputs exist, so the tasks
(often forked processes of their own) need not report anything. Piped, it stays quiet: logs
get the per-shard lines instead (``tasks._progress``).
"""
from __future__ import annotations

import atexit
import os
import sys
import threading
import time

STAGES = 4  # repair, strip, sign, emit: a document counts as done once through all four


def format_line(done: float, total: int, rate: float | None, elapsed: float) -> str:
    """``[pipeline] 9,860 / 19,721 documents (50%), 2,410 documents/s, 4 s left``. A document
    counts a quarter done after each of the four shard stages."""
    share = done / total if total else 1.0
    line = f"[pipeline] {int(done):,} / {total:,} documents ({share:.0%})"
    if rate:
        line += f", {rate:,.0f} documents/s"
        if done < total:
            line += f", {_duration((total - done) / rate)} left"
    elif done < total:
        line += f", {_duration(elapsed)} so far"
    return line


def _duration(s: float) -> str:
    if s < 1:
        return "under 1 s"
    s = int(round(s))
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60:02d} s"


class LiveLine:
    """Redraws one line on a terminal from a background thread. Writes go straight to the file
    descriptor (``os.write``): a lock of ``sys.stderr`` held at the moment a task is forked would
    stay locked in the child."""

    def __init__(self, fd: int, interval: float = 0.5):
        self.fd, self.interval = fd, interval
        self.shards: dict[int, tuple[int, list]] = {}  # shard -> (documents, [stage tasks not yet done])
        self.n_shards: int | None = None
        self.started = time.monotonic()
        self.first_done: float | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="pipeline-progress", daemon=True)
        self.drawn = False

    def add(self, emit) -> None:
        """A shard of the run (its EmitShard task): its documents and its four stage tasks."""
        from .tasks import RepairShard, SignShard, StripShard

        args = emit.shard_args()
        self.n_shards = emit.n_shards
        self.shards[emit.shard] = (len(emit.inputs()), [RepairShard(**args), StripShard(**args), SignShard(**args), emit])
        if len(self.shards) == self.n_shards and self.thread.ident is None:  # the whole run is known
            self.thread.start()
            atexit.register(self.close)

    def units(self) -> tuple[int, int]:
        done = total = 0
        for n, pending in list(self.shards.values()):
            pending[:] = [t for t in pending if not t.complete()]
            done += n * (STAGES - len(pending))
            total += n * STAGES
        return done, total

    def _loop(self) -> None:
        done0 = None
        while not self.stop.is_set():
            done, total = self.units()
            if done0 is None:
                done0 = done  # already done by an earlier run: not part of the rate
            elapsed = time.monotonic() - self.started
            rate = (done - done0) / STAGES / elapsed if elapsed > 1 and done > done0 else None
            self._draw(format_line(done / STAGES, total // STAGES, rate, elapsed))
            if self.n_shards is not None and len(self.shards) == self.n_shards and done == total:
                self._write("\n")
                self.drawn = False
                return
            self.stop.wait(self.interval)

    def _draw(self, line: str) -> None:
        self._write("\r\x1b[K" + line)
        self.drawn = True

    def _write(self, s: str) -> None:
        try:
            os.write(self.fd, s.encode("utf-8"))
        except OSError:
            self.stop.set()

    def close(self) -> None:
        self.stop.set()
        if self.drawn:
            self._write("\r\x1b[K")
            self.drawn = False


def install(clean_all) -> None:
    """Hook the live line and the nothing-to-do sentence onto ``clean_all`` (the CleanAll class)."""
    import luigi

    lines: dict[int, LiveLine] = {}

    @clean_all.event_handler(luigi.Event.DEPENDENCY_DISCOVERED)
    def discovered(task, dependency):
        if not (type(task) is clean_all and _wanted()):
            return
        live = lines.setdefault(id(task), LiveLine(sys.stderr.fileno()))
        live.add(dependency)

    @clean_all.event_handler(luigi.Event.DEPENDENCY_PRESENT)
    def present(task):
        if type(task) is clean_all:
            print(f"Nothing changed since the last run: the outputs in {task.output_dir}/ are up to date "
                  f"(report: {task.output_dir}/report.html).", file=sys.stderr, flush=True)


def _wanted() -> bool:
    from .tasks import cleaning

    try:
        return cleaning().progress and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError, OSError):
        return False
