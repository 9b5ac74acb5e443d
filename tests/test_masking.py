"""Macie-driven masking: every format, the occurrence conventions, quarantine reasons, SNS (moto).

One module fixture builds a raw zone (CSV with header and CRLF, headerless TSV, JSON Lines, JSON,
Parquet, a clean pass-through file and one object per quarantine reason), writes discovery results
built to Macie's schema by hand, and runs ``mask_objects`` once; the tests assert on its outputs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

import boto3
import pytest
from chispa import assert_column_equality
from moto import mock_aws

from secure_transform import io as sio
from secure_transform import macie
from secure_transform.errors import ConfigError
from secure_transform.keys import KeySet
from secure_transform.masking import (MaskingPolicy, concatenate, keep_last4, mask_cell, mask_objects,
                                      parse_masking_policy)

JOB = "0123456789abcdef0123456789abcdef"
CARD, CARD2 = "4556737586899855", "5425233430109903"
KEY = KeySet({"v1": bytes(range(32))}, "v1")

CSV = ("id,name,email,card,memo\r\n"
       "1,Mary Major,mary@example.com,4556737586899855,\"Paid, thanks\"\r\n"
       "2,John Doe,john@example.org,5425233430109903,\"card 4556737586899855 swiped twice\"\r\n"
       "3,Zoë Roe,zoe@example.net,,\r\n"
       "4,Ann Lee,ann@example.com,4556737586899855,plain")  # no final newline: must stay so
TSV = "a1\t(212) 555-0147\tok\nb2\t+1 415 555 2671\tfine\n"
JSONL = [{"id": 1, "customer": {"email": "x@example.com", "tier": "gold"}, "phones": ["+14155552671", "+442079460958"],
          "card": 4556737586899855, "note": "n1"},
         {"id": 2, "customer": {"email": "y@example.com", "tier": "blue"}, "phones": [], "card": None, "note": "n2"}]
JSON_DOC = {"batch": "b1", "customers": [{"ssn": "219-09-9999", "city": "Riverside"},
                                         {"ssn": "078-05-1120", "city": "Salem"}]}


def _etag(path: str) -> str:
    return hashlib.md5(open(path, "rb").read(), usedforsecurity=False).hexdigest()


def _det(type_name, occurrences, count=None, custom=False, category="PERSONAL_INFORMATION"):
    return macie.Detection(type_name, count if count is not None else len(occurrences), tuple(occurrences),
                           category=category, custom=custom)


def _cells(rows, column, name):
    return [macie.Occurrence("cells", row=r, column=column, column_name=name) for r in rows]


def _rec(index, path):
    return macie.Occurrence("records", record_index=index, json_path=path)


@pytest.fixture(scope="module")
def zone(spark, tmp_path_factory):
    base = tmp_path_factory.mktemp("masking")
    raw = base / "raw"
    for d in ("a", "b", "c", "d", "f", "g"):
        (raw / d).mkdir(parents=True)
    (raw / "a/orders.csv").write_bytes(CSV.encode("utf-8"))
    (raw / "b/plain.tsv").write_text(TSV)
    (raw / "c/events.jsonl").write_text("\n".join(json.dumps(r) for r in JSONL) + "\n")
    (raw / "d/doc.json").write_text(json.dumps(JSON_DOC, indent=2))
    spark.createDataFrame([("Mary Major", CARD, 1), ("Bob Stone", "n/a", 2), ("Eve Park", CARD2, 3)],
                          "name string, card_number string, n int").coalesce(1).write.parquet(str(base / "pq"))
    pq = next(p for p in os.listdir(base / "pq") if p.endswith(".parquet"))
    os.rename(base / "pq" / pq, raw / "e.parquet")
    (raw / "f/clean.csv").write_text("id,amount\n1,2.50\n2,3.75\n")
    simple = "id,ssn\n1,219-09-9999\n"
    for name in ("skipped", "partial", "lines", "changed", "nores", "badcol"):
        (raw / f"g/{name}.csv").write_text(simple)
    (raw / "g/notes.txt").write_text("ssn 219-09-9999\n")
    (raw / "g/multi.csv").write_text('id,memo\n1,"line one\n219-09-9999"\n')

    results = []

    def add(key, dets, status="COMPLETE", reason=None, etag=None):
        path = str(raw / key)
        results.append((macie.ObjectRef("raw-bucket", key, etag=etag or _etag(path), size=os.path.getsize(path)),
                        dets, {"status": status, "reason": reason}))

    card_rows = [2, 3, 5]
    add("a/orders.csv", [
        _det("CREDIT_CARD_NUMBER", _cells(card_rows, 4, "card") + _cells([3], 5, "memo"), category="FINANCIAL_INFORMATION"),
        _det("EMAIL_ADDRESS", _cells([2, 3], 3, "email"), count=4, custom=True),  # capped: whole column
        _det("NAME", _cells([2], 2, "name")),
    ])
    add("b/plain.tsv", [_det("PHONE_NUMBER", [macie.Occurrence("cells", row=1, column=2),
                                              macie.Occurrence("cells", row=2, column=2)])])
    add("c/events.jsonl", [
        _det("EMAIL_ADDRESS", [_rec(0, "$.customer.email")], custom=True),
        _det("PHONE_NUMBER", [_rec(0, "$.phones[1]")]),
        _det("CREDIT_CARD_NUMBER", [_rec(0, "$['card']")], category="FINANCIAL_INFORMATION"),
    ])
    add("d/doc.json", [_det("USA_SOCIAL_SECURITY_NUMBER", [_rec(0, "$.customers[1].ssn")])])
    add("e.parquet", [_det("NAME", [_rec(0, "$['name']")]),
                      _det("CREDIT_CARD_NUMBER", [_rec(2, "$.card_number")], category="FINANCIAL_INFORMATION")])
    add("f/clean.csv", [])
    ssn = [_det("USA_SOCIAL_SECURITY_NUMBER", _cells([2], 2, "ssn"))]
    add("g/skipped.csv", [], status="SKIPPED", reason="FILE_EXCEEDS_SIZE_LIMIT")
    add("g/partial.csv", ssn, status="PARTIAL", reason="ARCHIVE_CONTAINS_UNPROCESSED_FILES")
    add("g/lines.csv", [_det("USA_SOCIAL_SECURITY_NUMBER", [macie.Occurrence("lineRanges", start=2, end=2, start_column=3)])])
    add("g/changed.csv", ssn, etag="ffffffffffffffffffffffffffffffff")
    add("g/badcol.csv", [_det("USA_SOCIAL_SECURITY_NUMBER", _cells([2], 2, "social"))])
    add("g/notes.txt", ssn)
    add("g/multi.csv", [_det("USA_SOCIAL_SECURITY_NUMBER", _cells([2], 2, "memo"))])
    macie.write_results(sio.parse_location(str(base / "results"), "r"), results, account="111122223333",
                        region="eu-west-1", job_id=JOB)

    with mock_aws():
        session = boto3.session.Session(region_name="eu-west-1")
        topic = session.client("sns").create_topic(Name="alerts")["TopicArn"]
        sqs = session.client("sqs")
        queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        session.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        outcome = mask_objects(spark, sio.parse_location(str(raw), "s"), sio.parse_location(str(base / "results"), "r"),
                               sio.parse_location(str(base / "masked"), "t"), sio.parse_location(str(base / "q"), "q"),
                               keyset=KEY, run_id="run-1", session=session, alert_topic_arn=topic)
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    return {"base": base, "raw": raw, "masked": base / "masked", "q": base / "q", "outcome": outcome,
            "summary": outcome.summary(), "messages": messages}


def token(value: str) -> str:
    return hmac.new(KEY.derive("deterministic"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def test_csv_cells_are_masked_in_place_and_every_other_byte_is_kept(zone):
    out = (zone["masked"] / "a/orders.csv").read_bytes().decode("utf-8")
    # the name column holds only names: classified as NAME, so the names Macie did not list are masked too
    assert out == ("id,name,email,card,memo\r\n"
                   "1,[NAME],[EMAIL_ADDRESS],************9855,\"Paid, thanks\"\r\n"
                   "2,[NAME],[EMAIL_ADDRESS],************9903,\"card [CREDIT_CARD_NUMBER] swiped twice\"\r\n"
                   "3,[NAME],[EMAIL_ADDRESS],,\r\n"
                   "4,[NAME],[EMAIL_ADDRESS],************9855,plain")
    widened = [w for w in zone["summary"]["whole_columns_masked"] if w["object"] == "a/orders.csv"]
    assert widened == [{"object": "a/orders.csv", "type": "EMAIL_ADDRESS", "count": 4, "listed": 2, "column": "email",
                        "reason": "occurrence_cap"}]
    classified = {c["column"]: (c["type"], c["share"]) for c in zone["summary"]["columns_classified"]
                  if c["object"] == "a/orders.csv"}
    assert classified == {"name": ("NAME", 1.0), "email": ("EMAIL_ADDRESS", 1.0), "card": ("CREDIT_CARD_NUMBER", 1.0)}


def test_headerless_tsv_uses_physical_rows(zone):
    assert (zone["masked"] / "b/plain.tsv").read_text() == "a1\t[PHONE_NUMBER]\tok\nb2\t[PHONE_NUMBER]\tfine\n"


def test_json_lines_records_and_paths(zone):
    lines = (zone["masked"] / "c/events.jsonl").read_text().splitlines()
    assert lines[1] == json.dumps(JSONL[1])  # an unlisted record keeps its bytes
    first = json.loads(lines[0])
    assert first["customer"] == {"email": "[EMAIL_ADDRESS]", "tier": "gold"}
    assert first["phones"] == ["+14155552671", "[PHONE_NUMBER]"]  # only index 1
    assert first.get("card") is None  # a number at a masked path is nulled (the type stays)
    assert first["note"] == "n1" and first["id"] == 1


def test_json_document_record_zero_with_array_index(zone):
    doc = json.loads((zone["masked"] / "d/doc.json").read_text())
    assert doc["customers"][0]["ssn"] == "219-09-9999"  # index 0 was not listed
    assert doc["customers"][1]["ssn"] == token("078-05-1120")  # national ids are tokenized
    assert doc["batch"] == "b1"


def test_parquet_record_index_and_row_order(spark, zone):
    df = spark.read.parquet(str(zone["masked"] / "e.parquet"))
    assert [tuple(r) for r in df.collect()] == [  # three test rows
        ("[NAME]", CARD, 1), ("Bob Stone", "n/a", 2), ("Eve Park", "************9903", 3)]


def test_clean_objects_pass_through_byte_for_byte(zone):
    assert (zone["masked"] / "f/clean.csv").read_bytes() == (zone["raw"] / "f/clean.csv").read_bytes()


@pytest.mark.parametrize("key, reason", [
    ("g/skipped.csv", "status_skipped"), ("g/partial.csv", "status_partial"), ("g/lines.csv", "unbounded_line_ranges"),
    ("g/changed.csv", "etag_mismatch"), ("g/nores.csv", "no_discovery_result"), ("g/badcol.csv", "column_mismatch"),
    ("g/notes.txt", "unsupported_format"),
])
def test_unmaskable_objects_go_to_quarantine_with_a_reason(zone, key, reason):
    assert not (zone["masked"] / key).exists()
    assert (zone["q"] / "objects" / key).read_bytes() == (zone["raw"] / key).read_bytes()
    record = json.loads((zone["q"] / "reasons" / (key + ".json")).read_text())
    assert record["reason"] == reason and record["run_id"] == "run-1" and record["decisions"] == []
    assert "219-09-9999" not in json.dumps(record)


def test_a_record_spanning_lines_is_masked_as_one_record_and_marked_for_main_etl(zone):
    # Macie's row 2 is the record on lines 2-3; the SSN on its second line is masked in place
    assert (zone["masked"] / "g/multi.csv").read_text() == 'id,memo\n1,"line one\n[USA_SOCIAL_SECURITY_NUMBER]"\n'
    assert zone["summary"]["malformed_records"] == []
    assert zone["summary"]["records_spanning_lines"] == 1
    assert not (zone["q"] / "objects" / "g/multi.csv").exists()
    marker = json.loads((zone["masked"] / "_multiline_records" / "g/multi.csv.json").read_text())
    assert marker == {"object": "g/multi.csv", "bytes": (zone["masked"] / "g/multi.csv").stat().st_size,
                      "records": 1, "records_spanning_lines": 1, "lines_with_bare_carriage_return": 0}
    assert sorted(p.name for p in (zone["masked"] / "_multiline_records").rglob("*.json")) == ["multi.csv.json"]


def test_summary_accounts_for_every_record_and_alerts_once(zone):
    s = zone["summary"]
    assert (s["objects"], s["objects_masked"], s["objects_passed_through"], s["objects_quarantined"]) == (14, 6, 1, 7)
    # records: csv 4 + tsv 2 + jsonl 2 + json 1 + parquet 3 + clean 2 + multi-line 1 = 15 out; 1 per quarantined
    # csv + txt line
    assert s["rows_out"] == 15 and s["rows_in"] == s["rows_out"] + s["rows_quarantined"]
    assert s["tokenization"].startswith("keyed HMAC-SHA256")
    [message] = zone["messages"]
    body = json.loads(json.loads(message["Body"])["Message"])
    assert body["objects_quarantined"] == 7 and {o["reason"] for o in body["objects"]} >= {"etag_mismatch", "status_skipped"}
    assert s["notifications"][0]["published"] is True


def test_mask_cell_actions(spark):
    tok = token("021000021")
    rows = [(CARD, "************9855", "[CREDIT_CARD_NUMBER]", "[CREDIT_CARD_NUMBER]"),
            ("pay 4556737586899855 now", "pay [CREDIT_CARD_NUMBER] now", "pay [CREDIT_CARD_NUMBER] now",
             "pay [CREDIT_CARD_NUMBER] now"),
            ("no card here", "[CREDIT_CARD_NUMBER]", "[CREDIT_CARD_NUMBER]", "[CREDIT_CARD_NUMBER]"),
            ("", "", "", ""), (None, None, None, None)]
    df = spark.createDataFrame(rows, "v string, last4 string, redact string, tok string")
    from pyspark.sql import functions as F
    from secure_transform.masking import _tokenizer

    out = df.select("*", mask_cell(F.col("v"), "CREDIT_CARD_NUMBER", "keep_last4").alias("got_last4"),
                    mask_cell(F.col("v"), "CREDIT_CARD_NUMBER", "redact").alias("got_redact"),
                    mask_cell(F.col("v"), "CREDIT_CARD_NUMBER", "tokenize").alias("got_tok"),  # no key: redaction
                    mask_cell(F.lit("021000021"), "ABA_ROUTING_NUMBER", "tokenize",
                              tokenizer=_tokenizer(KEY, spark)).alias("aba"),
                    keep_last4(F.lit("GB82 WEST 1234")).alias("k4"))
    assert_column_equality(out, "last4", "got_last4")
    assert_column_equality(out, "redact", "got_redact")
    assert_column_equality(out, "tok", "got_tok")
    assert {r["aba"] for r in out.collect()} == {tok}
    assert {r["k4"] for r in out.collect()} == {"**** **** 1234"}


def test_policy_defaults_and_overrides():
    p = MaskingPolicy()
    assert p.action("CREDIT_CARD_NUMBER") == "keep_last4"
    assert p.action("UK_BANK_ACCOUNT_NUMBER") == "tokenize" and p.action("USA_SOCIAL_SECURITY_NUMBER") == "tokenize"
    assert p.action("UK_PASSPORT_NUMBER") == "tokenize" and p.action("NAME") == "redact"
    assert p.action("IBAN", custom=True) == "tokenize" and p.action("EMPLOYEE_ID", custom=True) == "redact"
    q = parse_masking_policy('{"custom": {"EMPLOYEE_ID": "quarantine"}, "types": {"NAME": "tokenize"}}')
    assert q.action("EMPLOYEE_ID", custom=True) == "quarantine" and q.action("NAME") == "tokenize"


@pytest.mark.parametrize("text", [
    "not json", "[1]", '{"types": {"NAME": "shred"}}', '{"colour": 1}', '{"default": "keep"}',
    '{"on_occurrence_cap": "ignore"}', '{"mask_char": "X"}', '{"custom": []}',
])
def test_invalid_policies_are_config_errors(text):
    with pytest.raises(ConfigError, match="--masking_policy"):
        parse_masking_policy(text)


def test_etag_check_mode_is_validated(spark, tmp_path):
    loc = sio.parse_location(str(tmp_path), "x")
    with pytest.raises(ConfigError, match="--etag-check"):
        mask_objects(spark, loc, loc, loc, loc, etag_check="loose")


@mock_aws
def test_s3_concatenation_uses_multipart_copy_and_drops_the_final_newline():
    session = boto3.session.Session(region_name="eu-west-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="bucket-b", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    sizes = (6 * 1024 * 1024, 1024 * 1024, 6 * 1024 * 1024 + 3)
    parts, expected = [], b""
    for i, size in enumerate(sizes):
        body = bytes([65 + i]) * (size - 1) + b"\n"
        s3.put_object(Bucket="bucket-b", Key=f"tmp/part-{i:05d}", Body=body)
        parts.append((sio.parse_location(f"s3://bucket-b/tmp/part-{i:05d}", "p"), size))
        expected += body
    written = concatenate(parts, sio.parse_location("s3://bucket-b/out/x.csv", "t"), drop_last_bytes=1, session=session)
    got = s3.get_object(Bucket="bucket-b", Key="out/x.csv")["Body"].read()
    assert written == len(expected) - 1 and got == expected[:-1]


@mock_aws
def test_s3_object_version_and_etag_are_checked_before_masking():
    from secure_transform.masking import plan_object

    session = boto3.session.Session(region_name="eu-west-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket="raw-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket="raw-bucket", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="raw-bucket", Key="in/a.csv", Body=b"id,ssn\n1,219-09-9999\n")
    s3.put_object(Bucket="raw-bucket", Key="in/a.csv", Body=b"id,ssn\n1,219-09-9999\n")  # same bytes, new version
    [info] = list(sio.list_objects(sio.parse_location("s3://raw-bucket/in", "s"), session))
    dets = (_det("USA_SOCIAL_SECURITY_NUMBER", _cells([2], 2, "ssn")),)

    def result(etag, version):
        return macie.DiscoveryResult(object=macie.ObjectRef("raw-bucket", "in/a.csv", etag=etag, version_id=version),
                                     status="COMPLETE", detections=dets)

    etag = first["ETag"].strip('"')
    old = plan_object(info, "in/a.csv", "csv", result(etag, first["VersionId"]), MaskingPolicy(), session=session)
    assert (old.action, old.reason) == ("quarantine", "version_mismatch")
    changed = plan_object(info, "in/a.csv", "csv", result("0" * 32, None), MaskingPolicy(), session=session)
    assert (changed.action, changed.reason) == ("quarantine", "etag_mismatch")
    current = s3.head_object(Bucket="raw-bucket", Key="in/a.csv")["VersionId"]
    ok = plan_object(info, "in/a.csv", "csv", result(etag, current), MaskingPolicy(), session=session)
    assert ok.action == "mask" and ok.cells == {(2, 2): {"USA_SOCIAL_SECURITY_NUMBER"}}


# --- columns main_etl tokenizes (--pii_columns): left for tokenization, everything else masked ------

PII = {"email": {"method": "deterministic"}, "card": {"method": "hash"}, "id": {"method": "deterministic"}}
PEOPLE = "id,email,memo\n1,ann@example.com,hi\n2,bob@example.com,mail ann@example.com\n3,ann@example.com,ok\n"


def _people_results(raw, base, name):
    """Results for masking the folder ``raw/i`` alone (keys are relative to the masked folder)."""
    path = str(raw / "i/people.csv")
    macie.write_results(sio.parse_location(str(base / name), "r"), [
        (macie.ObjectRef("raw-bucket", "people.csv", etag=_etag(path), size=os.path.getsize(path)),
         [_det("EMAIL_ADDRESS", _cells([2, 3, 4], 2, "email") + _cells([3], 3, "memo"), custom=True)], {})],
        account="111122223333", region="eu-west-1", job_id=JOB)


@pytest.fixture(scope="module")
def deferred(spark, tmp_path_factory):
    """One masking run with main_etl's --pii_columns (email, card and id are tokenized by main_etl)."""
    base = tmp_path_factory.mktemp("deferred")
    raw = base / "raw"
    for d in ("a", "b", "c", "g", "i"):
        (raw / d).mkdir(parents=True)
    (raw / "a/orders.csv").write_bytes(CSV.encode("utf-8"))
    (raw / "b/only_declared.csv").write_text("id,email\n1,x@example.com\n2,y@example.com\n")
    (raw / "c/events.jsonl").write_text(json.dumps({"id": 1, "email": "x@example.com", "note": "mail y@example.com"})
                                        + "\n" + json.dumps({"id": 2, "email": "z@example.com", "note": "n2"}) + "\n")
    for name in ("skipped", "partial", "changed", "policy"):
        (raw / f"g/{name}.csv").write_text("id,email\n1,x@example.com\n")
    (raw / "i/people.csv").write_text(PEOPLE)
    results = []

    def add(key, dets, status="COMPLETE", reason=None, etag=None):
        path = str(raw / key)
        results.append((macie.ObjectRef("raw-bucket", key, etag=etag or _etag(path), size=os.path.getsize(path)),
                        dets, {"status": status, "reason": reason}))

    add("a/orders.csv", [
        _det("CREDIT_CARD_NUMBER", _cells([2, 3, 5], 4, "card") + _cells([3], 5, "memo"), category="FINANCIAL_INFORMATION"),
        _det("EMAIL_ADDRESS", _cells([2, 3], 3, "email"), count=4, custom=True),  # capped, in a tokenized column
        _det("NAME", _cells([2], 2, "name"), count=4),  # capped, in a column main_etl does not tokenize
    ])
    add("b/only_declared.csv", [_det("EMAIL_ADDRESS", _cells([2, 3], 2, "email"), custom=True)])
    add("c/events.jsonl", [_det("EMAIL_ADDRESS", [_rec(0, "$.email"), _rec(0, "$['note']"), _rec(1, "$['email']")],
                                custom=True)])
    email = [_det("EMAIL_ADDRESS", _cells([2], 2, "email"), custom=True)]
    add("g/skipped.csv", [], status="SKIPPED", reason="FILE_EXCEEDS_SIZE_LIMIT")
    add("g/partial.csv", email, status="PARTIAL", reason="ARCHIVE_CONTAINS_UNPROCESSED_FILES")
    add("g/changed.csv", email, etag="ffffffffffffffffffffffffffffffff")
    add("g/policy.csv", [_det("EMPLOYEE_ID", _cells([2], 2, "email"), custom=True)])
    add("i/people.csv", [_det("EMAIL_ADDRESS", _cells([2, 3, 4], 2, "email") + _cells([3], 3, "memo"), custom=True)])
    macie.write_results(sio.parse_location(str(base / "results"), "r"), results, account="111122223333",
                        region="eu-west-1", job_id=JOB)
    policy = parse_masking_policy('{"custom": {"EMPLOYEE_ID": "quarantine"}}')
    outcome = mask_objects(spark, sio.parse_location(str(raw), "s"), sio.parse_location(str(base / "results"), "r"),
                           sio.parse_location(str(base / "masked"), "t"), sio.parse_location(str(base / "q"), "q"),
                           policy=policy, keyset=KEY, run_id="run-2", pii_columns=json.dumps(PII))
    return {"base": base, "raw": raw, "masked": base / "masked", "q": base / "q", "summary": outcome.summary()}


