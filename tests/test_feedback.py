"""Feedback loop: leak findings and denied reviews -> feedback records (never values) -> curated
table and candidate Macie custom data identifiers (.tfvars.json). S3 through moto."""

from __future__ import annotations

import json
import re

import boto3
import pytest
from moto import mock_aws

from secure_transform import feedback
from secure_transform import io as sio
from secure_transform import review
from secure_transform.cli import main as cli_main
from secure_transform.errors import ConfigError
from secure_transform.leak import leak_check

from test_leak import ROWS, write_run
from test_review import _quarantine_one

CARD = "4556 7375 8689 9855"  # what a reviewer must never type into --example-shape


# ------------------------------------------------------------------------------------ shapes


@pytest.mark.parametrize("shape", ["9999 9999 9999 9999 999", "AA99 9999 9999 9999 9999 99", "aaaa.aaaa@aaaa.aaa",
                                   "(999) 999-9999", "999-99-9999", "A", "9"])
def test_redacted_shapes_are_accepted(shape):
    assert feedback.validate_example_shape(shape) == shape


@pytest.mark.parametrize("shape, kind", [
    (CARD, "a digit other than 9"),
    ("9999 9999 9999 9991", "a digit other than 9"),
    ("GB99 NWBK 9999 9999 9999 99", "a letter other than A/a"),
    ("mary.major@aaaa.aaa", "a letter other than A/a"),
    ("AAAA\u00c9", "a letter other than A/a"),  # any other letter, accented ones too
    ("\u0669\u0669\u0669", "a digit other than 9"),  # Arabic-Indic nines are digits, not the shape's 9
    ("9999\t9999", "a character outside the shape alphabet"),
    ("99=99", "a character outside the shape alphabet"),
    ("", "1-100 characters"),
    ("9" * 101, "1-100 characters"),
    ("-- --", "at least one 9, A or a"),
])
def test_real_looking_shapes_are_refused_without_echoing_them(shape, kind):
    with pytest.raises(ConfigError, match="--example-shape") as err:
        feedback.validate_example_shape(shape)
    assert kind in str(err.value)
    if len(shape) > 3:
        assert shape not in str(err.value)


def test_regex_from_shape_matches_the_real_forms_of_the_shape():
    regex = feedback.regex_from_shape("9999 9999 9999 9999")
    assert regex == r"\b[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}\b"
    for text in (CARD, CARD.replace(" ", "-"), CARD.replace(" ", ""), "9999 9999 9999 9999"):
        assert re.search(regex, f"paid with {text} today"), text
    assert not re.search(regex, "4556 7375 8689 985") and not re.search(regex, "45567375868998551")
    assert feedback.regex_from_shape("AA-999999-a") == r"\b[A-Z]{2}[ -]?[0-9]{6}[ -]?[a-z]\b"
    assert feedback.regex_from_shape("(999) 999.9999") == r"\([0-9]{3}\)[ -]?[0-9]{3}\.[0-9]{4}\b"


# -------------------------------------------------------------------------------- leak check


def test_leak_findings_write_one_feedback_record_set_without_values(spark, tmp_path):
    target = sio.parse_location(str(tmp_path / "transformed"), "t")
    quarantine = sio.parse_location(str(tmp_path / "q"), "q")
    leaked = [r[:2] + (e,) + r[3:] for r, e in zip(ROWS, ("mary.major@example.com", "john@example.org", None))]
    write_run(spark, target, "r-email", leaked)
    summary = leak_check(spark, target, quarantine)
    [location] = summary["feedback_records"]
    files = list((tmp_path / "q" / "feedback" / "leak_check").rglob("*"))
    assert [p for p in files if p.is_file()] == [tmp_path / location]  # one object, no temp file left
    body = json.loads((tmp_path / location).read_text())
    assert body["schema"] == feedback.SCHEMA and body["source"] == "leak_check" and body["run_id"] == "r-email"
    assert body["detector_version"] == feedback.detector_version()
    assert body["records"] == [{"object": str(tmp_path / "q" / "transformed" / "run_id=r-email"), "column": "email",
                                "json_path": None, "type": "EMAIL_ADDRESS", "count": 2, "reason": "leak_detected",
                                "example_shape": None}]
    assert "mary.major" not in (tmp_path / location).read_text()


