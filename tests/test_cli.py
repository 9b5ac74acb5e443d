"""The secure-transform command line: --help everywhere, one-line errors, generate."""

from __future__ import annotations

import subprocess
import sys

import pytest

from secure_transform.cli import COMMANDS, build_parser, main


def test_every_subcommand_has_help(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) >= {"generate", "run"}
    for name in sub.choices:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: secure-transform " + name)


def test_all_planned_commands_are_registered():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    expected = {"generate", "run", "tokenize", "reidentify", "keys", "detect", "mask", "anomaly", "review",
                "bins", "mcc", "risk", "feedback"}
    missing = expected - set(sub.choices)
    assert not missing, f"subcommands missing: {missing}"


def test_user_mistake_is_one_line_and_nonzero(capsys):
    code = main(["generate", "--output", "/tmp/never", "--rows", "5"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == "error: --rows: must be between 1,000 and 10,000,000, got 5"


def test_run_rejects_bad_threshold_before_any_work(capsys, tmp_path):
    code = main(["run", "--output", str(tmp_path / "o"), "--anomaly-threshold", "0.9"])
    assert code == 2
    assert capsys.readouterr().err.strip() == "error: --anomaly-threshold: must be in (0, 0.5], got 0.9"
    assert not (tmp_path / "o").exists()


def test_console_script_is_installed():
    exe = subprocess.run([sys.executable, "-m", "secure_transform.cli", "--version"], capture_output=True, text=True)
    assert exe.returncode == 0 and exe.stdout.startswith("secure-transform ")
