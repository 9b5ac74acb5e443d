"""Help that teaches: every command's --help ends with an example that runs as written, in plain text.

The examples of every help text and the README's `secure-transform` commands are extracted and run
in order in an empty directory, in this process (one Spark session for all of them); the README's
`scripts/run_local.sh` lines need spark-submit and run in the `slow` test.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys

import pytest

from secure_transform.cli import build_parser, main
from secure_transform.cli.help import EXAMPLE_PROMPT

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, path + (name,))


PARSERS = list(_parsers(build_parser()))


def _examples(text: str) -> list[str]:
    return [line[len(EXAMPLE_PROMPT):] for line in text.splitlines() if line.startswith(EXAMPLE_PROMPT)]


def _readme_commands() -> list[str]:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", readme, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


@pytest.mark.parametrize("path", [p for p, _ in PARSERS], ids=lambda p: " ".join(p) or "secure-transform")
def test_every_help_ends_with_an_example_in_plain_text(path):
    parser = dict(PARSERS)[path]
    text = parser.format_help()
    assert parser.description, f"{path}: no description"
    examples = _examples(text)
    assert examples, f"{path}: no example"
    assert text.rstrip().endswith(examples[-1].split()[-1]), f"{path}: the example is not at the end"
    # the example exercises this very command (a group: one of its actions)
    assert any(c.startswith("secure-transform " + " ".join(path)) for c in examples), path
    # no reStructuredText: double back-quotes, roles, bullet markup, directives
    for markup in ("``", ":func:", ":class:", "\n* ", ".. "):
        assert markup not in text, (path, markup)
    # every example command parses (cheap for all of them, the run test below runs them)
    for command in examples:
        argv = shlex.split(command)
        if argv[0] == "secure-transform":
            build_parser().parse_args(argv[1:])


def test_help_describes_its_own_command_and_its_cost():
    helps = {" ".join(p): " ".join(parser.format_help().split()) for p, parser in PARSERS}  # unwrapped
    assert "mcc" not in helps["bins"].lower()
    assert "Spark session" in helps["run"] and "5-30 s" in helps["detect"]
    assert "No Spark" in helps["mcc"] and "No Spark" in helps["review"]
    for path in ("keys create", "keys rotate", "keys show", "mcc check", "mcc lookup", "review list",
                 "review approve", "review deny", "bins fit", "bins show", "anomaly fit", "anomaly score"):
        assert dict(PARSERS)[tuple(path.split())].description, path
    assert "@binning.json" in helps["bins fit"]


def test_review_takes_the_object_as_the_runbook_writes_it(capsys, tmp_path):
    args = build_parser().parse_args(["review", "approve", "macie_masking/x.csv", "--quarantine", "q", "--masked", "m",
                                      "--reviewer", "r"])
    assert args.object == "macie_masking/x.csv" and args.key is None
    assert main(["review", "deny", "--quarantine", str(tmp_path), "--reviewer", "r"]) == 2
    assert "KEY: name the quarantined object" in capsys.readouterr().err
    assert main(["review", "deny", "a", "--key", "b", "--quarantine", str(tmp_path), "--reviewer", "r"]) == 2
    assert "given twice with different keys" in capsys.readouterr().err
    with open(os.path.join(ROOT, "docs", "RUNBOOK.md"), encoding="utf-8") as fh:
        runbook = [line for line in fh if line.startswith("secure-transform review ")]
    assert runbook
    for line in runbook:  # the runbook's review commands parse (placeholders filled in)
        argv = shlex.split(re.sub(r"<[^>]+>", "X", line.split("  #", 1)[0]))
        build_parser().parse_args(argv[1:])


def _sequences() -> list[list[str]]:
    """Each help's examples as one sequence; duplicates and prefixes of another sequence run once."""
    seqs = []
    for _path, parser in PARSERS:
        seq = _examples(parser.format_help())
        if seq and seq not in seqs:
            seqs.append(seq)
    readme = [c for c in _readme_commands() if c.startswith("secure-transform ")]
    if readme:
        seqs.append(readme)
    return [s for s in seqs if not any(o != s and o[:len(s)] == s for o in seqs)]


def _run(command: str, cwd: str) -> None:
    argv = shlex.split(command)
    if argv[0] == "secure-transform":
        code = main(argv[1:])
        assert code == 0, f"exit {code}: {command}"
    else:
        proc = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True)
        assert proc.returncode == 0, f"exit {proc.returncode}: {command}: {proc.stderr[-300:]}"


def _whole_pipeline(seq: list[str]) -> bool:
    return any(c.startswith(("secure-transform run ", "secure-transform benchmark ")) for c in seq)


def test_every_example_runs_as_written(spark, tmp_path, monkeypatch):
    """Every example but the whole-pipeline ones (those: the slow test below; run --input is also
    covered end to end by test_intake)."""
    ran = _run_sequences(spark, tmp_path, monkeypatch, [s for s in _sequences() if not _whole_pipeline(s)])
    assert ran >= 20


@pytest.mark.slow
def test_whole_pipeline_examples_run_as_written(spark, tmp_path, monkeypatch):
    seqs = [s for s in _sequences() if _whole_pipeline(s)]
    assert len(seqs) >= 2
    _run_sequences(spark, tmp_path, monkeypatch, seqs)


def _run_sequences(spark, tmp_path, monkeypatch, sequences) -> int:
    kept = {k: spark.conf.get(k) for k in ("spark.sql.shuffle.partitions",
                                           "spark.sql.execution.arrow.maxRecordsPerBatch")}
    ran = 0
    try:
        for i, seq in enumerate(sequences):
            cwd = tmp_path / f"example{i}"
            cwd.mkdir()
            monkeypatch.chdir(cwd)
            for command in seq:
                _run(command, str(cwd))
                ran += 1
    finally:
        for k, v in kept.items():  # commands reuse this session; leave it as the other tests expect
            spark.conf.set(k, v)
    return ran


@pytest.mark.slow
def test_readme_quick_start_runs_as_written(tmp_path):
    """The README's scripts/run_local.sh lines (spark-submit per job), in a copy of the checkout."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        blocks = re.findall(r"```bash\n(.*?)```", fh.read(), flags=re.S)
    own = [b for b in blocks if "--input" in b]
    assert own, "the quick start shows running on your own CSV"
    commands = [line.strip() for line in own[0].splitlines() if line.strip() and not line.startswith("#")]
    env = dict(os.environ, SECURE_TRANSFORM_VENV=os.path.dirname(os.path.dirname(sys.executable)))
    for command in commands:
        command = command.replace(".venv/bin/", os.path.dirname(sys.executable) + "/")
        command = command.replace("scripts/run_local.sh", os.path.join(ROOT, "scripts", "run_local.sh"))
        proc = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, f"{command}: {proc.stderr[-500:]}"
        warnings = [line for line in proc.stderr.splitlines() if " WARN " in line]
        assert not warnings, warnings
        if "run_local.sh" in command:
            assert "rows in = rows out + rows quarantined: yes" in proc.stdout
