"""Tokenization methods, --pii_columns parsing, and no key material in logs or plans."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from decimal import Decimal

import pytest
from chispa import assert_column_equality, assert_df_equality
from hypothesis import given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from secure_transform.cli import main as cli_main
from secure_transform.errors import ConfigError, KeyManagementError, SchemaError
from secure_transform.ff3 import FALLBACK_MARKER, luhn_valid
from secure_transform.keys import KeySet, create_dev_keyset
from secure_transform.tokenization import (METADATA_KEY, hash_value, hmac_sha256, mask_value, parse_pii_columns,
                                           tokenize_columns)

KEYSET = KeySet({"v1": bytes(range(32)), "v2": bytes(range(7, 39))}, "v1", source="test")
ISSUE_EXAMPLE = {"customer_id": {"method": "deterministic"},
                 "account_number": {"method": "format_preserving", "preserve_prefix": 4},
                 "email": {"method": "hash", "algorithm": "sha256"}}


def _hmac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


# --- configuration ----------------------------------------------------------------------------


def test_issue_example_config_parses():
    config = parse_pii_columns(json.dumps(ISSUE_EXAMPLE))
    assert config.column_names == ("customer_id", "account_number", "email")
    assert [c.method for c in config.columns] == ["deterministic", "format_preserving", "hash"]
    assert config.columns[1].preserve_prefix == 4 and config.columns[1].tweak_domain == "account_number"
    assert config.needs_key and config.reversible_columns == ("account_number",)
    assert parse_pii_columns(ISSUE_EXAMPLE) == config  # a mapping works too
    keyless = parse_pii_columns({"email": "hash", "memo": "drop", "name": {"method": "redact", "type": "person"}})
    assert not keyless.needs_key and keyless.columns[2].placeholder == "[PERSON]"


def test_config_from_file(tmp_path):
    path = tmp_path / "pii.json"
    path.write_text(json.dumps(ISSUE_EXAMPLE))
    assert parse_pii_columns(f"@{path}").column_names == ("customer_id", "account_number", "email")
    with pytest.raises(ConfigError, match="--pii_columns: cannot read the file"):
        parse_pii_columns(f"@{tmp_path / 'missing.json'}")


@pytest.mark.parametrize("value,problem", [
    ("{\"a\": ", "is not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ("{}", "names no columns"),
    ({"email": {"method": "encrypt"}}, r"column 'email': unknown method 'encrypt'; valid methods: deterministic, "
                                       r"hash, non_deterministic, format_preserving, mask, redact, drop"),
    ({"email": "sha1"}, "column 'email': unknown method 'sha1'"),
    ({"email": {"algorithm": "sha256"}}, "column 'email': \"method\" is missing"),
    ({"email": 3}, "column 'email': expected a method name"),
    ({"email": {"method": "hash", "prefix": 2}}, "column 'email': option 'prefix' is not valid for method 'hash'; "
                                                 "valid options: algorithm, salt"),
    ({"email": {"method": "drop", "salt": "x"}}, "option 'salt' is not valid for method 'drop'; valid options: none"),
    ({"email": {"method": "hash", "algorithm": "md5"}},
     "column 'email': unknown algorithm 'md5'; valid: sha256, sha512"),
    ({"email": {"method": "hash", "salt": 5}}, "salt must be a string"),
    ({"acct": {"method": "format_preserving", "preserve_prefix": -1}}, "column 'acct': preserve_prefix must be"),
    ({"acct": {"method": "format_preserving", "preserve_suffix": True}}, "preserve_suffix must be an integer"),
    ({"acct": {"method": "format_preserving", "alphabet": "hex"}},
     "unknown alphabet 'hex'; valid: digits, alphanumeric"),
    ({"acct": {"method": "format_preserving", "luhn": "yes"}}, "luhn must be true or false"),
    ({"acct": {"method": "format_preserving", "alphabet": "alphanumeric", "luhn": True}}, "luhn needs"),
    ({"acct": {"method": "format_preserving", "domain": ""}}, "domain must be a non-empty string"),
    ({"acct": {"method": "deterministic", "key_version": "v 1"}}, "key_version must match"),
    ({"name": {"method": "mask", "mask_char": "**"}}, "mask_char must be exactly one character"),
    ({"name": {"method": "mask", "keep_last": 65}}, "keep_last must be an integer in 0..64"),
    ({"name": {"method": "redact", "placeholder": "x", "type": "person"}}, "not both"),
    ({"name": {"method": "redact", "type": "a b"}}, "type must be an identifier"),
    ({"name": {"method": "redact", "placeholder": "x" * 101}}, "at most 100 characters"),
    ({"": "hash"}, "column names must be non-empty strings"),
    ('{"email": "hash", "email": "drop"}', "key 'email' appears more than once"),
])
def test_invalid_config_is_refused_naming_column_and_problem(value, problem):
    with pytest.raises(ConfigError, match="--pii_columns") as err:
        parse_pii_columns(value)
    assert re.search(problem, str(err.value)), str(err.value)


# --- Column functions: standard vectors ----------------------------------------------------------

RFC4231 = [  # (key, data, HMAC-SHA256) test cases 1-4, 6, 7 of RFC 4231 section 4
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 20, b"\xdd" * 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (bytes(range(1, 26)), b"\xcd" * 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than block-size data. The key "
                    b"needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]
RFC4231_TRUNCATED = (b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b")  # test case 5


def test_hmac_sha256_matches_rfc4231_and_python_hmac(spark):
    rows = [(i, bytearray(data), expected) for i, (_key, data, expected) in enumerate(RFC4231)] + [(99, None, None)]
    df = spark.createDataFrame(rows, "case int, data binary, expected string")
    actual = F.lit(None).cast("string")
    for i, (key, _data, _expected) in enumerate(RFC4231):  # one key literal per test case, one Spark job
        actual = F.when(F.col("case") == i, hmac_sha256(F.col("data"), key)).otherwise(actual)
    assert_column_equality(df.withColumn("actual", actual), "actual", "expected")
    for key, data, expected in RFC4231:
        assert hmac.new(key, data, hashlib.sha256).hexdigest() == expected


def test_hmac_sha256_truncated_vector_and_unicode_strings(spark):
    key, data, expected = RFC4231_TRUNCATED
    values = ["Zoë Ünïcødé", "日本語テキスト", "😀 emoji", "", "plain"]
    rows = [(bytearray(data), expected, None, None)] + [(None, None, v, _hmac(key, v)) for v in values]
    df = spark.createDataFrame(rows, "data binary, expected string, text string, text_expected string")
    out = df.select(F.substring(hmac_sha256(F.col("data"), key), 1, 32).alias("actual"), "expected",
                    hmac_sha256(F.col("text"), key).alias("text_actual"), "text_expected")
    assert_column_equality(out, "actual", "expected")
    assert_column_equality(out, "text_actual", "text_expected")


def test_hash_value_sha256_sha512_and_salt(spark):
    rows = [(v,
             hashlib.sha256(v.encode()).hexdigest() if v is not None else None,
             hashlib.sha512(v.encode()).hexdigest() if v is not None else None,
             hashlib.sha256(b"pepper" + v.encode()).hexdigest() if v is not None else None)
            for v in ["a@b.com", "Zoë", "x" * 300, None]]
    df = spark.createDataFrame(rows, "v string, e256 string, e512 string, esalt string")
    out = df.select(hash_value(F.col("v")).alias("a256"), "e256", hash_value(F.col("v"), "sha512").alias("a512"),
                    "e512", hash_value(F.col("v"), "sha256", "pepper").alias("asalt"), "esalt")
    for actual, expected in (("a256", "e256"), ("a512", "e512"), ("asalt", "esalt")):
        assert_column_equality(out, actual, expected)


def test_mask_value_keeps_first_and_last(spark):
    rows = [("4111111111111111", "4111********1111", "################"),
            ("123456789", "1234*6789", "#########"),
            ("12345678", "********", "########"),  # no longer than keep_first + keep_last: all masked
            ("Zoë Ünïcødé", "Zoë ***cødé", "###########"),  # characters, not bytes
            ("ab", "**", "##"), ("", "", ""), (None, None, None)]
    df = spark.createDataFrame(rows, "v string, expected string, expected_all string")
    out = df.select(mask_value(F.col("v"), 4, 4).alias("actual"), "expected",
                    mask_value(F.col("v"), mask_char="#").alias("actual_all"), "expected_all")
    assert_column_equality(out, "actual", "expected")
    assert_column_equality(out, "actual_all", "expected_all")


# --- the transform: every method ----------------------------------------------------------------

SCHEMA = StructType([StructField(n, StringType()) for n in
                     ("id", "customer_id", "email", "iban", "account_number", "name", "address", "ssn")])
ALL_METHODS = {"customer_id": "deterministic", "email": {"method": "hash", "salt": "s1"},
               "iban": "non_deterministic", "account_number": {"method": "format_preserving", "preserve_prefix": 4},
               "name": {"method": "mask", "keep_first": 1, "mask_char": "x"},
               "address": {"method": "redact", "type": "address"}, "ssn": "drop"}


def _rows():
    return [("1", "C00000001", "jane@example.com", "GB82WEST12345698765432", "123456789012", "Jane Doe", "1 High St",
             "123-45-6789"),
            ("2", "C00000002", "li@example.cn", "DE89370400440532013000", "9876543210", "李小龍", "2 Low Rd",
             "987-65-4321"),
            ("3", "C00000001", "jane@example.com", "GB82WEST12345698765432", "123456789012", "Jane Doe", "1 High St",
             "123-45-6789"),
            ("4", None, None, None, None, None, None, None),
            ("5", "", "", "", "", "", "", "")]


def test_every_method_against_hand_written_expectations(spark):
    df = spark.createDataFrame(_rows(), SCHEMA)
    out = tokenize_columns(df, parse_pii_columns(ALL_METHODS), KEYSET).cache()  # several assertions, one run
    assert out.columns == ["id", "customer_id", "email", "iban", "account_number", "name", "address"]  # ssn dropped
    det = KEYSET.derive("deterministic")
    expected = spark.createDataFrame([
        ("1", _hmac(det, "C00000001"), hashlib.sha256(b"s1jane@example.com").hexdigest(), "Jxxxxxxx", "[ADDRESS]"),
        ("2", _hmac(det, "C00000002"), hashlib.sha256("s1li@example.cn".encode()).hexdigest(), "李xx", "[ADDRESS]"),
        ("3", _hmac(det, "C00000001"), hashlib.sha256(b"s1jane@example.com").hexdigest(), "Jxxxxxxx", "[ADDRESS]"),
        ("4", None, None, None, None),
        ("5", "", "", "", ""),
    ], "id string, customer_id string, email string, name string, address string")
    assert_df_equality(out.select(expected.columns), expected, ignore_row_order=True, ignore_nullable=True,
                       ignore_metadata=True)
    rows = {r["id"]: r for r in out.collect()}  # five test rows
    # non_deterministic: equal inputs, different tokens, version-tagged; nulls/empties unchanged
    assert rows["1"]["iban"] != rows["3"]["iban"]
    assert re.fullmatch(r"v1:[A-Za-z0-9+/]+=*", rows["1"]["iban"]) and "GB82" not in rows["1"]["iban"]
    # format_preserving: prefix kept, digits only, same length, deterministic
    assert rows["1"]["account_number"] == rows["3"]["account_number"]
    assert rows["1"]["account_number"][:4] == "1234" and rows["1"]["account_number"] != "123456789012"
    assert rows["2"]["account_number"].isdigit() and len(rows["2"]["account_number"]) == 10
    for column in ("customer_id", "email", "iban", "account_number", "name", "address"):
        assert rows["4"][column] is None and rows["5"][column] == ""
    out.unpersist()


def test_metadata_records_method_version_and_source_type(spark):
    df = spark.createDataFrame([(1, "x")], "n bigint, s string")
    config = parse_pii_columns({"n": {"method": "deterministic", "key_version": "v2"}, "s": "hash"})
    fields = {f.name: f.metadata[METADATA_KEY] for f in tokenize_columns(df, config, KEYSET).schema.fields}
    assert fields["n"] == {"method": "deterministic", "key_version": "v2", "source_type": "bigint",
                           "key_check": KEYSET.check_value("v2")}
    assert len(fields["n"]["key_check"]) == 16 and fields["n"]["key_check"] != KEYSET.check_value("v1")
    assert fields["s"] == {"method": "hash", "source_type": "string"}


def test_non_string_columns_are_cast_to_string_first(spark):
    df = spark.createDataFrame([(4111111111111111, Decimal("12.50"), 3.25), (None, None, None)],
                               "card bigint, amount decimal(10,2), ratio double")
    config = parse_pii_columns({"card": {"method": "format_preserving", "preserve_prefix": 6, "luhn": True},
                                "amount": "deterministic", "ratio": "hash"})
    out = tokenize_columns(df, config, KEYSET)
    assert [f.dataType for f in out.schema.fields] == [StringType()] * 3
    row, null_row = out.orderBy(F.col("card").asc_nulls_last()).collect()
    assert row["card"].startswith("411111") and len(row["card"]) == 16 and row["card"] != "4111111111111111"
    assert luhn_valid([[int(c) for c in row["card"]]])[0]
    assert row["amount"] == _hmac(KEYSET.derive("deterministic"), "12.50")
    assert row["ratio"] == hashlib.sha256(b"3.25").hexdigest()
    assert null_row.asDict() == {"card": None, "amount": None, "ratio": None}


def test_format_preserving_short_values_fall_back_in_spark(spark):
    df = spark.createDataFrame([("12",), ("12345678",), ("12a45678",)], "acct string")
    out = tokenize_columns(df, parse_pii_columns({"acct": {"method": "format_preserving", "preserve_prefix": 2}}),
                           KEYSET).collect()
    tokens = [r["acct"] for r in out]
    assert tokens[0].startswith(FALLBACK_MARKER + "v1" + FALLBACK_MARKER)  # 0 digits after the prefix
    assert tokens[1].isdigit() and tokens[1][:2] == "12" and tokens[1] != "12345678"  # 6 digits: FF3-1
    assert tokens[2].startswith(FALLBACK_MARKER)  # a letter in a digits column


def test_deterministic_is_stable_across_runs_and_changes_with_the_key(spark):
    config = parse_pii_columns({"customer_id": "deterministic"})
    run1 = tokenize_columns(spark.createDataFrame([("C1",), ("C2",)], "customer_id string"), config, KEYSET)
    run2 = tokenize_columns(spark.createDataFrame([("C2",), ("C1",), ("C3",)], "customer_id string"), config, KEYSET)
    joined = run1.join(run2, "customer_id")
    assert joined.count() == 2  # referential integrity: the same tokens in both "tables"
    other = KeySet({"v1": bytes(32)}, "v1")
    tokens_other = {r[0] for r in tokenize_columns(run1.sparkSession.createDataFrame([("C1",), ("C2",)],
                                                                                     "customer_id string"),
                                                   config, other).collect()}
    assert tokens_other.isdisjoint({r[0] for r in run1.collect()})


def test_no_collisions_over_one_million_distinct_inputs(spark):
    config = parse_pii_columns({"v": "deterministic"})
    df = spark.range(1_000_000).select(F.format_string("C%08d", "id").alias("v"))
    out = tokenize_columns(df, config, KEYSET)
    # Distinct 64-bit hashes of the tokens imply distinct tokens (equal tokens hash equally), and
    # shuffling 8-byte longs is much cheaper than 64-character strings. A hash collision could
    # only make this test fail (p ~ 3e-8), never pass wrongly.
    stats = out.agg(F.count("v").alias("n"), F.countDistinct(F.xxhash64("v")).alias("distinct"),
                    F.min(F.length("v")).alias("min_len"), F.max(F.length("v")).alias("max_len")).first()
    assert (stats["n"], stats["distinct"], stats["min_len"], stats["max_len"]) == (1_000_000, 1_000_000, 64, 64)


@settings(max_examples=5, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), min_size=1, max_size=60))
def test_deterministic_property_equals_python_hmac(spark, values):
    df = spark.createDataFrame([(i, v) for i, v in enumerate(values)], "i int, v string")
    out = tokenize_columns(df, parse_pii_columns({"v": "deterministic"}), KEYSET).orderBy("i").collect()
    key = KEYSET.derive("deterministic")
    assert [r["v"] for r in out] == [None if v is None else ("" if v == "" else _hmac(key, v)) for v in values]


# --- failures ----------------------------------------------------------------------------------


def test_missing_column_is_a_schema_error(spark):
    df = spark.createDataFrame([("x",)], "email string")
    with pytest.raises(SchemaError, match="'customer_id': configured in --pii_columns but not in the data"):
        tokenize_columns(df, parse_pii_columns(ISSUE_EXAMPLE), KEYSET)


def test_keyed_methods_need_a_keyset_and_known_versions(spark):
    df = spark.createDataFrame([("x", "y")], "customer_id string, email string")
    with pytest.raises(KeyManagementError, match="customer_id"):
        tokenize_columns(df, parse_pii_columns({"customer_id": "deterministic"}), None)
    assert tokenize_columns(df, parse_pii_columns({"email": "hash"}), None).columns == ["customer_id", "email"]
    with pytest.raises(KeyManagementError, match="pins key version 'v9'"):
        tokenize_columns(df, parse_pii_columns({"customer_id": {"method": "deterministic", "key_version": "v9"}}),
                         KEYSET)


def test_complex_and_binary_columns(spark):
    df = spark.createDataFrame([(["a"], bytearray(b"\x00\xff"))], "tags array<string>, raw binary")
    with pytest.raises(SchemaError, match="'tags': has type array<string>"):
        tokenize_columns(df, parse_pii_columns({"tags": "hash"}), None)
    with pytest.raises(SchemaError, match="'raw': is binary"):
        tokenize_columns(df, parse_pii_columns({"raw": "mask"}), None)
    out = tokenize_columns(df, parse_pii_columns({"raw": "hash"}), None).first()
    assert out["raw"] == hashlib.sha256(b"\x00\xff").hexdigest()


# --- no key material in logs, output or plans -------------------------------------------------


def _material_words(keyset):
    from secure_transform.tokenization import _hmac_pads

    words = []
    for version in keyset.versions:
        words.append(keyset._material[version].hex())
        for purpose in ("deterministic", "non_deterministic", "format_preserving", "format_preserving_fallback"):
            key = keyset.derive(purpose, version)
            words += [key.hex(), key.hex().upper(), base64.b64encode(key).decode()]
        for pad in _hmac_pads(keyset.derive("deterministic", version)):
            words += [pad.hex(), pad.hex().upper(), base64.b64encode(pad).decode()]
    return words


def test_no_key_material_in_captured_logs_or_plans(spark, caplog, capsys, tmp_path):
    keyset = create_dev_keyset(tmp_path / "keys.json")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("secure_transform").info("tokenizing with %s", keyset)
    df = spark.createDataFrame(_rows(), SCHEMA)
    out = tokenize_columns(df, parse_pii_columns(ALL_METHODS), keyset)
    out.explain(True)
    out.show(truncate=False)
    with pytest.raises(KeyManagementError) as err:
        tokenize_columns(df, parse_pii_columns({"iban": {"method": "non_deterministic", "key_version": "v5"}}), keyset)
    print(err.value)
    captured = capsys.readouterr()
    text = caplog.text + captured.out + captured.err
    assert "== Physical Plan ==" in text and "v1" in text  # something was captured
    leaked = sum(word in text for word in _material_words(keyset))  # a count: a failure never prints keys
    assert leaked == 0


def test_tokenize_cli_writes_parquet_and_refuses_bad_config(spark, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("customer_id,email,amount\nC1,a@b.com,1.5\nC2,,2\n")
    keys = tmp_path / "keys.json"
    create_dev_keyset(keys)
    out = tmp_path / "out"
    code = cli_main(["tokenize", "--input", str(src), "--output", str(out), "--pii-columns",
                     '{"customer_id": "deterministic", "email": "hash"}', "--key-file", str(keys)])
    assert code == 0
    rows = sorted(spark.read.parquet(str(out)).collect(), key=lambda r: r["amount"])
    assert rows[0]["email"] == hashlib.sha256(b"a@b.com").hexdigest() and rows[1]["email"] is None
    assert len(rows[0]["customer_id"]) == 64 and rows[0]["amount"] == "1.5"
    bad = cli_main(["tokenize", "--input", str(src), "--output", str(tmp_path / "o2"), "--pii-columns",
                    '{"email": "md5"}'])
    again = cli_main(["tokenize", "--input", str(src), "--output", str(out), "--pii-columns", '{"email": "hash"}'])
    err = capsys.readouterr().err
    assert bad == 2 and "--pii-columns: column 'email': unknown method 'md5'" in err
    assert again == 2 and "already exists" in err
