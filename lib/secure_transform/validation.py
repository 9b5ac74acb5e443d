"""Row-level validation: every row either passes or gets exactly one ``reject_reason``.

Rules (documented in docs/BUSINESS_LOGIC.md, "Row validation"), checked in this order, the
first that applies wins:

==========================  ====================================================================
reject_reason               when
==========================  ====================================================================
malformed_record            the CSV/JSON line could not be parsed (wrong field count, broken quoting)
missing_transaction_id      ``transaction_id`` null or blank
missing_customer_id         ``customer_id`` null or blank
invalid_encoding            an id contains U+FFFD (bytes that were not UTF-8)
oversized_field:<column>    a string longer than ``max_field_chars`` (default 65,536)
invalid_amount              ``amount`` absent or not a number ("abc", "")
non_finite_amount           NaN or +/-infinity
non_positive_amount         amount <= 0 (refunds and reversals come through their own feed)
absurd_amount               amount > ``max_amount`` (default 1,000,000 in any currency)
invalid_timestamp           ``transaction_ts`` absent, unparseable or before 2000-01-01
future_timestamp            ``transaction_ts`` more than ``future_tolerance_hours`` (default 24) after the run
unknown_currency            ``currency`` not an active ISO 4217 code
duplicate_transaction_id    a ``transaction_id`` already seen in the batch: the row with the earliest
                            ``transaction_ts``, then the smallest source file and line, is kept
==========================  ====================================================================

An unknown or malformed merchant category code is *not* a reason: it is encoded as the mapping's
``unknown`` entry (see merchant.py). Emoji and other valid Unicode pass untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .errors import ConfigError, SchemaError

REQUIRED_COLUMNS = ("transaction_id", "customer_id", "amount", "currency", "transaction_ts", "merchant_category_code")
CORRUPT = "_corrupt_record"
REJECT_REASON = "reject_reason"
SOURCE_FILE = "source_file"

# Active ISO 4217 codes (2026). Funds codes and precious metals are excluded on purpose.
ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF
CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG
HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())


@dataclass(frozen=True)
class ValidationConfig:
    max_amount: float = 1_000_000.0
    max_field_chars: int = 65_536
    future_tolerance_hours: int = 24
    min_timestamp: str = "2000-01-01 00:00:00"
    run_time: datetime | None = None  # "now"; fixed in tests and re-runs for idempotence

    def __post_init__(self) -> None:
        if not self.max_amount > 0:
            raise ConfigError("max_amount", "must be > 0")
        if self.max_field_chars < 256:
            raise ConfigError("max_field_chars", "must be at least 256")


def check_required_columns(columns: list[str], source: str) -> None:
    """Fail closed: a source without a required column stops the job before anything is written."""
    present = {c.lower() for c in columns}
    for col in REQUIRED_COLUMNS:
        if col not in present:
            raise SchemaError(source, col, "required column is missing")


def with_reject_reason(df: Any, config: ValidationConfig = ValidationConfig()) -> Any:
    """Cast the required columns to their types and add ``reject_reason`` (null for a good row).

    ``amount`` becomes double and ``transaction_ts`` timestamp (UTC); the raw text of those two is
    not kept. Duplicates are marked too (a shuffle by ``transaction_id``).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    run_time = config.run_time or datetime.now(timezone.utc)
    future_limit = run_time.timestamp() + config.future_tolerance_hours * 3600
    has_corrupt = CORRUPT in df.columns
    string_cols = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType) and f.name != CORRUPT]

    amount_raw = F.col("amount")
    amount = F.expr("try_cast(amount AS double)") if dict(df.dtypes)["amount"] == "string" else amount_raw.cast("double")
    ts_type = dict(df.dtypes)["transaction_ts"]
    ts = F.col("transaction_ts") if ts_type == "timestamp" else F.coalesce(
        F.expr("try_to_timestamp(transaction_ts)"),
        F.expr("try_to_timestamp(transaction_ts, \"yyyy-MM-dd'T'HH:mm:ss'Z'\")"),
        F.expr("try_to_timestamp(transaction_ts, \"yyyy-MM-dd'T'HH:mm:ssXXX\")"),
    )
    txid = F.trim(F.col("transaction_id").cast("string"))
    cust = F.trim(F.col("customer_id").cast("string"))

    reason = F.when(F.col(CORRUPT).isNotNull(), F.lit("malformed_record")) if has_corrupt else None

    def chain(expr: Any, cond: Any, value: str) -> Any:
        return F.when(cond, F.lit(value)) if expr is None else expr.when(cond, F.lit(value))

    # blank: whitespace only, tabs and Unicode spaces included (F.trim strips only ' ')
    reason = chain(reason, txid.isNull() | txid.rlike(r"^[\s\p{Z}]*$"), "missing_transaction_id")
    reason = chain(reason, cust.isNull() | cust.rlike(r"^[\s\p{Z}]*$"), "missing_customer_id")
    reason = chain(reason, txid.contains("\ufffd") | cust.contains("\ufffd"), "invalid_encoding")
    reason = reason.when(F.col("_oversized").isNotNull(), F.col("_oversized"))
    reason = reason.when(F.col("_amount").isNull(), F.lit("invalid_amount"))
    reason = reason.when(F.isnan("_amount") | (F.abs("_amount") == float("inf")), F.lit("non_finite_amount"))
    reason = reason.when(F.col("_amount") <= 0, F.lit("non_positive_amount"))
    reason = reason.when(F.col("_amount") > config.max_amount, F.lit("absurd_amount"))
    reason = reason.when(F.col("_ts").isNull() | (F.col("_ts") < F.to_timestamp(F.lit(config.min_timestamp))),
                         F.lit("invalid_timestamp"))
    reason = reason.when(F.unix_timestamp("_ts") > F.lit(int(future_limit)), F.lit("future_timestamp"))
    reason = reason.when(~F.upper(F.trim(F.col("currency"))).isin(*sorted(ISO_4217)) | F.col("currency").isNull(),
                         F.lit("unknown_currency"))

    # the first over-long string column, measured on the raw values
    oversized = F.lit(None).cast("string")
    for name in reversed(string_cols):
        oversized = F.when(F.length(F.col(name)) > config.max_field_chars, F.lit(f"oversized_field:{name}")).otherwise(oversized)

    others = [c for c in df.columns if c not in ("amount", "transaction_ts", "transaction_id", "customer_id", "currency")]
    typed = df.select(
        txid.alias("transaction_id"), cust.alias("customer_id"), amount.alias("_amount"), ts.alias("_ts"),
        F.upper(F.trim(F.col("currency"))).alias("currency"), *[F.col(c) for c in others], oversized.alias("_oversized"),
    )
    typed = typed.withColumn(REJECT_REASON, reason).drop("_oversized")
    typed = typed.withColumnRenamed("_amount", "amount").withColumnRenamed("_ts", "transaction_ts")

    # Duplicates among otherwise good rows: keep the earliest (ts, file, line); the rest are rejected.
    order_cols = [F.col("transaction_ts").asc_nulls_last()]
    if SOURCE_FILE in typed.columns:
        order_cols.append(F.col(SOURCE_FILE).asc_nulls_last())
    # last tie-break: a hash of the whole row, so the choice never depends on partitioning
    order_cols.append(F.xxhash64(*[F.col(c) for c in typed.columns if c != REJECT_REASON]))
    window = Window.partitionBy("transaction_id", F.col(REJECT_REASON).isNull()).orderBy(*order_cols)
    dup_rank = F.row_number().over(window)
    typed = typed.withColumn(
        REJECT_REASON,
        F.when(F.col(REJECT_REASON).isNull() & (dup_rank > 1), F.lit("duplicate_transaction_id"))
        .otherwise(F.col(REJECT_REASON)),
    )
    return typed


def split_valid(df_with_reason: Any) -> tuple[Any, Any]:
    """(valid rows without ``reject_reason``, rejected rows with it)."""
    from pyspark.sql import functions as F

    valid = df_with_reason.filter(F.col(REJECT_REASON).isNull()).drop(REJECT_REASON)
    if CORRUPT in valid.columns:
        valid = valid.drop(CORRUPT)
    rejected = df_with_reason.filter(F.col(REJECT_REASON).isNotNull())
    return valid, rejected
