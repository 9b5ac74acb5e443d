"""Lineage manifest (checksums, ETags, outputs, artifacts) and Glue Data Catalog registration (moto)."""

from __future__ import annotations

import hashlib
import json

import boto3
import pytest
from moto import mock_aws

from secure_transform import io as sio
from secure_transform import publish
from secure_transform.lineage import (
    MAX_PARTITIONS_PER_CALL,
    artifact_versions,
    build_manifest,
    describe_inputs,
    list_partition_values,
    register_in_catalog,
    register_published_run,
    schema_fields_from_spark,
    sha256_file,
)


def test_sha256_is_streamed_and_matches_hashlib(tmp_path):
    data = bytes(range(256)) * 9000  # several chunks at a small chunk size
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert sha256_file(str(path), chunk_size=4096) == hashlib.sha256(data).hexdigest()
    assert sha256_file(str(path)) == hashlib.sha256(data).hexdigest()


def test_local_inputs_get_checksums_and_the_listing_is_bounded(tmp_path):
    src = tmp_path / "raw"
    src.mkdir()
    for i in range(5):
        (src / f"part-{i}.csv").write_text(f"transaction_id\nT{i:012d}\n")
    (src / "_SUCCESS").write_text("")
    files = list(sio.list_objects(sio.parse_location(str(src), "src")))
    described = describe_inputs(files, limit=3)
    assert described["file_count"] == 5 and described["truncated"] is True
    assert described["total_bytes"] == sum(len(f"transaction_id\nT{i:012d}\n") for i in range(5))
    first = described["files"][0]
    assert first == {"uri": str(src / "part-0.csv"), "bytes": 29,
                     "sha256": hashlib.sha256(b"transaction_id\nT000000000000\n").hexdigest()}
    assert len(described["files"]) == 3


def _write_artifacts(root):
    arts = sio.parse_location(str(root / "artifacts"), "a")
    sio.write_json(arts.child("bin_edges", "current.json"), {"format": "x", "version": "sha256:00112233aabbccdd"})
    sio.write_json(arts.child("anomaly_model", "current", "model.json"), {"model_id": "0a1b2c3d4e5f6789", "threshold": 0.6})
    return arts


def test_manifest_lists_inputs_outputs_counts_and_artifact_versions(tmp_path, monkeypatch):
    monkeypatch.setenv("SECURE_TRANSFORM_GIT_COMMIT", "abcdef1")
    src = tmp_path / "masked"
    src.mkdir()
    (src / "a.csv").write_text("x\n1\n")
    out = sio.parse_location(str(tmp_path / "transformed" / "runs" / "run_id=r1" / "data"), "o")
    sio.write_bytes(out.child("transaction_date=2026-11-01", "part-0.parquet"), b"PAR1data")
    arts = _write_artifacts(tmp_path)
    versions = artifact_versions(arts)
    assert versions == {"bin_edges": "sha256:00112233aabbccdd", "anomaly_model": "0a1b2c3d4e5f6789"}
    manifest = build_manifest(
        run_id="r1", job="main_etl", config_hash="f" * 64,
        inputs=sio.list_objects(sio.parse_location(str(src), "s")),
        outputs={"data": out, "quarantine": sio.parse_location(str(tmp_path / "q"), "q")},
        counts={"rows_in": 10, "rows_out": 9, "rows_quarantined": 1}, artifacts=versions, key_version="v1",
        extra={"tokenized_columns": ["customer_id"]})
    assert manifest["inputs"] == [{"uri": str(src / "a.csv"), "bytes": 4, "sha256": hashlib.sha256(b"x\n1\n").hexdigest()}]
    assert manifest["input_summary"] == {"file_count": 1, "total_bytes": 4, "truncated": False}
    assert manifest["outputs"] == {"data": out.uri, "quarantine": str(tmp_path / "q")}
    assert manifest["output_files"]["data"]["file_count"] == 1
    assert manifest["output_files"]["data"]["total_bytes"] == 8
    assert "quarantine" not in manifest["output_files"]  # nothing written there
    assert manifest["counts"] == {"rows_in": 10, "rows_out": 9, "rows_quarantined": 1}
    assert manifest["artifacts"]["anomaly_model"] == "0a1b2c3d4e5f6789"
    assert manifest["code"]["git_commit"] == "abcdef1" and manifest["key_version"] == "v1"
    assert manifest["tokenized_columns"] == ["customer_id"]
    json.dumps(manifest)  # serialisable as is
    with pytest.raises(ValueError, match="'counts'"):
        build_manifest(run_id="r1", job="j", config_hash=None, inputs=[], outputs={}, counts={}, extra={"counts": 1})


@mock_aws
def test_s3_inputs_carry_etags_and_no_checksum_download():
    session = boto3.session.Session(region_name="eu-west-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="raw-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="raw-bucket", Key="in/a.csv", Body=b"hello")
    files = list(sio.list_objects(sio.parse_location("s3://raw-bucket/in", "s"), session))
    described = describe_inputs(files)
    assert described["files"] == [{"uri": "s3://raw-bucket/in/a.csv", "bytes": 5,
                                   "etag": hashlib.md5(b"hello").hexdigest()}]


COLUMNS = [{"Name": "transaction_id", "Type": "string"}, {"Name": "amount", "Type": "double"},
           {"Name": "anomaly_reasons", "Type": "array<string>"}]