def test_cells_in_tokenized_columns_are_left_unchanged_and_counted(deferred):
    out = (deferred["masked"] / "a/orders.csv").read_bytes().decode("utf-8")
    assert out == ("id,name,email,card,memo\r\n"
                   "1,[NAME],mary@example.com,4556737586899855,\"Paid, thanks\"\r\n"
                   "2,[NAME],john@example.org,5425233430109903,\"card [CREDIT_CARD_NUMBER] swiped twice\"\r\n"
                   "3,[NAME],zoe@example.net,,\r\n"
                   "4,[NAME],ann@example.com,4556737586899855,plain")
    [report] = [r for r in deferred["summary"]["deferred_to_tokenization"] if r["object"] == "a/orders.csv"]
    assert report["cells_deferred_to_tokenization"] == 5
    assert report["by_type"] == {"CREDIT_CARD_NUMBER": 3, "EMAIL_ADDRESS": 2}
    assert report["columns"] == {"CREDIT_CARD_NUMBER": ["card"], "EMAIL_ADDRESS": ["email"]}
    assert "@" not in json.dumps(deferred["summary"]) and "4556737586899855" not in json.dumps(deferred["summary"])


def test_occurrence_cap_in_a_tokenized_column_is_not_widened(deferred):
    s = deferred["summary"]
    [report] = [r for r in s["deferred_to_tokenization"] if r["object"] == "a/orders.csv"]
    assert report["whole_columns"] == [{"object": "a/orders.csv", "type": "EMAIL_ADDRESS", "count": 4, "listed": 2,
                                        "column": "email", "reason": "occurrence_cap_in_tokenized_column"}]
    # the capped NAME detection is in a column main_etl does not know about: widened as before
    assert [w for w in s["whole_columns_masked"] if w["object"] == "a/orders.csv"] == [
        {"object": "a/orders.csv", "type": "NAME", "count": 4, "listed": 1, "column": "name", "reason": "occurrence_cap"}]


