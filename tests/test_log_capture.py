"""No PII in logs (issue 9): run the real ``glue_jobs/main_etl.py`` script on data with planted PII
in a separate process at ``--log_level DEBUG``, capture everything it prints (driver, Spark's JVM
log and the Python workers: in local mode all write to the process's stdout/stderr) and every
file it writes, and look for the planted values.

The process runs the script twice, as ``spark-submit`` would (``runpy``, same interpreter, one
Spark driver ``local[2]``): a successful run, whose data holds the planted values in tokenized
columns, in a row rejected for text in ``amount`` (the text is an e-mail address: a strict cast
would quote it in its exception), a row rejected for an SSN in ``transaction_ts``, a malformed
line and a card number as an amount; then a run that fails closed on a file without a header
line, whose first row (taken for the header) is full of planted values.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from secure_transform.keys import create_dev_keyset
from secure_transform.merchant import default_mapping_path
from secure_transform.pipeline import default_binning_config

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "glue_jobs" / "main_etl.py"


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


NAME = "Zelda Quixotewicz"
EMAIL = "zelda.quixotewicz.77@example.org"
CARD = _luhn("455673758689985")
SSN = "671-28-4930"
PHONE = "+1 415 555 0147"
IBAN = "DE44500105175407324931"
# Exact values and distinctive fragments of them: a partial leak counts too.
PLANTED = [NAME, "Quixotewicz", EMAIL, "zelda.quixotewicz", CARD, SSN, "671284930", PHONE, "4155550147", IBAN,
           "500105175407324931"]

COLUMNS = ["transaction_id", "customer_id", "customer_name", "email", "phone", "card_number", "iban", "ssn",
           "merchant_name", "merchant_category_code", "amount", "currency", "transaction_ts", "memo"]
PII = {"customer_id": "deterministic", "customer_name": "redact", "email": "hash", "phone": {"method": "mask",
       "keep_last": 2}, "card_number": {"method": "format_preserving", "preserve_prefix": 6, "luhn": True},
       "iban": "non_deterministic", "ssn": "drop", "memo": "drop"}

DRIVER = """
import json, runpy, sys

script, runs = sys.argv[1], json.loads(sys.argv[2])
codes = []
for argv in runs:
    sys.argv = [script] + argv
    try:
        runpy.run_path(script, run_name="__main__")
        codes.append(0)
    except SystemExit as exc:
        codes.append(exc.code)
