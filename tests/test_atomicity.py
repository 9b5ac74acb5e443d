"""Atomic, idempotent runs (issue 9): kill main_etl between its data write and its success marker,
check that nobody can see the half-written run, re-run, and compare with a clean run.

The killed run is a real separate process (SIGKILL: no cleanup, no ``finally``), started with
the project's Python; its hook replaces ``publish.mark_success``, the call that writes
``_SUCCESS`` after the Parquet data, the quarantined rows and ``_manifest.json`` are written.
While it runs, this process makes the clean reference run. The re-runs (same run id; new run id
on a copy of the killed state) run in-process on the session's Spark.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from pyspark.sql import functions as F

from secure_transform import io as sio
from secure_transform import publish
from secure_transform.keys import create_dev_keyset
from secure_transform.leak import leak_check
from secure_transform.merchant import default_mapping_path
from secure_transform.pipeline import PROCESSED_MANIFEST, default_binning_config, run_main_etl
from secure_transform.runtime import execute, local_runtime

KILLER = """
import json, os, signal, sys
from secure_transform.session import build_spark_session

spark = build_spark_session("secure-transform-atomicity", master="local[2]", shuffle_partitions=2)
from secure_transform import publish
from secure_transform.pipeline import run_main_etl
from secure_transform.runtime import execute, local_runtime