@mock_aws
def test_register_creates_then_updates_the_table_and_adds_partitions_once():
    session = boto3.session.Session(region_name="eu-west-1")
    glue = session.client("glue")
    glue.create_database(DatabaseInput={"Name": "transformed"})
    keys = [{"Name": "run_id", "Type": "string"}, {"Name": "transaction_date", "Type": "date"}]
    base = "s3://transformed-bucket/transactions/runs"
    parts = [(("r1", f"2026-11-{d:02d}"), f"{base}/run_id=r1/data/transaction_date=2026-11-{d:02d}") for d in (1, 2)]
    first = register_in_catalog(session, "transformed", "transactions", base, COLUMNS, keys, partitions=parts)
    assert first == {"database": "transformed", "table": "transactions", "created": True, "partitions_added": 2,
                     "partitions_requested": 2}
    table = glue.get_table(DatabaseName="transformed", Name="transactions")["Table"]
    assert table["StorageDescriptor"]["Location"] == base + "/"
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["transaction_id", "amount", "anomaly_reasons"]
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert [k["Name"] for k in table["PartitionKeys"]] == ["run_id", "transaction_date"]
    # again, with one new partition and a new column: table updated, existing partitions untouched
    more = parts + [(("r2", "2026-11-03"), f"{base}/run_id=r2/data/transaction_date=2026-11-03")]
    second = register_in_catalog(session, "transformed", "transactions", base,
                                 COLUMNS + [{"Name": "is_anomaly", "Type": "boolean"}], keys, partitions=more)
    assert second["created"] is False and second["partitions_added"] == 1
    table = glue.get_table(DatabaseName="transformed", Name="transactions")["Table"]
    assert table["StorageDescriptor"]["Columns"][-1] == {"Name": "is_anomaly", "Type": "boolean"}
    got = glue.get_partitions(DatabaseName="transformed", TableName="transactions")["Partitions"]
    assert sorted(tuple(p["Values"]) for p in got) == [("r1", "2026-11-01"), ("r1", "2026-11-02"), ("r2", "2026-11-03")]
    loc = {tuple(p["Values"]): p["StorageDescriptor"]["Location"] for p in got}
    assert loc[("r2", "2026-11-03")] == f"{base}/run_id=r2/data/transaction_date=2026-11-03/"


@mock_aws
def test_partitions_are_sent_in_chunks_of_at_most_100():
    session = boto3.session.Session(region_name="eu-west-1")
    session.client("glue").create_database(DatabaseInput={"Name": "db"})
    parts = [((f"r{i}",), f"s3://b/runs/run_id=r{i}/") for i in range(MAX_PARTITIONS_PER_CALL + 30)]
    result = register_in_catalog(session, "db", "t", "s3://b/runs", COLUMNS, [{"Name": "run_id", "Type": "string"}],
                                 partitions=parts)
    assert result["partitions_added"] == 130
    paginator = session.client("glue").get_paginator("get_partitions")
    stored = [p for page in paginator.paginate(DatabaseName="db", TableName="t") for p in page["Partitions"]]
    assert len(stored) == 130


@mock_aws
def test_register_published_run_uses_the_runs_date_directories():
    session = boto3.session.Session(region_name="eu-west-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="transformed-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    target = sio.parse_location("s3://transformed-bucket/transactions", "t")
    data = publish.data_location(target, "r9")
    for day in ("2026-11-01", "2026-11-02"):
        s3.put_object(Bucket="transformed-bucket", Key=data.child(f"transaction_date={day}", "part-0.parquet").key, Body=b"x")
    assert list_partition_values(data, session=session) == ["2026-11-01", "2026-11-02"]
    session.client("glue").create_database(DatabaseInput={"Name": "transformed"})
    result = register_published_run(session, "transformed", "transactions", target, "r9", COLUMNS)
    assert result["partitions_added"] == 2
    table = session.client("glue").get_table(DatabaseName="transformed", Name="transactions")["Table"]
    assert table["StorageDescriptor"]["Location"] == "s3://transformed-bucket/transactions/runs/"
    assert table["Parameters"]["secure_transform.latest_run_id"] == "r9"


@mock_aws
def test_missing_database_is_an_error_not_a_silent_skip():
    session = boto3.session.Session(region_name="eu-west-1")
    glue = session.client("glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        register_in_catalog(session, "absent", "t", "s3://b/runs", COLUMNS, [])
    with pytest.raises(ValueError, match="schema_fields is empty"):
        register_in_catalog(session, "absent", "t", "s3://b/runs", [], [])


def test_schema_fields_from_spark_use_hive_type_names():
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField("transaction_id", T.StringType()), T.StructField("amount", T.DoubleType()),
                           T.StructField("velocity", T.LongType()), T.StructField("amount_bin", T.IntegerType()),
                           T.StructField("anomaly_reasons", T.ArrayType(T.StringType())),
                           T.StructField("transaction_date", T.DateType())])
    assert schema_fields_from_spark(schema) == [
        {"Name": "transaction_id", "Type": "string"}, {"Name": "amount", "Type": "double"},
        {"Name": "velocity", "Type": "bigint"}, {"Name": "amount_bin", "Type": "int"},
        {"Name": "anomaly_reasons", "Type": "array<string>"}]


def test_local_partition_values(tmp_path):
    data = tmp_path / "data"
    (data / "transaction_date=2026-11-02").mkdir(parents=True)
    (data / "transaction_date=2026-11-01").mkdir()
    (data / "_SUCCESS").write_text("")
    assert list_partition_values(sio.parse_location(str(data), "d")) == ["2026-11-01", "2026-11-02"]
    assert list_partition_values(sio.parse_location(str(tmp_path / "none"), "d")) == []
