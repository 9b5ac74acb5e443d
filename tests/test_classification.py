"""Column classification: a column mostly of one validated type is masked whole as that type."""

from __future__ import annotations

import hashlib
import os

import pytest

from secure_transform import io as sio
from secure_transform import macie
from secure_transform.classification import classify_columns, column_type_shares
from secure_transform.errors import ConfigError
from secure_transform.masking import mask_objects, parse_masking_policy

CARDS = ("4556737586899855", "5425233430109903", "6011000400000018", "4539148803436467")
# the fifth value is a card written in a way no recogniser validates (letter O for zero): Macie
# (here: the listed occurrences) misses it, the classified column masks it anyway
CSV = ("id,card_number,note\n"
       + "".join(f"{i},{c},n{i}\n" for i, c in enumerate(CARDS, start=1))
       + "5,4556 7375 8689 98O5,n5\n6,,n6\n")


def test_shares_count_validated_values_of_every_row(spark):
    df = spark.createDataFrame([("4556737586899855", "ok"), ("5425233430109903", "Mary Major"), ("n/a", None),
                                ("", "4556737586899855"), (None, "Paid with 4556737586899855 today")],
                               "card string, note string")
    shares = column_type_shares(df, ["card", "note"], ["CREDIT_CARD_NUMBER", "UK_PASSPORT_NUMBER"])
    # "note" holds one card value; "Paid with 4556737586899855 today" would mention one, not be one
    assert shares == {"card": {"non_empty": 3, "types": {"CREDIT_CARD_NUMBER": 2}},
                      "note": {"non_empty": 4, "types": {"CREDIT_CARD_NUMBER": 1}}}
    assert classify_columns(shares, 0.5) == {"card": {"type": "CREDIT_CARD_NUMBER", "share": 0.6667, "cells": 3}}
    assert classify_columns(shares, 0.7) == {}


@pytest.mark.parametrize("value", ['{"column_threshold": 0}', '{"column_threshold": -1}', '{"column_threshold": 1.5}', '{"column_threshold": "x"}',
                                   '{"column_threshold": true}'])
def test_invalid_threshold_is_a_config_error(value):
    with pytest.raises(ConfigError, match="column_threshold"):
        parse_masking_policy(value)


def _run(spark, tmp_path, policy=None):
    raw = tmp_path / "raw"
    raw.mkdir()
    path = raw / "cards.csv"
    path.write_text(CSV)
    etag = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    occ = tuple(macie.Occurrence("cells", row=r, column=2, column_name="card_number") for r in (2, 3, 4, 5))
    macie.write_results(sio.parse_location(str(tmp_path / "results"), "r"), [
        (macie.ObjectRef("b", "cards.csv", etag=etag, size=os.path.getsize(path)),
         [macie.Detection("CREDIT_CARD_NUMBER", 4, occ, category="FINANCIAL_INFORMATION")], {})],
        account="111122223333", region="eu-west-1", job_id="0" * 32)
    loc = lambda p: sio.parse_location(str(tmp_path / p), "x")  # noqa: E731
    outcome = mask_objects(spark, loc("raw"), loc("results"), loc("masked"), loc("q"),
                           policy=parse_masking_policy(policy))
    return (tmp_path / "masked" / "cards.csv").read_text(), outcome.summary()


def test_a_value_the_detector_missed_in_a_classified_column_is_masked(spark, tmp_path):
    text, summary = _run(spark, tmp_path)
    lines = text.splitlines()
    assert lines[0] == "id,card_number,note"
    assert [line.split(",")[1] for line in lines[1:5]] == ["************9855", "************9903", "************0018",
                                                          "************6467"]
    assert lines[5] == "5,[CREDIT_CARD_NUMBER],n5" and lines[6] == "6,,n6"  # missed value masked, empty stays empty
    assert summary["columns_classified"] == [{"object": "cards.csv", "column": "card_number",
                                              "type": "CREDIT_CARD_NUMBER", "share": 0.8, "cells": 5}]
    assert summary["rows_in"] == summary["rows_out"] == 6


@pytest.mark.parametrize("policy", ['{"column_threshold": 0.9}', '{"column_threshold": null}'])
def test_below_the_threshold_or_off_only_listed_values_are_masked(spark, tmp_path, policy):
    text, summary = _run(spark, tmp_path, policy)
    assert text.splitlines()[5] == "5,4556 7375 8689 98O5,n5"
    assert summary["columns_classified"] == []
