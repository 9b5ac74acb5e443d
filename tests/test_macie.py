"""The Macie discovery-result model: documents built to AWS's published schema (no Spark)."""

from __future__ import annotations

import gzip
import json

import boto3
import pytest
from moto import mock_aws

from secure_transform import io as sio
from secure_transform import macie
from secure_transform.errors import ConfigError, SchemaError

JOB = "8df4fca1eccfdae45d8b936a21f1882d"


def finding_like(key: str = "raw/employees.csv", *, status: str = "COMPLETE", reason: str | None = None,
                 etag: str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9", version: str = "") -> dict:
    """A discovery result / finding with the shape of Macie's output (values are ours)."""
    return {
        "accountId": "111122223333", "archived": False, "category": "CLASSIFICATION", "count": 1,
        "createdAt": "2026-11-02T10:00:00.000Z", "updatedAt": "2026-11-02T10:00:00.000Z",
        "description": "The S3 object contains text that matches custom data identifier criteria.",
        "id": "5a0f9c2d", "partition": "aws", "region": "eu-west-1", "sample": False, "schemaVersion": "1.0",
        "severity": {"description": "High", "score": 3}, "title": "The S3 object contains sensitive information.",
        "type": "SensitiveData:S3Object/Multiple",
        "classificationDetails": {
            "detailedResultsLocation": f"s3://results-bucket/AWSLogs/111122223333/Macie/eu-west-1/{JOB}/111122223333/x.jsonl.gz",
            "jobArn": f"arn:aws:macie2:eu-west-1:111122223333:classification-job/{JOB}", "jobId": JOB,
            "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
            "result": {
                "additionalOccurrences": True, "mimeType": "text/csv", "sizeClassified": 120,
                "status": {"code": status, "reason": reason},
                "sensitiveData": [
                    {"category": "FINANCIAL_INFORMATION", "totalCount": 1200, "detections": [
                        {"type": "CREDIT_CARD_NUMBER", "count": 1200, "occurrences": {"cells": [
                            {"cellReference": None, "column": 3, "columnName": "card", "row": 2},
                            {"cellReference": None, "column": 3, "columnName": "card", "row": 4}]}}]},
                    {"category": "PERSONAL_INFORMATION", "totalCount": 1, "detections": [
                        {"type": "USA_SOCIAL_SECURITY_NUMBER", "count": 1, "occurrences": {
                            "cells": None, "lineRanges": [{"start": 1, "end": 1, "startColumn": 19}],
                            "offsetRanges": None, "pages": None, "records": None}}]}],
                "customDataIdentifiers": {"totalCount": 3, "detections": [
                    {"arn": "0e8eb8a1-1a3a-49ad-992f-0ab825642859", "name": "EMPLOYEE_ID", "count": 3,
                     "occurrences": {"cells": [{"cellReference": None, "column": 1, "columnName": "EmpID", "row": r}
                                               for r in (2, 4, 5)]}}]},
            },
        },
        "resourcesAffected": {
            "s3Bucket": {"arn": "arn:aws:s3:::raw-bucket", "name": "raw-bucket", "tags": []},
            "s3Object": {"bucketArn": "arn:aws:s3:::raw-bucket", "eTag": etag, "extension": "csv", "key": key,
                         "lastModified": "2026-11-02T09:59:00.000Z", "path": f"raw-bucket/{key}", "size": 120,
                         "storageClass": "STANDARD", "tags": [], "versionId": version},
        },
    }


def test_parse_result_reads_every_part_of_the_schema():
    res = macie.parse_result(finding_like(), "test")
    assert (res.object.bucket, res.object.key, res.object.etag, res.object.version_id) == (
        "raw-bucket", "raw/employees.csv", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", None)
    assert res.status == "COMPLETE" and res.status_reason is None and res.job_id == JOB
    by_type = {d.type: d for d in res.detections}
    card = by_type["CREDIT_CARD_NUMBER"]
    assert (card.count, card.listed, card.is_capped, card.category, card.custom) == (1200, 2, True, "FINANCIAL_INFORMATION", False)
    assert card.occurrences[0] == macie.Occurrence("cells", row=2, column=3, column_name="card")
    custom = by_type["EMPLOYEE_ID"]
    assert custom.custom and custom.identifier_id == "0e8eb8a1-1a3a-49ad-992f-0ab825642859" and not custom.is_capped
    assert [o.row for o in custom.occurrences] == [2, 4, 5]
    ssn = by_type["USA_SOCIAL_SECURITY_NUMBER"]
    assert ssn.occurrences == (macie.Occurrence("lineRanges", start=1, end=1, start_column=19),)
    assert res.occurrence_kinds() == {"cells", "lineRanges"}


def test_an_eventbridge_event_is_unwrapped_and_statuses_kept():
    event = {"version": "0", "id": "e1", "detail-type": "Macie Finding", "source": "aws.macie",
             "account": "111122223333", "region": "eu-west-1", "resources": [],
             "detail": finding_like(status="SKIPPED", reason="UNSUPPORTED_FILE_TYPE_EXCEPTION")}
    res = macie.parse_result(event)
    assert (res.status, res.status_reason) == ("SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION")


@pytest.mark.parametrize("mutate, problem", [
    (lambda d: d["classificationDetails"]["result"].pop("status"), "status"),
    (lambda d: d["classificationDetails"]["result"]["status"].update(code="DONE"), "status.code"),
    (lambda d: d["resourcesAffected"]["s3Object"].pop("key"), "key"),
    (lambda d: d["classificationDetails"]["result"]["sensitiveData"][0]["detections"][0]["occurrences"]["cells"][0]
     .update(row=0), "row"),
    (lambda d: d["classificationDetails"]["result"]["sensitiveData"][0]["detections"][0].update(count=-1), "count"),
])
def test_malformed_documents_are_schema_errors_naming_the_field(mutate, problem):
    doc = finding_like()
    mutate(doc)
    with pytest.raises(SchemaError, match=problem):
        macie.parse_result(doc, "results.jsonl.gz")


def test_records_occurrences_keep_zero_based_index_and_json_path():
    doc = finding_like(key="raw/a.jsonl")
    doc["classificationDetails"]["result"]["sensitiveData"] = [{"category": "PERSONAL_INFORMATION", "totalCount": 2,
        "detections": [{"type": "PHONE_NUMBER", "count": 2, "occurrences": {"records": [
            {"recordIndex": 0, "jsonPath": "$.contact.phone"}, {"recordIndex": 3, "jsonPath": "$['phones'][2]"}]}}]}]
    res = macie.parse_result(doc)
    phone = next(d for d in res.detections if d.type == "PHONE_NUMBER")
    assert [(o.record_index, o.json_path) for o in phone.occurrences] == [(0, "$.contact.phone"), (3, "$['phones'][2]")]


@pytest.mark.parametrize("path, elements", [
    ("$.access.key[2]", (("field", "access"), ("field", "key"), ("index", 2))),
    ("$['abcdefghijklmnopqrstuvwxyz']", (("field", "abcdefghijklmnopqrstuvwxyz"),)),
    ('$["a b"][0].c', (("field", "a b"), ("index", 0), ("field", "c"))),
    ("$[3].email", (("index", 3), ("field", "email"))),
    ("$.items[*].pan", (("field", "items"), ("wildcard", None), ("field", "pan"))),
])
def test_json_paths_in_dot_and_bracket_notation(path, elements):
    assert macie.parse_json_path(path) == elements
    assert macie.parse_json_path(macie.format_json_path(elements)) == elements


@pytest.mark.parametrize("bad", ["a.b", "$.a[x]", "$['a'", "$..a"])
def test_bad_json_paths_are_rejected(bad):
    with pytest.raises(ValueError):
        macie.parse_json_path(bad)


def _gz_lines(*docs: dict) -> bytes:
    return gzip.compress("".join(json.dumps(d) + "\n" for d in docs).encode("utf-8"))


def test_read_results_lists_any_depth_locally(tmp_path):
    root = tmp_path / "results"
    shallow = root / "AWSLogs/111122223333/Macie/eu-west-1" / JOB / "a.jsonl.gz"  # 2020 layout
    deep = root / "AWSLogs/111122223333/Macie/eu-west-1" / JOB / "111122223333" / "b.jsonl.gz"  # 2024 layout
    for path in (shallow, deep):
        path.parent.mkdir(parents=True, exist_ok=True)
    shallow.write_bytes(_gz_lines(finding_like("k1.csv"), finding_like("k2.csv")))  # two records in one file
    deep.write_bytes(_gz_lines(finding_like("k3.csv")))
    (root / "AWSLogs" / "notes.txt").write_text("not a result")
    keys = sorted(r.object.key for r in macie.read_results(sio.parse_location(str(root), "--results_bucket")))
    assert keys == ["k1.csv", "k2.csv", "k3.csv"]


@mock_aws
def test_read_results_from_s3_and_via_a_finding_location():
    session = boto3.session.Session(region_name="eu-west-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="results-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    key = f"AWSLogs/111122223333/Macie/eu-west-1/{JOB}/111122223333/x.jsonl.gz"
    s3.put_object(Bucket="results-bucket", Key=key, Body=_gz_lines(finding_like("raw/employees.csv")))
    found = list(macie.read_results(sio.parse_location("s3://results-bucket/AWSLogs", "--results_bucket"), session))
    assert [r.object.key for r in found] == ["raw/employees.csv"]
    via_finding = macie.read_results_for_finding({"detail": finding_like()}, session)
    assert [r.source for r in via_finding] == [f"s3://results-bucket/{key}"]


def test_a_finding_without_a_results_repository_is_a_config_error():
    doc = finding_like()
    doc["classificationDetails"]["detailedResultsLocation"] = "s3://[export-config-not-set]/AWSLogs/1/Macie/x/y.jsonl.gz"
    with pytest.raises(ConfigError, match="--finding"):
        macie.results_location_from_finding(doc)


def test_written_results_follow_the_layout_and_round_trip(tmp_path):
    root = sio.parse_location(str(tmp_path), "--results_bucket")
    obj = macie.ObjectRef(bucket="local", key="raw/t.csv", etag="abc", size=99)
    dets = (
        macie.Detection("CREDIT_CARD_NUMBER", 3, (macie.Occurrence("cells", row=2, column=6, column_name="card_number"),),
                        category="FINANCIAL_INFORMATION"),
        macie.Detection("EMAIL_ADDRESS", 1, (macie.Occurrence("records", record_index=0, json_path="$.email"),),
                        custom=True),
    )
    [loc] = macie.write_results(root, [(obj, dets, {"mime_type": "text/csv"})], account="000000000000",
                                region="local", job_id=JOB)
    rel = loc.key[len(str(tmp_path)) + 1:].split("/")
    assert rel[:6] == ["AWSLogs", "000000000000", "Macie", "local", JOB, "000000000000"] and rel[6].endswith(".jsonl.gz")
    record = json.loads(gzip.decompress(open(loc.key, "rb").read()))
    result = record["classificationDetails"]["result"]
    assert record["classificationDetails"]["detailedResultsLocation"] == loc.uri
    assert record["type"] == "SensitiveData:S3Object/Multiple" and result["additionalOccurrences"] is True
    assert result["sensitiveData"][0]["detections"][0]["occurrences"] == {
        "cells": [{"cellReference": None, "column": 6, "columnName": "card_number", "row": 2}]}
    assert result["customDataIdentifiers"]["detections"][0]["name"] == "EMAIL_ADDRESS"
    assert result["customDataIdentifiers"]["detections"][0]["arn"] == macie.custom_identifier_id("EMAIL_ADDRESS")
    back = macie.parse_result(record)
    assert {d.type: (d.count, d.listed, d.custom) for d in back.detections} == {
        "CREDIT_CARD_NUMBER": (3, 1, False), "EMAIL_ADDRESS": (1, 1, True)}


def test_job_ids_must_look_like_macie_job_ids(tmp_path):
    with pytest.raises(ConfigError, match="--job_id"):
        macie.job_prefix(sio.parse_location(str(tmp_path), "r"), "1", "r", "not-a-job")


def test_result_index_matches_keys_exactly_or_by_suffix_newest_first():
    old = finding_like("raw/2026/a.csv")
    new = finding_like("raw/2026/a.csv", etag="ffff")
    new["createdAt"] = "2026-11-03T00:00:00.000Z"
    index = macie.ResultIndex.build([macie.parse_result(old), macie.parse_result(new)])
    assert [r.object.etag for r in index.candidates("raw/2026/a.csv")] == ["ffff", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"]
    assert len(index.candidates("a.csv")) == 2  # a local copy of the object, matched by key suffix
    assert index.candidates("b.csv") == ()
    assert index.candidates("raw/2026/a.csv", bucket="other-bucket") == ()
