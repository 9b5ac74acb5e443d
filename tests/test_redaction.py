"""Free-text redaction in main_etl: ``redact`` with scope ``spans`` and its placeholder counts."""

from __future__ import annotations

import pytest
from chispa import assert_column_equality

from secure_transform.errors import ConfigError
from secure_transform.redaction import placeholder_counts, placeholder_metrics, redacted_span_columns
from secure_transform.tokenization import parse_pii_columns, tokenize_columns


def test_scope_defaults_to_spans_for_free_text_columns_only():
    cfg = parse_pii_columns({"memo": {"method": "redact"}, "customer_name": "redact", "notes": "redact",
                             "comment": {"method": "redact", "type": "comment"},
                             "address": {"method": "redact", "scope": "spans"}})
    scopes = {c.name: c.scope for c in cfg.columns}
    assert scopes == {"memo": "spans", "customer_name": "value", "notes": "spans", "comment": "value",
                      "address": "spans"}
    assert redacted_span_columns(cfg) == ("memo", "notes", "address")


@pytest.mark.parametrize("entry, match", [({"method": "redact", "scope": "cells"}, "scope must be one of value, spans"),
                                          ({"method": "redact", "scope": "spans", "placeholder": "x"}, "typed placeholders"),
                                          ({"method": "hash", "scope": "spans"}, "option 'scope' is not valid")])
def test_invalid_redact_scope_is_a_config_error(entry, match):
    with pytest.raises(ConfigError, match=match):
        parse_pii_columns({"memo": entry})


def test_redact_keeps_the_text_and_replaces_every_span(spark):
    rows = [
        ("Manual entry, card 4556 7375 8689 9855 swiped twice", "Manual entry, card [CREDIT_CARD_NUMBER] swiped twice"),
        ("customer Karin Rossi called from 01234 567890", "customer [PERSON] called from [PHONE_NUMBER]"),
        ("id check 078-05-1120 ok, mail mary@example.com", "id check [USA_SOCIAL_SECURITY_NUMBER] ok, mail [EMAIL_ADDRESS]"),
        ("ship to 12 rue de la Paix, 75002 Paris", "ship to [ADDRESS]"),
        ("Online order #12345678", "Online order #12345678"),
        ("", ""),
        (None, None),
    ]
    df = spark.createDataFrame(rows, "memo string, expected string")
    out = tokenize_columns(df, parse_pii_columns({"memo": {"method": "redact"}}), None)
    assert_column_equality(out, "memo", "expected")
    assert out.schema["memo"].metadata["secure_transform"] == {"method": "redact", "source_type": "string",
                                                               "scope": "spans"}
    counts = placeholder_counts(out.agg(*placeholder_metrics(["memo"])).first(), ["memo"])
    assert counts == {"by_column": {"memo": {"ADDRESS": 1, "CREDIT_CARD_NUMBER": 1, "EMAIL_ADDRESS": 1, "NAME": 1,
                                             "PHONE_NUMBER": 1, "USA_SOCIAL_SECURITY_NUMBER": 1}},
                      "by_type": {"ADDRESS": 1, "CREDIT_CARD_NUMBER": 1, "EMAIL_ADDRESS": 1, "NAME": 1,
                                  "PHONE_NUMBER": 1, "USA_SOCIAL_SECURITY_NUMBER": 1}}


def test_report_section_shows_placeholder_counts_and_classified_columns():
    from secure_transform import report

    summary = {"jobs": {"main_etl": {"job": "main_etl", "redacted_text_columns": ["memo"],
                                     "placeholders_by_type": {"NAME": 3, "EMAIL_ADDRESS": 12}},
                        "macie_masking": {"columns_classified": [{"object": "a.csv", "column": "card_number",
                                                                  "type": "CREDIT_CARD_NUMBER", "share": 0.8}]}}}
    html = report._redaction(report._Run(output_dir=".", summary=summary))
    assert "Free text redacted span by span (memo)" in html
    assert "<tr><td>EMAIL_ADDRESS</td><td>12</td></tr>" in html and "<tr><td>NAME</td><td>3</td></tr>" in html
    assert "card_number" in html and "CREDIT_CARD_NUMBER" in html and "0.80" in html
