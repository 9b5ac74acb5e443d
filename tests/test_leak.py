"""Leak check over the transformed zone: publish clean runs, quarantine and alert on any finding."""

from __future__ import annotations

import json
import os

import boto3
import pytest
from moto import mock_aws

from secure_transform import io as sio
from secure_transform import publish
from secure_transform.errors import LeakDetectedError
from secure_transform.leak import format_preserving_columns, leak_check, run_leak_check
from secure_transform.runtime import local_runtime

SCHEMA = ("transaction_id string, customer_id string, email string, phone string, ssn string, card_number string, "
          "account_number string, iban string, amount double, amount_bin string, is_anomaly boolean")
HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
# FF3-1 style tokens: card-shaped and Luhn-valid, account-shaped digits (declared format-preserving)
ROWS = [
    ("T000000000001", HEX, HEX[::-1], "********47", HEX, "4556737586899855", "10632307648",
     "v1:Qk9HVVMtdG9rZW4tbm90LXJlYWw=", 12.5, "small", False),
    ("T000000000002", HEX[1:] + "a", HEX[2:] + "bc", "********01", HEX[3:] + "def", "5425233430109903", "11853233169",
     "v1:QW5vdGhlci10b2tlbg==", 990.0, "large", True),
    ("T000000000003", None, None, None, None, None, None, None, None, None, None),
]
FPE = ["card_number", "account_number"]


def write_run(spark, target: sio.Location, run_id: str, rows, *, declared=FPE) -> None:
    spark.createDataFrame(rows, SCHEMA).coalesce(1).write.parquet(publish.data_location(target, run_id).spark_path())
    sio.write_json(publish.run_location(target, run_id).child(publish.MANIFEST),
                   {"run_id": run_id, "format_preserving_columns": declared,
                    "tokenized_columns": ["customer_id", "email", "phone", "ssn"] + FPE})
    publish.mark_success(target, run_id)


def test_clean_run_with_tokens_is_published(spark, tmp_path):
    target = sio.parse_location(str(tmp_path / "transformed"), "t")
    write_run(spark, target, "r1", ROWS)
    rt = local_runtime("leak_check", {"source_bucket": target.uri, "quarantine_bucket": str(tmp_path / "q")}, spark)
    summary = run_leak_check(rt)
    assert summary["leak_findings"] == 0 and summary["published"] is True
    assert summary["runs_published"] == ["r1"] and (summary["rows_in"], summary["rows_out"]) == (3, 3)
    assert summary["runs"]["r1"]["format_preserving_columns_skipped"] == sorted(FPE)
    assert publish.published_runs(target) == ["r1"]
    assert sio.read_json(target.child(publish.LATEST))["run_id"] == "r1"


@mock_aws
def test_mutation_untransformed_column_is_caught_and_nothing_is_published(spark, tmp_path):
    session = boto3.session.Session(region_name="eu-west-1")
    topic = session.client("sns").create_topic(Name="leaks")["TopicArn"]
    target = sio.parse_location(str(tmp_path / "transformed"), "t")
    quarantine = sio.parse_location(str(tmp_path / "q"), "q")
    leaked = [r[:2] + (e,) + r[3:] for r, e in zip(ROWS, ("mary.major@example.com", "john@example.org", None))]
    write_run(spark, target, "r-email", leaked)  # mutation: e-mail left untransformed
    write_run(spark, target, "r-undeclared", ROWS, declared=[])  # FPE tokens the manifest does not declare
    summary_path = tmp_path / "leak_summary.json"
    rt = local_runtime("leak_check", {"source_bucket": target.uri, "quarantine_bucket": quarantine.uri,
                                      "alert_topic_arn": topic, "summary_location": str(summary_path)}, spark)
    rt.aws_session = session
    with pytest.raises(LeakDetectedError) as caught:
        run_leak_check(rt)
    message = str(caught.value)
    assert "r-email" in message and "EMAIL_ADDRESS: 2" in message
    assert "mary.major" not in message and "4556737586899855" not in message

    assert publish.published_runs(target) == [] and publish.pending_runs(target) == []
    assert not os.path.exists(target.child(publish.LATEST).key)
    for run_id in ("r-email", "r-undeclared"):
        reason = sio.read_json(quarantine.child("transformed", f"run_id={run_id}", "_reason.json"))
        assert reason["reason"] == "leak_detected"
    summary = json.loads(summary_path.read_text())
    assert summary["runs"]["r-email"]["by_column"] == {"email": {"EMAIL_ADDRESS": 2}}
    assert summary["runs"]["r-undeclared"]["by_column"] == {
        "account_number": {"BANK_ACCOUNT_NUMBER": 2}, "card_number": {"CREDIT_CARD_NUMBER": 2}}
    assert summary["leak_findings"] == 6 and summary["rows_quarantined"] == 6 and summary["rows_out"] == 0
    assert "mary.major" not in summary_path.read_text()
    [metric] = summary["metrics"]
    assert metric["sent"] and metric["value"] == 6
    stats = session.client("cloudwatch").list_metrics(Namespace="SecureMLTransform")["Metrics"]
    assert [m["MetricName"] for m in stats] == ["LeakFindings"]
    assert summary["notifications"][0]["published"] is True