def test_object_with_only_tokenized_detections_passes_byte_for_byte(deferred):
    key = "b/only_declared.csv"
    assert (deferred["masked"] / key).read_bytes() == (deferred["raw"] / key).read_bytes()
    [report] = [r for r in deferred["summary"]["deferred_to_tokenization"] if r["object"] == key]
    assert (report["cells_deferred_to_tokenization"], report["columns"]) == (2, {"EMAIL_ADDRESS": ["email"]})


def test_records_defer_by_top_level_field_and_mask_the_rest(deferred):
    first, second = [json.loads(line) for line in (deferred["masked"] / "c/events.jsonl").read_text().splitlines()]
    assert first == {"id": 1, "email": "x@example.com", "note": "mail [EMAIL_ADDRESS]"}
    assert second == {"id": 2, "email": "z@example.com", "note": "n2"}


def test_summary_counts_deferred_cells_per_type_and_column(deferred):
    s = deferred["summary"]
    assert s["pii_columns_deferred"] == ["card", "email", "id"]
    assert s["cells_deferred_to_tokenization_by_type"] == {"CREDIT_CARD_NUMBER": 3, "EMAIL_ADDRESS": 9}
    assert s["cells_deferred_to_tokenization"] == 12
    assert s["columns_deferred_to_tokenization"] == {"CREDIT_CARD_NUMBER": ["card"], "EMAIL_ADDRESS": ["email"]}
    assert s["masked_occurrences_by_type"] == {"CREDIT_CARD_NUMBER": 1, "EMAIL_ADDRESS": 2, "NAME": 1}
    assert (s["objects_masked"], s["objects_passed_through"], s["objects_quarantined"]) == (3, 1, 4)
    assert s["rows_in"] == s["rows_out"] + s["rows_quarantined"] and s["rows_out"] == 4 + 2 + 2 + 3