def die(*_args, **_kwargs):
    print("KILLING", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


publish.mark_success = die  # after data, quarantine and _manifest.json; before _SUCCESS
execute(local_runtime("main_etl", json.loads(sys.argv[1]), spark, run_id=sys.argv[2]), run_main_etl)
print("NOT KILLED", flush=True)
"""

PII = {"customer_id": "deterministic", "customer_name": "redact", "email": "hash",
       "card_number": {"method": "format_preserving", "preserve_prefix": 6, "luhn": True}, "memo": "drop"}
COLUMNS = ["transaction_id", "customer_id", "customer_name", "email", "card_number", "merchant_name",
           "merchant_category_code", "amount", "currency", "transaction_ts", "memo"]


def _source(src) -> None:
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=4)
    for f, (start, stop) in enumerate(((0, 30), (30, 60))):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in range(start, stop):
            writer.writerow([f"T{i:012d}", f"C{i % 9:08d}", f"Person {i}", f"p{i}@example.com",
                             f"4{i:015d}", f"Shop {i % 4}", ["5411", "5812", "7995", "ABCD"][i % 4],
                             "oops" if i == 7 else f"{(i * 37) % 500 + 1}.{i % 100:02d}", "USD",
                             (t0 + timedelta(minutes=17 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"), f"memo {i}"])
        writer.writerow([f"T{start:012d}", "C00000001", "Dup", "d@example.com", "4111111111111111", "Shop 0", "5411",
                         "9.99", "USD", (t0 + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "dup"])
        (src / f"part-{f}.csv").write_text(buf.getvalue())


def _args(root, src, keys) -> dict:
    return {"source_bucket": str(src), "target_bucket": str(root / "transformed"),
            "quarantine_bucket": str(root / "quarantine"), "artifacts_location": str(root / "artifacts"),
            "pii_columns": json.dumps(PII), "binning_config": json.dumps(default_binning_config()),
            "merchant_mapping": default_mapping_path(), "anomaly_threshold": "0.05",
            "anomaly_config": json.dumps({"n_estimators": 10, "sample_size": 256}), "key_file": str(keys)}


def _rows(spark, path: str) -> list[tuple]:
    df = spark.read.parquet(path)
    return sorted((tuple(r) for r in df.select(sorted(df.columns)).collect()), key=repr)


@pytest.fixture(scope="module")
def killed(spark, tmp_path_factory):
    base = tmp_path_factory.mktemp("atomicity")
    src = base / "masked"
    src.mkdir()
    _source(src)
    keys = base / "keys.json"
    create_dev_keyset(str(keys))
    root_a = base / "a"
    script = base / "kill_between_write_and_success.py"
    script.write_text(KILLER)
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
               # C1-only JIT: a short job spends less CPU compiling (the output is the same)
               PYSPARK_SUBMIT_ARGS="--driver-memory 1g --driver-java-options -XX:TieredStopAtLevel=1 pyspark-shell")
    with open(base / "killed.out", "wb") as out, open(base / "killed.err", "wb") as err:
        proc = subprocess.Popen([sys.executable, str(script), json.dumps(_args(root_a, src, keys)), "r-dead"],
                                cwd=base, env=env, stdout=out, stderr=err, start_new_session=True)
        try:
            # the clean reference run, meanwhile, in this process
            clean = execute(local_runtime("main_etl", _args(base / "clean", src, keys), spark, run_id="r-clean"),
                            run_main_etl)
            returncode = proc.wait(timeout=600)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # our own child's process group only
                proc.wait()
    stdout = (base / "killed.out").read_text()
    assert returncode == -signal.SIGKILL, (returncode, (base / "killed.err").read_text()[-3000:])
    return {"base": base, "src": src, "keys": keys, "root_a": root_a, "stdout": stdout, "clean": clean,
            "clean_rows": _rows(spark, clean["output"]), "clean_quarantine": _rows(spark, clean["quarantine"])}


def test_the_job_died_by_sigkill_after_writing_data_but_before_success(killed):
    assert "KILLING" in killed["stdout"] and "NOT KILLED" not in killed["stdout"]
    run = killed["root_a"] / "transformed" / "runs" / "run_id=r-dead"
    assert list((run / "data").rglob("*.parquet"))  # the data was written ...
    assert (run / publish.MANIFEST).exists()
    assert not (run / publish.SUCCESS).exists()  # ... but the run was never marked complete
    assert list((killed["root_a"] / "quarantine" / "rows" / "run_id=r-dead").rglob("*.parquet"))


def test_readers_never_see_the_half_written_run(killed, spark):
    root = killed["root_a"]
    target = sio.parse_location(str(root / "transformed"), "--target_bucket")
    assert publish.pending_runs(target) == []
    assert publish.published_runs(target) == []
    assert not (root / "transformed" / publish.LATEST).exists()
    # the killed run did not mark its inputs processed, so an incremental re-run reads them again
    assert not (root / "transformed" / os.path.join(*PROCESSED_MANIFEST)).exists()
    # the leak check (the only publisher) has nothing to check or publish
    summary = leak_check(spark, target, sio.parse_location(str(root / "quarantine"), "--quarantine_bucket"))
    assert (summary["runs_checked"], summary["runs_published"], summary["rows_in"]) == ([], [], 0)
    assert not (root / "transformed" / publish.LATEST).exists()


@pytest.fixture(scope="module")
def rerun_new_id(killed, spark):
    # a copy of the killed state, taken before the same-id re-run below touches it
    root_b = killed["base"] / "b"
    shutil.copytree(killed["root_a"], root_b)
    summary = execute(local_runtime("main_etl", _args(root_b, killed["src"], killed["keys"]), spark, run_id="r-new"),
                      run_main_etl)
    return root_b, summary


@pytest.fixture(scope="module")
def rerun_same_id(killed, rerun_new_id, spark):
    summary = execute(local_runtime("main_etl", _args(killed["root_a"], killed["src"], killed["keys"]), spark,
                                    run_id="r-dead"), run_main_etl)
    return killed["root_a"], summary


def _check_equal_to_clean(killed, spark, root, summary, run_id):
    clean = killed["clean"]
    assert (summary["rows_in"], summary["rows_out"], summary["rows_quarantined"]) == (
        clean["rows_in"], clean["rows_out"], clean["rows_quarantined"]) == (62, 59, 3)
    rows = _rows(spark, summary["output"])
    assert rows == killed["clean_rows"]  # same rows, no duplicates, equal deterministic tokens
    assert _rows(spark, summary["quarantine"]) == killed["clean_quarantine"]
    out = spark.read.parquet(summary["output"])
    assert out.select(F.countDistinct("transaction_id")).first()[0] == out.count() == 59
    target = sio.parse_location(str(root / "transformed"), "--target_bucket")
    assert publish.pending_runs(target) == [run_id]
    assert (root / "transformed" / "runs" / f"run_id={run_id}" / publish.SUCCESS).exists()


def test_rerun_with_the_same_run_id_equals_a_clean_run(killed, rerun_same_id, spark):
    root, summary = rerun_same_id
    _check_equal_to_clean(killed, spark, root, summary, "r-dead")


def test_rerun_with_a_new_run_id_equals_a_clean_run_and_the_dead_run_stays_invisible(killed, rerun_new_id, spark):
    root, summary = rerun_new_id
    _check_equal_to_clean(killed, spark, root, summary, "r-new")
    runs = root / "transformed" / "runs"
    assert sorted(p.name for p in runs.iterdir()) == ["run_id=r-dead", "run_id=r-new"]
    assert not (runs / "run_id=r-dead" / publish.SUCCESS).exists()
    # publishing (what a passing leak check does) exposes the new run only
    target = sio.parse_location(str(root / "transformed"), "--target_bucket")
    publish.publish_run(target, "r-new")
    assert json.loads((root / "transformed" / publish.LATEST).read_text())["run_id"] == "r-new"
    assert publish.published_runs(target) == ["r-new"] and publish.pending_runs(target) == []