def test_manifest_declarations():
    assert format_preserving_columns(None) == frozenset()
    assert format_preserving_columns({"format_preserving_columns": ["a", 3]}) == frozenset({"a"})
    assert format_preserving_columns({"pii_columns": {"a": "format_preserving"}}) == frozenset()


def test_no_pending_runs_is_a_clean_no_op(spark, tmp_path):
    target = sio.parse_location(str(tmp_path / "t"), "t")
    summary = leak_check(spark, target, sio.parse_location(str(tmp_path / "q"), "q"))
    assert (summary["runs_checked"], summary["leak_findings"], summary["rows_in"]) == ([], 0, 0)


@mock_aws
def test_published_run_is_registered_in_the_catalog_and_quarantined_runs_are_not(spark, tmp_path):
    session = boto3.session.Session(region_name="eu-west-1")
    glue = session.client("glue")
    glue.create_database(DatabaseInput={"Name": "smt_transformed"})
    target = sio.parse_location(str(tmp_path / "transformed"), "t")
    rows = spark.createDataFrame(ROWS, SCHEMA).selectExpr(
        "*", "CASE WHEN transaction_id = 'T000000000001' THEN DATE'2026-11-01' ELSE DATE'2026-11-02' END "
             "AS transaction_date")
    rows.write.partitionBy("transaction_date").parquet(publish.data_location(target, "r1").spark_path())
    sio.write_json(publish.run_location(target, "r1").child(publish.MANIFEST),
                   {"run_id": "r1", "format_preserving_columns": FPE})
    publish.mark_success(target, "r1")
    rt = local_runtime("leak_check", {"source_bucket": target.uri, "quarantine_bucket": str(tmp_path / "q"),
                                      "catalog_database": "smt_transformed", "catalog_table": "cards"}, spark)
    rt.aws_session = session
    summary = run_leak_check(rt)

    assert summary["runs_published"] == ["r1"]
    assert [(c["run_id"], c["created"], c["partitions_added"]) for c in summary["catalog"]] == [("r1", True, 2)]
    table = glue.get_table(DatabaseName="smt_transformed", Name="cards")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["run_id", "transaction_date"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns["amount"] == "double" and columns["is_anomaly"] == "boolean" and "transaction_date" not in columns
    assert table["Parameters"]["secure_transform.latest_run_id"] == "r1"
    parts = glue.get_partitions(DatabaseName="smt_transformed", TableName="cards")["Partitions"]
    assert sorted(p["Values"][1] for p in parts) == ["2026-11-01", "2026-11-02"]
    assert all(p["StorageDescriptor"]["Location"].endswith(f"transaction_date={p['Values'][1]}/") for p in parts)

    # a second check finds nothing pending and registers nothing
    assert run_leak_check(rt)["catalog"] == []


def test_without_catalog_database_nothing_is_registered(spark, tmp_path):
    target = sio.parse_location(str(tmp_path / "transformed"), "t")
    write_run(spark, target, "r1", ROWS)
    rt = local_runtime("leak_check", {"source_bucket": target.uri, "quarantine_bucket": str(tmp_path / "q")}, spark)
    assert run_leak_check(rt)["catalog"] == []
