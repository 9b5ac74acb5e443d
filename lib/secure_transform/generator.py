"""Synthetic card transactions full of (fake) personal data, with planted anomalies.

Everything is computed with Spark expressions from ``spark.range(n)``: every random draw is a
hash of ``(seed, row id, draw number)`` (``xxhash64``), not ``rand()``, so the output is the same
for a seed whatever the partitioning, machine or Spark version, and 1,000,000 rows take seconds.

* Customers are a skewed population (a few very active, a long tail); a customer's name,
  e-mail, phone, card (Luhn-valid, Visa/Mastercard/Amex/Discover), account number, IBAN
  (valid ISO 13616 check digits), SSN (valid area/group/serial) and address are derived from
  the customer index, so the same person has the same PII on every row.
* Merchants carry real ISO 18245 MCCs with skewed popularity; about 0.5% of rows carry an
  unknown (``"0000"``, ``"99999"``) or malformed (``"ABCD"``, ``"12"``, null) code.
* Amounts are log-normal per merchant type (heavy-tailed); timestamps follow a daily cycle
  over ``days`` days.
* ``memo`` is free text; about 12% of memos contain PII (e-mail, phone, card, IBAN, and -- with
  no keyword -- a name, an SSN, a street address, a UK national phone number), others contain
  look-alikes (order numbers, dates, amounts).
* Planted anomalies (``anomaly_rate``, default 1%): extreme amounts, odd-hour high spends,
  risky MCCs (gambling, quasi-cash, wire transfer) and bursts of 10 transactions within minutes.
  The ground truth goes to ``labels/`` beside the data, never inside it.
* ``bad_row_rate`` (default 0.1%) plants row-level problems (empty ids, text in amount,
  duplicated transaction ids, future timestamps) for the quarantine path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import ConfigError

FORMATS = ("csv", "parquet", "jsonl")
MIN_ROWS, MAX_ROWS = 1_000, 10_000_000
START_DATE = "2026-11-01 00:00:00"

# (merchant name, MCC, log-mean of the amount, log-sd)
MERCHANTS: tuple[tuple[str, str, float, float], ...] = (
    ("FreshMart Grocery", "5411", 3.6, 0.7), ("Corner Grocer", "5411", 3.2, 0.6),
    ("Bella Trattoria", "5812", 3.7, 0.5), ("Burger Stop", "5814", 2.6, 0.4),
    ("Quick Fuel", "5541", 3.8, 0.4), ("City Pharmacy", "5912", 3.1, 0.6),
    ("MegaStore", "5311", 4.0, 0.8), ("Daily Coffee", "5814", 1.9, 0.3),
    ("Metro Transit", "4111", 1.5, 0.3), ("RideNow", "4121", 2.9, 0.5),
    ("StreamFlix", "4899", 2.7, 0.1), ("PowerGrid Utilities", "4900", 4.6, 0.4),
    ("TeleCom Mobile", "4814", 4.0, 0.3), ("BookNook", "5942", 3.0, 0.5),
    ("ElectroWorld", "5732", 5.3, 0.9), ("Fashion Avenue", "5651", 4.1, 0.7),
    ("HomeBuild Hardware", "5200", 4.3, 0.8), ("SkyHigh Airlines", "3000", 6.2, 0.6),
    ("Grand Hotel", "3501", 5.6, 0.6), ("AutoRent", "3357", 5.2, 0.5),
    ("Cinema Plaza", "7832", 3.0, 0.3), ("FitLife Gym", "7997", 3.7, 0.3),
    ("Dr. Smile Dental", "8021", 5.0, 0.7), ("General Hospital", "8062", 5.5, 1.0),
    ("PetPals", "5995", 3.5, 0.6), ("ToyLand", "5945", 3.4, 0.6),
    ("Online Marketplace", "5999", 3.9, 0.9), ("Gift Corner", "5947", 3.1, 0.6),
    ("Luxe Jewelers", "5944", 5.8, 1.0), ("Insurance Direct", "6300", 5.0, 0.4),
    ("Parking Central", "7523", 2.3, 0.4), ("Laundry Express", "7211", 2.8, 0.3),
    ("Lucky Star Casino", "7995", 5.0, 1.0), ("QuickCash Exchange", "6051", 5.4, 0.8),
    ("Global Wire", "4829", 5.7, 0.9), ("Crypto Vault", "6051", 6.0, 1.0),
    ("Prepaid Cards Inc", "6540", 4.6, 0.6), ("Tax Office", "9311", 5.5, 0.8),
)
RISKY_MERCHANTS = ("Lucky Star Casino", "QuickCash Exchange", "Global Wire", "Crypto Vault")
BAD_MCCS = ("ABCD", "12", None, "99999", "0000", "54 11")

FIRST_NAMES = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
               "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
               "Charles", "Karen", "Maria", "Ahmed", "Wei", "Priya", "Olga", "Jose", "Fatima", "Hiroshi",
               "Zoe", "Noah", "Amelie", "Lukas", "Chloe", "Mateo", "Aisha", "Liam")
LAST_NAMES = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
              "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
              "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Nguyen",
              "Kowalski", "Muller", "Rossi", "Tanaka", "Okafor", "Dubois", "Silva", "O'Brien")
STREETS = ("Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "River",
           "Sunset", "Highland", "Church", "Mill")
STREET_SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct")
CITIES = (("Springfield", "IL"), ("Riverside", "CA"), ("Franklin", "TN"), ("Greenville", "SC"),
          ("Bristol", "CT"), ("Clinton", "IA"), ("Madison", "WI"), ("Georgetown", "TX"),
          ("Salem", "OR"), ("Fairview", "NJ"), ("Arlington", "VA"), ("Auburn", "AL"))
EMAIL_DOMAINS = ("example.com", "mail.example.org", "inbox.example.net", "corp.example.com")
# weights in percent, hour 0..23: a realistic daily cycle with a lunch and an evening peak
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 7, 9, 8, 6, 6, 6, 7, 7, 6, 4, 3, 2, 1)
CURRENCIES = (("USD", 70), ("EUR", 15), ("GBP", 10), ("CAD", 3), ("JPY", 2))


@dataclass(frozen=True)
class GeneratorConfig:
    rows: int = 100_000
    seed: int = 42
    days: int = 7
    anomaly_rate: float = 0.01
    bad_row_rate: float = 0.001
    customers: int | None = None

    def __post_init__(self) -> None:
        if not MIN_ROWS <= self.rows <= MAX_ROWS:
            raise ConfigError("--rows", f"must be between {MIN_ROWS:,} and {MAX_ROWS:,}, got {self.rows:,}")
        if not 1 <= self.days <= 366:
            raise ConfigError("--days", f"must be between 1 and 366, got {self.days}")
        if not 0 <= self.anomaly_rate <= 0.2:
            raise ConfigError("--anomaly-rate", f"must be in [0, 0.2], got {self.anomaly_rate}")
        if not 0 <= self.bad_row_rate <= 0.1:
            raise ConfigError("--bad-row-rate", f"must be in [0, 0.1], got {self.bad_row_rate}")

    @property
    def n_customers(self) -> int:
        return self.customers or max(50, self.rows // 40)


def _arr(values: tuple[Any, ...]):
    from pyspark.sql import functions as F

    return F.array(*[F.lit(v) for v in values])


def _luhn_complete(partial):
    """Append the Luhn check digit to a string of digits (Spark expression)."""
    from pyspark.sql import functions as F

    digits = F.transform(F.reverse(F.split(partial, "")), lambda d, i: F.when(
        i % 2 == 0, F.when(d.cast("int") * 2 > 9, d.cast("int") * 2 - 9).otherwise(d.cast("int") * 2)
    ).otherwise(d.cast("int")))
    total = F.aggregate(digits, F.lit(0), lambda acc, x: acc + x)
    return F.concat(partial, ((F.lit(10) - total % 10) % 10).cast("string"))


def _iban_mod97(numeric):
    """mod 97 of a long digit string, digit by digit (Spark expression)."""
    from pyspark.sql import functions as F

    return F.aggregate(F.split(numeric, ""), F.lit(0).cast("long"),
                       lambda acc, d: (acc * 10 + d.cast("long")) % 97)


def _iban(country: str, bban):
    """Valid IBAN: country + check digits + BBAN (letters of the BBAN converted A=10..Z=35)."""
    from pyspark.sql import functions as F

    rearranged = F.concat(bban, F.lit(country), F.lit("00"))
    numeric = F.array_join(F.transform(F.split(rearranged, ""), lambda c: F.when(
        c.rlike("[A-Z]"), (F.ascii(c) - 55).cast("string")).otherwise(c)), "")
    check = F.lpad((F.lit(98) - _iban_mod97(numeric)).cast("string"), 2, "0")
    return F.concat(F.lit(country), check, bban)


def generate_transactions(spark: Any, config: GeneratorConfig):
    """Return ``(transactions_df, labels_df)``; nothing is written or collected."""
    from pyspark.sql import functions as F

    seed = config.seed

    def h(*parts: Any):
        return F.xxhash64(F.lit(seed), *parts)

    def uniform(base, k: int):
        # 53 random bits -> [0, 1)
        return (F.pmod(h(base, F.lit(k)), F.lit(1 << 53)) / F.lit(float(1 << 53)))

    def pick(values: tuple[Any, ...], u):
        return F.element_at(_arr(values), (F.floor(u * len(values)) + 1).cast("int"))

    def digits(base, k: int, n: int):
        # n pseudo-random digits from two hashes (up to 36 digits)
        a = F.lpad(F.pmod(h(base, F.lit(k)), F.lit(10**18)).cast("string"), 18, "0")
        b = F.lpad(F.pmod(h(base, F.lit(k + 1000)), F.lit(10**18)).cast("string"), 18, "0")
        return F.substring(F.concat(a, b), 1, n)

    n = config.rows
    n_cust = config.n_customers
    df = spark.range(0, n, 1, numPartitions=max(2, min(200, n // 250_000 + 2)))
    rid = F.col("id")

    # --- anomaly and burst planning -------------------------------------------------------
    block = F.floor(rid / 10)
    is_burst = uniform(block, 1) < F.lit(config.anomaly_rate * 0.25)
    u_anom = uniform(rid, 2)
    share = config.anomaly_rate * 0.75 / 3
    anomaly_type = (
        F.when(is_burst, F.lit("burst"))
        .when(u_anom < share, F.lit("extreme_amount"))
        .when(u_anom < 2 * share, F.lit("odd_hour"))
        .when(u_anom < 3 * share, F.lit("risky_mcc"))
    )
    df = df.select(rid, anomaly_type.alias("anomaly_type"), is_burst.alias("_burst"))

    # --- customer (skewed population) -------------------------------------------------------
    u_c = uniform(rid, 3)
    cust_normal = F.floor(F.pow(u_c, F.lit(1.6)) * n_cust).cast("long")
    cust_burst = F.pmod(h(F.floor(rid / 10), F.lit(4)), F.lit(n_cust))
    df = df.withColumn("_cust", F.when(F.col("_burst"), cust_burst).otherwise(cust_normal))
    c = F.col("_cust")
    first = pick(FIRST_NAMES, uniform(c, 10))
    last = pick(LAST_NAMES, uniform(c, 11))
    brand_u = uniform(c, 12)
    card_partial = (
        F.when(brand_u < 0.5, F.concat(F.lit("4"), digits(c, 13, 14)))  # Visa 16
        .when(brand_u < 0.8, F.concat(F.lit("5"), (F.floor(uniform(c, 14) * 5) + 1).cast("string"), digits(c, 15, 13)))
        .when(brand_u < 0.92, F.concat(pick(("34", "37"), uniform(c, 16)), digits(c, 17, 12)))  # Amex 15
        .otherwise(F.concat(F.lit("6011"), digits(c, 18, 11)))  # Discover 16
    )
    area = F.floor(uniform(c, 20) * 898) + 1
    area = F.when(area == 666, F.lit(667)).otherwise(area)
    ssn = F.concat_ws("-", F.lpad(area.cast("string"), 3, "0"),
                      F.lpad((F.floor(uniform(c, 21) * 99) + 1).cast("string"), 2, "0"),
                      F.lpad((F.floor(uniform(c, 22) * 9999) + 1).cast("string"), 4, "0"))
    npa = (F.floor(uniform(c, 23) * 700) + 201).cast("string")
    nxx = (F.floor(uniform(c, 24) * 700) + 200).cast("string")
    line = F.lpad(F.floor(uniform(c, 25) * 10000).cast("string"), 4, "0")
    phone_style = uniform(c, 26)
    phone = (F.when(phone_style < 0.4, F.concat(F.lit("("), npa, F.lit(") "), nxx, F.lit("-"), line))
             .when(phone_style < 0.7, F.concat(F.lit("+1"), npa, nxx, line))
             .otherwise(F.concat_ws("-", npa, nxx, line)))
    city = F.floor(uniform(c, 27) * len(CITIES)).cast("int") + 1
    address = F.concat(
        (F.floor(uniform(c, 28) * 9899) + 100).cast("string"), F.lit(" "), pick(STREETS, uniform(c, 29)), F.lit(" "),
        pick(STREET_SUFFIXES, uniform(c, 30)), F.lit(", "), F.element_at(_arr(tuple(x[0] for x in CITIES)), city),
        F.lit(", "), F.element_at(_arr(tuple(x[1] for x in CITIES)), city), F.lit(" "),
        F.lpad(F.floor(uniform(c, 31) * 99999).cast("string"), 5, "0"))
    iban_u = uniform(c, 32)
    iban = F.when(iban_u < 0.5, _iban("GB", F.concat(pick(("NWBK", "BARC", "LOYD", "HBUK"), uniform(c, 33)),
                                                     digits(c, 34, 14)))).otherwise(_iban("DE", digits(c, 35, 18)))
    cur_u = uniform(c, 36)
    currency = F.lit(CURRENCIES[-1][0])
    acc = 0
    cases = None
    for code, weight in CURRENCIES:
        acc += weight
        cases = (F.when(cur_u * 100 < acc, F.lit(code)) if cases is None else cases.when(cur_u * 100 < acc, F.lit(code)))
    currency = cases.otherwise(F.lit(CURRENCIES[-1][0]))

    df = df.select(
        "id", "anomaly_type", "_burst", "_cust",
        F.concat(F.lit("C"), F.lpad(c.cast("string"), 8, "0")).alias("customer_id"),
        F.concat_ws(" ", first, last).alias("customer_name"),
        F.concat(F.lower(first), F.lit("."), F.lower(F.regexp_replace(last, "'", "")),
                 (F.pmod(c, F.lit(97))).cast("string"), F.lit("@"), pick(EMAIL_DOMAINS, uniform(c, 37))).alias("email"),
        phone.alias("phone"),
        _luhn_complete(card_partial).alias("card_number"),
        digits(c, 38, 10).alias("_acct10"),
        F.floor(uniform(c, 39) * 3).cast("int").alias("_acct_extra"),
        iban.alias("iban"),
        ssn.alias("ssn"),
        address.alias("address"),
        currency.alias("currency"),
    )
    df = df.withColumn("account_number", F.concat(F.lit("1"), F.substring(F.col("_acct10"), 1, 8),
                                                  F.expr("substring(_acct10, 9, _acct_extra + 2)"))).drop("_acct10", "_acct_extra")

    # --- merchant, amount, time ------------------------------------------------------------
    rid = F.col("id")
    atype = F.col("anomaly_type")
    normal_merchants = tuple(m for m in MERCHANTS if m[0] not in RISKY_MERCHANTS)
    risky = tuple(m for m in MERCHANTS if m[0] in RISKY_MERCHANTS)
    m_idx_normal = (F.floor(F.pow(uniform(rid, 50), F.lit(2.2)) * len(normal_merchants)) + 1).cast("int")
    m_idx_risky = (F.floor(uniform(rid, 51) * len(risky)) + 1).cast("int")
    # ordinary traffic also visits risky merchants, rarely
    use_risky = (atype == "risky_mcc") | (uniform(rid, 52) < 0.01)
    names_n, mcc_n = _arr(tuple(m[0] for m in normal_merchants)), _arr(tuple(m[1] for m in normal_merchants))
    mu_n, sd_n = _arr(tuple(m[2] for m in normal_merchants)), _arr(tuple(m[3] for m in normal_merchants))
    names_r, mcc_r = _arr(tuple(m[0] for m in risky)), _arr(tuple(m[1] for m in risky))
    mu_r, sd_r = _arr(tuple(m[2] for m in risky)), _arr(tuple(m[3] for m in risky))

    def choose(arr_n, arr_r):
        return F.when(use_risky, F.element_at(arr_r, m_idx_risky)).otherwise(F.element_at(arr_n, m_idx_normal))

    u1 = F.greatest(uniform(rid, 53), F.lit(1e-12))
    z = F.sqrt(-2 * F.log(u1)) * F.cos(2 * 3.141592653589793 * uniform(rid, 54))
    base_amount = F.exp(choose(mu_n, mu_r) + choose(sd_n, sd_r) * z)
    amount = (F.when(atype == "extreme_amount", base_amount * (20 + uniform(rid, 55) * 80) + 2000)
              .when(atype == "odd_hour", base_amount * 5 + 500)
              .when(atype == "risky_mcc", base_amount * 3 + 800)
              .when(atype == "burst", base_amount * 0.5 + 50 + uniform(rid, 56) * 200)
              .otherwise(base_amount))
    amount = F.round(F.least(amount, F.lit(250_000.0)), 2)

    hour_table = tuple(h_ for h_, w in enumerate(HOUR_WEIGHTS) for _ in range(w))
    hour = F.when(atype == "odd_hour", F.floor(uniform(rid, 57) * 3) + 2).otherwise(
        F.element_at(_arr(hour_table), (F.floor(uniform(rid, 58) * len(hour_table)) + 1).cast("int")))
    day = F.floor(uniform(rid, 59) * config.days)
    secs = day * 86400 + hour * 3600 + F.floor(uniform(rid, 60) * 3600)
    burst_block = F.floor(rid / 10)
    burst_secs = (F.floor(uniform(burst_block, 61) * config.days) * 86400 + (F.floor(uniform(burst_block, 62) * 14) + 8)
                  * 3600 + (rid % 10) * (F.floor(uniform(rid, 63) * 50) + 10))
    ts_secs = F.when(F.col("_burst"), burst_secs).otherwise(secs)
    start = F.unix_timestamp(F.lit(START_DATE))
    ts = F.timestamp_seconds(start + ts_secs)

    mcc = choose(mcc_n, mcc_r)
    u_bad_mcc = uniform(rid, 64)
    mcc = F.when(u_bad_mcc < 0.005, pick(BAD_MCCS, uniform(rid, 65))).otherwise(mcc)

    # --- memo: free text, sometimes with PII, often with look-alikes --------------------------
    u_memo = uniform(rid, 70)
    order_no = F.concat(F.lit("#"), digits(rid, 71, 8))
    lookalike16 = digits(rid, 72, 16)  # 16 random digits: Luhn-valid only by chance (1 in 10)
    memo = (
        F.when(u_memo < 0.02, F.concat(F.lit("Receipt sent to "), F.col("email")))
        .when(u_memo < 0.04, F.concat(F.lit("Customer asked for a call back on "), F.col("phone")))
        .when(u_memo < 0.06, F.concat(F.lit("Manual entry, card "), F.col("card_number"), F.lit(" swiped twice")))
        .when(u_memo < 0.08, F.concat(F.lit("Refund to IBAN "), F.col("iban")))
        .when(u_memo < 0.20, F.concat(F.lit("Online order "), order_no))
        .when(u_memo < 0.25, F.concat(F.lit("Ref "), lookalike16, F.lit(" batch")))
        .when(u_memo < 0.32, F.concat(F.lit("Delivery on "), F.date_format(ts, "yyyy-MM-dd")))
        .when(u_memo < 0.40, F.concat(F.lit("Split bill, my share "), F.format_number(amount, 2)))
        .when(u_memo < 0.45, F.lit("Thanks! \U0001F44D"))
        # real-world free text the detector v2 finds: a name without an honorific, an SSN without a
        # keyword, a street address, a UK national phone number
        .when(u_memo < 0.46, F.concat(F.lit("Customer "), F.col("customer_name"), F.lit(" called about the refund")))
        .when(u_memo < 0.47, F.concat(F.lit("id check "), F.col("ssn"), F.lit(" ok")))
        .when(u_memo < 0.48, F.concat(F.lit("ship to "), F.col("address")))
        .when(u_memo < 0.49, F.concat(F.lit("call back on 020 7946 "), digits(rid, 73, 4)))
        .otherwise(F.lit(None).cast("string"))
    )

    tx = df.select(
        F.concat(F.lit("T"), F.lpad(rid.cast("string"), 12, "0")).alias("transaction_id"),
        "customer_id", "customer_name", "email", "phone", "card_number", "account_number", "iban", "ssn", "address",
        choose(names_n, names_r).alias("merchant_name"),
        mcc.alias("merchant_category_code"),
        amount.alias("amount"),
        "currency",
        ts.alias("transaction_ts"),
        memo.alias("memo"),
        "anomaly_type",
        rid.alias("_rid"),
    )

    # --- planted bad rows (quarantine path) -------------------------------------------------
    u_bad = uniform(F.col("_rid"), 80)
    bad_kind = F.when(u_bad < config.bad_row_rate, F.floor(uniform(F.col("_rid"), 81) * 4))
    tx = tx.withColumn("_bad", bad_kind)
    tx = tx.select(
        F.when(F.col("_bad") == 2, F.concat(F.lit("T"), F.lpad((F.col("_rid") - 1).cast("string"), 12, "0")))
        .otherwise(F.col("transaction_id")).alias("transaction_id"),
        F.when(F.col("_bad") == 0, F.lit("")).otherwise(F.col("customer_id")).alias("customer_id"),
        "customer_name", "email", "phone", "card_number", "account_number", "iban", "ssn", "address",
        "merchant_name", "merchant_category_code",
        F.when(F.col("_bad") == 1, F.lit(float("nan"))).otherwise(F.col("amount")).alias("amount"),
        "currency",
        F.when(F.col("_bad") == 3, F.col("transaction_ts") + F.expr("INTERVAL 3650 DAYS"))
        .otherwise(F.col("transaction_ts")).alias("transaction_ts"),
        "memo", "anomaly_type", "_rid", "_bad",
    )
    labels = tx.select(
        F.concat(F.lit("T"), F.lpad(F.col("_rid").cast("string"), 12, "0")).alias("transaction_id"),
        F.col("anomaly_type").isNotNull().cast("int").alias("is_anomaly"),
        "anomaly_type",
        F.when(F.col("_bad").isNotNull(), F.element_at(
            _arr(("empty_customer_id", "bad_amount", "duplicate_transaction_id", "future_timestamp")),
            (F.col("_bad") + 1).cast("int"))).alias("planted_problem"),
    )
    data = tx.drop("anomaly_type", "_rid", "_bad")
    return data, labels


def write_sample_data(spark: Any, config: GeneratorConfig, output: str, fmt: str = "csv",
                      *, files: int | None = None) -> dict:
    """Write ``<output>/transactions/`` (data) and ``<output>/labels/`` (ground truth, Parquet)."""
    import os

    from pyspark.sql import functions as F

    if fmt not in FORMATS:
        raise ConfigError("--format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    data, labels = generate_transactions(spark, config)
    n_files = files or max(1, config.rows // 250_000)
    out_data = os.path.join(output, "transactions")
    writer = data.repartition(n_files).sortWithinPartitions("transaction_id").write.mode("overwrite")
    if fmt == "csv":
        # The amount is written as text, as a raw export would; NaN becomes the literal "NaN".
        writer.option("header", "true").option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss'Z'").csv(out_data)
    elif fmt == "jsonl":
        writer.option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss'Z'").option("ignoreNullFields", "false").json(out_data)
    else:
        writer.parquet(out_data)
    labels.coalesce(1).write.mode("overwrite").parquet(os.path.join(output, "labels"))
    stats = labels.agg(F.count(F.lit(1)).alias("rows"), F.sum("is_anomaly").alias("anomalies"),
                       F.count("planted_problem").alias("bad_rows")).first()  # one aggregate row
    return {"rows": int(stats["rows"]), "anomalies_planted": int(stats["anomalies"] or 0),
            "bad_rows_planted": int(stats["bad_rows"] or 0), "format": fmt, "path": out_data,
            "labels": os.path.join(output, "labels"), "seed": config.seed}
