"""One progress display for every long command (``run``, ``anomaly fit|score``), on stderr.

On a terminal a stage is one line rewritten in place: a bar of Spark's finished/total tasks when
an in-process Spark session can be watched, the elapsed time otherwise, then a final
``done in N.Ns`` line. Redirected to a file or a log, only the start, a line every 30 s and the
final line are written, so logs stay short. The time in the final line is the one the caller
records in its summary (:attr:`Stage.seconds`), so the two never disagree.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable

__all__ = ["Stage", "SparkProgress", "bar"]

_WIDTH = 24


def bar(done: int, total: int, width: int = _WIDTH) -> str:
    """``[#########---------]`` for ``done`` of ``total`` (empty when the total is unknown)."""
    if total <= 0:
        return ""
    filled = min(width, max(0, round(width * done / total)))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


class Stage:
    """A context manager that shows ``label`` while its block runs and times it.

    ``spark`` (optional) is an in-process session whose status tracker feeds the bar. ``detail``
    (optional) returns extra text for the final line, e.g. row counts.
    """

    def __init__(self, label: str, *, spark: Any = None, stream: Any = None, interval: float | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (0.5 if self.tty else 30.0)
        self.tracker = spark.sparkContext.statusTracker() if spark is not None else None
        self.seconds: float | None = None
        self.detail: Callable[[], str] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
        self._lock = threading.Lock()
        self.started = 0.0

    def note(self, text: str) -> None:
        self._write(f"{self.label}: {text}", final=True)

    def _write(self, text: str, final: bool = False) -> None:
        with self._lock:
            if self.tty:  # one line, rewritten in place
                self.stream.write("\r\033[K" + text + ("\n" if final else ""))
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def _tasks(self) -> tuple[int, int]:
        done = total = 0
        if self.tracker is None:
            return 0, 0
        try:
            for stage_id in self.tracker.getActiveStageIds():
                info = self.tracker.getStageInfo(stage_id)
                if info is not None:
                    done += info.numCompletedTasks
                    total += info.numTasks
        except Exception:  # noqa: BLE001 - a display must never fail the work it displays
            return 0, 0
        return done, total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            done, total = self._tasks()
            elapsed = time.perf_counter() - self.started
            status = f"{bar(done, total)} {done}/{total} tasks" if total else "working"
            self._write(f"{self.label}  {status}  {elapsed:.0f}s")

    def __enter__(self) -> "Stage":
        self.started = time.perf_counter()
        if not self.tty:
            self._write(f"{self.label} ...")
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.seconds = round(time.perf_counter() - self.started, 1)
        outcome = "failed" if exc[0] else "done"
        extra = ""
        if self.detail is not None and not exc[0]:
            try:
                extra = "  " + self.detail()
            except Exception:  # noqa: BLE001
                extra = ""
        self._write(f"{self.label}  {outcome} in {self.seconds:.1f}s{extra}", final=True)


class SparkProgress(Stage):
    """:class:`Stage` watching a session (the name the anomaly commands use)."""

    def __init__(self, spark: Any, label: str, stream: Any = None, interval: float | None = None) -> None:
        super().__init__(label, spark=spark, stream=stream, interval=interval)
