"""Quarantine review: list / approve / deny, locally (sidecar records) and on S3 (object tags, moto)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from secure_transform import io as sio
from secure_transform import macie, review
from secure_transform.cli import main as cli_main
from secure_transform.errors import ConfigError, SecureTransformError
from secure_transform.masking import ObjectPlan, _quarantine

RAW = b"id,ssn\n1,123-45-6789\n"


def _result(key: str) -> macie.DiscoveryResult:
    return macie.DiscoveryResult(
        object=macie.ObjectRef("raw", key, etag="e"), status="COMPLETE", status_reason=None,
        detections=(macie.Detection("USA_SOCIAL_SECURITY_NUMBER", 4, (), category="PERSONAL_INFORMATION"),),
        source="s3://results/x.jsonl.gz")


def _quarantine_one(raw: sio.Location, quarantine: sio.Location, key: str, session=None) -> None:
    sio.write_bytes(raw.child(key), RAW, session)
    info = sio.ObjectInfo(raw.child(key), len(RAW))
    plan = ObjectPlan(info=info, key=key, fmt="csv", result=_result(key), action="quarantine",
                      reason="policy_quarantine", detail="the policy quarantines objects with USA_SOCIAL_SECURITY_NUMBER",
                      records=1)
    _quarantine(plan, quarantine, "run-1", session)


def test_local_list_approve_deny_keep_an_audit_trail(tmp_path):
    raw = sio.parse_location(str(tmp_path / "raw"), "raw")
    quarantine = sio.parse_location(str(tmp_path / "q"), "q")
    masked = sio.parse_location(str(tmp_path / "masked"), "m")
    _quarantine_one(raw, quarantine, "2026/a.csv")
    _quarantine_one(raw, quarantine, "2026/b.csv")
    items = review.list_quarantine(quarantine)
    assert [(i.key, i.reason, dict(i.findings_by_type), i.records) for i in items] == [
        ("2026/a.csv", "policy_quarantine", {"USA_SOCIAL_SECURITY_NUMBER": 4}, 1),
        ("2026/b.csv", "policy_quarantine", {"USA_SOCIAL_SECURITY_NUMBER": 4}, 1)]

    decision = review.approve(quarantine, "2026/a.csv", masked, "alice@bank.example", note="false positive")
    assert (tmp_path / "masked/2026/a.csv").read_bytes() == RAW
    assert not (tmp_path / "q/objects/2026/a.csv").exists()
    sidecar = json.loads((tmp_path / "masked/_review/2026/a.csv.json").read_text())
    assert (sidecar["review"], sidecar["reviewer"], sidecar["reviewed_at"]) == ("approved", "alice@bank.example", decision["at"])

    review.deny(quarantine, "2026/b.csv", "bob")
    assert not (tmp_path / "q/objects/2026/b.csv").exists() and not (tmp_path / "masked/2026/b.csv").exists()
    audit = json.loads((tmp_path / "q/reasons/2026/b.csv.json").read_text())
    assert audit["status"] == "denied" and audit["decisions"][0]["reviewer"] == "bob"

    assert review.list_quarantine(quarantine) == []
    assert {i.status for i in review.list_quarantine(quarantine, include_decided=True)} == {"approved", "denied"}
    with pytest.raises(ConfigError, match="--key"):
        review.deny(quarantine, "2026/a.csv", "bob")  # already reviewed
    with pytest.raises(ConfigError, match="--key"):
        review.approve(quarantine, "2026/none.csv", masked, "bob")


def test_reviewer_names_are_validated(tmp_path):
    quarantine = sio.parse_location(str(tmp_path / "q"), "q")
    _quarantine_one(sio.parse_location(str(tmp_path / "raw"), "raw"), quarantine, "a.csv")
    with pytest.raises(ConfigError, match="--reviewer"):
        review.deny(quarantine, "a.csv", "")
    with pytest.raises(ConfigError, match="--reviewer"):
        review.deny(quarantine, "a.csv", "x" * 65)


def test_leak_check_runs_are_listed_but_not_approvable(tmp_path):
    quarantine = sio.parse_location(str(tmp_path / "q"), "q")
    sio.write_json(quarantine.child("transformed", "run_id=r1", "_reason.json"),
                   {"reason": "leak_detected", "by_type": {"EMAIL_ADDRESS": 3}, "rows": 10})
    [item] = review.list_quarantine(quarantine)
    assert (item.kind, item.key, item.reason, dict(item.findings_by_type), item.records) == (
        "run", "transformed/run_id=r1", "leak_detected", {"EMAIL_ADDRESS": 3}, 10)
    with pytest.raises(SecureTransformError, match="re-run main_etl"):
        review.approve(quarantine, "transformed/run_id=r1", quarantine, "alice")


def _tags(s3, bucket: str, key: str) -> dict:
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


@mock_aws
def test_s3_decisions_are_recorded_as_object_tags():
    session = boto3.session.Session(region_name="eu-west-1")
    s3 = session.client("s3")
    for b in ("raw", "quarantine", "masked"):
        s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    raw, quarantine, masked = (sio.parse_location(f"s3://{b}", b) for b in ("raw", "quarantine", "masked"))
    _quarantine_one(raw, quarantine, "in/a.csv", session)
    _quarantine_one(raw, quarantine, "in/b.csv", session)
    assert _tags(s3, "quarantine", "objects/in/a.csv")["quarantine_reason"] == "policy_quarantine"
    assert [i.key for i in review.list_quarantine(quarantine, session)] == ["in/a.csv", "in/b.csv"]

    review.approve(quarantine, "in/a.csv", masked, "alice@bank.example", session=session)
    assert s3.get_object(Bucket="masked", Key="in/a.csv")["Body"].read() == RAW
    tags = _tags(s3, "masked", "in/a.csv")
    assert tags["review"] == "approved" and tags["reviewer"] == "alice@bank.example" and tags["reviewed_at"]
    assert "Contents" not in s3.list_objects_v2(Bucket="quarantine", Prefix="objects/in/a.csv")

    review.deny(quarantine, "in/b.csv", "bob", session=session)
    assert "Contents" not in s3.list_objects_v2(Bucket="quarantine", Prefix="objects/in/b.csv")
    audit_tags = _tags(s3, "quarantine", "reasons/in/b.csv.json")
    assert audit_tags["review"] == "denied" and audit_tags["reviewer"] == "bob"
    audit = json.loads(s3.get_object(Bucket="quarantine", Key="reasons/in/b.csv.json")["Body"].read())
    assert audit["status"] == "denied" and audit["reason"] == "policy_quarantine"


def test_cli_review_prints_counts_never_values(tmp_path, capsys):
    quarantine = sio.parse_location(str(tmp_path / "q"), "q")
    _quarantine_one(sio.parse_location(str(tmp_path / "raw"), "raw"), quarantine, "a.csv")
    assert cli_main(["review", "list", "--quarantine", str(tmp_path / "q")]) == 0
    out = capsys.readouterr().out
    assert "a.csv" in out and "policy_quarantine" in out and "USA_SOCIAL_SECURITY_NUMBER: 4" in out
    assert "123-45-6789" not in out
    assert cli_main(["review", "deny", "--quarantine", str(tmp_path / "q"), "--key", "a.csv", "--reviewer", "x y"]) == 0
    assert cli_main(["review", "deny", "--quarantine", str(tmp_path / "q"), "--key", "a.csv", "--reviewer", "x"]) == 2
    assert "already reviewed" in capsys.readouterr().err
