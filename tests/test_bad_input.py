"""Issue 9's bad-input cases, end to end through ``main_etl`` (local runtime, CSV files on disk).

One module-scoped run reads five files (two with planted bad rows, one in a subdirectory, a
0-byte file and a header-only file) and is checked from several angles: where every planted row
landed (output, or quarantine with the reason documented in validation.py and its source file),
the accounting in the summary, the summary file and per stage, and what the quarantine keeps.
Cases whose outcome is an error run separately; they stop before anything is written.

Already covered elsewhere, not repeated: every reason at the DataFrame level
(test_validation.py), header order / missing required column / bad configuration end to end
(test_pipeline.py), random injection (test_properties.py).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from pyspark.sql import functions as F

from secure_transform.errors import SchemaError
from secure_transform.keys import create_dev_keyset
from secure_transform.merchant import default_mapping_path, load_merchant_mapping
from secure_transform.pipeline import default_binning_config, run_main_etl
from secure_transform.runtime import execute, local_runtime

HEADER = ["transaction_id", "customer_id", "customer_name", "email", "card_number", "merchant_name",
          "merchant_category_code", "amount", "currency", "transaction_ts", "memo"]
PII = {"customer_id": "deterministic", "customer_name": "redact", "email": "hash",
       "card_number": {"method": "format_preserving", "preserve_prefix": 6, "luhn": True}, "memo": "drop"}
MB = 1_000_000
NOW = datetime.now(timezone.utc).replace(microsecond=0)
T0 = NOW - timedelta(days=5)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(key: str, **over: str) -> dict:
    row = {"transaction_id": key, "customer_id": f"C{sum(map(ord, key)) % 7:08d}", "customer_name": "Ann Example",
           "email": f"{key.lower()}@example.com", "card_number": "4111111111111111", "merchant_name": f"m-{key}",
           "merchant_category_code": "5411", "amount": "12.50", "currency": "USD", "transaction_ts": _ts(T0),
           "memo": "ok"}
    row.update(over)
    return row


def _line(row: dict) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([row[c] for c in HEADER])
    return buf.getvalue().encode("utf-8")


# key -> (expected reject_reason or None for the output, file). A key is the transaction_id, or the
# merchant_name where the id is missing or shared (duplicates).
EXPECTED: dict[str, tuple[str | None, str]] = {}
RAW_MALFORMED: dict[str, str] = {}  # key -> the raw line (the quarantine keeps only its digest)


def _plant(lines: list, file: str, key: str, reason: str | None, **over: str) -> None:
    tx = over.pop("tx", key)
    lines.append(_line(_row(tx, **over)))
    EXPECTED[key] = (reason, file)


def _files() -> dict[str, bytes]:
    a: list[bytes] = []
    for i in range(20):
        _plant(a, "a", f"G{i:02d}", None, amount=f"{3 + i * 7}.{i:02d}", customer_id=f"C{i % 5:08d}",
               transaction_ts=_ts(T0 + timedelta(hours=i)),
               merchant_category_code=["5411", "5812", "4111", "5732"][i % 4])
    # wrong types and amounts (policy: only 0 < amount <= 1,000,000 passes)
    _plant(a, "a", "Q-TEXT", "invalid_amount", amount="twelve")
    _plant(a, "a", "Q-EMPTYAMT", "invalid_amount", amount="")
    _plant(a, "a", "Q-NEG", "non_positive_amount", amount="-3.50")
    _plant(a, "a", "Q-ZERO", "non_positive_amount", amount="0")
    _plant(a, "a", "Q-NAN", "non_finite_amount", amount="NaN")
    _plant(a, "a", "Q-INF", "non_finite_amount", amount="Infinity")
    _plant(a, "a", "Q-NINF", "non_finite_amount", amount="-Infinity")
    _plant(a, "a", "Q-ABSURD", "absurd_amount", amount="2500000")
    _plant(a, "a", "OK-MAX", None, amount="1000000")
    # timestamps (policy: 2000-01-01 <= ts <= run time + 24 h)
    _plant(a, "a", "Q-BADTS", "invalid_timestamp", transaction_ts="2026-02-30T10:00:00Z")
    _plant(a, "a", "Q-GARBTS", "invalid_timestamp", transaction_ts="yesterday")
    _plant(a, "a", "Q-OLDTS", "invalid_timestamp", transaction_ts="1999-12-31T23:59:59Z")
    _plant(a, "a", "Q-NOTS", "invalid_timestamp", transaction_ts="")
    _plant(a, "a", "Q-FUTURE", "future_timestamp", transaction_ts=_ts(NOW + timedelta(days=3)))
    _plant(a, "a", "OK-SOON", None, transaction_ts=_ts(NOW + timedelta(hours=1)))
    # currency
    _plant(a, "a", "Q-CUR", "unknown_currency", currency="XYZ")
    _plant(a, "a", "Q-NOCUR", "unknown_currency", currency="")
    _plant(a, "a", "OK-LOWERCUR", None, currency=" eur")
    # ids
    _plant(a, "a", "m-NOTX1", "missing_transaction_id", tx="", merchant_name="m-NOTX1")
    _plant(a, "a", "m-NOTX2", "missing_transaction_id", tx="   ", merchant_name="m-NOTX2")
    _plant(a, "a", "Q-NOCUST", "missing_customer_id", customer_id="")
    _plant(a, "a", "Q-BLANKCUST", "missing_customer_id", customer_id="  \t")
    # unknown or malformed MCC: encoded as the mapping's unknown entry, never rejected
    for key, mcc in (("OK-MCC-ABCD", "ABCD"), ("OK-MCC-12", "12"), ("OK-MCC-EMPTY", ""), ("OK-MCC-0000", "0000"),
                     ("OK-MCC-99999", "99999"), ("OK-MCC-SPACE", "54 11"), ("OK-MCC-PAD", " 5411 ")):
        _plant(a, "a", key, None, merchant_category_code=mcc)
    # very long strings: over 65,536 characters is rejected, exactly 65,536 passes
    _plant(a, "a", "Q-BIGMEMO", "oversized_field:memo", memo="x" * MB)
    _plant(a, "a", "Q-BIGMERCH", "oversized_field:merchant_name", merchant_name="y" * MB)
    _plant(a, "a", "OK-LONG", None, merchant_name="z" * 65_536)
    # emoji and other Unicode pass untouched
    _plant(a, "a", "OK-EMOJI", None, merchant_name="Café ☕ 😀 نقد", memo="thanks 🙏")
    # malformed CSV lines: wrong field count (both ways) and broken quoting
    full = _line(_row("Q-MANY")).decode().rstrip("\n")
    for key, raw in (("Q-FEW", "Q-FEW,C00000001,Ann Example"),
                     ("Q-MANY", full + ",surplus,fields"),
                     ("Q-QUOTE", f'Q-QUOTE,C00000001,"Ann Example,q@example.com,4111111111111111,m-Q-QUOTE,5411,'
                                 f"12.50,USD,{_ts(T0)},memo")):
        a.append(raw.encode() + b"\n")
        EXPECTED[key] = ("malformed_record", "a")
        RAW_MALFORMED[key] = raw
    # bytes that are not UTF-8: in a free-text column they become U+FFFD and the row passes; in an
    # id they make the row invalid_encoding
    a.append(_line(_row("OK-LATIN1", merchant_name="caf@", memo="m@m")).replace(b"caf@", b"caf\xe9")
             .replace(b"m@m", b"\xff\xfe"))
    EXPECTED["OK-LATIN1"] = (None, "a")
    a.append(_line(_row("Q-BADBYTES", customer_id="C@0001")).replace(b"C@0001", b"C\xff0001"))
    EXPECTED["Q-BADBYTES"] = ("invalid_encoding", "a")
    a.append(_line(_row("Q-BADTX@", merchant_name="m-Q-BADTX")).replace(b"Q-BADTX@,", b"Q-BADTX\xc3,"))
    EXPECTED["Q-BADTX\ufffd"] = ("invalid_encoding", "a")
    # duplicates: the earliest transaction_ts wins, then the smallest source file
    _plant(a, "a", "m-D1-late", "duplicate_transaction_id", tx="D-1", merchant_name="m-D1-late",
           amount="3.00", transaction_ts=_ts(T0 + timedelta(hours=2)))
    _plant(a, "a", "m-D1-first", None, tx="D-1", merchant_name="m-D1-first", amount="1.00")
    _plant(a, "a", "m-D2-a", None, tx="D-2", merchant_name="m-D2-a", transaction_ts=_ts(T0 + timedelta(hours=3)))

    b: list[bytes] = []
    _plant(b, "b", "m-D1-mid", "duplicate_transaction_id", tx="D-1", merchant_name="m-D1-mid", amount="2.00",
           transaction_ts=_ts(T0 + timedelta(hours=1)))
    _plant(b, "b", "m-D2-b", "duplicate_transaction_id", tx="D-2", merchant_name="m-D2-b",
           transaction_ts=_ts(T0 + timedelta(hours=3)))
    for i in range(20, 24):
        _plant(b, "b", f"G{i:02d}", None, amount=f"{i}.99", transaction_ts=_ts(T0 + timedelta(hours=i)))
    c: list[bytes] = []
    _plant(c, "c", "G24", None, amount="77.70")

    header = (",".join(HEADER) + "\n").encode()
    return {"a.csv": header + b"".join(a), "b.csv": header + b"".join(b), "sub/c.csv": header + b"".join(c),
            "empty.csv": b"", "header_only.csv": header}


def _args(root, **over) -> dict:
    args = {"source_bucket": str(root / "masked"), "target_bucket": str(root / "transformed"),
            "quarantine_bucket": str(root / "quarantine"), "artifacts_location": str(root / "artifacts"),
            "pii_columns": json.dumps(PII), "binning_config": json.dumps(default_binning_config()),
            "merchant_mapping": default_mapping_path(), "anomaly_threshold": "0.05",
            "anomaly_config": json.dumps({"n_estimators": 10, "sample_size": 256}),
            "key_file": str(root / "keys.json"), "summary_location": str(root / "summaries" / "main_etl.json")}
    args.update(over)
    return args


def _ident(df):
    """The key of a row: its transaction_id, or its merchant_name when the id is missing or shared."""
    tx = F.coalesce(F.col("transaction_id"), F.lit(""))
    return (F.when(tx.isin("", "D-1", "D-2"), F.col("merchant_name")).otherwise(tx)).alias("key")


@pytest.fixture(scope="module")
def bad_run(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_input")
    EXPECTED.clear()
    RAW_MALFORMED.clear()
    files = _files()
    for name, body in files.items():
        path = root / "masked" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    create_dev_keyset(str(root / "keys.json"))
    summary = execute(local_runtime("main_etl", _args(root), spark, run_id="bad1"), run_main_etl)
    out = spark.read.parquet(summary["output"])
    quarantine = spark.read.parquet(summary["quarantine"])
    return {"root": root, "summary": summary, "out": out, "quarantine": quarantine,
            "data_lines": sum(body.count(b"\n") - 1 for body in files.values() if body)}


def test_every_input_row_is_accounted_for(bad_run):
    s = bad_run["summary"]
    bad = [reason for reason, _ in EXPECTED.values() if reason]
    assert s["rows_in"] == bad_run["data_lines"] == len(EXPECTED)
    assert (s["rows_out"], s["rows_quarantined"]) == (len(EXPECTED) - len(bad), len(bad))
    assert s["reject_reasons"] == dict(Counter(bad))
    assert s["input_files"] == 5  # the 0-byte and the header-only file were listed, and added no rows
    written = json.loads((bad_run["root"] / "summaries" / "main_etl.json").read_text())
    assert (written["rows_in"], written["rows_out"], written["rows_quarantined"]) == (
        s["rows_in"], s["rows_out"], s["rows_quarantined"])
    stages = {st["name"]: st for st in written["stages"]}
    for st in stages.values():
        if st.get("rows_quarantined") is not None:
            assert st["rows_in"] == st["rows_out"] + st["rows_quarantined"], st
    assert (stages["validate"]["rows_out"], stages["validate"]["rows_quarantined"]) == (s["rows_out"], len(bad))
    assert (stages["write"]["rows_out"], stages["write"]["rows_quarantined"]) == (s["rows_out"], len(bad))
    manifest = json.loads((bad_run["root"] / "transformed" / "runs" / "run_id=bad1" / "_manifest.json").read_text())
    assert manifest["counts"]["rows_in"] == s["rows_in"] and manifest["counts"]["rows_out"] == s["rows_out"]
    assert (bad_run["root"] / "transformed" / "runs" / "run_id=bad1" / "_SUCCESS").exists()


def test_each_bad_row_is_quarantined_with_its_reason_and_source_file(bad_run):
    q = bad_run["quarantine"]
    rows = q.select(_ident(q), "reject_reason", F.regexp_extract("source_file", r"([^/]+)\.csv$", 1).alias("file"),
                    F.length("merchant_name").alias("merchant_chars")).collect()
    got = {r["key"]: (r["reject_reason"], r["file"]) for r in rows}
    assert len(got) == len(rows)
    assert got == {k: v for k, v in EXPECTED.items() if v[0] is not None}
    # the quarantine keeps the original non-personal values (here a 1 MB merchant name) ...
    assert {r["key"]: r["merchant_chars"] for r in rows}["Q-BIGMERCH"] == MB
    assert "_corrupt_record" not in q.columns and "memo" not in q.columns


def test_quarantined_rows_are_protected_like_the_output(bad_run):
    q = bad_run["quarantine"]
    by_key = {r["key"]: r for r in q.select(_ident(q), "customer_name", "email", "card_number",
                                            "raw_record_sha256", "raw_record_chars").collect()}
    text = by_key["Q-TEXT"]
    assert text["email"] == hashlib.sha256(b"q-text@example.com").hexdigest()
    assert text["customer_name"] == "[REDACTED]"
    assert text["card_number"] != "4111111111111111" and text["card_number"].startswith("411111")
    # a malformed line is kept only as a digest and a length, never as raw text
    for key, raw in RAW_MALFORMED.items():
        assert (by_key[key]["raw_record_sha256"], by_key[key]["raw_record_chars"]) == (
            hashlib.sha256(raw.encode()).hexdigest(), len(raw)), key
    assert by_key["Q-TEXT"]["raw_record_sha256"] is None
    # the digest columns belong to quarantined lines only, never to the transformed output
    assert not {"raw_record_sha256", "raw_record_chars", "_corrupt_record"} & set(bad_run["out"].columns)
    raw_values = {"4111111111111111", "Ann Example", "q-text@example.com", "q@example.com"}
    for column in ("customer_name", "email", "card_number"):
        assert not raw_values & {r[column] for r in q.select(column).collect()}, column


def test_good_rows_land_in_the_output_exactly_once(bad_run):
    out = bad_run["out"]
    keys = [r["key"] for r in out.select(_ident(out)).collect()]
    assert sorted(keys) == sorted(k for k, (reason, _) in EXPECTED.items() if reason is None)
    assert out.count() == bad_run["summary"]["rows_out"]


def test_duplicates_keep_the_earliest_then_the_smallest_file(bad_run):
    out = bad_run["out"]
    kept = {r["transaction_id"]: (r["merchant_name"], r["amount"]) for r in
            out.filter(F.col("transaction_id").isin("D-1", "D-2")).select("transaction_id", "merchant_name",
                                                                          "amount").collect()}
    assert kept == {"D-1": ("m-D1-first", 1.0), "D-2": ("m-D2-a", 12.5)}


def test_documented_limits_are_inclusive_and_values_are_normalised(bad_run):
    rows = {r["transaction_id"]: r for r in bad_run["out"].filter(
        F.col("transaction_id").isin("OK-MAX", "OK-SOON", "OK-LOWERCUR", "OK-LONG")).select(
        "transaction_id", "amount", "currency", F.length("merchant_name").alias("merchant_chars")).collect()}
    assert rows["OK-MAX"]["amount"] == 1_000_000.0
    assert set(rows) == {"OK-MAX", "OK-SOON", "OK-LOWERCUR", "OK-LONG"}
    assert rows["OK-LOWERCUR"]["currency"] == "EUR"
    assert rows["OK-LONG"]["merchant_chars"] == 65_536


def test_unknown_and_malformed_mcc_are_encoded_as_unknown_not_rejected(bad_run):
    unknown = load_merchant_mapping(default_mapping_path()).unknown
    rows = {r["transaction_id"]: r for r in bad_run["out"].filter(F.col("transaction_id").startswith("OK-MCC-"))
            .select("transaction_id", "merchant_category_code", "merchant_category", "merchant_parent",
                    "is_unknown_mcc").collect()}
    assert len(rows) == 7
    for key, row in rows.items():
        if key == "OK-MCC-PAD":  # " 5411 " is 5411 once trimmed
            assert (row["merchant_category"], row["is_unknown_mcc"]) == ("grocery", False)
        else:
            assert (row["merchant_category"], row["merchant_parent"], row["is_unknown_mcc"]) == (
                unknown.category, unknown.parent, True), key
    assert rows["OK-MCC-ABCD"]["merchant_category_code"] == "ABCD"  # the code itself is kept as it was
    assert bad_run["summary"]["merchant_unknown_mcc_rows"] == 6


def test_emoji_pass_untouched_and_non_utf8_bytes_become_replacement_characters(bad_run):
    rows = {r["transaction_id"]: r["merchant_name"] for r in bad_run["out"].filter(
        F.col("transaction_id").isin("OK-EMOJI", "OK-LATIN1")).select("transaction_id", "merchant_name").collect()}
    assert rows == {"OK-EMOJI": "Café ☕ 😀 نقد", "OK-LATIN1": "caf\ufffd"}


# --- cases whose outcome is an error: nothing may be written ------------------------------------


def _nothing_written(root) -> None:
    assert not (root / "transformed").exists()
    assert not (root / "quarantine").exists()
    assert not (root / "artifacts").exists()


@pytest.mark.parametrize("layout", ["empty_directory", "missing_directory", "only_hidden_files"])
def test_a_source_prefix_without_files_fails_closed(spark, tmp_path, layout):
    if layout != "missing_directory":
        (tmp_path / "masked").mkdir()
    if layout == "only_hidden_files":
        (tmp_path / "masked" / "_SUCCESS").write_bytes(b"")
        (tmp_path / "masked" / ".part.crc").write_bytes(b"x")
    rt = local_runtime("main_etl", _args(tmp_path, pii_columns='{"customer_id": "hash"}', key_file=None), spark)
    with pytest.raises(SchemaError, match="^" + re.escape(str(tmp_path / "masked")) + ": no input files"):
        execute(rt, run_main_etl)
    _nothing_written(tmp_path)
    assert not (tmp_path / "summaries" / "main_etl.json").exists()


PLANTED_FIRST_LINE = "T000000000001,C12345678,Zelda Quixotewicz,zq@example.org,4556737586899855"


@pytest.mark.parametrize("name,body,column,problem", [
    ("export.xlsx", b"PK\x03\x04 spreadsheet", None, "unsupported file format"),
    ("day.csv.gz", b"this is not gzip " + PLANTED_FIRST_LINE.encode(), None, "cannot be read as gzip"),
    ("day.csv.gz", gzip.compress(PLANTED_FIRST_LINE.encode() * 3)[:30], None, "cannot be read as gzip"),
    # a file without its header line: the first data row is taken for the header
    ("noheader.csv", (PLANTED_FIRST_LINE + ",5411,12.50,USD,2026-11-01T10:00:00Z,memo\n").encode(),
     "transaction_id", "required column is missing"),
], ids=["unsupported_format", "not_gzip", "truncated_gzip", "no_header_line"])
def test_unreadable_or_headerless_files_fail_closed_naming_the_file_not_the_values(spark, tmp_path, name, body,
                                                                                   column, problem):
    src = tmp_path / "masked"
    src.mkdir()
    good = (",".join(HEADER) + "\n").encode() + _line(_row("T1"))
    (src / ("a.csv.gz" if name.endswith(".gz") else "a.csv")).write_bytes(gzip.compress(good) if name.endswith(".gz")
                                                                          else good)
    (src / name).write_bytes(body)
    rt = local_runtime("main_etl", _args(tmp_path, pii_columns='{"customer_id": "hash"}', key_file=None), spark)
    with pytest.raises(SchemaError) as info:
        execute(rt, run_main_etl)
    message = str(info.value)
    assert message.startswith(str(src / name)) and problem in message
    assert info.value.column == column
    for value in PLANTED_FIRST_LINE.split(","):
        assert value not in message
    _nothing_written(tmp_path)


# --- compressed inputs: read whole, or refused naming the file -----------------------------------


def _big_csv(rows: int, seed: int) -> bytes:
    """A CSV whose gzip is well over the 64 KiB the header check reads (random memos do not compress)."""
    rng = __import__("random").Random(seed)
    lines = [_line(_row(f"Z{seed}-{i:06d}", memo=f"{rng.getrandbits(128):032x}")) for i in range(rows)]
    return (",".join(HEADER) + "\n").encode() + b"".join(lines)


def test_bzip2_and_multi_member_gzip_inputs_are_read_whole(spark, tmp_path):
    import bz2

    src = tmp_path / "masked"
    src.mkdir()
    one, two = _big_csv(3_000, 1), _big_csv(2_000, 2)
    (src / "one.csv.bz2").write_bytes(bz2.compress(one))
    # two gzip members back to back (what `cat a.gz b.gz` gives): one valid gzip file of 2,000 rows
    cut = two.index(b"\n", len(two) // 2) + 1
    (src / "two.csv.gz").write_bytes(gzip.compress(two[:cut]) + gzip.compress(two[cut:]))
    create_dev_keyset(str(tmp_path / "keys.json"))
    summary = execute(local_runtime("main_etl", _args(tmp_path), spark, run_id="z1"), run_main_etl)
    assert (summary["rows_in"], summary["rows_out"], summary["rows_quarantined"]) == (5_000, 5_000, 0)
    out = spark.read.parquet(summary["output"])
    assert out.filter(F.col("transaction_id").startswith("Z1-")).count() == 3_000
    assert out.filter(F.col("transaction_id").startswith("Z2-")).count() == 2_000


@pytest.mark.parametrize("name, damage, problem", [
    ("late.csv.gz", lambda body: gzip.compress(body)[:-20_000], "cannot be read as gzip (the stream is truncated)"),
    ("late.csv.bz2", lambda body: __import__("bz2").compress(body, compresslevel=1)[:-20_000],
     "cannot be read as bzip2 (the stream is truncated)"),
    ("late.csv.gz", lambda body: (lambda z: z[:-40_000] + bytes(1_000) + z[-39_000:])(gzip.compress(body)),
     "cannot be read as gzip (corrupt data within the first"),
], ids=["gzip_truncated_after_64k", "bzip2_truncated", "gzip_corrupt_after_64k"])
def test_a_stream_damaged_past_the_header_fails_closed_naming_the_file(spark, tmp_path, monkeypatch, name, damage,
                                                                      problem):
    """The header check reads only the head; the damage is found when Spark reads the file, where
    Hadoop says only 'Unexpected end of input stream'. The job names the file and the problem."""
    from secure_transform import compression

    # bzip2 heads are read up to 4 MiB; 64 KiB here (100 kB blocks) so the damage lies past the head
    monkeypatch.setattr(compression, "BZIP2_HEAD_BYTES", 65_536)
    src = tmp_path / "masked"
    src.mkdir()
    (src / "good.csv.gz").write_bytes(gzip.compress(_big_csv(500, 3)))
    body = _big_csv(6_000, 4)
    damaged = damage(body)
    assert len(damaged) > 65_536 + 20_000
    (src / name).write_bytes(damaged)
    create_dev_keyset(str(tmp_path / "keys.json"))
    rt = local_runtime("main_etl", _args(tmp_path), spark, run_id="z2")
    with pytest.raises(SchemaError) as info:
        execute(rt, run_main_etl)
    message = str(info.value)
    assert message.startswith(str(src / name) + ": " + problem), message
    assert "good.csv.gz" not in message and "Z4-" not in message
    _nothing_written(tmp_path)


def test_a_truncated_json_lines_gzip_fails_closed_naming_the_file(spark, tmp_path):
    src = tmp_path / "masked"
    src.mkdir()
    rng = __import__("random").Random(5)
    lines = b"".join(json.dumps(_row(f"J{i:05d}", memo=f"{rng.getrandbits(128):032x}")).encode() + b"\n"
                     for i in range(5_000))
    (src / "day.jsonl.gz").write_bytes(gzip.compress(lines)[:-10_000])
    create_dev_keyset(str(tmp_path / "keys.json"))
    rt = local_runtime("main_etl", _args(tmp_path, input_format="jsonl"), spark, run_id="z3")
    with pytest.raises(SchemaError, match="^" + re.escape(str(src / "day.jsonl.gz")) +
                       re.escape(": cannot be read as gzip (the stream is truncated)")):
        execute(rt, run_main_etl)
    _nothing_written(tmp_path)


@pytest.mark.parametrize("suffix", [".zst", ".snappy", ".zip", ".GZ"])  # Hadoop would read a .GZ as plain text
def test_text_inputs_with_a_codec_we_cannot_check_are_refused_before_reading(spark, tmp_path, suffix):
    src = tmp_path / "masked"
    src.mkdir()
    (src / "a.csv").write_bytes(_big_csv(10, 6))
    (src / f"b.csv{suffix}").write_bytes(b"\x28\xb5\x2f\xfd not really compressed " + PLANTED_FIRST_LINE.encode())
    rt = local_runtime("main_etl", _args(tmp_path, input_format="csv", pii_columns='{"customer_id": "hash"}',
                                         key_file=None), spark)
    with pytest.raises(SchemaError) as info:
        execute(rt, run_main_etl)
    assert str(info.value) == (f"{src / ('b.csv' + suffix)}: is compressed as {suffix}, which text inputs cannot be; "
                               "use gzip (.gz), bzip2 (.bz2) or no compression")
    _nothing_written(tmp_path)