@pytest.mark.parametrize("key, reason", [("g/skipped.csv", "status_skipped"), ("g/partial.csv", "status_partial"),
                                         ("g/changed.csv", "etag_mismatch"), ("g/policy.csv", "policy_quarantine")])
def test_tokenized_columns_never_unquarantine_an_object(deferred, key, reason):
    assert not (deferred["masked"] / key).exists()
    record = json.loads((deferred["q"] / "reasons" / (key + ".json")).read_text())
    assert record["reason"] == reason
    assert (deferred["q"] / "objects" / key).read_bytes() == (deferred["raw"] / key).read_bytes()


def test_masking_then_tokenization_keeps_one_token_per_value(spark, deferred):
    from secure_transform.tokenization import parse_pii_columns, tokenize_columns

    def tokens(folder):
        df = spark.read.option("header", "true").csv(str(folder / "i/people.csv"))
        rows = tokenize_columns(df, parse_pii_columns({"email": "deterministic"}), KEY).orderBy("id").collect()
        return [r["email"] for r in rows], [r["memo"] for r in rows]  # three rows

    emails, memos = tokens(deferred["masked"])
    assert emails[0] == emails[2] == token("ann@example.com") and emails[1] == token("bob@example.com")
    assert emails[0] != emails[1]
    assert memos == ["hi", "mail [EMAIL_ADDRESS]", "ok"]  # free text is still masked here
    # without --pii_columns the masked placeholder is what main_etl tokenizes: one token for everyone
    base = deferred["base"]
    _people_results(deferred["raw"], base, "results-i")
    mask_objects(spark, sio.parse_location(str(deferred["raw"] / "i"), "s"),
                 sio.parse_location(str(base / "results-i"), "r"), sio.parse_location(str(base / "masked-i"), "t"),
                 sio.parse_location(str(base / "q-i"), "q"), keyset=KEY, run_id="run-3")
    (base / "plain").mkdir()
    os.rename(base / "masked-i", base / "plain" / "i")
    collapsed, _ = tokens(base / "plain")
    assert len(set(collapsed)) == 1 and collapsed[0] == token("[EMAIL_ADDRESS]")


