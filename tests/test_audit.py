"""Audit events: allow-listed fields, redaction, CloudWatch Logs (moto) and local JSON Lines."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from secure_transform import __version__
from secure_transform.audit import (
    AUDIT_FIELDS,
    AuditFieldError,
    args_config_hash,
    audit_event_for_run,
    build_audit_event,
    code_version,
    emit_audit_event,
)
from secure_transform.errors import ConfigError, LeakDetectedError

STARTED = datetime(2026, 11, 1, 2, 0, 0, tzinfo=timezone.utc)
ENDED = STARTED + timedelta(seconds=93.5)
ARGS = {"source_bucket": "s3://raw-bucket/in/", "target_bucket": "s3://transformed-bucket/transactions/",
        "quarantine_bucket": "s3://quarantine-bucket/main_etl/", "pii_columns": '{"email": "hash"}',
        "anomaly_threshold": "0.01", "run_id": "20261101T020000Z", "log_level": "INFO", "key_secret_id": None}
SUMMARY = {"job": "main_etl", "run_id": "20261101T020000Z", "rows_in": 100, "rows_out": 97, "rows_quarantined": 3,
           "anomalies_flagged": 2, "config_hash": "c" * 64, "key_version": "v2",
           "output": "s3://transformed-bucket/transactions/runs/run_id=20261101T020000Z/data",
           "bin_edges_version": "sha256:0123456789abcdef", "anomaly_model_version": "fedcba9876543210",
           "merchant_mapping_version": "mcc-2026.1", "reject_reasons": {"duplicate_transaction_id": 3}}


def test_event_for_a_successful_run_has_every_field(monkeypatch):
    monkeypatch.setenv("SECURE_TRANSFORM_GIT_COMMIT", "0123abc4567def89")
    event = audit_event_for_run(job="main_etl", run_id="20261101T020000Z", args=ARGS, summary=SUMMARY,
                                started_at=STARTED, ended_at=ENDED, environment="prod", is_glue=False)
    assert set(event) <= set(AUDIT_FIELDS)
    assert event["outcome"] == "succeeded" and "failure_class" not in event
    assert event["job"] == "main_etl" and event["run_id"] == "20261101T020000Z" and event["environment"] == "prod"
    assert event["inputs"] == ["s3://raw-bucket/in/"]
    assert event["outputs"] == ["s3://transformed-bucket/transactions/", "s3://quarantine-bucket/main_etl/",
                                "s3://transformed-bucket/transactions/runs/run_id=20261101T020000Z/data"]
    assert (event["rows_in"], event["rows_out"], event["rows_quarantined"], event["anomalies_flagged"]) == (100, 97, 3, 2)
    assert event["config_hash"] == "c" * 64
    assert event["key_version"] == "v2"
    assert event["code_version"] == __version__ and event["git_commit"] == "0123abc4567def89"
    assert event["artifacts"] == {"anomaly_model": "fedcba9876543210", "bin_edges": "sha256:0123456789abcdef",
                                  "merchant_mapping": "mcc-2026.1"}
    assert event["started_at"] == "2026-11-01T02:00:00+00:00" and event["ended_at"] == "2026-11-01T02:01:33+00:00"
    assert event["duration_seconds"] == 93.5
    assert len(event["event_id"]) == 32 and event["schema_version"] == 1


def test_failed_run_records_the_class_and_only_our_own_messages():
    leak = audit_event_for_run(job="leak_check", run_id="r1", args={}, summary=None, started_at=STARTED,
                               ended_at=ENDED, error=LeakDetectedError("run r1: 2 findings in column 'memo'"))
    assert leak["outcome"] == "failed" and leak["failure_class"] == "LeakDetectedError"
    assert leak["failure_message"] == "run r1: 2 findings in column 'memo'"
    assert leak["exit_code"] == 4
    crash = audit_event_for_run(job="main_etl", run_id="r1", args={}, summary=None, started_at=STARTED,
                                error=ValueError("could not parse 'jane.doe@example.com' as double"))
    assert crash["failure_class"] == "ValueError" and crash["exit_code"] == 1
    assert "failure_message" not in crash
    assert "jane.doe" not in json.dumps(crash)


def test_config_hash_falls_back_to_the_arguments_and_ignores_run_and_logging():
    event = audit_event_for_run(job="leak_check", run_id="r2", args=ARGS, summary={}, started_at=STARTED)
    assert event["config_hash"] == args_config_hash(ARGS)
    same = dict(ARGS, run_id="other", log_level="DEBUG", summary_location="/x.json")
    assert args_config_hash(same) == args_config_hash(ARGS)
    assert args_config_hash(dict(ARGS, anomaly_threshold="0.02")) != args_config_hash(ARGS)


def test_guard_refuses_fields_outside_the_allow_list_and_wrong_types():
    with pytest.raises(AuditFieldError, match="'secret_key' is not in the allow-list"):
        build_audit_event(job="j", run_id="r", outcome="succeeded", secret_key="abc")
    with pytest.raises(AuditFieldError, match="'rows_in' must be int"):
        build_audit_event(job="j", run_id="r", outcome="succeeded", rows_in="12")
    with pytest.raises(AuditFieldError, match="outcome"):
        build_audit_event(job="j", run_id="r", outcome="maybe")
    with pytest.raises(AuditFieldError, match="'run_id' is required"):
        build_audit_event(job="j", outcome="succeeded")
    with pytest.raises(AuditFieldError, match="key_version"):
        build_audit_event(job="j", run_id="r", outcome="succeeded", key_version="k" * 40)


def test_strings_are_redacted_but_known_ids_and_hashes_stay_readable():
    event = build_audit_event(
        job="main_etl", run_id="jr_" + "a" * 64, outcome="failed", config_hash="d" * 64,
        failure_message="row of jane.doe@example.com with card 4111 1111 1111 1111",
        inputs=["s3://b/ssn=123-45-6789/file.csv"], artifacts={"note": "call +1 (555) 123-4567"})
    text = json.dumps(event)
    for planted in ("jane.doe@example.com", "4111 1111 1111 1111", "123-45-6789", "555) 123-4567"):
        assert planted not in text
    assert "[EMAIL]" in event["failure_message"] and "[SSN]" in event["inputs"][0]
    assert event["run_id"] == "jr_" + "a" * 64 and event["config_hash"] == "d" * 64


def test_code_version_never_trusts_a_malformed_commit(monkeypatch):
    monkeypatch.setenv("SECURE_TRANSFORM_GIT_COMMIT", "not a commit; rm -rf /")
    assert code_version() == {"code_version": __version__, "git_commit": None}
    monkeypatch.delenv("SECURE_TRANSFORM_GIT_COMMIT")
    assert code_version()["git_commit"] is None


def test_local_events_are_appended_as_json_lines(tmp_path):
    path = tmp_path / "out" / "audit.jsonl"
    first = audit_event_for_run(job="main_etl", run_id="20261101T020000Z", args=ARGS, summary=SUMMARY,
                                started_at=STARTED, ended_at=ENDED)
    second = audit_event_for_run(job="leak_check", run_id="20261101T020000Z", args={}, summary=None,
                                 started_at=STARTED, error=LeakDetectedError("1 finding"))
    assert emit_audit_event(first, local_path=str(path)) == str(path)
    emit_audit_event(second, local_path=str(path))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["job"] for e in lines] == ["main_etl", "leak_check"]
    assert lines[0] == first
    assert lines[1]["failure_class"] == "LeakDetectedError"


def test_emitting_runs_the_guard_again():
    tampered = dict(build_audit_event(job="j", run_id="r", outcome="succeeded"), api_token="x")
    with pytest.raises(AuditFieldError, match="api_token"):
        emit_audit_event(tampered, local_path="/nonexistent/never-written.jsonl")
    with pytest.raises(AuditFieldError, match="no destination"):
        emit_audit_event(build_audit_event(job="j", run_id="r", outcome="succeeded"))


@mock_aws
def test_events_go_to_the_jobs_log_group_creating_the_stream_once():
    session = boto3.session.Session(region_name="eu-west-1")
    logs = session.client("logs")
    logs.create_log_group(logGroupName="/aws-glue/jobs/stm-dev/audit")
    event = audit_event_for_run(job="main_etl", run_id="20261101T020000Z", args=ARGS, summary=SUMMARY,
                                started_at=STARTED, ended_at=ENDED, is_glue=True)
    where = emit_audit_event(event, session=session, log_group="/aws-glue/jobs/stm-dev/audit")
    stream = where.split(":", 1)[1]
    assert stream.startswith("audit/main_etl/")
    emit_audit_event(dict(event, event_id="e" * 32), session=session, log_group="/aws-glue/jobs/stm-dev/audit")
    streams = logs.describe_log_streams(logGroupName="/aws-glue/jobs/stm-dev/audit")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [stream]
    stored = logs.get_log_events(logGroupName="/aws-glue/jobs/stm-dev/audit", logStreamName=stream,
                                 startFromHead=True)["events"]
    messages = [json.loads(e["message"]) for e in stored]
    assert [m["event_id"] for m in messages] == [event["event_id"], "e" * 32]
    assert messages[0]["platform"] == "glue" and messages[0]["rows_out"] == 97


@mock_aws
def test_missing_log_group_fails_with_the_parameter_name():
    session = boto3.session.Session(region_name="eu-west-1")
    event = build_audit_event(job="j", run_id="r", outcome="succeeded")
    with pytest.raises(AuditFieldError, match="--audit_log_group: log group /nope does not exist"):
        emit_audit_event(event, session=session, log_group="/nope")
    with pytest.raises(AuditFieldError, match="--audit_log_group"):
        emit_audit_event(event, session=session, log_group="bad group name!")


def test_config_errors_are_recorded_with_their_parameter():
    event = audit_event_for_run(job="main_etl", run_id="r", args={}, summary=None, started_at=STARTED,
                                error=ConfigError("--anomaly_threshold", "must be in (0, 0.5], got 0.7"))
    assert event["failure_class"] == "ConfigError" and event["exit_code"] == 2
    assert event["failure_message"].startswith("--anomaly_threshold: must be in (0, 0.5]")


# ----------------------------------------------------------------------- runtime integration

def _rt(tmp_path=None, *, is_glue=False, session=None, **args):
    from types import SimpleNamespace

    base = {"metrics_namespace": "Test/SecureML", "summary_location": None, "audit_log_group": None,
            "audit_file": None, "environment": None}
    base.update(args)
    return SimpleNamespace(job_name="main_etl", run_id="20261101T020000Z", args=base, is_glue=is_glue,
                           aws_session=session)


def test_record_job_run_locally_embeds_metrics_and_appends_beside_the_summary(tmp_path):
    from secure_transform.audit import record_job_run

    rt = _rt(summary_location=str(tmp_path / "summaries" / "main_etl.json"))
    summary = dict(SUMMARY)
    result = record_job_run(rt, summary, started_at=STARTED)
    assert summary["metrics"]["values"]["RowsOut"] == 97.0 and summary["metrics"]["values"]["JobFailed"] == 0.0
    assert summary["metrics"]["published"] is False
    assert result["audit"] == str(tmp_path / "summaries" / "audit.jsonl")
    event = json.loads((tmp_path / "summaries" / "audit.jsonl").read_text())
    assert event["outcome"] == "succeeded" and event["environment"] == "local" and event["rows_quarantined"] == 3
    explicit = _rt(audit_file=str(tmp_path / "audit.jsonl"))
    assert record_job_run(explicit, dict(SUMMARY), started_at=STARTED)["audit"] == str(tmp_path / "audit.jsonl")


def test_audit_log_group_is_required_on_glue():
    from secure_transform.audit import audit_destination

    with pytest.raises(ConfigError, match="--audit_log_group: is required on AWS"):
        audit_destination(_rt(is_glue=True))
    with pytest.raises(AuditFieldError, match="--audit_log_group"):
        audit_destination(_rt(is_glue=True, audit_log_group="no spaces allowed"))


@mock_aws
def test_record_job_run_on_glue_publishes_metrics_and_audits_failures():
    from secure_transform.audit import record_job_run

    session = boto3.session.Session(region_name="eu-west-1")
    session.client("logs").create_log_group(logGroupName="/aws-glue/jobs/smt-dev/audit")
    rt = _rt(is_glue=True, session=session, audit_log_group="/aws-glue/jobs/smt-dev/audit", environment="dev")
    ok = record_job_run(rt, dict(SUMMARY), started_at=STARTED)
    failed = record_job_run(rt, None, started_at=STARTED, error=LeakDetectedError("2 findings"))
    assert ok["metrics"]["published"] is True and failed["metrics"]["published"] is True
    cw = session.client("cloudwatch")
    now = datetime.now(timezone.utc)
    stats = cw.get_metric_statistics(Namespace="Test/SecureML", MetricName="JobFailed",
                                     Dimensions=[{"Name": "Job", "Value": "main_etl"},
                                                 {"Name": "Environment", "Value": "dev"}],
                                     StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5),
                                     Period=600, Statistics=["Sum", "SampleCount"])["Datapoints"]
    assert sum(p["Sum"] for p in stats) == 1.0 and sum(p["SampleCount"] for p in stats) == 2.0
    logs = session.client("logs")
    stream = ok["audit"].split(":", 1)[1]
    events = [json.loads(e["message"]) for e in logs.get_log_events(
        logGroupName="/aws-glue/jobs/smt-dev/audit", logStreamName=stream, startFromHead=True)["events"]]
    assert [e["outcome"] for e in events] == ["succeeded", "failed"]
    assert events[1]["failure_class"] == "LeakDetectedError" and events[1]["exit_code"] == 4
