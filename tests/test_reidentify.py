"""Re-identification: round trips, rotation, one-way refusal, the job entry point and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from secure_transform.cli import main as cli_main
from secure_transform.errors import ConfigError, KeyManagementError, SchemaError
from secure_transform.ff3 import FALLBACK_MARKER
from secure_transform.keys import KEY_FILE_ENV, KeySet, add_key_version, create_dev_keyset
from secure_transform.reidentify import parse_row_filter, reidentify_columns, reidentify_dataset, run_reidentify
from secure_transform.runtime import execute, local_runtime
from secure_transform.tokenization import parse_pii_columns, tokenize_columns

KEYSET = KeySet({"v1": bytes(range(40, 72))}, "v1", source="test")
CONFIG = parse_pii_columns({
    "iban": "non_deterministic",
    "card": {"method": "format_preserving", "preserve_prefix": 6, "luhn": True},
    "account": {"method": "format_preserving", "preserve_prefix": 2, "preserve_suffix": 2},
    "handle": {"method": "format_preserving", "alphabet": "alphanumeric"},
    "email": "hash",
})
UNICODE = "abcXYZ019 -_.@éüßøñçЖжλΩ中文字日本語😀🎉\u200b"


KINDS = (  # (share, alphabet, max length): digits with separators (short ones take the FF3-1 fallback),
    (0.42, "0123456789" * 6 + " -", 24),  # ASCII handles / e-mail-like values, and unicode
    (0.30, "abcdefXYZ0123456789._@-", 30),
    (0.20, UNICODE, 16),
)


def _random_texts(rows: int, rng: np.random.Generator) -> list:
    """Random values: 5% null, 3% empty, the rest drawn from KINDS (vectorised: one big string, sliced)."""
    kind = rng.choice(len(KINDS) + 2, size=rows, p=[0.05, 0.03] + [k[0] for k in KINDS])
    out: list = [None] * rows
    for k, (_share, alphabet, max_len) in enumerate(KINDS, start=2):
        rows_k = np.flatnonzero(kind == k)
        lengths = rng.integers(1, max_len + 1, size=rows_k.size)
        chars = np.array(list(alphabet))[rng.integers(0, len(alphabet), size=int(lengths.sum()))]
        big = "".join(chars.tolist())
        ends = np.cumsum(lengths)
        for row, end, length in zip(rows_k.tolist(), ends.tolist(), lengths.tolist()):
            out[row] = big[end - length:end]
    for row in np.flatnonzero(kind == 1).tolist():
        out[row] = ""
    return out


def _luhn_cards(rows: int, rng: np.random.Generator) -> list:
    body = rng.integers(0, 10, size=(rows, 15))
    body[:, :6] = [4, 1, 1, 1, 1, 1]
    doubled = np.where(np.arange(15) % 2 == 0, body * 2, body)  # from the right of body||check: even positions
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    check = (10 - doubled.sum(axis=1) % 10) % 10
    digits = np.concatenate([body, check[:, None]], axis=1) + ord("0")
    return [bytes(row).decode() for row in digits.astype(np.uint8)]


def _frame(spark, rows: int, seed: int, columns=("iban", "card", "account", "handle", "email")):
    rng = np.random.default_rng(seed)
    data = {"id": np.arange(rows)}
    for column in columns:
        values = _random_texts(rows, rng)
        if column == "card":  # mostly Luhn-valid card numbers, some anything
            cards = _luhn_cards(rows, rng)
            values = [c if keep else v for c, v, keep in zip(cards, values, (rng.random(rows) < 0.9).tolist())]
        data[column] = values
    schema = ", ".join(["id long"] + [f"{c} string" for c in columns])
    return spark.createDataFrame(pd.DataFrame(data), schema)


def test_round_trip_of_100000_random_values_including_unicode(spark):
    columns = ("iban", "card", "handle")
    config = parse_pii_columns({
        "iban": "non_deterministic", "card": {"method": "format_preserving", "preserve_prefix": 6, "luhn": True},
        "handle": {"method": "format_preserving", "alphabet": "alphanumeric"}})
    source = _frame(spark, 100_000, seed=11, columns=columns)
    source = source.select("*", *[F.col(c).alias(f"orig_{c}") for c in columns])  # not configured: passed through
    tokens = tokenize_columns(source, config, KEYSET)
    keep = tokens.select("*", *[F.col(c).alias(f"tok_{c}") for c in columns])
    back = reidentify_columns(keep, config, KEYSET)
    aggs = [F.count(F.lit(1)).alias("rows")]
    for c in columns:
        aggs += [F.sum((~F.col(c).eqNullSafe(F.col(f"orig_{c}"))).cast("int")).alias(f"wrong_{c}"),
                 F.sum((F.col(f"tok_{c}") == F.col(f"orig_{c}")).cast("int")).alias(f"same_{c}"),
                 F.count(F.col(f"orig_{c}")).alias(f"nonnull_{c}")]
    card_like = F.col("orig_card").rlike("^411111[0-9]{10}$")
    aggs += [F.sum(card_like.cast("int")).alias("cards"),
             F.sum((card_like & ~F.col("tok_card").rlike("^411111[0-9]{10}$")).cast("int")).alias("bad_card_tokens")]
    stats = back.agg(*aggs).first().asDict()  # one aggregate row
    assert stats["rows"] == 100_000
    for c in columns:
        assert stats[f"wrong_{c}"] == 0, c
        assert stats[f"nonnull_{c}"] > 90_000
        # only empty strings (kept as "") may equal their token
        assert stats[f"same_{c}"] <= 0.04 * 100_000, c
    assert stats["cards"] > 80_000 and stats["bad_card_tokens"] == 0  # prefix kept, 16 digits


def test_rotation_keeps_old_tokens_decryptable(spark, tmp_path):
    source = _frame(spark, 200, seed=5, columns=("iban", "account"))
    config = parse_pii_columns({"iban": "non_deterministic",
                                "account": {"method": "format_preserving", "preserve_prefix": 2, "preserve_suffix": 2}})
    tokenize_columns(source, config, KEYSET).write.parquet(str(tmp_path / "v1"))
    rotated = add_key_version(KEYSET)
    assert rotated.active_version == "v2"
    tokenize_columns(source, config, rotated).write.parquet(str(tmp_path / "v2"))
    old, new = spark.read.parquet(str(tmp_path / "v1")), spark.read.parquet(str(tmp_path / "v2"))
    expected = source.select("id", "iban", "account")
    for tokens in (old, new):
        back = reidentify_columns(tokens, config, rotated).select("id", "iban", "account")
        assert_df_equality(back, expected, ignore_row_order=True, ignore_nullable=True, ignore_metadata=True)
    # non_deterministic tokens carry their version, so both versions mix in one column
    mixed = old.select("id", "iban").unionByName(new.select("id", F.col("iban")))
    mixed_back = reidentify_columns(mixed, parse_pii_columns({"iban": "non_deterministic"}), rotated)
    assert mixed_back.join(source.select("id", F.col("iban").alias("orig")), "id").filter(
        ~F.col("iban").eqNullSafe(F.col("orig"))).count() == 0
    # format_preserving tokens carry the version in column metadata; without it, pin key_version
    stripped = old.select("id", F.col("account").alias("account", metadata={"other": 1}))  # record lost
    pinned = parse_pii_columns({"account": {"method": "format_preserving", "preserve_prefix": 2,
                                            "preserve_suffix": 2, "key_version": "v1"}})
    # without the record there is no key-check value either: refused unless explicitly accepted
    with pytest.raises(KeyManagementError, match="column 'account': the data records no key-check value"):
        reidentify_columns(stripped, pinned, rotated)
    assert_df_equality(reidentify_columns(stripped, pinned, rotated, allow_unverified_key=True),
                       expected.select("id", "account"), ignore_row_order=True, ignore_nullable=True,
                       ignore_metadata=True)
    wrong = reidentify_columns(stripped, config, rotated, ["account"],  # no metadata, no pin: active v2 used
                               allow_unverified_key=True)
    mismatches = wrong.join(expected.withColumnRenamed("account", "orig"), "id").filter(
        F.col("account").isNotNull() & (F.col("account") != F.col("orig")))
    ff3_tokens = old.filter((F.length("account") > 0) & ~F.col("account").startswith(FALLBACK_MARKER))
    assert mismatches.count() == ff3_tokens.count() > 30  # fallback tokens name their version and still decrypt


def test_one_way_columns_refused_explicitly_and_untouched_by_default(spark):
    df = tokenize_columns(_frame(spark, 20, seed=1), CONFIG, KEYSET)
    with pytest.raises(ConfigError, match="--columns: column 'email' was tokenized with method 'hash', which is "
                                          "one-way"):
        reidentify_columns(df, CONFIG, KEYSET, ["iban", "email"])
    with pytest.raises(ConfigError, match="--columns: column 'ssn' is not configured"):
        reidentify_columns(df, CONFIG, KEYSET, ["ssn"])
    back = reidentify_columns(df, CONFIG, KEYSET)
    assert_df_equality(back.select("id", "email"), df.select("id", "email"), ignore_metadata=True)
    only_iban = reidentify_columns(df, CONFIG, KEYSET, ["iban"])
    assert_df_equality(only_iban.select("card"), df.select("card"), ignore_metadata=True)
    with pytest.raises(ConfigError, match="--pii_columns: has no reversible column"):
        reidentify_columns(df, parse_pii_columns({"email": "hash"}), KEYSET)
    with pytest.raises(KeyManagementError):
        reidentify_columns(df, CONFIG, None)


def test_configuration_must_match_the_recorded_tokenization(spark):
    df = tokenize_columns(_frame(spark, 5, seed=2), CONFIG, KEYSET)
    other = parse_pii_columns({"account": {"method": "format_preserving", "preserve_prefix": 4}})
    with pytest.raises(ConfigError, match="--pii_columns: column 'account': the data was tokenized with "
                                          "preserve_prefix 2, the configuration says 4"):
        reidentify_columns(df, other, KEYSET)
    with pytest.raises(SchemaError, match="'iban': is a reversible column"):
        reidentify_columns(df.drop("iban"), CONFIG, KEYSET)


def test_original_types_are_restored_and_bad_tokens_become_null(spark, tmp_path):
    df = spark.createDataFrame([(1, 4111111111111111, "x"), (2, None, "y"), (3, 5500000000000004, "z")],
                               "id int, card bigint, note string")
    config = parse_pii_columns({"card": {"method": "format_preserving", "preserve_prefix": 6, "luhn": True},
                                "note": "non_deterministic"})
    tokens = tokenize_columns(df, config, KEYSET)
    plain = reidentify_columns(tokens, config, KEYSET)
    assert_df_equality(plain, df, ignore_nullable=True, ignore_metadata=True)
    with pytest.raises(ConfigError, match="tokenized with method 'reidentified'"):
        reidentify_columns(plain, config, KEYSET)  # already plain text: refused, not garbled
    tampered = tokens.withColumn("note", F.when(F.col("id") == 1, F.concat(F.col("note"), F.lit("AA")))
                                 .when(F.col("id") == 2, F.regexp_replace("note", "^v1:", "v9:"))
                                 .otherwise(F.col("note"))).withMetadata("note", tokens.schema["note"].metadata)
    tampered.write.parquet(str(tmp_path / "in"))
    result = reidentify_dataset(spark, str(tmp_path / "in"), str(tmp_path / "out"), config, KEYSET, ("all", None))
    assert result["values_not_reidentified"] == {"card": 0, "note": 2}
    assert result["rows_scanned"] == result["rows_selected"] == 3
    notes = {r["id"]: r["note"] for r in spark.read.parquet(str(tmp_path / "out")).collect()}
    assert notes == {1: None, 2: None, 3: "z"}


@pytest.mark.parametrize("value,problem", [
    ("email=a@b.com", "column 'email' holds personal data"),
    ("sometimes", "must be 'anomalies', 'all' or"),
    ("transaction_id=", "must be 'anomalies', 'all' or"),
])
def test_row_filter_validation(value, problem):
    with pytest.raises(ConfigError, match="--row_filter") as err:
        parse_row_filter(value, CONFIG)
    assert problem in str(err.value)
    assert parse_row_filter(None, CONFIG) == ("anomalies", None)
    assert parse_row_filter("transaction_id=T1, T2", CONFIG) == ("values", ("transaction_id", ("T1", "T2")))


def _transformed_zone(spark, root, keyset):
    rows = [(f"T{i:012d}", f"GB82WEST1234569876{i:04d}", f"{1000000000 + i}", i % 4 == 0, f"c{i}@x.com")
            for i in range(40)]
    df = spark.createDataFrame(rows, "transaction_id string, iban string, account_number string, "
                                     "is_anomaly boolean, email string")
    config = parse_pii_columns({"iban": "non_deterministic", "email": "hash",
                                "account_number": {"method": "format_preserving", "preserve_prefix": 4}})
    tokenize_columns(df, config, keyset).write.parquet(str(root / "runs" / "run_id=r1" / "data"))
    (root / "_latest.json").write_text(json.dumps({"run_id": "r1"}))
    return df, config


def test_run_reidentify_job_on_a_published_run(spark, tmp_path):
    key_file = tmp_path / "keys.json"
    keyset = create_dev_keyset(key_file)
    original, config = _transformed_zone(spark, tmp_path / "zone", keyset)
    rt = local_runtime("reidentify", {"source_bucket": str(tmp_path / "zone"), "target_bucket": str(tmp_path / "out"),
                                      "pii_columns": json.dumps({"iban": "non_deterministic", "email": "hash",
                                                                 "account_number": {"method": "format_preserving",
                                                                                    "preserve_prefix": 4}}),
                                      "key_file": str(key_file)}, spark, run_id="reid-1")
    summary = execute(rt, run_reidentify)
    assert (summary["rows_in"], summary["rows_out"], summary["rows_quarantined"]) == (10, 10, 0)
    assert summary["rows_scanned"] == 40 and summary["columns_reidentified"] == ["iban", "account_number"]
    out = spark.read.parquet(str(tmp_path / "out" / "run_id=reid-1"))
    expected = original.filter("is_anomaly").select("transaction_id", "iban", "account_number")
    assert_df_equality(out.select("transaction_id", "iban", "account_number"), expected, ignore_row_order=True,
                       ignore_nullable=True, ignore_metadata=True)
    assert out.filter(F.col("email").contains("@")).count() == 0  # one-way column left as its token
    audit = json.loads((tmp_path / "out" / "run_id=reid-1" / "_reidentification.json").read_text())
    assert audit["rows_selected"] == 10 and audit["key_versions"] == ["v1"] and "material" not in json.dumps(audit)
    with pytest.raises(ConfigError, match="--target_bucket: already holds run_id=reid-1"):
        run_reidentify(local_runtime("reidentify", rt.args, spark, run_id="reid-1"))


def test_run_reidentify_without_a_key_stops_before_reading(spark, tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    rt = local_runtime("reidentify", {"source_bucket": str(tmp_path / "does-not-exist"),
                                      "target_bucket": str(tmp_path / "out"),
                                      "pii_columns": '{"iban": "non_deterministic"}'}, spark)
    with pytest.raises(KeyManagementError, match="no default key"):
        run_reidentify(rt)
    assert not (tmp_path / "out").exists()


def test_reidentify_cli_round_trip(spark, tmp_path, capsys):
    key_file = tmp_path / "keys.json"
    create_dev_keyset(key_file)
    src = tmp_path / "in.csv"
    src.write_text("transaction_id,iban,email\nT1,GB82WEST12345698765432,a@b.com\nT2,DE89370400440532013000,c@d.com\n")
    pii = json.dumps({"iban": "non_deterministic", "email": "hash"})
    assert cli_main(["tokenize", "--input", str(src), "--output", str(tmp_path / "tok"), "--pii-columns", pii,
                     "--key-file", str(key_file)]) == 0
    assert cli_main(["reidentify", "--input", str(tmp_path / "tok"), "--output", str(tmp_path / "plain"),
                     "--pii-columns", pii, "--key-file", str(key_file), "--row-filter", "transaction_id=T2"]) == 0
    refused = cli_main(["reidentify", "--input", str(tmp_path / "tok"), "--output", str(tmp_path / "p2"),
                        "--pii-columns", pii, "--key-file", str(key_file), "--row-filter", "all",
                        "--columns", "email"])
    no_anomaly_column = cli_main(["reidentify", "--input", str(tmp_path / "tok"), "--output", str(tmp_path / "p3"),
                                  "--pii-columns", pii, "--key-file", str(key_file)])
    captured = capsys.readouterr()
    rows = spark.read.parquet(str(tmp_path / "plain")).collect()
    assert [(r["transaction_id"], r["iban"]) for r in rows] == [("T2", "DE89370400440532013000")]
    assert "re-identified iban in 1 of 2 row(s)" in captured.out
    assert refused == 2 and "column 'email' was tokenized with method 'hash'" in captured.err
    assert no_anomaly_column == 2 and "is_anomaly" in captured.err
