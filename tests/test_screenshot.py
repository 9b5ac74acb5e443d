"""scripts/screenshot_report.sh: a 1400 px headless-Chromium screenshot, or a clear skip without Chromium."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "screenshot_report.sh")


def test_skips_with_a_clear_message_without_chromium(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "basename", "mktemp", "mkdir", "rm", "pwd"):  # everything but a browser
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    proc = subprocess.run([str(bin_dir / "bash"), SCRIPT, str(tmp_path / "report.html"), str(tmp_path / "x.png")],
                          env={"PATH": str(bin_dir)}, capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stderr.strip() == "screenshot_report: skipped: no chromium found (Debian: apt-get install -y chromium)"
    assert not (tmp_path / "x.png").exists()


@pytest.mark.skipif(not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")),
                    reason="chromium is not installed (apt-get install -y chromium)")
def test_screenshot_is_1400_px_wide(tmp_path):
    page = tmp_path / "report.html"
    page.write_text("<!DOCTYPE html><html><body><h1>Summary</h1></body></html>")
    proc = subprocess.run(["bash", SCRIPT, str(page), str(tmp_path / "shot.png"), "300"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    png = (tmp_path / "shot.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1400, 300)
    bad = subprocess.run(["bash", SCRIPT, str(tmp_path / "missing.html"), str(tmp_path / "m.png")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "report not found" in bad.stderr