print("EXIT_CODES " + json.dumps(codes), flush=True)
"""


def _write_source(src: Path) -> tuple[int, int]:
    """The good run's input; returns (rows_in, rows_quarantined) as planted."""
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=3)

    def ts(i: int) -> str:
        return (t0 + timedelta(minutes=23 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for i in range(30):
        w.writerow([f"T{i:012d}", f"C{i % 6:08d}", f"Person {i}", f"person{i}@example.com", f"+1 202 555 {i:04d}",
                    _luhn(f"41111111{i:07d}"), "", f"{100 + i:03d}-11-{1000 + i:04d}", f"Shop {i % 3}",
                    ["5411", "5812", "4829"][i % 3], f"{(i * 53) % 400 + 2}.{i:02d}", "USD", ts(i), f"note {i}"])
    planted = [NAME, EMAIL, PHONE, CARD, IBAN, SSN]
    w.writerow(["P1", "C00000001", *planted, "Shop 1", "5411", "42.00", "USD", ts(31),
                f"call {PHONE} or write to {EMAIL}, card {CARD}"])  # valid: lands tokenized in the output
    w.writerow(["P2", "C00000002", *planted, "Shop 2", "5812", EMAIL, "USD", ts(32), "x"])  # invalid_amount
    w.writerow(["P3", "C00000003", *planted, "Shop 0", "5411", "12.00", "USD", SSN, "x"])  # invalid_timestamp
    w.writerow(["P6", "C00000004", *planted, "Shop 0", "5411", CARD, "USD", ts(33), "x"])  # absurd_amount
    body = buf.getvalue() + f"P4,C00000005,{NAME},{EMAIL},{PHONE},{CARD}\n"  # malformed: too few fields
    (src / "transactions.csv").write_text(body)
    return 35, 4


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    base = tmp_path_factory.mktemp("log_capture")
    src, bad_src = base / "masked", base / "masked_bad"
    src.mkdir()
    bad_src.mkdir()
    rows_in, rows_quarantined = _write_source(src)
    good_header = ",".join(COLUMNS) + "\n"
    (bad_src / "a.csv").write_text(good_header)
    (bad_src / "b.csv").write_text(f"P9,C00000009,{NAME},{EMAIL},{PHONE},{CARD},{IBAN},{SSN},Shop,5411,1.00,USD,"
                                   f"2026-11-01T00:00:00Z,{EMAIL}\n")  # no header line
    keys = base / "keys" / "dev.json"
    create_dev_keyset(str(keys))
    common = ["--pii_columns", json.dumps(PII), "--binning_config", json.dumps(default_binning_config()),
              "--merchant_mapping", default_mapping_path(), "--anomaly_threshold", "0.05",
              "--anomaly_config", json.dumps({"n_estimators": 10, "sample_size": 256}), "--key_file", str(keys),
              "--log_level", "DEBUG", "--audit_file", str(base / "audit.jsonl")]
    good = ["--source_bucket", str(src), "--target_bucket", str(base / "transformed"),
            "--quarantine_bucket", str(base / "quarantine"), "--artifacts_location", str(base / "artifacts"),
            "--run_id", "logrun", "--summary_location", str(base / "summaries" / "main_etl.json"), *common]
    bad = ["--source_bucket", str(bad_src), "--target_bucket", str(base / "transformed_bad"),
           "--run_id", "logfail", "--summary_location", str(base / "summaries" / "main_etl_bad.json"), *common]
    driver = base / "driver.py"
    driver.write_text(DRIVER)
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
               # C1-only JIT: a short job spends less CPU compiling (the output is the same)
               PYSPARK_SUBMIT_ARGS="--master local[2] --driver-memory 1g "
                                   "--driver-java-options -XX:TieredStopAtLevel=1 pyspark-shell",
               SECURE_TRANSFORM_LOG_LEVEL="DEBUG")
    proc = subprocess.run([sys.executable, str(driver), str(SCRIPT), json.dumps([good, bad])], cwd=base, env=env,
                          capture_output=True, timeout=600)
    return {"base": base, "src": src, "bad_src": bad_src, "keys": keys, "proc": proc,
            "stdout": proc.stdout.decode("utf-8", "replace"), "stderr": proc.stderr.decode("utf-8", "replace"),
            "rows_in": rows_in, "rows_quarantined": rows_quarantined}


def test_both_runs_ended_as_expected(captured):
    assert captured["proc"].returncode == 0, captured["stderr"][-3000:]
    codes = re.search(r"^EXIT_CODES (\[.*\])$", captured["stdout"], re.M)
    assert codes and json.loads(codes.group(1)) == [0, 2], captured["stderr"][-3000:]
    # the fail-closed run names the file and the column, and wrote nothing
    assert f"error: {captured['bad_src'] / 'b.csv'}, column 'transaction_id': required column is missing" \
        in captured["stderr"]
    assert not (captured["base"] / "transformed_bad").exists()


def test_the_log_summary_line_carries_the_row_accounting(captured):
    lines = re.findall(r"INFO secure_transform\.main_etl: summary (\{.*\})$", captured["stderr"], re.M)
    assert len(lines) == 1, captured["stderr"][-3000:]
    summary = json.loads(lines[0])
    assert summary == {"job": "main_etl", "run_id": "logrun", "rows_in": captured["rows_in"],
                       "rows_out": captured["rows_in"] - captured["rows_quarantined"],
                       "rows_quarantined": captured["rows_quarantined"]}
    written = json.loads((captured["base"] / "summaries" / "main_etl.json").read_text())
    assert (written["rows_in"], written["rows_out"], written["rows_quarantined"]) == (
        summary["rows_in"], summary["rows_out"], summary["rows_quarantined"])
    assert written["reject_reasons"] == {"absurd_amount": 1, "invalid_amount": 1, "invalid_timestamp": 1,
                                         "malformed_record": 1}


def test_the_capture_is_real(captured):
    """The streams hold the job's own log, Spark's JVM log and the failure message: a search in
    them is meaningful."""
    err = captured["stderr"]
    assert re.search(r"INFO secure_transform\.main_etl: stage validate finished", err)
    assert re.search(r"INFO secure_transform\.main_etl: stage write finished", err)
    assert "Setting default log level" in err or " WARN " in err  # log4j output of the JVM
    assert "ERROR secure_transform: job main_etl failed:" in err


def _texts_of_files(base: Path, skip: tuple[Path, ...], quarantine: Path) -> dict[str, str]:
    """Every file the process wrote, as text: Parquet cell by cell, anything else as bytes.

    The quarantine zone (KMS-encrypted on AWS) may keep a rejected row's original non-personal
    values, e.g. a card number typed into ``amount`` stays there as the number it is; of its
    Parquet files only the columns configured in ``--pii_columns`` must be protected.
    """
    out: dict[str, str] = {}
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        if any(path == s or s in path.parents for s in skip):
            continue
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            names = [n for n in table.column_names if quarantine not in path.parents or n in PII]
            cells = [str(v) for n in names for v in table.column(n).to_pylist() if v is not None]
            out[str(path)] = "\n".join(cells)
        else:
            out[str(path)] = path.read_bytes().decode("utf-8", "replace")
    return out


def test_no_planted_value_in_any_output_stream_or_written_file(captured):
    base = captured["base"]
    inputs = (captured["src"], captured["bad_src"], captured["keys"].parent, base / "driver.py")
    files = _texts_of_files(base, inputs, base / "quarantine")
    names = {Path(f).relative_to(base).parts[0] for f in files}
    # what the job wrote: data, quarantine, artifacts, manifest, summaries, audit events, state
    assert {"transformed", "quarantine", "artifacts", "summaries", "audit.jsonl"} <= names, names
    assert any(f.endswith(".parquet") for f in files)
    haystacks = {"stdout": captured["stdout"], "stderr": captured["stderr"], **files}
    key_material = [entry["material"] for entry in json.loads(captured["keys"].read_text())["keys"].values()]
    leaks = [(where, value) for where, text in haystacks.items() for value in PLANTED + key_material
             if value in text]
    assert not leaks, leaks
