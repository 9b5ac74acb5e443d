"""Merchant category encoding: mapping files (JSON, CSV, S3), validation, hierarchy, broadcast join."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import boto3
import pytest
from chispa import assert_column_equality, assert_df_equality
from moto import mock_aws
from pyspark.sql import functions as F

from secure_transform.errors import ConfigError, SchemaError
from secure_transform.merchant import (
    OUTPUT_COLUMNS,
    default_mapping_path,
    load_merchant_mapping,
    merchant_mapping_version,
    merchant_metrics,
    parse_merchant_mapping,
    with_merchant_category,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "MERCHANT_CATEGORIES.md"
ISSUE_MAPPING = {
    "5411": {"category": "grocery", "risk_level": "low", "parent": "retail"},
    "5812": {"category": "restaurant", "risk_level": "medium", "parent": "dining"},
    "unknown": {"category": "other", "risk_level": "high", "parent": "uncategorized"},
}
OUT_SCHEMA = (
    "id string, merchant_category string, merchant_parent string, merchant_category_path string, "
    "merchant_risk_level string, merchant_risk double, is_unknown_mcc boolean"
)
UNKNOWN = ("other", "uncategorized", "uncategorized/other", "high", 0.9, True)


@pytest.fixture(scope="module")
def default_mapping():
    return load_merchant_mapping()


def _encode(spark, mapping, rows, mcc_type="string"):
    df = spark.createDataFrame(rows, f"id string, merchant_category_code {mcc_type}")
    return with_merchant_category(df, mapping).drop("merchant_category_code")


# ------------------------------------------------------------------------------------------
# the shipped default mapping
# ------------------------------------------------------------------------------------------


def test_default_mapping_loads_and_covers_the_iso_groups(default_mapping):
    assert Path(default_mapping_path()).is_file()
    assert re.fullmatch(r"[0-9a-f]{16}", merchant_mapping_version(default_mapping))
    assert default_mapping.root == "all"
    assert default_mapping.scores == {"low": 0.1, "medium": 0.5, "high": 0.9}
    # Every 4-digit code except 0000 falls in an ISO 18245 group range or a listed code.
    rows = default_mapping.code_rows()
    assert len(rows) == 9999 and rows[0][0] == 1 and rows[-1][0] == 9999
    for node in default_mapping.parents:
        assert default_mapping.path(node)[-1] == node  # every node rolls up to the root


@pytest.mark.parametrize(
    ("code", "category", "level"),
    [
        ("7995", "betting", "high"),
        ("4829", "wire_transfer_money_order", "high"),
        ("6051", "quasi_cash_crypto", "high"),
        ("6540", "stored_value_load", "high"),
        ("5944", "jewelry", "high"),
        ("5732", "electronics", "high"),
        ("6011", "atm_cash", "high"),
        ("7801", "online_casino", "high"),
        ("5411", "grocery", "low"),
        ("4900", "utility", "low"),
        ("5812", "restaurant", "medium"),
        ("3001", "airline", "medium"),
        ("3400", "car_rental", "medium"),
        ("3750", "lodging", "medium"),
    ],
)
def test_default_mapping_risk_levels_a_fraud_team_expects(default_mapping, code, category, level):
    resolved = default_mapping.resolve(code)
    assert (resolved.category, resolved.risk_level, resolved.is_unknown) == (category, level, False)


def test_docs_list_every_entry_of_the_default_mapping(default_mapping):
    """docs/MERCHANT_CATEGORIES.md documents exactly the shipped entries (code, category, path, level)."""
    documented = set()
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| `([0-9]{4}(?:-[0-9]{4})?|unknown)` \| `([a-z0-9_]+)` \| `([a-z0-9_/]+)` \| (low|medium|high) \|", line)
        if m:
            documented.add(m.groups())
    shipped = {
        (r.key, r.category, "/".join(default_mapping.path(r.category)), r.risk_level)
        for r in (*default_mapping.rules, default_mapping.unknown)
    }
    assert documented == shipped


# ------------------------------------------------------------------------------------------
# the transform
# ------------------------------------------------------------------------------------------


def test_with_merchant_category_default_mapping_hand_written_rows(spark, default_mapping):
    rows = [
        ("grocery", "5411", ("grocery", "retail", "retail/grocery", "low", 0.1, False)),
        ("padded", " 5411 ", ("grocery", "retail", "retail/grocery", "low", 0.1, False)),
        ("float_text", "5411.0", ("grocery", "retail", "retail/grocery", "low", 0.1, False)),
        ("betting", "7995", ("betting", "gambling", "gambling/betting", "high", 0.9, False)),
        ("crypto", "6051", ("quasi_cash_crypto", "quasi_cash", "financial/quasi_cash/quasi_cash_crypto", "high", 0.9, False)),
        ("airline_range", "3005", ("airline", "travel", "travel/airline", "medium", 0.5, False)),
        ("shoes", "5661", ("shoes", "apparel", "retail/apparel/shoes", "low", 0.1, False)),
        ("nested_range", "5100", ("wholesale_other", "wholesale", "wholesale/wholesale_other", "medium", 0.5, False)),
        ("outer_range", "5300", ("wholesale_club", "retail", "retail/wholesale_club", "low", 0.1, False)),
        ("letters", "ABCD", UNKNOWN),
        ("short", "12", UNKNOWN),
        ("short_leading_zero_lost", "742", UNKNOWN),
        ("long", "54110", UNKNOWN),
        ("signed", "-411", UNKNOWN),
        ("empty", "", UNKNOWN),
        ("unassigned", "0000", UNKNOWN),
        ("null", None, UNKNOWN),
    ]
    out = _encode(spark, default_mapping, [(i, c) for i, c, _ in rows])
    assert out.columns == ["id", *OUTPUT_COLUMNS]
    expected = spark.createDataFrame([(i, *e) for i, _, e in rows], OUT_SCHEMA)
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_numeric_mcc_columns_from_schema_inference(spark, default_mapping):
    """CSV inference or pandas can turn codes into numbers: integral values in 0..9999 are codes."""
    df = spark.createDataFrame(
        [
            (742, 742.0, "veterinary", False),  # the leading zero of 0742 was lost by the number type
            (5411, 5411.0, "grocery", False),
            (-1, 5411.5, "other", True),  # negative / not a whole number
            (10000, float("nan"), "other", True),  # too large / NaN
            (None, None, "other", True),
        ],
        "mcc_int int, mcc_double double, expected_category string, expected_unknown boolean",
    )
    out = (
        with_merchant_category(df, default_mapping, mcc_column="mcc_int")
        .select("mcc_double", "expected_category", "expected_unknown",
                F.struct("merchant_category", "is_unknown_mcc").alias("from_int"))
        .transform(lambda d: with_merchant_category(d, default_mapping, mcc_column="mcc_double"))
        .select("from_int", F.struct("merchant_category", "is_unknown_mcc").alias("from_double"),
                F.struct("expected_category", "expected_unknown").alias("expected"))
        .select(F.struct("from_int", "from_double").alias("got"), F.struct(F.col("expected").alias("a"), F.col("expected").alias("b")).alias("want"))
    )
    assert_column_equality(out, "got", "want")


def test_issue_example_flat_json_mapping(spark, tmp_path):
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(ISSUE_MAPPING))
    mapping = load_merchant_mapping(str(path))
    assert mapping.source == str(path)
    out = _encode(spark, mapping, [("a", "5411"), ("b", "5812"), ("c", "9999"), ("d", None)])
    expected = spark.createDataFrame(
        [
            ("a", "grocery", "retail", "retail/grocery", "low", 0.1, False),
            ("b", "restaurant", "dining", "dining/restaurant", "medium", 0.5, False),
            ("c", *UNKNOWN),
            ("d", *UNKNOWN),
        ],
        OUT_SCHEMA,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


CSV_MAPPING = """mcc,category,parent,risk_level,description
,shopping,all,,
,food,shopping,,
,travel,all,,
,uncategorized,all,,
5000-5999,shopping_other,shopping,medium,catch-all
5400-5499,food_other,food,low,
5411,grocery,food,low,Grocery stores
3000-3299,airline,travel,medium,Airlines
7995,betting,,high,top-level category directly under the root
unknown,other,uncategorized,high,
"""


def test_csv_mapping_with_hierarchy_rows_and_nested_ranges(spark, tmp_path):
    path = tmp_path / "mapping.csv"
    path.write_text(CSV_MAPPING)
    mapping = load_merchant_mapping(str(path))
    assert mapping.strict_hierarchy
    gz = tmp_path / "mapping.csv.gz"
    gz.write_bytes(gzip.compress(CSV_MAPPING.encode()))
    assert load_merchant_mapping(str(gz)).version == mapping.version
    out = _encode(spark, mapping, [("a", "5411"), ("b", "5412"), ("c", "5500"), ("d", "3100"), ("e", "7995"), ("f", "4000")])
    expected = spark.createDataFrame(
        [
            ("a", "grocery", "food", "shopping/food/grocery", "low", 0.1, False),
            ("b", "food_other", "food", "shopping/food/food_other", "low", 0.1, False),
            ("c", "shopping_other", "shopping", "shopping/shopping_other", "medium", 0.5, False),
            ("d", "airline", "travel", "travel/airline", "medium", 0.5, False),
            ("e", "betting", "all", "betting", "high", 0.9, False),
            ("f", *UNKNOWN),
        ],
        OUT_SCHEMA,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_mapping_from_s3_with_moto(tmp_path):
    text = json.dumps(ISSUE_MAPPING)
    with mock_aws():
        session = boto3.session.Session(region_name="eu-west-1")
        s3 = session.client("s3")
        s3.create_bucket(Bucket="config-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket="config-bucket", Key="mcc/mapping.json", Body=text.encode())
        mapping = load_merchant_mapping("s3://config-bucket/mcc/mapping.json", session=session)
        assert mapping.resolve("5812").category == "restaurant"
        assert merchant_mapping_version(mapping) == merchant_mapping_version(parse_merchant_mapping(text))
        with pytest.raises(ConfigError, match="--merchant_mapping: no mapping file at s3://config-bucket/mcc/other.json"):
            load_merchant_mapping("s3://config-bucket/mcc/other.json", session=session)


def test_version_is_a_content_hash():
    base = parse_merchant_mapping(json.dumps(ISSUE_MAPPING))
    described = {k: dict(v, description="text only") for k, v in ISSUE_MAPPING.items()}
    assert merchant_mapping_version(parse_merchant_mapping(json.dumps(described, indent=4))) == base.version
    riskier = json.loads(json.dumps(ISSUE_MAPPING))
    riskier["5411"]["risk_level"] = "medium"
    assert merchant_mapping_version(parse_merchant_mapping(json.dumps(riskier))) != base.version


def test_join_is_broadcast_without_shuffle_and_keeps_every_row(spark, default_mapping):
    df = spark.range(0, 2000).select(F.col("id").cast("string").alias("id"), F.lpad((F.col("id") * 7 % 10000).cast("string"), 4, "0").alias("merchant_category_code"))
    out = with_merchant_category(df, default_mapping)
    plan = out._jdf.queryExecution().executedPlan().toString()
    assert "BroadcastHashJoin" in plan and "LeftOuter" in plan
    assert not re.search(r"(?<!Broadcast)Exchange\b", plan) and "PythonUDF" not in plan  # no shuffle, no UDF
    row = out.agg(F.count("*").alias("n"), F.countDistinct("id").alias("ids"), *merchant_metrics()).collect()[0]
    assert (row["n"], row["ids"], row["merchant_unknown_mcc_rows"]) == (2000, 2000, 1)  # only "0000"


def test_missing_or_unusable_mcc_column_is_a_schema_error(spark, default_mapping):
    with pytest.raises(SchemaError, match="'merchant_category_code'.*missing"):
        with_merchant_category(spark.createDataFrame([("x",)], "mcc string"), default_mapping)
    with pytest.raises(SchemaError, match="'mcc'.*type array<string>"):
        with_merchant_category(spark.createDataFrame([(["5411"],)], "mcc array<string>"), default_mapping, mcc_column="mcc")


# ------------------------------------------------------------------------------------------
# invalid mappings
# ------------------------------------------------------------------------------------------

UNK = {"category": "other", "risk_level": "high", "parent": "uncategorized"}


def _structured(codes, hierarchy=None, **extra):
    doc = {"codes": dict(codes, unknown=UNK), **extra}
    if hierarchy is not None:
        doc["hierarchy"] = hierarchy
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (json.dumps({"5411": ISSUE_MAPPING["5411"]}), "has no 'unknown' entry"),
        (json.dumps({"5411": dict(ISSUE_MAPPING["5411"], risk_level="extreme"), "unknown": UNK}), "risk_level 'extreme' is not one of high, low, medium"),
        (json.dumps({"5411": {"category": "a", "parent": "b", "risk_level": "low"}, "5412": {"category": "b", "parent": "a", "risk_level": "low"}, "unknown": UNK}), "parent cycle a -> b -> a"),
        (json.dumps({"5411": {"category": "a", "parent": "a", "risk_level": "low"}, "unknown": UNK}), "parent cycle a -> a"),
        (_structured({"5411": {"category": "grocery", "parent": "retail", "risk_level": "low"}}, {"uncategorized": "all"}), "dangling parent 'retail'"),
        (_structured({"5411": {"category": "grocery", "parent": "food", "risk_level": "low"}}, {"food": "retail", "retail": "food", "uncategorized": "all"}), "parent cycle"),
        (_structured({"3299-3000": {"category": "x", "risk_level": "low"}}), "ends before it starts"),
        (_structured({"300-3299": {"category": "x", "risk_level": "low"}}), "not a 4-digit MCC, a range"),
        (_structured({"54111": {"category": "x", "risk_level": "low"}}), "not a 4-digit MCC"),
        (_structured({"3000-3299": {"category": "x", "risk_level": "low"}, "3200-3400": {"category": "y", "risk_level": "low"}}), "overlap without one containing the other"),
        (_structured({"5411": {"category": "x", "risk_level": "low"}, "5411-5411": {"category": "y", "risk_level": "low"}}), "given twice"),
        (_structured({"5411": {"category": "x", "parent": "a", "risk_level": "low"}, "5412": {"category": "x", "parent": "b", "risk_level": "low"}}), "two parents, 'a' and 'b'"),
        (_structured({"5411": {"category": "x/y", "risk_level": "low"}}), "must not contain '/'"),
        (_structured({"5411": {"category": "all", "risk_level": "low"}}), "must not be the root"),
        (_structured({"5411": {"category": "x", "risk_level": "low", "risk": 1}}), "unknown key.*risk"),
        (_structured({"5411": {"risk_level": "low"}}), "category must be a non-empty string"),
        (_structured({"5411": {"category": "x", "risk_level": "low"}}, colour="red"), "unknown top-level key.*colour"),
        (_structured({"5411": {"category": "x", "risk_level": "low"}}, risk_scores={"low": 2}), r"must be a number in \[0, 1\]"),
        (_structured({"5411": {"category": "x", "risk_level": "low"}}, risk_scores={"high": 0.9}), "risk_level 'low' is not one of high"),
        ('{"5411": {"category": "a", "risk_level": "low"}, "5411": {"category": "b", "risk_level": "low"}, "unknown": {}}', "duplicate key '5411'"),
        ('{"5411": ', "is not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"5411": "grocery", "unknown": UNK}), "entry '5411' must be an object"),
        (json.dumps({"unknown": UNK, "UNKNOWN ": UNK}), "'unknown' entry is given twice"),
    ],
)
def test_invalid_json_mapping_is_a_config_error(text, problem):
    with pytest.raises(ConfigError, match="--merchant_mapping") as info:
        parse_merchant_mapping(text, "test.json")
    assert re.search(problem, str(info.value)), str(info.value)
    assert "test.json" in str(info.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("code,category,parent,risk_level\n5411,grocery,retail,low\n", "lacks column.*mcc"),
        ("mcc,category,parent,risk_level,colour\n", "unknown column.*colour"),
        ("mcc,category,parent,risk_level\n,retail,all,low\nunknown,other,,high\n", "hierarchy row .* takes no risk_level"),
        ("mcc,category,parent,risk_level\n,retail,all,\n5411,grocery,food,low\nunknown,other,,high\n", "dangling parent 'food'"),
        ("mcc,category,parent,risk_level\n5411,grocery,retail,low,extra\nunknown,other,,high\n", "more fields than the header"),
        ("mcc,category,parent,risk_level\nABCD,grocery,retail,low\nunknown,other,,high\n", "key 'ABCD' is not a 4-digit MCC"),
    ],
)
def test_invalid_csv_mapping_is_a_config_error(text, problem):
    with pytest.raises(ConfigError, match="--merchant_mapping") as info:
        parse_merchant_mapping(text, "test.csv", "csv")
    assert re.search(problem, str(info.value)), str(info.value)


def test_missing_or_unreadable_mapping_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="--merchant_mapping: no mapping file at .*missing.json"):
        load_merchant_mapping(str(tmp_path / "missing.json"))
    with pytest.raises(ConfigError, match="--merchant_mapping: .*cannot be read"):
        load_merchant_mapping(str(tmp_path))  # a directory
    binary = tmp_path / "mapping.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="--merchant_mapping: .*not UTF-8"):
        load_merchant_mapping(str(binary))
    with pytest.raises(ConfigError, match="--merchant_mapping: .*not a valid S3 bucket"):
        load_merchant_mapping("s3://Bad_Bucket/x.json")


# ------------------------------------------------------------------------------------------
# CLI: secure-transform mcc check / lookup
# ------------------------------------------------------------------------------------------


def test_cli_mcc_check_and_lookup(tmp_path, capsys):
    import argparse

    from secure_transform.cli import features

    parser = argparse.ArgumentParser()
    features.register(parser.add_subparsers())
    args = parser.parse_args(["mcc", "check"])
    assert args.func(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["entries"], report["ranges"], report["codes_covered"]) == (317, 15, 9999)
    assert report["version"] == load_merchant_mapping().version
    path = tmp_path / "m.json"
    path.write_text(json.dumps(ISSUE_MAPPING))
    args = parser.parse_args(["mcc", "lookup", "5812", "ABCD", "--mapping", str(path)])
    assert args.func(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["'5812'", "dining/restaurant", "medium", "0.50"]
    assert lines[1].split() == ["'ABCD'", "uncategorized/other", "high", "0.90", "(unknown)"]
    bad = parser.parse_args(["mcc", "check", "--mapping", str(tmp_path / "nope.csv")])
    with pytest.raises(ConfigError, match="--merchant_mapping: no mapping file"):
        bad.func(bad)
