"""One progress display: a bar on a terminal, short lines in a log, the recorded seconds in the final line."""

from __future__ import annotations

import io
import re

import pytest

from secure_transform.progress import Stage, bar


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Tracker:
    def getActiveStageIds(self):
        return [1]

    def getStageInfo(self, _stage_id):
        return type("Info", (), {"numCompletedTasks": 3, "numTasks": 4})()


class _Spark:
    sparkContext = type("Ctx", (), {"statusTracker": lambda self: _Tracker()})()


def test_bar():
    assert bar(0, 4, 8) == "[--------]" and bar(2, 4, 8) == "[####----]" and bar(9, 4, 8) == "[########]"
    assert bar(1, 0) == ""


def test_log_stream_gets_start_and_final_line_with_the_recorded_seconds():
    out = io.StringIO()
    with Stage("[1/4] detect_pii", stream=out) as st:
        st.detail = lambda: "10 in, 10 out, 0 quarantined"
    lines = out.getvalue().splitlines()
    assert lines == ["[1/4] detect_pii ...",
                     f"[1/4] detect_pii  done in {st.seconds:.1f}s  10 in, 10 out, 0 quarantined"]


def test_terminal_gets_a_bar_rewritten_in_place_and_failures_say_so():
    out = _Tty()
    with pytest.raises(RuntimeError):
        with Stage("main_etl", spark=_Spark(), stream=out, interval=0.01) as st:
            while "tasks" not in out.getvalue():  # the display thread draws at least once
                pass
            raise RuntimeError("boom")
    text = out.getvalue()
    assert "\r\x1b[Kmain_etl  [" in text and "3/4 tasks" in text
    assert re.search(r"main_etl  failed in \d+\.\ds\n$", text) and st.seconds is not None
