"""Row validation: each problem gets exactly one documented reject_reason; nothing is dropped."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from secure_transform.errors import SchemaError
from secure_transform.validation import (
    REJECT_REASON,
    ValidationConfig,
    check_required_columns,
    split_valid,
    with_reject_reason,
)

COLS = ["transaction_id", "customer_id", "amount", "currency", "transaction_ts", "merchant_category_code", "memo",
        "_corrupt_record", "source_file"]
RUN_TIME = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)

ROWS = [
    # transaction_id, customer_id, amount, currency, ts, mcc, memo, corrupt, file  -> expected reason
    (("T1", "C1", "12.50", "usd", "2026-11-03T10:00:00Z", "5411", "ok \U0001F44D", None, "f1"), None),
    (("T2", "C1", "abc", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "invalid_amount"),
    (("T3", "C1", "NaN", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "non_finite_amount"),
    (("T4", "C1", "Infinity", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "non_finite_amount"),
    (("T5", "C1", "-3.00", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "non_positive_amount"),
    (("T6", "C1", "0", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "non_positive_amount"),
    (("T7", "C1", "5000000", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "absurd_amount"),
    (("T8", "C1", "10", "USD", "not a time", "5411", None, None, "f1"), "invalid_timestamp"),
    (("T9", "C1", "10", "USD", "2036-11-03T10:00:00Z", "5411", None, None, "f1"), "future_timestamp"),
    (("T10", "C1", "10", "XXX", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "unknown_currency"),
    (("", "C1", "10", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "missing_transaction_id"),
    (("T12", "  ", "10", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "missing_customer_id"),
    (("T13", None, "10", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "missing_customer_id"),
    (("T14", "C\ufffd", "10", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f1"), "invalid_encoding"),
    (("T15", "C1", "10", "USD", "2026-11-03T10:00:00Z", "5411", "x" * 70_000, None, "f1"), "oversized_field:memo"),
    (("T16", "C1", None, None, None, None, None, "T16,C1,broken", "f1"), "malformed_record"),
    (("T17", "C1", "10", "USD", "2026-11-03T10:00:00Z", "ABCD", None, None, "f1"), None),  # bad MCC is not a reason
    (("T18", "C1", "10", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f2"), None),
    (("T18", "C1", "11", "USD", "2026-11-03T11:00:00Z", "5411", None, None, "f1"), "duplicate_transaction_id"),
    (("T18", "C1", "12", "USD", "2026-11-03T10:00:00Z", "5411", None, None, "f3"), "duplicate_transaction_id"),
]


@pytest.fixture(scope="module")
def checked(spark):
    schema = StructType([StructField(c, StringType()) for c in COLS])
    df = spark.createDataFrame([r for r, _ in ROWS], schema)
    return with_reject_reason(df, ValidationConfig(run_time=RUN_TIME))


def test_each_problem_gets_its_reason(checked):
    got = sorted((r.transaction_id, r.amount_text, r[REJECT_REASON]) for r in
                 checked.select("transaction_id", F.col("amount").cast("string").alias("amount_text"),
                                REJECT_REASON).collect())
    assert len(got) == len(ROWS)  # nothing dropped
    expected = {}
    for row, reason in ROWS:
        expected.setdefault(row[0], []).append(reason)
    actual = {}
    for txid, _, reason in got:
        actual.setdefault(txid, []).append(reason)
    assert {k: sorted(v, key=str) for k, v in actual.items()} == {k: sorted(v, key=str) for k, v in expected.items()}


def test_duplicate_keeps_earliest_then_smallest_file(checked):
    kept = checked.filter((F.col("transaction_id") == "T18") & F.col(REJECT_REASON).isNull()).collect()
    assert [(r.source_file, r.amount) for r in kept] == [("f2", 10.0)]


def test_types_and_split(checked):
    valid, rejected = split_valid(checked)
    assert dict(valid.dtypes)["amount"] == "double" and dict(valid.dtypes)["transaction_ts"] == "timestamp"
    assert REJECT_REASON not in valid.columns and "_corrupt_record" not in valid.columns
    assert valid.count() + rejected.count() == len(ROWS)
    assert sorted(r.transaction_id for r in valid.collect()) == ["T1", "T17", "T18"]
    first = valid.filter("transaction_id = 'T1'").first()
    assert first.currency == "USD" and first.memo == "ok \U0001F44D"
    assert first.transaction_ts == datetime(2026, 11, 3, 10, 0)


def test_missing_required_column_fails_closed():
    with pytest.raises(SchemaError, match=r"s3://raw/x.csv, column 'amount': required column is missing"):
        check_required_columns(["transaction_id", "customer_id", "currency", "transaction_ts",
                                "merchant_category_code"], "s3://raw/x.csv")