@pytest.mark.parametrize("value", ["not json", "{}", "[1]", '{"email": {"method": "shred"}}'])
def test_invalid_pii_columns_stop_masking_before_anything_is_written(spark, tmp_path, value):
    from secure_transform.masking import run_macie_masking
    from secure_transform.runtime import local_runtime

    (tmp_path / "raw").mkdir()
    (tmp_path / "raw/a.csv").write_text("id,email\n1,x@example.com\n")
    locs = {n: sio.parse_location(str(tmp_path / n), n) for n in ("raw", "results", "masked", "q")}
    with pytest.raises(ConfigError, match="--pii_columns"):
        mask_objects(spark, locs["raw"], locs["results"], locs["masked"], locs["q"], pii_columns=value)
    rt = local_runtime("macie_masking", {"source_bucket": str(tmp_path / "raw"), "results_bucket": str(tmp_path / "results"),
                                         "target_bucket": str(tmp_path / "masked"), "quarantine_bucket": str(tmp_path / "q"),
                                         "pii_columns": value}, spark)
    with pytest.raises(ConfigError, match="--pii_columns"):
        run_macie_masking(rt)
    assert not (tmp_path / "masked").exists() and not (tmp_path / "q").exists()


def test_cli_mask_rejects_bad_pii_columns_before_starting(tmp_path, capsys):
    from secure_transform.cli import main as cli_main

    code = cli_main(["mask", "--input", str(tmp_path), "--results", str(tmp_path), "--output", str(tmp_path / "m"),
                     "--quarantine", str(tmp_path / "q"), "--pii-columns", '{"email": "shred"}'])
    assert code == 2 and "--pii-columns" in capsys.readouterr().err and not (tmp_path / "m").exists()


