"""Re-identification risk: config validation, k and l on hand-built tables, suppression, the
derived quasi-identifiers and the `secure-transform risk` CLI."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from chispa import assert_column_equality, assert_df_equality
from hypothesis import strategies as st
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, LongType, MapType, StringType, StructField, StructType, TimestampType

from secure_transform.cli import main
from secure_transform.errors import ConfigError, SchemaError
from secure_transform.risk import (HISTOGRAM_BOUNDS, K_ANONYMITY, L_DIVERSITY, RiskConfig, assess_risk,
                                   check_risk_columns, equivalence_classes, parse_risk_config, split_by_risk,
                                   with_quasi_identifier_features, with_risk_reason)
from test_properties import draw_batch

SCHEMA = StructType([StructField("zip", StringType()), StructField("age", StringType()),
                     StructField("diagnosis", StringType())])
# Classes over (zip, age): (1,a) x3, (1,b) x2, (2,a) x1, (null,a) x2, (1,null) x1 -> sizes 3,2,1,2,1
ROWS = [("1", "a", "flu"), ("1", "a", "flu"), ("1", "a", "cold"),
        ("1", "b", "flu"), ("1", "b", None),
        ("2", "a", "cancer"),
        (None, "a", "flu"), (None, "a", "flu"),
        ("1", None, None)]


@pytest.fixture(scope="module")
def table(spark):
    return spark.createDataFrame(ROWS, SCHEMA)


# ------------------------------------------------------------------------------------- config


def test_parse_risk_config_defaults_and_none():
    assert parse_risk_config(None) is None and parse_risk_config("  ") is None
    assert parse_risk_config("null") is None  # what Terraform passes when risk_config is null
    cfg = parse_risk_config('{"quasi_identifiers": ["zip", "age"]}')
    assert cfg == RiskConfig(("zip", "age"), min_k=5, sensitive_column=None, min_l=1, action="report")


@pytest.mark.parametrize("value, fragment", [
    ('{"min_k": 5}', "quasi_identifiers is required"),
    ('{"quasi_identifiers": []}', "quasi_identifiers must list 1-16"),
    ('{"quasi_identifiers": "zip"}', "must be a list"),
    ('{"quasi_identifiers": ["zip", "zip"]}', "must not repeat"),
    ('{"quasi_identifiers": ["zip", ""]}', "column names of 1-128"),
    ('{"quasi_identifiers": ["zip"], "min_k": 1}', "min_k must be a whole number in [2,"),
    ('{"quasi_identifiers": ["zip"], "min_k": 2.5}', "min_k must be a whole number"),
    ('{"quasi_identifiers": ["zip"], "min_k": true}', "min_k must be a whole number"),
    ('{"quasi_identifiers": ["zip"], "min_l": 0}', "min_l must be a whole number in [1,"),
    ('{"quasi_identifiers": ["zip"], "min_l": 2}', "min_l > 1 needs a sensitive_column"),
    ('{"quasi_identifiers": ["zip"], "sensitive_column": "d", "min_k": 3, "min_l": 4}', "cannot exceed min_k"),
    ('{"quasi_identifiers": ["zip"], "sensitive_column": "zip"}', "must not also be a quasi-identifier"),
    ('{"quasi_identifiers": ["zip"], "action": "drop"}', "action must be one of report, suppress, block"),
    ('{"quasi_identifiers": ["zip"], "derived_columns": ["age_band"]}', "derived_columns may only name"),
    ('{"quasi_identifiers": ["zip"], "mink": 5}', "unknown key 'mink'"),
    ('{"quasi_identifiers": ["zip"], "min_k": 5, "min_k": 6}', "appears more than once"),
    ('["zip"]', "must be a JSON object"),
    ('{"quasi_identifiers": ["zip"],', "is not valid JSON"),
])
def test_invalid_risk_config_names_the_parameter(value, fragment):
    with pytest.raises(ConfigError, match="--risk_config") as err:
        parse_risk_config(value)
    assert fragment in str(err.value)


def test_check_risk_columns_names_the_missing_column(table):
    with pytest.raises(SchemaError, match="'postcode'.*quasi-identifier of --risk_config"):
        check_risk_columns(table.schema, RiskConfig(("zip", "postcode")), "out")
    with pytest.raises(SchemaError, match="'dx'.*sensitive_column"):
        check_risk_columns(["zip", "age"], RiskConfig(("zip",), sensitive_column="dx"), "out")
    mapped = StructType([StructField("m", MapType(StringType(), StringType()))])
    with pytest.raises(SchemaError, match="map column"):
        check_risk_columns(mapped, RiskConfig(("m",)), "out")


# ------------------------------------------------------------------------------- k and l


def test_equivalence_classes_treat_null_as_its_own_value(spark, table):
    got = equivalence_classes(table, RiskConfig(("zip", "age"), sensitive_column="diagnosis", min_k=2))
    expected = spark.createDataFrame(
        [("1", "a", 3, 2), ("1", "b", 2, 2), ("2", "a", 1, 1), (None, "a", 2, 1), ("1", None, 1, 1)],
        StructType([StructField("zip", StringType()), StructField("age", StringType()),
                    StructField("class_size", LongType(), False), StructField("class_l", LongType())]))
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_assess_risk_known_k_l_share_and_histogram(table):
    f = assess_risk(table, RiskConfig(("zip", "age"), sensitive_column="diagnosis", min_k=2, min_l=2))
    assert (f["rows"], f["equivalence_classes"], f["k"], f["max_class_size"]) == (9, 5, 1, 3)
    assert (f["classes_below_min_k"], f["rows_below_min_k"]) == (2, 2)
    assert f["share_rows_below_min_k"] == pytest.approx(2 / 9, abs=1e-6)
    assert f["l"] == 1 and (f["classes_below_min_l"], f["rows_below_min_l"]) == (3, 4)  # (2,a) (null,a) (1,null)
    assert f["rows_failing"] == 4 and f["passed"] is False  # (2,a) and (1,null) fail both: counted once
    hist = {h["class_size"]: (h["classes"], h["rows"]) for h in f["class_size_histogram"]}
    assert hist["1"] == (2, 2) and hist["2"] == (2, 4) and hist["3"] == (1, 3) and hist["5-9"] == (0, 0)
    assert len(f["class_size_histogram"]) == len(HISTOGRAM_BOUNDS)
    assert f["quasi_identifiers"] == ["zip", "age"] and f["action"] == "report"


def test_assess_risk_passes_when_every_class_is_large_enough(spark):
    df = spark.createDataFrame([("x", i % 2) for i in range(12)], "q string, s int")
    f = assess_risk(df, RiskConfig(("q",), min_k=12, sensitive_column="s", min_l=2))
    assert (f["k"], f["l"], f["passed"], f["rows_below_min_k"], f["share_rows_below_min_k"]) == (12, 2, True, 0, 0.0)
    assert next(h for h in f["class_size_histogram"] if h["class_size"] == "10-19") == {
        "class_size": "10-19", "min_size": 10, "classes": 1, "rows": 12}


def test_assess_risk_on_no_rows(spark):
    f = assess_risk(spark.createDataFrame([], "q string"), RiskConfig(("q",)))
    assert (f["rows"], f["k"], f["equivalence_classes"], f["passed"]) == (0, None, 0, True)


def test_nan_and_null_are_one_class_each(spark):
    df = spark.createDataFrame([(float("nan"),), (float("nan"),), (None,), (None,), (1.0,)], "q double")
    f = assess_risk(df, RiskConfig(("q",), min_k=2))
    assert (f["equivalence_classes"], f["k"], f["rows_below_min_k"]) == (3, 1, 1)


# ---------------------------------------------------------------------------- suppression


def test_with_risk_reason_labels_k_then_l(spark, table):
    cfg = RiskConfig(("zip", "age"), sensitive_column="diagnosis", min_k=2, min_l=2)
    got = with_risk_reason(table, cfg).groupBy("zip", "age", "reject_reason").count()
    expected = spark.createDataFrame(
        [("1", "a", None, 3), ("1", "b", None, 2), ("2", "a", K_ANONYMITY, 1), (None, "a", L_DIVERSITY, 2),
         ("1", None, K_ANONYMITY, 1)], "zip string, age string, reject_reason string, count long")
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)
    kept, suppressed = split_by_risk(with_risk_reason(table, cfg), cfg)
    assert kept.columns == table.columns and kept.count() == 5 and suppressed.count() == 4


def test_null_sensitive_value_counts_as_one_distinct_value(spark):
    # class 1 holds 'flu' and null: l = 2 in both the aggregation and the window form
    df = spark.createDataFrame([("1", "flu"), ("1", None), ("2", None), ("2", None)], "q string, s string")
    cfg = RiskConfig(("q",), sensitive_column="s", min_k=2, min_l=2)
    assert assess_risk(df, cfg)["l"] == 1
    reasons = {r["q"]: r["reject_reason"] for r in with_risk_reason(df, cfg).collect()}  # 4 rows
    assert reasons == {"1": None, "2": L_DIVERSITY}


_ROWS = st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.integers(0, 3) | st.none(),
                           st.sampled_from(["x", "y", "z", None])), min_size=0, max_size=40)


@pytest.mark.parametrize("min_k, min_l", [(2, 1), (3, 2), (5, 1), (5, 3)])
def test_property_suppression_always_yields_k_at_least_min_k(spark, min_k, min_l):
    """Hypothesis draws 60 tables; they are checked in one Spark job per threshold pair, each table
    keeping its own classes through an ``example`` quasi-identifier."""
    tables = draw_batch(_ROWS, 60)
    rows = [(i, *row) for i, table in enumerate(tables) for row in table]
    df = spark.createDataFrame(rows, "example int, q1 string, q2 int, s string")
    cfg = RiskConfig(("example", "q1", "q2"), min_k=min_k, sensitive_column="s", min_l=min_l, action="suppress")
    flagged = with_risk_reason(df, cfg).cache()
    kept, suppressed = split_by_risk(flagged, cfg)
    after = assess_risk(kept, cfg)
    assert after["k"] is None or after["k"] >= min_k
    assert after["l"] is None or after["l"] >= min_l
    assert after["passed"] and after["rows_below_min_k"] == 0
    # nothing lost, and nothing suppressed that passed: every suppressed row's class really fails
    assert after["rows"] + suppressed.count() == len(rows)
    before = {(r["example"], r["q1"], r["q2"]): (r["class_size"], r["class_l"])
              for r in equivalence_classes(df, cfg).collect()}  # bounded: at most 60 x 40 classes
    for r in suppressed.select("example", "q1", "q2", "reject_reason").distinct().collect():  # same bound
        size, l_value = before[(r["example"], r["q1"], r["q2"])]
        assert (size < min_k) if r["reject_reason"] == K_ANONYMITY else (size >= min_k and l_value < min_l)
    flagged.unpersist()


# ------------------------------------------------------------------- derived quasi-identifiers


def test_with_quasi_identifier_features(spark):
    schema = StructType([StructField("transaction_ts", TimestampType()), StructField("address", StringType()),
                         StructField("transaction_hour_expected", IntegerType()),
                         StructField("postcode_area_expected", StringType())])
    df = spark.createDataFrame([
        (datetime(2026, 11, 3, 14, 5), "12 Oak St, Salem, OR 97301", 14, "973"),
        (datetime(2026, 11, 3, 0, 0), "9 Elm Rd, Madison, WI 53703-1234", 0, "537"),
        (datetime(2026, 11, 3, 23, 59), "no zip here", 23, None),
        (None, "PO Box 123456", None, None),  # six digits are not a ZIP
        (None, None, None, None),
    ], schema)
    out = with_quasi_identifier_features(df, RiskConfig(("transaction_hour",),
                                                        derived_columns=("transaction_hour", "postcode_area")))
    assert_column_equality(out, "transaction_hour", "transaction_hour_expected")
    assert_column_equality(out, "postcode_area", "postcode_area_expected")
    with pytest.raises(SchemaError, match="'address'.*postcode_area"):
        with_quasi_identifier_features(df.drop("address"), RiskConfig(("q",), derived_columns=("postcode_area",)))


# ---------------------------------------------------------------------------------------- CLI


def test_cli_risk_on_csv_and_parquet(spark, tmp_path, capsys):
    df = spark.createDataFrame(ROWS, SCHEMA)
    df.write.parquet(str(tmp_path / "pq"))
    df.coalesce(1).write.option("header", "true").csv(str(tmp_path / "csv"))
    config = json.dumps({"quasi_identifiers": ["zip", "age"], "min_k": 2, "sensitive_column": "diagnosis"})
    assert main(["risk", "--input", str(tmp_path / "pq"), "--risk-config", config, "--json",
                 "--output", str(tmp_path / "f.json")]) == 0
    figures = json.loads((tmp_path / "f.json").read_text())
    assert (figures["k"], figures["rows_below_min_k"], figures["l"]) == (1, 2, 1)
    out = capsys.readouterr().out
    assert "flu" not in out and "cancer" not in out  # counts only, never values
    # CSV: an empty cell is read as null, so the classes are the same
    assert main(["risk", "--input", str(tmp_path / "csv"), "--risk-config",
                 json.dumps({"quasi_identifiers": ["zip", "age"], "min_k": 2, "action": "block"})]) == 5
    text = capsys.readouterr()
    assert "k (smallest class)    1" in text.out and "error: --risk_config: k=1 below min_k 2" in text.err
    assert main(["risk", "--input", str(tmp_path / "pq"), "--risk-config", '{"quasi_identifiers": ["zip"], "min_k": 1}']) == 2
    assert "--risk-config: min_k must be" in capsys.readouterr().err
    assert main(["risk", "--input", str(tmp_path / "pq"), "--risk-config", '{"quasi_identifiers": ["nope"]}']) == 2
    assert "'nope'" in capsys.readouterr().err


# ------------------------------------------------------------------------------------- report


def test_report_section_shows_figures_and_the_histogram(table):
    import base64
    import re

    from secure_transform import report

    cfg = RiskConfig(("zip", "age"), sensitive_column="diagnosis", min_k=2, action="suppress")
    before = assess_risk(table, cfg)
    after = {**assess_risk(table.filter("zip = '1' and age is not null"), cfg), "before_suppression": before,
             "rows_suppressed": {"k_anonymity": before["rows_below_min_k"]}}
    page = report._reidentification_risk(report._Run("/tmp/x", {"jobs": {"main_etl": {"reidentification_risk": after}}}))
    assert "Risk gate passed." in page and "zip, age" in page and "suppress (min_k 2, min_l 1)" in page
    assert "k_anonymity: 2" in page and "1 / 2 (22.22%)" in page  # before suppression: k / rows below min_k
    [png] = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert "flu" not in page and "cancer" not in page
    empty = report._reidentification_risk(report._Run("/tmp/x", {"jobs": {"main_etl": {}}}))
    assert "No re-identification risk gate ran" in empty
