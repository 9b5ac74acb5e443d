"""Customer window features (time_delta, velocity) against hand-computed values."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality

from secure_transform.anomaly import AnomalyConfig, parse_anomaly_config
from secure_transform.errors import ConfigError, SchemaError
from secure_transform.features import (
    VelocityWindow,
    customer_feature_definitions,
    customer_feature_names,
    parse_velocity_window,
    with_customer_features,
)

T0 = dt.datetime(2026, 11, 1, 12, 0, 0)
INPUT_SCHEMA = "tid string, customer_id string, transaction_ts timestamp"
OUTPUT_SCHEMA = (INPUT_SCHEMA + ", time_delta double, velocity long, velocity_1h long, velocity_24h long")


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


# (tid, customer, seconds after T0) and the hand-computed time_delta, velocity_1h, velocity_24h.
# Windows are (t - w, t]: a transaction exactly 1h earlier is outside the 1h window.
CASES = [
    ("a1", "A", 0, None, 1, 1),          # customer A's first transaction in the batch: null time_delta
    ("a2", "A", 600, 0.0, 3, 3),         # a2/a3 tie at the same second: both 0.0, both count each other
    ("a3", "A", 600, 0.0, 3, 3),
    ("a4", "A", 4200, 3600.0, 1, 4),     # exactly 1h after a2/a3: they leave the 1h window
    ("a5", "A", 4200.5, 0.5, 2, 5),      # sub-second precision kept
    ("a6", "A", 87000, 82799.5, 1, 3),   # 24h window (600, 87000]: a4, a5, a6
    ("b1", "B", 0, None, 1, 1),          # first transaction of another customer at the same time as a1
    ("b2", "B", 3599, 3599.0, 2, 2),     # just inside the 1h window of b1
    ("n1", None, 5, None, None, None),   # null customer: no features (imputed later)
    ("n2", "B", None, None, None, None),  # null timestamp: no features, does not disturb B's rows
]


def _input(spark):
    rows = [(tid, cust, None if s is None else at(s)) for tid, cust, s, *_ in CASES]
    return spark.createDataFrame(rows, INPUT_SCHEMA)


def _expected(spark):
    rows = [(tid, cust, None if s is None else at(s), td, v1, v1, v24) for tid, cust, s, td, v1, v24 in CASES]
    return spark.createDataFrame(rows, OUTPUT_SCHEMA)


def test_hand_computed_windows(spark):
    out = with_customer_features(_input(spark), parse_anomaly_config(None, 0.01))
    assert_df_equality(out, _expected(spark), ignore_row_order=True, ignore_nullable=True)


def test_features_added_in_documented_order_and_every_row_kept(spark):
    out = with_customer_features(_input(spark), AnomalyConfig())
    assert out.columns == ["tid", "customer_id", "transaction_ts", "time_delta", "velocity", "velocity_1h",
                           "velocity_24h"]
    assert out.count() == len(CASES)


def test_history_makes_the_batch_boundary_exact(spark):
    history = spark.createDataFrame([("A", at(-4000)), ("B", at(-100)), ("B", at(-90000))],
                                    "customer_id string, transaction_ts timestamp")
    out = with_customer_features(_input(spark), AnomalyConfig(), history_df=history)
    got = {r["tid"]: (r["time_delta"], r["velocity_1h"], r["velocity_24h"]) for r in out.collect()}
    assert set(got) == {c[0] for c in CASES}  # history rows are not returned
    assert got["a1"] == (4000.0, 1, 2)  # the previous batch's transaction 4000 s earlier is now seen
    assert got["b1"] == (100.0, 2, 2)   # 90000 s earlier is outside 24h
    assert got["b2"] == (3599.0, 2, 3)  # at(-100) is 3699 s before b2: inside 24h, outside 1h
    assert got["a2"] == (0.0, 3, 4)
    assert got["n1"] == (None, None, None)


def test_configured_windows_and_velocity_alias(spark):
    config = parse_anomaly_config({"velocity_windows": ["10m", "2h"], "velocity_window": "2h",
                                   "features": ["velocity", "velocity_10m"]}, 0.01)
    out = with_customer_features(_input(spark), config)
    assert out.columns[-4:] == ["time_delta", "velocity", "velocity_10m", "velocity_2h"]
    got = {r["tid"]: (r["velocity"], r["velocity_10m"], r["velocity_2h"]) for r in out.collect()}
    assert got["a4"] == (4, 1, 4)   # 2h window (-3000, 4200]: a1, a2, a3, a4
    assert got["a3"] == (3, 2, 3)   # 10m window (0, 600]: a2, a3 only; a1 is exactly 10 min earlier
    assert got["n2"] == (None, None, None)


def test_string_timestamps_are_parsed_and_bad_ones_give_null(spark):
    df = spark.createDataFrame([("s1", "C", "2026-11-01T12:00:00Z"), ("s2", "C", "2026-11-01T12:00:30Z"),
                                ("s3", "C", "not a time")], "tid string, customer_id string, transaction_ts string")
    got = {r["tid"]: (r["time_delta"], r["velocity"]) for r in with_customer_features(df, AnomalyConfig()).collect()}
    assert got == {"s1": (None, 1), "s2": (30.0, 2), "s3": (None, None)}


def test_existing_feature_columns_are_replaced(spark):
    df = _input(spark).selectExpr("*", "cast(-1 as double) as time_delta")
    out = with_customer_features(df, AnomalyConfig())
    assert out.columns.count("time_delta") == 1
    assert {r["tid"]: r["time_delta"] for r in out.collect()}["a4"] == 3600.0


def test_missing_required_columns_are_schema_errors(spark):
    df = _input(spark).drop("customer_id")
    with pytest.raises(SchemaError, match="customer_id"):
        with_customer_features(df, AnomalyConfig())
    with pytest.raises(SchemaError, match="when"):
        with_customer_features(_input(spark), AnomalyConfig(), timestamp_column="when")


def test_non_time_timestamp_column_is_a_schema_error(spark):
    df = spark.createDataFrame([("x", "C", 5)], "tid string, customer_id string, transaction_ts int")
    with pytest.raises(SchemaError, match="transaction_ts.*timestamp"):
        with_customer_features(df, AnomalyConfig())


@pytest.mark.parametrize("text,seconds,label", [
    ("1h", 3600, "1h"), ("24h", 86400, "24h"), ("30m", 1800, "30m"), ("90s", 90, "90s"), ("7d", 604800, "168h"),
    (3600, 3600, "1h"), ("45", 45, "45s"), (" 2 h ", 7200, "2h"),
])
def test_parse_velocity_window(text, seconds, label):
    window = parse_velocity_window(text)
    assert (window.seconds, window.label, window.column) == (seconds, label, f"velocity_{label}")


@pytest.mark.parametrize("bad", ["", "1w", "h", "-1h", "1.5h", True, None, 0, "0s", "367d", [1]])
def test_invalid_velocity_window(bad):
    with pytest.raises(ConfigError, match="--anomaly_config"):
        parse_velocity_window(bad)


def test_feature_names_and_definitions():
    config = AnomalyConfig()
    assert customer_feature_names(config) == ("time_delta", "velocity", "velocity_1h", "velocity_24h")
    defs = customer_feature_definitions(config)
    assert "3600s" in defs["velocity"] and "86400s" in defs["velocity_24h"]
    assert VelocityWindow(86400).column == "velocity_24h"
