"""main_etl end to end, in-process (same entry point as glue_jobs/main_etl.py)."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from pyspark.sql import functions as F

from secure_transform import publish
from secure_transform import io as sio
from secure_transform.errors import ConfigError, SchemaError
from secure_transform.generator import GeneratorConfig, write_sample_data
from secure_transform.keys import create_dev_keyset
from secure_transform.merchant import default_mapping_path
from secure_transform.pipeline import default_binning_config, default_pii_columns, run_main_etl
from secure_transform.runtime import execute, local_runtime


def _args(root, **over):
    args = {
        "source_bucket": str(root / "masked" / "transactions"),
        "target_bucket": str(root / "transformed"),
        "quarantine_bucket": str(root / "quarantine"),
        "artifacts_location": str(root / "artifacts"),
        "pii_columns": json.dumps(default_pii_columns()),
        "binning_config": json.dumps(default_binning_config()),
        "merchant_mapping": default_mapping_path(),
        "anomaly_threshold": "0.02",
        "anomaly_config": json.dumps({"n_estimators": 25, "sample_size": 5000}),
        "key_file": str(root / "keys" / "dev.json"),
    }
    args.update(over)
    return args


@pytest.fixture(scope="module")
def etl_run(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("etl")
    info = write_sample_data(spark, GeneratorConfig(rows=4000, seed=11, bad_row_rate=0.02), str(root / "masked"), "csv",
                             files=2)
    create_dev_keyset(str(root / "keys" / "dev.json"))
    rt = local_runtime("main_etl", _args(root), spark, run_id="run1")
    summary = execute(rt, run_main_etl)
    return root, info, summary


def test_every_row_accounted_for(etl_run):
    _, info, s = etl_run
    assert s["rows_in"] == info["rows"] == 4000
    assert s["rows_in"] == s["rows_out"] + s["rows_quarantined"]
    assert s["rows_quarantined"] >= info["bad_rows_planted"] > 40
    assert set(s["reject_reasons"]) <= {"missing_customer_id", "non_finite_amount", "duplicate_transaction_id",
                                        "future_timestamp", "invalid_amount"}
    assert sum(s["reject_reasons"].values()) == s["rows_quarantined"]
    names = [st["name"] for st in s["stages"]]
    assert names == ["configure", "read", "validate", "tokenize", "bin", "merchant", "anomaly", "write"]


def test_output_is_staged_not_published_and_has_features(etl_run, spark):
    root, _, s = etl_run
    target = sio.parse_location(str(root / "transformed"), "--t")
    assert publish.pending_runs(target) == ["run1"]
    assert publish.published_runs(target) == []
    out = spark.read.parquet(s["output"])
    for col in ("amount_bin", "amount_bin_label", "merchant_category", "merchant_risk", "time_delta", "velocity",
                "anomaly_score", "is_anomaly", "transaction_date"):
        assert col in out.columns, col
    assert "ssn" not in out.columns
    # memo is free text redacted span by span: kept, with typed placeholders, counted in the summary
    assert out.filter(F.col("memo").contains("[EMAIL_ADDRESS]")).count() > 0
    assert out.filter(F.col("memo").rlike("@|Customer [A-Z][a-z]+ [A-Z]")).count() == 0
    assert s["redacted_text_columns"] == ["memo"]
    assert s["placeholders_by_type"]["EMAIL_ADDRESS"] == out.filter(F.col("memo").contains("[EMAIL_ADDRESS]")).count()
    assert {"CREDIT_CARD_NUMBER", "NAME", "USA_SOCIAL_SECURITY_NUMBER", "ADDRESS"} <= set(s["placeholders_by_type"])
    assert out.count() == s["rows_out"]
    assert 0 < s["anomalies_flagged"] < 0.1 * s["rows_out"]
    manifest = json.loads((root / "transformed" / "runs" / "run_id=run1" / "_manifest.json").read_text())
    assert manifest["counts"]["rows_in"] == 4000 and manifest["config_hash"] == s["config_hash"]
    # lineage: every input with its size and checksum, the written files, artifact versions, code
    inputs = sorted((root / "masked" / "transactions").rglob("*.csv"))
    assert [i["uri"].rsplit("/", 1)[-1] for i in manifest["inputs"]] == [p.name for p in inputs]
    assert [i["sha256"] for i in manifest["inputs"]] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs]
    assert manifest["input_summary"]["total_bytes"] == sum(p.stat().st_size for p in inputs)
    assert manifest["output_files"]["data"]["file_count"] >= 1
    assert manifest["artifacts"]["bin_edges"] == s["bin_edges_version"]
    assert manifest["artifacts"]["anomaly_model"] == s["anomaly_model_version"]
    assert manifest["code"]["package"] == "secure-ml-transform" and manifest["key_version"] == s["key_version"]
    assert "customer_id" in manifest["tokenized_columns"] and "card_number" in manifest["format_preserving_columns"]


def test_no_raw_pii_in_output_or_quarantine(etl_run, spark):
    root, _, s = etl_run
    raw = spark.read.option("header", True).csv(str(root / "masked" / "transactions"))
    out = spark.read.parquet(s["output"])
    quarantine = spark.read.parquet(s["quarantine"])
    for col in ("customer_id", "email", "card_number", "iban", "phone", "account_number", "customer_name"):
        raw_values = raw.select(F.col(col).alias("v")).filter("v is not null and v != ''").distinct()
        for frame in (out, quarantine):
            if col in frame.columns:
                leaked = frame.select(F.col(col).alias("v")).join(raw_values, "v").count()
                assert leaked == 0, f"{col} leaked"


def test_incremental_second_run_processes_nothing_new(etl_run, spark):
    root, _, _ = etl_run
    rt = local_runtime("main_etl", _args(root, run_mode="apply"), spark, run_id="run2")
    s = execute(rt, run_main_etl)
    assert s["rows_in"] == 0 and s.get("no_input") is True


def test_bad_configuration_fails_before_reading(spark, tmp_path):
    rt = local_runtime("main_etl", _args(tmp_path, anomaly_threshold="0.7"), spark)
    with pytest.raises(ConfigError, match=r"--anomaly_threshold: must be in \(0, 0.5\], got 0.7"):
        execute(rt, run_main_etl)
    rt = local_runtime("main_etl", _args(tmp_path, merchant_mapping=str(tmp_path / "missing.json")), spark)
    with pytest.raises(ConfigError, match="--merchant_mapping"):
        execute(rt, run_main_etl)
    rt = local_runtime("main_etl", _args(tmp_path, pii_columns='{"email": {"method": "rot13"}}'), spark)
    with pytest.raises(ConfigError, match="--pii_columns"):
        execute(rt, run_main_etl)
    rt = local_runtime("main_etl", _args(tmp_path, binning_config="{not json"), spark)
    with pytest.raises(ConfigError, match="--binning_config: is not valid JSON"):
        execute(rt, run_main_etl)
    assert not (tmp_path / "transformed").exists()


def test_header_mismatch_fails_closed_naming_file_and_column(spark, tmp_path):
    src = tmp_path / "masked" / "transactions"
    src.mkdir(parents=True)
    cols = "transaction_id,customer_id,amount,currency,transaction_ts,merchant_category_code"
    (src / "a.csv").write_text(cols + "\nT1,C1,10,USD,2026-11-01T10:00:00Z,5411\n")
    (src / "b.csv").write_text("customer_id,transaction_id,amount,currency,transaction_ts,merchant_category_code\n"
                               "C2,T2,10,USD,2026-11-01T10:00:00Z,5411\n")
    create_dev_keyset(str(tmp_path / "keys" / "dev.json"))
    rt = local_runtime("main_etl", _args(tmp_path, pii_columns='{"customer_id": {"method": "deterministic"}}'), spark)
    with pytest.raises(SchemaError, match=r"b.csv, column 'customer_id': is at position 1 where the first file has 'transaction_id'"):
        execute(rt, run_main_etl)
    (src / "b.csv").unlink()
    (src / "c.csv").write_text("transaction_id,customer_id,currency\nT3,C3,USD\n")
    with pytest.raises(SchemaError, match=r"c.csv, column 'amount': required column is missing"):
        execute(local_runtime("main_etl", _args(tmp_path, pii_columns='{"customer_id": {"method": "deterministic"}}'),
                              spark), run_main_etl)
    assert not (tmp_path / "transformed").exists()


@pytest.mark.parametrize("before", [None, "true"])
def test_validated_rows_are_cached_uncompressed_on_disk_and_the_setting_restored(spark, before):
    from pyspark import StorageLevel

    from secure_transform.pipeline import _CACHE_COMPRESSED, _persist_uncompressed_on_disk

    if before is None:
        spark.conf.unset(_CACHE_COMPRESSED)
    else:
        spark.conf.set(_CACHE_COMPRESSED, before)
    df = spark.range(10).selectExpr("id", "cast(id as string) as s")
    cached = _persist_uncompressed_on_disk(spark, df)
    try:
        assert cached.storageLevel == StorageLevel.DISK_ONLY
        assert cached.count() == 10
        assert spark.conf.get(_CACHE_COMPRESSED, None) == before
    finally:
        cached.unpersist()
        spark.conf.unset(_CACHE_COMPRESSED)


def test_output_files_are_sized_by_bytes_not_by_shuffle_partitions(etl_run):
    root, _, s = etl_run
    data = root / "transformed" / "runs" / "run_id=run1" / "data"
    dates = [d for d in data.iterdir() if d.name.startswith("transaction_date=")]
    files = list(data.rglob("*.parquet"))
    # a few hundred KB of input: one file per date (partitionBy), not shuffle partitions x dates
    assert len(dates) >= 2 and len(files) == len(dates)
    assert len(list((root / "quarantine" / "rows" / "run_id=run1").rglob("*.parquet"))) == 1
