"""Property tests (issue 9): tokenization determinism and reversibility, encoding totality and
row accounting under random bad-row injection. (Binning monotonicity: tests/test_binning.py.)

Each property draws one batch of examples with hypothesis (derandomized, so CI sees the same
examples every time) and checks the whole batch with ONE Spark job over a DataFrame of all of
them: one Spark job per example would cost seconds each. There is no shrinking across the
batch; a failure message lists the failing inputs, shortest first.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from secure_transform.ff3 import FALLBACK_MARKER
from secure_transform.keys import KeySet, create_dev_keyset
from secure_transform.merchant import default_mapping_path, load_merchant_mapping, with_merchant_category
from secure_transform.pipeline import default_binning_config, run_main_etl
from secure_transform.reidentify import reidentify_columns
from secure_transform.runtime import execute, local_runtime
from secure_transform.tokenization import parse_pii_columns, tokenize_columns
from secure_transform.validation import REJECT_REASON, ValidationConfig, split_valid, with_reject_reason

KEYSET = KeySet({"v1": bytes(range(100, 132)), "v2": bytes(range(3, 35))}, "v2", source="property-test")


def draw_batch(strategy, n: int) -> list:
    """``n`` examples of ``strategy``, the same on every run (derandomized, no example database)."""
    out: list = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                                     HealthCheck.large_base_example])
    @given(strategy)
    def collect(example):
        out.append(example)

    collect()
    assert len(out) >= n // 2, "hypothesis drew too few examples"
    return out


def _failures(pairs: list) -> str:
    shown = sorted(pairs, key=lambda p: len(repr(p)))[:5]
    return f"{len(pairs)} failing input(s), shortest first: {shown!r}"


# --- tokenization ------------------------------------------------------------------------------

# Edge values always in the batch: short digit strings below FF3-1's minimum domain (6 digits for
# radix 10, 4 for radix 36) take the documented AES-SIV fallback; "" and null pass through.
EDGE_VALUES = [None, "", "1", "12", "12345", "123456", "4111111111111111", "411111111111111", "a", "abc",
               "abcd", "😀", "é", "  ", "0000-1111", "\u200b", "x" * 300]
VALUES = st.one_of(
    st.none(),
    st.text(max_size=24),  # any Unicode (no surrogates): emoji, combining marks, RTL, NUL ...
    st.text(alphabet="0123456789", max_size=22),  # digit strings, short ones included
    st.text(alphabet="0123456789 -", max_size=24),  # digits with separators
    st.text(alphabet="abcXYZ0189._@-", min_size=1, max_size=20),  # handles, e-mail-like
)
TOKEN_CONFIG = parse_pii_columns({
    "det": "deterministic",
    "hsh": {"method": "hash", "salt": "pepper"},
    "digits": "format_preserving",
    "card": {"method": "format_preserving", "preserve_prefix": 6, "luhn": True},
    "handle": {"method": "format_preserving", "alphabet": "alphanumeric"},
    "nd": "non_deterministic",
})
DETERMINISTIC_COLUMNS = ("det", "hsh", "digits", "card", "handle")
REVERSIBLE_COLUMNS = ("digits", "card", "handle", "nd")


@pytest.fixture(scope="module")
def token_values():
    return draw_batch(VALUES, 150) + EDGE_VALUES


def _value_frame(spark, rows: list, slices: int):
    df = spark.createDataFrame(rows, "id int, v string").repartition(slices)
    return df.select("id", "v", *[F.col("v").alias(c) for c in TOKEN_CONFIG.column_names])


def test_deterministic_methods_give_the_same_token_across_dataframes_and_partitionings(spark, token_values):
    rows = list(enumerate(token_values))
    # the same values in another order, another partitioning and each one twice
    other = [(i, v) for i, v in reversed(rows)] + [(i + 10_000, v) for i, v in rows]
    df_a = _value_frame(spark, rows, 1)
    df_b = _value_frame(spark, other, 3)
    tok_a = tokenize_columns(df_a, TOKEN_CONFIG, KEYSET).select("id", "v", *DETERMINISTIC_COLUMNS)
    tok_b = tokenize_columns(df_b, TOKEN_CONFIG, KEYSET).select(
        (F.col("id") % 10_000).alias("id"), *[F.col(c).alias(f"b_{c}") for c in DETERMINISTIC_COLUMNS])
    got = tok_a.join(tok_b, "id").collect()  # the one Spark action of this property
    assert len(got) == 2 * len(rows)

    mismatched = [(r["v"], c) for r in got for c in DETERMINISTIC_COLUMNS if r[c] != r[f"b_{c}"]]
    assert not mismatched, _failures(mismatched)
    for column in DETERMINISTIC_COLUMNS:
        token_of: dict = {}
        for r in got:
            if r["v"] is None or r["v"] == "":
                assert r[column] == r["v"], (column, r["v"])  # null stays null, "" stays ""
                continue
            assert r[column] is not None and r[column] != "", (column, r["v"])
            token_of.setdefault(r["v"], set()).add(r[column])
        several = [(v, column) for v, tokens in token_of.items() if len(tokens) != 1]
        assert not several, _failures(several)
        # distinct values never share a token (for FF3-1 and the fallback this is the bijection)
        assert len({next(iter(t)) for t in token_of.values()}) == len(token_of), column


def test_reversible_methods_round_trip_and_short_values_take_the_fallback(spark, token_values):
    rows = [(i, v) for i, v in enumerate(token_values)] + [(i + 10_000, v) for i, v in enumerate(token_values)]
    df = _value_frame(spark, rows, 2)
    tokens = tokenize_columns(df, TOKEN_CONFIG, KEYSET)
    back = reidentify_columns(tokens, TOKEN_CONFIG, KEYSET, list(REVERSIBLE_COLUMNS))
    got = back.select("id", "v", *REVERSIBLE_COLUMNS).join(
        tokens.select("id", *[F.col(c).alias(f"t_{c}") for c in REVERSIBLE_COLUMNS]), "id").collect()
    assert len(got) == len(rows)

    wrong = [(r["v"], c) for r in got for c in REVERSIBLE_COLUMNS if r[c] != r["v"]]
    assert not wrong, _failures(wrong)
    by_id = {r["id"]: r for r in got}
    for r in got:
        v = r["v"]
        if v is None or v == "":
            assert all(r[f"t_{c}"] == v for c in REVERSIBLE_COLUMNS), v
            continue
        assert r["t_nd"] != v, v
        if r["id"] < 10_000:  # random IV: the twin row holding the same value gets another token
            assert r["t_nd"] != by_id[r["id"] + 10_000]["t_nd"], v
        if v.isascii() and v.isdigit():
            if len(v) < 6:  # below radix 10's minimum domain: the documented fallback
                assert r["t_digits"].startswith(f"{FALLBACK_MARKER}v2{FALLBACK_MARKER}"), v
            elif len(v) <= 56:  # FF3-1 proper: digits in, as many digits out
                assert r["t_digits"].isdigit() and len(r["t_digits"]) == len(v), v
    short = {r["v"] for r in got if r["t_digits"] and r["t_digits"].startswith(FALLBACK_MARKER)}
    assert {"1", "12", "12345"} <= short  # the fallback path was exercised


# --- merchant encoding -------------------------------------------------------------------------

MCC_TEXT = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.text(alphabet="0123456789", max_size=6),
    st.text(alphabet="0123456789 .-", max_size=8),
    st.sampled_from(["5411", " 5411 ", "5411.0", "0742", "742", "ABCD", "12", "99999", "0000", "54 11", "7995",
                     "4829", "3000", "3501", "6051", "", "  "]),
)


def test_every_mcc_string_gets_exactly_one_category(spark):
    mapping = load_merchant_mapping(default_mapping_path())
    values = draw_batch(MCC_TEXT, 200) + [None, "", "ABCD", "5411"]
    df = spark.createDataFrame(list(enumerate(values)), "id int, merchant_category_code string").repartition(3)
    out = with_merchant_category(df, mapping).collect()  # the one Spark action of this property

    assert sorted(r["id"] for r in out) == list(range(len(values)))  # one output row per input row
    unknown = mapping.describe(mapping.unknown, True)
    wrong = []
    for r in out:
        expected = mapping.resolve(values[r["id"]])  # the module's Python reference
        got = (r["merchant_category"], r["merchant_parent"], r["merchant_category_path"], r["merchant_risk_level"],
               r["merchant_risk"], r["is_unknown_mcc"])
        assert None not in got, values[r["id"]]
        if got != (expected.category, expected.parent, expected.path, expected.risk_level, expected.risk,
                   expected.is_unknown):
            wrong.append(values[r["id"]])
        if r["is_unknown_mcc"]:
            assert got[:5] == (unknown.category, unknown.parent, unknown.path, unknown.risk_level, unknown.risk)
    assert not wrong, _failures(wrong)
    flags = {values[r["id"]]: r["is_unknown_mcc"] for r in out}
    assert flags["5411"] is False and flags["ABCD"] is True and flags[None] is True and flags[""] is True


def test_every_integer_mcc_gets_exactly_one_category(spark):
    mapping = load_merchant_mapping(default_mapping_path())
    values = draw_batch(st.one_of(st.none(), st.integers(-20_000, 20_000), st.integers(0, 9999)), 120) + [742, 5411]
    df = spark.createDataFrame(list(enumerate(values)), "id int, merchant_category_code long")
    out = with_merchant_category(df, mapping).collect()
    assert sorted(r["id"] for r in out) == list(range(len(values)))
    wrong = [values[r["id"]] for r in out
             if (r["merchant_category"], r["is_unknown_mcc"]) != (mapping.resolve(values[r["id"]]).category,
                                                                  mapping.resolve(values[r["id"]]).is_unknown)]
    assert not wrong, _failures(wrong)


# --- row accounting under random bad-row injection ----------------------------------------------

RUN_TIME = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)

# fault -> (field it changes, candidate values, reject_reason). Reasons in validation.py's order.
FAULTS = {
    "malformed": ("_row", [None], "malformed_record"),
    "missing_txid": ("transaction_id", [None, "", "   ", "\t"], "missing_transaction_id"),
    "duplicate_txid": ("transaction_id", [None], "duplicate_transaction_id"),
    "missing_customer": ("customer_id", [None, "", " \t ", "\u00a0", "\u3000"], "missing_customer_id"),
    "bad_encoding": ("customer_id", ["C\ufffd001"], "invalid_encoding"),
    "oversized": ("memo", ["m" * 65_537], "oversized_field:memo"),
    "text_amount": ("amount", ["abc", "", "12.5.1", "1O0", None], "invalid_amount"),
    "non_finite": ("amount", ["NaN", "Infinity", "-Infinity"], "non_finite_amount"),
    "non_positive": ("amount", ["0", "-0.01", "-250", "0.00"], "non_positive_amount"),
    "absurd": ("amount", ["1000000.01", "5e9"], "absurd_amount"),
    "invalid_ts": ("transaction_ts", ["not a time", "2026-02-30T10:00:00Z", "1999-12-31T23:59:59Z", None],
                   "invalid_timestamp"),
    # 25 h after the run: beyond the 24 h tolerance with a margin for the job's own clock (CSV test)
    "future_ts": ("transaction_ts", ["2026-11-21T13:00:00Z", "2099-01-01T00:00:00Z"], "future_timestamp"),
    "unknown_currency": ("currency", ["XXX", "US", "BTC", "", None, "usd1"], "unknown_currency"),
}
ORDER = ["malformed_record", "missing_transaction_id", "missing_customer_id", "invalid_encoding",
         "oversized_field:memo", "invalid_amount", "non_finite_amount", "non_positive_amount", "absurd_amount",
         "invalid_timestamp", "future_timestamp", "unknown_currency", "duplicate_transaction_id"]
CLEAN_NOISE = {  # not problems: must never reject a row
    "merchant_category_code": ["ABCD", "12", None, "99999", "", "54 11", "0000"],
    "currency": ["usd", " EUR ", "jpy"],
    "memo": ["emoji 😀🎉", "café", "m" * 65_536, None],
    "amount": ["1000000", "0.01", " 12.50 "],
    # the 24 h future tolerance and 2000-01-01 bounds are inclusive
    "transaction_ts": ["2026-11-21T12:00:00Z", "2026-11-20T12:00:00+01:00", "2000-01-01T00:00:00Z"],
}

BAD_ROW = st.fixed_dictionaries({
    "faults": st.lists(st.sampled_from(sorted(FAULTS)), min_size=1, max_size=2,
                       unique_by=lambda f: FAULTS[f][0]),
    "pick": st.integers(0, 1000),
})
CLEAN_ROW = st.fixed_dictionaries({
    "noise": st.lists(st.sampled_from(sorted(CLEAN_NOISE)), max_size=2, unique=True),
    "pick": st.integers(0, 1000),
})
EXAMPLE = st.fixed_dictionaries({"clean": st.lists(CLEAN_ROW, min_size=1, max_size=6),
                                 "bad": st.lists(BAD_ROW, max_size=6)})
# Added to every batch (like @example): each fault once on its own, so every reason is exercised.
EVERY_FAULT = {"clean": [{"noise": [], "pick": 0}, {"noise": ["amount", "memo"], "pick": 1}],
               "bad": [{"faults": [fault], "pick": i} for i, fault in enumerate(sorted(FAULTS))]}


def _build_rows(examples: list) -> tuple[list[dict], dict[str, str | None]]:
    """Rows as they come out of the CSV reader (all strings) and the expected reason per row key."""
    rows: list[dict] = []
    expected: dict[str, str | None] = {}
    for e, example in enumerate(examples):
        base = RUN_TIME - timedelta(days=10)
        clean = []
        for i, spec in enumerate(example["clean"]):
            row = {"row_key": f"e{e}c{i}", "transaction_id": f"E{e}T{i}", "customer_id": f"C{e:04d}{i % 2}",
                   "amount": f"{10 + i}.25", "currency": "USD",
                   "transaction_ts": (base + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "merchant_category_code": "5411", "memo": "ok", "_corrupt_record": None, "source_file": "f1"}
            for field in spec["noise"]:
                choices = CLEAN_NOISE[field]
                row[field] = choices[spec["pick"] % len(choices)]
            clean.append(row)
            expected[row["row_key"]] = None
        for j, spec in enumerate(example["bad"]):
            victim = clean[spec["pick"] % len(clean)]
            # same timestamp as its victim, in a later file: a duplicate is the one rejected
            row = dict(victim, row_key=f"e{e}b{j}", transaction_id=f"E{e}B{j}", source_file="f2")
            for fault in spec["faults"]:
                field, choices, _ = FAULTS[fault]
                if fault == "malformed":
                    row["_corrupt_record"] = f"{row['transaction_id']},{row['customer_id']},broken"
                elif fault == "duplicate_txid":
                    row["transaction_id"] = victim["transaction_id"]
                else:
                    row[field] = choices[spec["pick"] % len(choices)]
            rows.append(row)
            expected[row["row_key"]] = min((FAULTS[f][2] for f in spec["faults"]), key=ORDER.index)
        rows.extend(clean)
    return rows, expected


COLUMNS = ["row_key", "transaction_id", "customer_id", "amount", "currency", "transaction_ts",
           "merchant_category_code", "memo", "_corrupt_record", "source_file"]


def test_validation_accounts_for_every_row_under_random_injection(spark):
    examples = draw_batch(EXAMPLE, 60) + [EVERY_FAULT]
    rows, expected = _build_rows(examples)
    assert set(ORDER) | {None} == set(expected.values())  # the batch exercises every reason
    df = spark.createDataFrame([tuple(r[c] for c in COLUMNS) for r in rows],
                               ", ".join(f"{c} string" for c in COLUMNS)).repartition(3)
    checked = with_reject_reason(df, ValidationConfig(run_time=RUN_TIME))
    got = {r["row_key"]: r[REJECT_REASON] for r in checked.select("row_key", REJECT_REASON).collect()}
    assert len(got) == len(rows)  # no row dropped or added
    wrong = [(k, expected[k], got.get(k)) for k in expected if got.get(k) != expected[k]]
    assert not wrong, _failures(wrong)

    valid, rejected = split_valid(checked)
    counts = tuple(frame.agg(F.count(F.lit(1)).alias("n")).first()["n"] for frame in (valid, rejected))
    assert counts == (sum(r is None for r in expected.values()), sum(r is not None for r in expected.values()))
    assert counts[0] + counts[1] == len(rows)


# The same property through the whole job: a CSV written from the drawn rows (malformed lines as
# real wrong-field-count or broken-quote lines), read, validated, tokenized, written and counted.
CSV_COLUMNS = ["row_key", "transaction_id", "customer_id", "amount", "currency", "transaction_ts",
               "merchant_category_code", "memo"]


def _shift(ts: str | None, shift: timedelta) -> str | None:
    """Move a parseable timestamp by ``shift``; unparseable ones, 1999 and 2099 stay as they are."""
    try:
        moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        return ts
    return ts if moment.year in (1999, 2099) else (moment + shift).isoformat()


def _csv_files(rows: list[dict], now: datetime) -> dict[str, str]:
    # The job validates against the wall clock: move every timestamp with it (whole seconds).
    shift = timedelta(seconds=int((now - RUN_TIME).total_seconds()))
    files = {"f1": io.StringIO(), "f2": io.StringIO()}
    writers = {}
    for name, buf in files.items():
        writers[name] = csv.writer(buf, lineterminator="\n")
        writers[name].writerow(CSV_COLUMNS)
    for n, row in enumerate(rows):
        out = dict(row, transaction_ts=_shift(row["transaction_ts"], shift))
        values = ["" if out[c] is None else out[c] for c in CSV_COLUMNS]
        if out["_corrupt_record"] is not None:  # a real malformed line, of one of three kinds
            kind = n % 3
            buf = files[out["source_file"]]
            if kind == 0:
                buf.write(",".join([out["row_key"], out["transaction_id"] or "", "C1", "12"]) + "\n")
            elif kind == 1:
                writers[out["source_file"]].writerow(values + ["surplus", "fields"])
            else:
                buf.write(f'{out["row_key"]},{out["transaction_id"] or ""},"C1,12.5,USD,unterminated\n')
            continue
        writers[out["source_file"]].writerow(values)
    return {name: buf.getvalue() for name, buf in files.items()}


def test_main_etl_accounts_for_every_row_under_random_injection(spark, tmp_path):
    examples = draw_batch(EXAMPLE, 25) + [EVERY_FAULT]
    rows, expected = _build_rows(examples)
    assert set(ORDER) | {None} == set(expected.values())  # the batch exercises every reason
    # CSV cannot tell null from "": the missing-value variants collapse, with the same reasons
    now = datetime.now(timezone.utc)
    src = tmp_path / "masked"
    src.mkdir()
    for name, text in _csv_files(rows, now).items():
        (src / f"{name}.csv").write_text(text, encoding="utf-8")
    create_dev_keyset(str(tmp_path / "keys.json"))
    args = {"source_bucket": str(src), "target_bucket": str(tmp_path / "transformed"),
            "quarantine_bucket": str(tmp_path / "quarantine"), "artifacts_location": str(tmp_path / "artifacts"),
            "pii_columns": json.dumps({"customer_id": "deterministic", "memo": "drop"}),
            "binning_config": json.dumps(default_binning_config()), "merchant_mapping": default_mapping_path(),
            "anomaly_threshold": "0.05", "anomaly_config": json.dumps({"n_estimators": 10, "sample_size": 256}),
            "key_file": str(tmp_path / "keys.json")}
    s = execute(local_runtime("main_etl", args, spark, run_id="prop"), run_main_etl)

    bad = {k: v for k, v in expected.items() if v is not None}
    assert s["rows_in"] == len(rows) and s["rows_in"] == s["rows_out"] + s["rows_quarantined"]
    assert s["rows_quarantined"] == len(bad) and s["rows_out"] == len(expected) - len(bad)
    quarantined = spark.read.parquet(s["quarantine"]).select(
        "row_key", REJECT_REASON, F.regexp_extract("source_file", r"([^/]+)\.csv$", 1).alias("file")).collect()
    got = {r["row_key"]: (r[REJECT_REASON], r["file"]) for r in quarantined}
    assert len(got) == len(quarantined)
    source_of = {r["row_key"]: r["source_file"] for r in rows}
    assert got == {k: (v, source_of[k]) for k, v in bad.items()}
    out_keys = [r["row_key"] for r in spark.read.parquet(s["output"]).select("row_key").collect()]
    assert sorted(out_keys) == sorted(k for k, v in expected.items() if v is None)
