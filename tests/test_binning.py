"""Amount binning: configuration, fit (one aggregation), saved edges reused by apply, edge cases."""

from __future__ import annotations

import json
import math
import re

import boto3
import pytest
from chispa import assert_column_equality, assert_df_equality
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from pyspark.sql import functions as F
from pyspark.sql import types as T

from secure_transform.binning import (
    AMOUNT_BIN,
    AMOUNT_BIN_LABEL,
    UNKNOWN_BIN,
    BinEdges,
    BinningConfig,
    binning_metrics,
    ensure_compatible,
    fit_bins,
    parse_binning_config,
    with_amount_bin,
)
from secure_transform.errors import ConfigError, SchemaError
from secure_transform.io import Location, parse_location

ISSUE_CONFIG = {
    "method": "percentile",
    "bins": [0, 10, 25, 50, 75, 90, 95, 99, 100],
    "labels": ["micro", "small", "low", "medium", "high", "large", "very_large", "extreme"],
}
LABELS = tuple(ISSUE_CONFIG["labels"])
INF = float("inf")
NAN = float("nan")


def nearest_rank(values: list[float], p: float) -> float:
    """What percentile_approx returns when the data is smaller than its accuracy (exact)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p * len(ordered)) - 1, 0)]


@pytest.fixture(scope="module")
def hundred_df(spark):
    """Amounts 1..100 plus a null, a NaN and an infinite amount (103 rows)."""
    rows = [(f"T{i:03d}", float(i), "EUR") for i in range(1, 101)]
    rows += [("T900", None, "EUR"), ("T901", NAN, "EUR"), ("T902", INF, "EUR")]
    return spark.createDataFrame(rows, "transaction_id string, amount double, currency string")


@pytest.fixture(scope="module")
def issue_edges(hundred_df):
    return fit_bins(hundred_df, parse_binning_config(json.dumps(ISSUE_CONFIG)))


# ------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------


def test_issue_config_parses_from_json_text():
    cfg = parse_binning_config(json.dumps(ISSUE_CONFIG))
    assert cfg.method == "percentile"
    assert cfg.bins == (0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 100.0)
    assert cfg.labels == LABELS
    assert cfg.probabilities == (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)
    assert cfg.relative_error == 0.0001 and cfg.accuracy == 10000
    assert (cfg.per_currency, cfg.amount_column, cfg.currency_column) == (False, "amount", "currency")


def test_quantile_accepts_bins_as_count_and_default_labels():
    cfg = parse_binning_config({"method": "quantile", "bins": 4, "relative_error": 0.01})
    assert cfg.labels == ("bin_0", "bin_1", "bin_2", "bin_3")
    assert cfg.probabilities == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert cfg.accuracy == 100
    assert parse_binning_config({"method": "fixed_width", "n_bins": 2, "range": [0, 10]}).range == (0.0, 10.0)


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ('{"method": "percentile", "bins": [0, 50, 100], "labels": ["a"]}', "1 labels but 3 bin edges make 2 bins"),
        ({"method": "percentile", "bins": [0, 50, 100], "labels": ["a", "b", "c"]}, "labels must number edges - 1"),
        ({"method": "quantile", "n_bins": 3, "labels": ["a", "b"]}, "2 labels but 4 bin edges"),
        ({"method": "kmeans", "bins": [0, 1]}, "method 'kmeans' is not one of percentile, quantile, custom, fixed_width"),
        ({"bins": [0, 1]}, "method is required"),
        ('{"method": "percentile", "bins": [0, 50, 100]', "is not valid JSON"),
        ("", "is empty"),
        ("[1, 2]", "must be a JSON object"),
        ({"method": "percentile", "bins": [0, 50, 50, 100]}, "strictly increasing"),
        ({"method": "custom", "bins": [10, 5]}, "strictly increasing"),
        ({"method": "percentile", "bins": [0, 50, 101]}, r"within \[0, 100\]"),
        ({"method": "percentile", "bins": [-1, 50, 100]}, r"within \[0, 100\]"),
        ({"method": "percentile", "bins": [0]}, "at least 2 finite numbers"),
        ({"method": "custom", "bins": [0, "ten"]}, "at least 2 finite numbers"),
        ({"method": "custom", "bins": "0,10"}, "must be a list of numbers"),
        ({"method": "quantile", "n_bins": 0}, r"integer in \[1, 1000\]"),
        ({"method": "quantile", "n_bins": 2.5}, "must be an integer"),
        ({"method": "quantile", "bins": 4, "n_bins": 4}, "either bins or n_bins"),
        ({"method": "percentile", "bins": [0, 100], "n_bins": 1}, "n_bins is not used"),
        ({"method": "fixed_width", "n_bins": 2, "range": [5, 5]}, "min < max"),
        ({"method": "quantile", "n_bins": 2, "range": [0, 5]}, "range is only used by method 'fixed_width'"),
        ({"method": "quantile", "n_bins": 2, "relative_error": 0}, "relative_error must be a number"),
        ({"method": "quantile", "n_bins": 2, "relative_error": 0.9}, "relative_error must be a number"),
        ({"method": "quantile", "n_bins": 2, "per_currency": "yes"}, "per_currency must be true or false"),
        ({"method": "custom", "bins": [0, 1], "per_currency": True}, "per_currency needs fitted edges"),
        ({"method": "fixed_width", "n_bins": 2, "range": [0, 5], "per_currency": True}, "per_currency needs fitted edges"),
        ({"method": "quantile", "n_bins": 2, "min_currency_rows": 0}, "min_currency_rows"),
        ({"method": "quantile", "n_bins": 2, "labels": ["a", "a"]}, "labels must be unique"),
        ({"method": "quantile", "n_bins": 2, "labels": ["a", "unknown"]}, "reserved"),
        ({"method": "quantile", "n_bins": 2, "labels": ["a", ""]}, "non-empty strings"),
        ({"method": "quantile", "n_bins": 2, "amount_column": ""}, "amount_column must be a non-empty"),
        ({"method": "quantile", "n_bins": 2, "lables": ["a", "b"]}, "unknown key.*lables"),
    ],
)
def test_invalid_binning_config_is_a_config_error(config, problem):
    with pytest.raises(ConfigError, match="--binning_config") as info:
        parse_binning_config(config)
    assert re.search(problem, str(info.value)), str(info.value)


def test_config_is_frozen_and_validated_on_construction():
    cfg = BinningConfig(method="custom", bins=(0, 10), labels=("x",))
    with pytest.raises(AttributeError):
        cfg.method = "quantile"  # type: ignore[misc]
    with pytest.raises(ConfigError, match="--binning_config"):
        BinningConfig(method="custom", bins=(0, 10, 20), labels=("x",))


# ------------------------------------------------------------------------------------------
# fit
# ------------------------------------------------------------------------------------------


def test_percentile_fit_edges_counts_and_metadata(issue_edges):
    assert issue_edges.method == "percentile"
    assert issue_edges.edges == (1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 100.0)
    assert issue_edges.labels == LABELS
    assert (issue_edges.source_rows, issue_edges.valid_rows) == (103, 100)
    assert issue_edges.currency_edges == ()
    assert issue_edges.version == "bb356ddaf012d4ef"  # reproducible; docs/BUSINESS_LOGIC.md example A
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", issue_edges.fitted_at)
    assert issue_edges.relative_error == 0.0001


def test_quantile_and_fixed_width_fit(hundred_df):
    quantile = fit_bins(hundred_df, parse_binning_config({"method": "quantile", "n_bins": 4}))
    assert quantile.edges == (1.0, 25.0, 50.0, 75.0, 100.0)
    fitted = fit_bins(hundred_df, parse_binning_config({"method": "fixed_width", "n_bins": 3}))
    assert fitted.edges == (1.0, 34.0, 67.0, 100.0)  # min 1, max 100 (NaN and infinity ignored)
    assert fitted.relative_error is None
    fixed = fit_bins(hundred_df, parse_binning_config({"method": "fixed_width", "n_bins": 4, "range": [0, 200]}))
    assert fixed.edges == (0.0, 50.0, 100.0, 150.0, 200.0)
    assert fixed.source_rows == 103
    # Apply all three in one job: (amount, quantile bin, fitted fixed-width bin, fixed-range bin).
    probe = hundred_df.sparkSession.createDataFrame(
        [(0.0, 0, 0, 0), (25.0, 1, 0, 0), (33.99, 1, 0, 0), (34.0, 1, 1, 0), (67.0, 2, 2, 1), (100.0, 3, 2, 2),
         (150.0, 3, 2, 3), (None, -1, -1, -1)],
        "amount double, q int, fw int, fr int",
    )
    out = (
        with_amount_bin(probe, quantile).withColumnRenamed(AMOUNT_BIN, "got_q").drop(AMOUNT_BIN_LABEL)
        .transform(lambda df: with_amount_bin(df, fitted)).withColumnRenamed(AMOUNT_BIN, "got_fw").drop(AMOUNT_BIN_LABEL)
        .transform(lambda df: with_amount_bin(df, fixed))
        .select(F.struct("got_q", "got_fw", AMOUNT_BIN).alias("got"), F.struct("q", "fw", "fr").alias("want"))
    )
    assert_column_equality(out, "got", "want")


def test_fit_without_numeric_amounts_is_a_schema_error(spark):
    df = spark.createDataFrame([("x",), (None,)], "amount string")
    with pytest.raises(SchemaError, match="no numeric amounts"):
        fit_bins(df, parse_binning_config({"method": "quantile", "n_bins": 2}))
    # custom edges need no data: an empty batch still fits (and records 2 source rows).
    edges = fit_bins(df, parse_binning_config({"method": "custom", "bins": [0, 1], "labels": ["a"]}))
    assert (edges.edges, edges.source_rows, edges.valid_rows) == ((0.0, 1.0), 2, 0)


def test_skewed_data_merges_duplicate_edges(spark):
    # 9 small amounts, 60 transactions of exactly 10.00, 31 larger amounts: p10 = p25 = p50 = 10.
    values = [float(v) for v in range(1, 10)] + [10.0] * 60 + [float(v) for v in range(11, 42)]
    fit_df = spark.createDataFrame([(v,) for v in values], "amount double")
    cfg = parse_binning_config(json.dumps(ISSUE_CONFIG))
    edges = fit_bins(fit_df, cfg)
    assert edges.edges == (1.0, 10.0, 10.0, 10.0, 16.0, 31.0, 36.0, 40.0, 41.0)
    assert edges.to_dict()["empty_bins"]["global"] == [1, 2]
    probe = spark.createDataFrame(
        [(9.5, 0, "micro"), (10.0, 3, "medium"), (15.99, 3, "medium"), (16.0, 4, "high"), (0.5, 0, "micro"), (None, -1, "unknown")],
        "amount double, expected_bin int, expected_label string",
    )
    out = with_amount_bin(probe, edges)
    assert_column_equality(out, AMOUNT_BIN, "expected_bin")
    assert_column_equality(out, AMOUNT_BIN_LABEL, "expected_label")


# ------------------------------------------------------------------------------------------
# apply
# ------------------------------------------------------------------------------------------


def test_apply_percentile_edges_hand_written_rows(spark, issue_edges):
    rows = [
        ("A", -5.0, 0, "micro"),  # below the first edge -> first bin
        ("B", 1.0, 0, "micro"),
        ("C", 9.99, 0, "micro"),
        ("D", 10.0, 1, "small"),  # an edge belongs to the bin it starts
        ("E", 25.0, 2, "low"),
        ("F", 74.99, 3, "medium"),
        ("G", 90.0, 5, "large"),
        ("H", 98.0, 6, "very_large"),
        ("I", 99.0, 7, "extreme"),
        ("J", 100.0, 7, "extreme"),  # the last edge is in the last bin
        ("K", 1e9, 7, "extreme"),  # above the last edge -> last bin
        ("L", None, -1, "unknown"),
        ("M", NAN, -1, "unknown"),
        ("N", -INF, -1, "unknown"),
    ]
    schema = "id string, amount double, amount_bin int, amount_bin_label string"
    df = spark.createDataFrame([r[:2] for r in rows], "id string, amount double")
    expected = spark.createDataFrame(rows, schema)
    assert_df_equality(
        with_amount_bin(df, issue_edges), expected, ignore_row_order=True, ignore_nullable=True, allow_nan_equality=True
    )


def test_saved_edges_are_reused_on_a_differently_distributed_batch(spark, hundred_df, issue_edges, tmp_path):
    loc = parse_location(str(tmp_path / "artifacts" / "bin_edges.json"), "--artifacts_location")
    issue_edges.save(loc)
    loaded = BinEdges.load(loc)
    assert loaded == issue_edges
    saved = json.loads((tmp_path / "artifacts" / "bin_edges.json").read_text())
    assert {k: saved[k] for k in ("method", "version", "fitted_at", "source_rows")} == {
        "method": "percentile",
        "version": issue_edges.version,
        "fitted_at": issue_edges.fitted_at,
        "source_rows": 103,
    }
    # Tomorrow's batch is ten times larger: with the saved edges nearly everything is "extreme";
    # a re-fit would have spread it evenly again (which is exactly the drift we must avoid).
    shifted = spark.createDataFrame([(float(v) * 10, ) for v in range(1, 101)], "amount double")
    out = with_amount_bin(shifted, loaded)
    counts = {r[AMOUNT_BIN_LABEL]: r["n"] for r in out.groupBy(AMOUNT_BIN_LABEL).agg(F.count("*").alias("n")).collect()}
    # Fit-time interior edges 10, 25, 50, 75, 90, 95, 99: 10 and 20 are small, 30-40 low,
    # 50-70 medium, 80 high, 90 large, and 100..1000 (91 amounts) extreme.
    assert counts == {"small": 2, "low": 2, "medium": 3, "high": 1, "large": 1, "extreme": 91}
    refit = fit_bins(shifted, parse_binning_config(json.dumps(ISSUE_CONFIG)))
    assert refit.edges != loaded.edges and refit.version != loaded.version


def test_custom_edges_on_string_amounts_from_csv(spark):
    edges = fit_bins(
        spark.createDataFrame([("1",)], "amount string"),
        parse_binning_config({"method": "custom", "bins": [0, 10, 100, 1000], "labels": ["s", "m", "l"]}),
    )
    rows = [
        (" 12.5 ", 1, "m"),
        ("1e2", 2, "l"),
        ("-3", 0, "s"),
        ("0", 0, "s"),
        ("9.999", 0, "s"),
        ("10", 1, "m"),
        ("1000", 2, "l"),
        ("5000.00", 2, "l"),
        (".5", 0, "s"),
        ("abc", -1, "unknown"),
        ("", -1, "unknown"),
        ("NaN", -1, "unknown"),
        ("Infinity", -1, "unknown"),
        ("1,000", -1, "unknown"),
        ("$5", -1, "unknown"),
        (None, -1, "unknown"),
    ]
    df = spark.createDataFrame(rows, "amount string, expected_bin int, expected_label string")
    out = with_amount_bin(df, edges).select(
        F.struct(AMOUNT_BIN, AMOUNT_BIN_LABEL).alias("got"), F.struct("expected_bin", "expected_label").alias("want")
    )
    assert_column_equality(out, "got", "want")


def test_decimal_and_integer_amounts_and_existing_columns_replaced(spark):
    edges = BinEdges(method="custom", labels=("lo", "hi"), edges=(0.0, 50.0, 100.0))
    df = spark.createDataFrame(
        [(1, 10, 0, "lo"), (2, 50, 1, "hi"), (3, None, -1, "unknown")],
        "id int, amount int, expected_bin int, expected_label string",
    ).withColumn(AMOUNT_BIN, F.lit("stale"))
    out = with_amount_bin(df.withColumn("amount", F.col("amount").cast("decimal(12,2)")), edges)
    assert out.columns == ["id", "amount", "expected_bin", "expected_label", AMOUNT_BIN, AMOUNT_BIN_LABEL]
    assert dict(out.dtypes)[AMOUNT_BIN] == "int"
    assert_column_equality(out, AMOUNT_BIN, "expected_bin")


def test_per_currency_edges_one_rollup_with_global_fallback(spark, tmp_path):
    eur = [float(v) for v in range(1, 101)]
    jpy = [float(v) * 100 for v in range(1, 101)]
    gbp = [5.0, 6.0, 7.0]  # too few rows for its own edges
    rows = [("EUR", v) for v in eur] + [(" jpy", v) for v in jpy] + [("GBP", v) for v in gbp] + [(None, 3.0), ("EUR", None)]
    df = spark.createDataFrame(rows, "currency string, amount double")
    cfg = parse_binning_config({"method": "quantile", "n_bins": 4, "per_currency": True, "min_currency_rows": 10})
    edges = fit_bins(df, cfg)
    everything = eur + jpy + gbp + [3.0]
    assert edges.edges == tuple(nearest_rank(everything, p) for p in (0, 0.25, 0.5, 0.75, 1))
    assert edges.by_currency == {"EUR": (1.0, 25.0, 50.0, 75.0, 100.0), "JPY": (100.0, 2500.0, 5000.0, 7500.0, 10000.0)}
    assert dict(edges.currency_rows) == {"EUR": 100, "JPY": 100}
    assert (edges.source_rows, edges.valid_rows) == (205, 204)

    loc = Location("file", "", str(tmp_path / "edges.json"))
    edges.save(loc)
    loaded = BinEdges.load(loc)
    glob = edges.edges
    probe = spark.createDataFrame(
        [
            ("EUR", 30.0, 1),
            ("eur ", 80.0, 3),  # currency normalised: trim + upper case
            ("JPY", 30.0, 0),  # the same amount is small in yen
            ("JPY", 8000.0, 3),
            ("GBP", 6.0, loaded.bin_of(6.0)),  # below min_currency_rows -> global edges
            ("USD", 60.0, loaded.bin_of(60.0)),  # unseen at fit time -> global edges
            (None, 60.0, loaded.bin_of(60.0)),
            ("EUR", None, -1),
        ],
        "currency string, amount double, expected_bin int",
    )
    assert loaded.bin_of(6.0) == sum(1 for e in glob[1:-1] if e <= 6.0)
    out = with_amount_bin(probe, loaded)
    assert_column_equality(out, AMOUNT_BIN, "expected_bin")


def test_apply_is_column_expressions_only_no_shuffle_or_join(spark):
    edges = BinEdges(
        method="quantile", labels=("a", "b"), edges=(0.0, 1.0, 2.0), currency_edges=(("EUR", (0.0, 5.0, 9.0)),)
    )
    df = spark.createDataFrame([("EUR", 1.0)], "currency string, amount double")
    plan = with_amount_bin(df, edges)._jdf.queryExecution().executedPlan().toString()
    assert "Exchange" not in plan and "Join" not in plan and "PythonUDF" not in plan and "BatchEvalPython" not in plan


def test_unknown_bin_rows_are_counted_in_one_aggregation(spark, issue_edges, hundred_df):
    row = with_amount_bin(hundred_df, issue_edges).agg(*binning_metrics()).collect()[0]
    assert row["amount_unknown_bin_rows"] == 3


def test_missing_or_unusable_columns_are_schema_errors(spark, issue_edges):
    with pytest.raises(SchemaError, match="'amount'.*missing"):
        with_amount_bin(spark.createDataFrame([(1.0,)], "value double"), issue_edges)
    with pytest.raises(SchemaError, match="'amount'.*type array<double>"):
        with_amount_bin(spark.createDataFrame([([1.0],)], "amount array<double>"), issue_edges)
    per_currency = BinEdges(method="quantile", labels=("a",), edges=(0.0, 1.0), currency_edges=(("EUR", (0.0, 2.0)),))
    with pytest.raises(SchemaError, match="'currency'.*missing"):
        with_amount_bin(spark.createDataFrame([(1.0,)], "amount double"), per_currency)


# ------------------------------------------------------------------------------------------
# artifact
# ------------------------------------------------------------------------------------------


def test_edges_round_trip_through_s3_with_moto(issue_edges):
    with mock_aws():
        session = boto3.session.Session(region_name="eu-west-1")
        session.client("s3").create_bucket(
            Bucket="artifacts-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        loc = parse_location("s3://artifacts-bucket/binning/bin_edges.json", "--artifacts_location")
        issue_edges.save(loc, session)
        assert BinEdges.load(loc, session) == issue_edges
        with pytest.raises(ConfigError, match="--artifacts_location: no fitted bin edges at s3://artifacts-bucket/other.json"):
            BinEdges.load(parse_location("s3://artifacts-bucket/other.json", "--artifacts_location"), session)


def test_tampered_or_malformed_edges_files_are_rejected(issue_edges, tmp_path):
    data = issue_edges.to_dict()
    data["edges"]["global"][3] = 49.0
    with pytest.raises(ConfigError, match="does not match its version hash"):
        BinEdges.from_json(json.dumps(data))
    with pytest.raises(ConfigError, match="not a bin edges file"):
        BinEdges.from_json('{"edges": []}')
    with pytest.raises(ConfigError, match="not valid JSON"):
        BinEdges.from_json("{")
    data = issue_edges.to_dict()
    data["labels"] = data["labels"][:-1]
    data["version"] = ""
    with pytest.raises(ConfigError, match="labels need"):
        BinEdges.from_dict(data)
    with pytest.raises(ConfigError, match="--artifacts_location: no fitted bin edges"):
        BinEdges.load(Location("file", "", str(tmp_path / "missing.json")))
    with pytest.raises(ConfigError, match="--artifacts_location: bin edges file .* cannot be read"):
        BinEdges.load(Location("file", "", str(tmp_path)))  # a directory


def test_saved_edges_must_match_the_runs_config(issue_edges):
    ensure_compatible(issue_edges, parse_binning_config(json.dumps(ISSUE_CONFIG)))
    other = dict(ISSUE_CONFIG, labels=[f"b{i}" for i in range(8)])
    with pytest.raises(ConfigError, match="--binning_config: differs from the fitted bin edges"):
        ensure_compatible(issue_edges, parse_binning_config(other))


# ------------------------------------------------------------------------------------------
# property: a larger amount never gets a lower bin (Spark result == reference rule)
# ------------------------------------------------------------------------------------------

_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edges=st.lists(st.sampled_from([-10.0, 0.0, 0.5, 10.0, 10.0, 99.99, 1000.0]) | _finite, min_size=2, max_size=7).map(sorted),
    amounts=st.lists(_finite | st.sampled_from([0.0, 10.0, 1000.0]), min_size=1, max_size=30),
)
def test_binning_is_monotone_and_matches_the_documented_rule(spark, edges, amounts):
    fitted = BinEdges(method="custom", labels=tuple(f"b{i}" for i in range(len(edges) - 1)), edges=tuple(edges))
    df = spark.createDataFrame([(a,) for a in amounts], T.StructType([T.StructField("amount", T.DoubleType())]))
    got = sorted((r["amount"], r[AMOUNT_BIN]) for r in with_amount_bin(df, fitted).collect())
    assert [b for _, b in got] == [fitted.bin_of(a) for a, _ in got]
    assert all(b1 <= b2 for (_, b1), (_, b2) in zip(got, got[1:]))
    assert all(0 <= b < len(edges) - 1 for _, b in got) and UNKNOWN_BIN not in [b for _, b in got]


# ------------------------------------------------------------------------------------------
# CLI: secure-transform bins fit / show
# ------------------------------------------------------------------------------------------


def test_cli_bins_fit_and_show(spark, tmp_path, monkeypatch, capsys):
    import argparse

    from secure_transform.cli import features

    monkeypatch.setattr(features, "build_spark_session", lambda *a, **k: spark)  # reuse the test session
    data = tmp_path / "in.csv"
    data.write_text("transaction_id,amount\n" + "".join(f"T{i},{i}.00\n" for i in range(1, 101)) + "T999,n/a\n")
    config = tmp_path / "binning.json"
    config.write_text(json.dumps({"method": "quantile", "n_bins": 4, "labels": ["q1", "q2", "q3", "q4"]}))
    parser = argparse.ArgumentParser()
    features.register(parser.add_subparsers())
    out = tmp_path / "edges.json"
    args = parser.parse_args(["bins", "fit", "--input", str(data), "--binning-config", f"@{config}", "--output", str(out)])
    assert args.func(args) == 0
    edges = BinEdges.load(Location("file", "", str(out)))
    assert (edges.edges, edges.source_rows, edges.valid_rows) == ((1.0, 25.0, 50.0, 75.0, 100.0), 101, 100)
    assert f"saved bin edges {edges.version} (101 rows read, 100 with a numeric amount" in capsys.readouterr().out
    args = parser.parse_args(["bins", "show", str(out)])
    assert args.func(args) == 0
    shown = capsys.readouterr().out.splitlines()
    assert re.search(r"1\s+q2\s+25 <= amount < 50", shown[3]), shown
    assert "-1  unknown" in shown[-1]
    bad = parser.parse_args(["bins", "fit", "--input", str(data), "--binning-config", '{"method": "x"}', "--output", str(out)])
    with pytest.raises(ConfigError, match="--binning_config: method 'x'"):
        bad.func(bad)