# ------------------------------------------------------------------ review deny + summarize


def test_deny_with_a_real_value_as_shape_is_refused_before_anything_changes(tmp_path, capsys):
    raw, quarantine = (sio.parse_location(str(tmp_path / n), n) for n in ("raw", "q"))
    _quarantine_one(raw, quarantine, "in/a.csv")
    code = cli_main(["review", "deny", "--quarantine", quarantine.uri, "--key", "in/a.csv", "--reviewer", "bob",
                     "--example-shape", CARD])
    err = capsys.readouterr().err
    assert code == 2 and "--example-shape: looks like real data (a digit other than 9)" in err and CARD not in err
    assert (tmp_path / "q" / "objects" / "in" / "a.csv").exists()  # not deleted
    assert not (tmp_path / "q" / "feedback").exists()
    assert [i.status for i in review.list_quarantine(quarantine)] == ["pending"]


def test_local_loop_deny_then_summarize_proposes_a_valid_identifier(spark, tmp_path, capsys):
    raw, quarantine = (sio.parse_location(str(tmp_path / n), n) for n in ("raw", "q"))
    _quarantine_one(raw, quarantine, "in/a.csv")
    _quarantine_one(raw, quarantine, "in/b.csv")
    assert cli_main(["review", "deny", "--quarantine", quarantine.uri, "--key", "in/a.csv", "--reviewer", "bob",
                     "--type", "LOYALTY_CARD_NUMBER", "--column", "loyalty_card",
                     "--example-shape", "9999 9999 9999 9999 999"]) == 0
    assert "feedback record:" in capsys.readouterr().out
    review.deny(quarantine, "in/b.csv", "alice")  # no type given: the detector's own counts
    target = sio.parse_location(str(tmp_path / "transformed"), "t")
    leaked = [r[:2] + (e,) + r[3:] for r, e in zip(ROWS, ("mary.major@example.com", "john@example.org", None))]
    write_run(spark, target, "r-email", leaked)
    leak_check(spark, target, quarantine)

    out = tmp_path / "fb"
    assert cli_main(["feedback", "summarize", "--quarantine", quarantine.uri, "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "feedback_summary.json").read_text())
    assert (summary["record_sets"], summary["records"], summary["shapes_refused"]) == (3, 3, 0)
    rows = {(r["type"], r["column_or_path"], r["source"]): r for r in summary["rows"]}
    assert rows[("LOYALTY_CARD_NUMBER", "loyalty_card", "review_deny")]["example_shape"] == "9999 9999 9999 9999 999"
    assert rows[("USA_SOCIAL_SECURITY_NUMBER", None, "review_deny")]["findings"] == 4
    assert rows[("EMAIL_ADDRESS", "email", "leak_check")]["findings"] == 2
    assert rows[("EMAIL_ADDRESS", "email", "leak_check")]["runs"] == 1
    assert "LOYALTY_CARD_NUMBER" in printed and "mary.major" not in printed
    assert (out / "feedback_summary.csv").read_text().splitlines()[0].startswith("type,example_shape,column_or_path")
    tfvars = json.loads((out / "macie_custom_data_identifiers.tfvars.json").read_text())
    [(name, cdi)] = tfvars["macie_custom_data_identifiers"].items()
    assert re.match(r"^fb-loyalty-card-number-[0-9a-f]{8}$", name)
    assert cdi["regex"] == r"\b[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{3}\b"
    assert cdi["keywords"] == ["loyalty card number", "loyalty_card", "loyalty card"]
    assert cdi["maximum_match_distance"] == 50 and len(cdi["description"]) <= 512
    feedback.validate_custom_data_identifiers(tfvars["macie_custom_data_identifiers"])
    # the same input gives the same names: Terraform's for_each keys stay stable
    assert cli_main(["feedback", "summarize", "--quarantine", quarantine.uri, "--output", str(tmp_path / "fb2")]) == 0
    assert (tmp_path / "fb2" / "macie_custom_data_identifiers.tfvars.json").read_text() == \
        (out / "macie_custom_data_identifiers.tfvars.json").read_text()


def test_summarize_never_propagates_a_hand_edited_value_and_counts_unreadable_sets(tmp_path, capsys):
    quarantine = sio.parse_location(str(tmp_path / "q"), "q")
    feedback.write_record_set(quarantine, "review_deny", [feedback.FeedbackRecord(
        object="x.csv", type="CARD", reason="review_denied", example_shape="9999 9999 9999 9999")], run_id="r")
    [path] = (tmp_path / "q" / "feedback").rglob("*.json")
    body = json.loads(path.read_text())
    body["records"].append({**body["records"][0], "example_shape": CARD})  # edited by hand: real data
    path.write_text(json.dumps(body))
    (path.parent / "broken.json").write_text("{not json")
    assert cli_main(["feedback", "summarize", "--quarantine", quarantine.uri, "--output", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    assert "1 example shape(s) refused" in captured.out and "broken.json: not a feedback record set" in captured.err
    text = "".join(p.read_text() for p in (tmp_path / "o").iterdir())
    assert CARD not in text and CARD.replace(" ", "") not in text
    summary = json.loads((tmp_path / "o" / "feedback_summary.json").read_text())
    assert summary["shapes_refused"] == 1 and len(summary["unreadable_record_sets"]) == 1


def test_summarize_of_no_feedback_writes_an_empty_valid_tfvars(tmp_path, capsys):
    assert cli_main(["feedback", "summarize", "--quarantine", str(tmp_path / "q"), "--output", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "macie_custom_data_identifiers.tfvars.json").read_text()) == {
        "macie_custom_data_identifiers": {}}
    assert "0 feedback record(s)" in capsys.readouterr().out
    assert cli_main(["feedback", "summarize", "--quarantine", str(tmp_path / "q"), "--output", str(tmp_path / "o"),
                     "--maximum-match-distance", "301"]) == 2


@mock_aws
def test_s3_deny_writes_feedback_and_summarize_reads_it():
    session = boto3.session.Session(region_name="eu-west-1")
    s3 = session.client("s3")
    for b in ("raw", "quarantine"):
        s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    raw = sio.parse_location("s3://raw", "raw")
    quarantine = sio.parse_location("s3://quarantine/macie_masking", "q")
    _quarantine_one(raw, quarantine, "in/a.csv", session)
    decision = review.deny(quarantine, "in/a.csv", "bob", session=session, pii_type="MEMBER_REF",
                           json_path="$.member.ref", example_shape="AA-999999")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="quarantine", Prefix="macie_masking/feedback/")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("macie_masking/feedback/review_deny/")
    assert decision["feedback"] == f"s3://quarantine/{keys[0]}"
    body = json.loads(s3.get_object(Bucket="quarantine", Key=keys[0])["Body"].read())
    assert body["run_id"] == "run-1" and body["reviewer"] == "bob" and body["quarantine_reason"] == "status_skipped"
    assert body["records"][0] == {"object": "in/a.csv", "column": None, "json_path": "$.member.ref",
                                  "type": "MEMBER_REF", "count": None, "reason": "review_denied",
                                  "example_shape": "AA-999999"}
    sets, unreadable = feedback.read_record_sets([quarantine], session)
    assert unreadable == [] and len(sets) == 1
    candidates = feedback.candidate_identifiers(feedback.summarize(sets))
    [cdi] = candidates.values()
    assert cdi["regex"] == r"\b[A-Z]{2}[ -]?[0-9]{6}\b" and cdi["keywords"] == ["member ref"]