@pytest.mark.parametrize("path, field", [("$.email", "email"), ("$['email']", "email"), ("$[3].email", "email"),
                                         ("$.customer.email", "customer"), ("$[1]", None)])
def test_top_level_field_of_a_json_path(path, field):
    from secure_transform.masking import _top_level_field

    assert _top_level_field(path) == field


def test_objects_of_one_layout_share_one_rebuild_expression_and_keep_their_own_rows(spark, tmp_path, monkeypatch):
    """The line-rebuilding expression is built once per layout and run; the rows to mask stay data."""
    from secure_transform import masking

    built = []
    real = masking.mask_value
    monkeypatch.setattr(masking, "mask_value", lambda *a, **k: built.append(1) or real(*a, **k))
    raw = tmp_path / "raw"
    raw.mkdir()
    body = "id,ssn,email\n1,219-09-9999,a@example.com\n2,078-05-1120,b@example.com\n"
    for name in ("one.csv", "two.csv", "three.csv"):
        (raw / name).write_text(body)
    ssn = lambda rows: _det("USA_SOCIAL_SECURITY_NUMBER", _cells(rows, 2, "ssn"))  # noqa: E731
    results = [
        (macie.ObjectRef("raw-bucket", "one.csv", etag=_etag(str(raw / "one.csv")), size=len(body)), [ssn([2])], {}),
        (macie.ObjectRef("raw-bucket", "two.csv", etag=_etag(str(raw / "two.csv")), size=len(body)), [ssn([3])], {}),
        (macie.ObjectRef("raw-bucket", "three.csv", etag=_etag(str(raw / "three.csv")), size=len(body)),
         [_det("EMAIL_ADDRESS", _cells([2, 3], 3, "email"))], {}),
    ]
    macie.write_results(sio.parse_location(str(tmp_path / "results"), "r"), results, account="111122223333",
                        region="eu-west-1", job_id=JOB)
    loc = lambda p: sio.parse_location(str(p), "x")  # noqa: E731
    # classification off: this test is about listed rows (a classified column would mask every row)
    outcome = mask_objects(spark, loc(raw), loc(tmp_path / "results"), loc(tmp_path / "masked"), loc(tmp_path / "q"),
                           keyset=KEY, run_id="run-cache", policy=parse_masking_policy('{"column_threshold": null}'))
    assert outcome.summary()["objects_quarantined"] == 0
    masked = tmp_path / "masked"
    assert (masked / "one.csv").read_text() == (f"id,ssn,email\n1,{token('219-09-9999')},a@example.com\n"
                                                "2,078-05-1120,b@example.com\n")
    assert (masked / "two.csv").read_text() == ("id,ssn,email\n1,219-09-9999,a@example.com\n"
                                                f"2,{token('078-05-1120')},b@example.com\n")
    assert (masked / "three.csv").read_text() == ("id,ssn,email\n1,219-09-9999,[EMAIL_ADDRESS]\n"
                                                  "2,078-05-1120,[EMAIL_ADDRESS]\n")  # default policy: redact
    assert len(built) == 2  # one expression for the ssn layout (two objects), one for the email layout
