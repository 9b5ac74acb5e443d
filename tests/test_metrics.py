"""CloudWatch custom metrics: derived from a job summary, batched, stored (moto), or kept local."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from secure_transform.errors import ConfigError
from secure_transform.metrics import (
    MAX_DATUMS_PER_REQUEST,
    MetricDatum,
    batch_datums,
    emit_metrics,
    metrics_from_summary,
    publish_metrics,
)

ETL_SUMMARY = {
    "job": "main_etl", "run_id": "20261101T000000Z", "rows_in": 1000, "rows_out": 990, "rows_quarantined": 10,
    "anomalies_flagged": 12, "anomaly_rate": 0.012121, "input_bytes": 52_000, "seconds": 42.5,
    "config_hash": "ab" * 32, "reject_reasons": {"duplicate_transaction_id": 10},
    "stages": [{"name": "read", "seconds": 1.5, "rows_in": None, "rows_out": None},
               {"name": "anomaly", "seconds": 20.25, "rows_in": 990, "rows_out": 990}],
}
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _values(datums):
    return {(d.name, dict(d.dimensions).get("Stage")): (d.value, d.unit) for d in datums}


def test_metrics_from_summary_names_values_units_and_dimensions():
    datums = metrics_from_summary(ETL_SUMMARY, environment="prod")
    values = _values(datums)
    assert values == {
        ("RowsIn", None): (1000.0, "Count"), ("RowsOut", None): (990.0, "Count"),
        ("RowsQuarantined", None): (10.0, "Count"), ("AnomaliesFlagged", None): (12.0, "Count"),
        ("AnomalyRate", None): (1.2121, "Percent"), ("InputBytes", None): (52_000.0, "Bytes"),
        ("JobDuration", None): (42.5, "Seconds"),
        ("StageDuration", "read"): (1.5, "Seconds"), ("StageDuration", "anomaly"): (20.25, "Seconds"),
    }
    assert all(dict(d.dimensions)["Job"] == "main_etl" and dict(d.dimensions)["Environment"] == "prod" for d in datums)
    assert all("RunId" not in dict(d.dimensions) for d in datums)


def test_leak_and_masking_metrics_only_when_reported():
    leak = metrics_from_summary({"job": "leak_check", "rows_in": 5, "rows_out": 5, "rows_quarantined": 0,
                                 "leak_findings": 3, "published": False})
    assert _values(leak)[("LeakFindings", None)] == (3.0, "Count")
    assert ("MacieFindingsMasked", None) not in _values(leak)
    mask = metrics_from_summary({"job": "macie_masking", "findings_masked": 7, "objects_quarantined": 1})
    assert _values(mask)[("MacieFindingsMasked", None)] == (7.0, "Count")
    assert _values(mask)[("ObjectsQuarantined", None)] == (1.0, "Count")
    assert ("LeakFindings", None) not in _values(mask)


def test_run_dimension_is_opt_in():
    datums = metrics_from_summary(ETL_SUMMARY, include_run_dimension=True)
    assert {dict(d.dimensions)["RunId"] for d in datums} == {"20261101T000000Z"}


def test_non_numeric_values_are_skipped_and_bad_dimension_values_refused():
    datums = metrics_from_summary({"job": "x", "rows_in": "lots", "rows_out": float("nan"), "rows_quarantined": 0})
    assert [d.name for d in datums] == ["RowsQuarantined"]
    with pytest.raises(ValueError, match="dimension Environment"):
        metrics_from_summary(ETL_SUMMARY, environment="a@b.com\n")
    with pytest.raises(ValueError, match="job name is missing"):
        metrics_from_summary({"rows_in": 1})


def test_batches_respect_count_and_byte_limits():
    datums = [MetricDatum("M", float(i), "Count", (("Job", "j"),)) for i in range(2500)]
    batches = list(batch_datums(datums))
    assert [len(b) for b in batches] == [MAX_DATUMS_PER_REQUEST, MAX_DATUMS_PER_REQUEST, 500]
    assert [d.value for b in batches for d in b] == [float(i) for i in range(2500)]
    small = list(batch_datums(datums[:10], max_bytes=1000))
    assert all(len(b) <= 4 for b in small) and sum(len(b) for b in small) == 10
    with pytest.raises(ValueError, match="max_datums"):
        list(batch_datums(datums, max_datums=1001))


def test_invalid_namespace_is_a_config_error():
    with pytest.raises(ConfigError, match="--metrics_namespace"):
        emit_metrics(ETL_SUMMARY, namespace="AWS/Glue")
    with pytest.raises(ConfigError, match="--metrics_namespace"):
        emit_metrics(ETL_SUMMARY, namespace="")


def test_local_run_keeps_metrics_in_the_summary():
    out = emit_metrics(ETL_SUMMARY, namespace="SecureMLTransform")
    assert out["published"] is False
    assert out["namespace"] == "SecureMLTransform"
    assert out["dimensions"] == {"Job": "main_etl", "Environment": "local"}
    assert out["values"]["RowsQuarantined"] == 10.0
    assert out["values"]["AnomalyRate"] == 1.2121
    assert out["stage_seconds"] == {"read": 1.5, "anomaly": 20.25}


def _stat(cw, name, dims, namespace="Test/SecureML"):
    resp = cw.get_metric_statistics(Namespace=namespace, MetricName=name,
                                    Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
                                    StartTime=NOW - timedelta(minutes=5), EndTime=NOW + timedelta(minutes=5),
                                    Period=60, Statistics=["Sum", "SampleCount"])
    points = resp["Datapoints"]
    return sum(p["Sum"] for p in points), sum(p["SampleCount"] for p in points)


@mock_aws
def test_published_datapoints_are_stored_in_cloudwatch():
    session = boto3.session.Session(region_name="eu-west-1")
    out = emit_metrics(ETL_SUMMARY, namespace="Test/SecureML", environment="dev", session=session, timestamp=NOW)
    assert out["published"] is True and out["requests"] == 1
    cw = session.client("cloudwatch")
    listed = cw.list_metrics(Namespace="Test/SecureML")["Metrics"]
    names = {(m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))) for m in listed}
    base = (("Environment", "dev"), ("Job", "main_etl"))
    assert ("RowsIn", base) in names
    assert ("StageDuration", tuple(sorted(base + (("Stage", "anomaly"),)))) in names
    assert len(listed) == 9
    dims = {"Job": "main_etl", "Environment": "dev"}
    assert _stat(cw, "RowsOut", dims) == (990.0, 1.0)
    assert _stat(cw, "RowsQuarantined", dims) == (10.0, 1.0)
    assert _stat(cw, "AnomalyRate", dims) == (1.2121, 1.0)
    assert _stat(cw, "StageDuration", {**dims, "Stage": "read"}) == (1.5, 1.0)


@mock_aws
def test_many_datapoints_are_sent_in_several_requests_and_all_stored():
    session = boto3.session.Session(region_name="eu-west-1")
    datums = [MetricDatum("StageDuration", float(i), "Seconds", (("Job", "j"), ("Stage", f"s{i}"))) for i in range(25)]
    assert publish_metrics(datums, namespace="Test/SecureML", session=session, timestamp=NOW, max_datums=10) == 3
    cw = session.client("cloudwatch")
    paginator = cw.get_paginator("list_metrics")
    stages = {d["Value"] for page in paginator.paginate(Namespace="Test/SecureML")
              for m in page["Metrics"] for d in m["Dimensions"] if d["Name"] == "Stage"}
    assert stages == {f"s{i}" for i in range(25)}
    assert _stat(cw, "StageDuration", {"Job": "j", "Stage": "s24"}) == (24.0, 1.0)


class _FailingSession:
    def client(self, name):
        class Client:
            def put_metric_data(self, **kw):
                raise RuntimeError("throttled")
        return Client()


def test_publish_failure_is_reported_not_raised_unless_strict():
    out = emit_metrics(ETL_SUMMARY, session=_FailingSession())
    assert out["published"] is False
    assert out["publish_error"] == "RuntimeError"
    assert out["values"]["RowsIn"] == 1000.0
    with pytest.raises(RuntimeError):
        emit_metrics(ETL_SUMMARY, session=_FailingSession(), strict=True)
