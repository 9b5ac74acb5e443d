"""The Spark-native detector: recognisers, scrubber, precision/recall on a labelled corpus, Macie output.

Spark work is batched: every recogniser case runs in one query, the corpus in one query, and one
module fixture runs the detect job and the ``mask`` command over a small multi-format raw zone.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import string

import pytest
from chispa import assert_column_equality, assert_df_equality

from secure_transform import detection as D
from secure_transform.detection import expressions as DX
from secure_transform.detection.scan import _local_etag
from secure_transform import io as sio
from secure_transform import macie
from secure_transform.cli import main as cli_main
from secure_transform.errors import ConfigError
from secure_transform.runtime import local_runtime

# --- recogniser cases: (value, column/path name, expected types) -----------------------------------

CASES = [
    ("4556737586899855", "card_number", ["CREDIT_CARD_NUMBER"]),
    ("4556 7375 8689 9855", "value", ["CREDIT_CARD_NUMBER_(NO_KEYWORD)"]),
    ("Manual entry, card 4556-7375-8689-9855 swiped twice", "memo", ["CREDIT_CARD_NUMBER"]),
    ("4111111111111111", "card_number", []),  # a published test number: Macie ignores it
    ("4556737586899856", "card_number", []),  # Luhn-invalid
    ("1234567890123452", "card_number", []),  # Luhn-valid but no card brand prefix
    ("GB82 WEST 1234 5698 7654 32", "iban", ["UK_BANK_ACCOUNT_NUMBER"]),
    ("Refund to DE89370400440532013000 today", "memo", ["GERMANY_BANK_ACCOUNT_NUMBER"]),
    ("AT611904300234573201", "x", ["IBAN"]),  # no Macie id for Austria: custom identifier
    ("GB82WEST12345698765431", "iban", []),  # wrong check digits
    ("078-05-1120", "ssn", ["USA_SOCIAL_SECURITY_NUMBER"]),
    ("my ssn is 078051120", "memo", ["USA_SOCIAL_SECURITY_NUMBER"]),
    ("078-05-1120", "reference", []),  # no keyword: Macie needs one
    ("666-05-1120", "ssn", []),  # area 666 is never issued
    ("(212) 555-0147", "x", ["PHONE_NUMBER"]),
    ("2125550147", "x", []),  # bare digits need a keyword or a country code
    ("2125550147", "mobile", ["PHONE_NUMBER"]),
    ("+44 20 7946 0958", "x", ["UK_PHONE_NUMBER"]),
    ("+81 3 1234 5678", "x", ["INTERNATIONAL_PHONE_NUMBER"]),
    ("Receipt sent to mary.major42@example.com.", "memo", ["EMAIL_ADDRESS"]),
    ("mary..major@example.com", "x", []),
    ("routing number 021000021", "memo", ["ABA_ROUTING_NUMBER"]),
    ("021000022", "routing_number", []),  # checksum fails
    ("10632307648", "account_number", ["BANK_ACCOUNT_NUMBER"]),
    ("10632307648", "amount_cents", []),
    ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCY1234567890", "config", ["AWS_CREDENTIALS"]),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "secret_key", []),  # AWS's documented example
    ("AKIA2E0A8F3B244C9986", "x", ["AWS_ACCESS_KEY_ID"]),
    ("server 10.0.12.7 timed out", "log", ["IPV4_ADDRESS"]),
    ("version 1.2.3.4.5", "log", []),
    ("date of birth: 12/03/1984", "memo", ["DATE_OF_BIRTH"]),
    ("1984-03-12", "dob", ["DATE_OF_BIRTH"]),
    ("Delivery on 2026-11-01", "memo", []),
    ("1234 Oak St, Springfield, IL 62704", "address", ["ADDRESS"]),
    ("Mary O'Brien", "customer_name", ["NAME"]),
    ("FreshMart Grocery", "merchant_name", []),
    ("Dr. Smile Dental", "merchant_name", []),
    ("Please call Mr. John Smith", "memo", ["NAME"]),
    ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "email", []),  # a deterministic token
    ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "ssn", []),
    ("T000000000123", "transaction_id", []),
    ("Split bill, my share 1,234.56", "memo", []),
    (None, "memo", None),
]


@pytest.fixture(scope="module")
def case_results(spark):
    from pyspark.sql import functions as F

    rows = [(i, v, D.context_flags(c)) for i, (v, c, _) in enumerate(CASES)]
    df = spark.createDataFrame(rows, "i int, value string, flags long")
    got = df.select("i", D.find_pii(F.col("value"), F.col("flags")).alias("m")).collect()
    return {r["i"]: (None if r["m"] is None else sorted(x["type"] for x in r["m"])) for r in got}


@pytest.mark.parametrize("i", range(len(CASES)), ids=[f"{c[1]}:{(c[0] or 'null')[:24]}" for c in CASES])
def test_recognisers(case_results, i):
    assert case_results[i] == (None if CASES[i][2] is None else sorted(CASES[i][2]))


def test_redact_pii_spans_replaces_only_the_spans(spark):
    from pyspark.sql import functions as F

    rows = [
        ("Manual entry, card 4556737586899855 swiped twice", "Manual entry, card [CREDIT_CARD_NUMBER] swiped twice"),
        ("Receipt sent to mary@example.com, call (212) 555-0147", "Receipt sent to [EMAIL_ADDRESS], call [PHONE_NUMBER]"),
        ("case 078-05-1120 opened", "case [USA_SOCIAL_SECURITY_NUMBER] opened"),  # strict: no keyword needed
        ("Refund to IBAN GB82WEST12345698765432", "Refund to IBAN [IBAN]"),
        ("Online order #12345678", "Online order #12345678"),
        ("Ref 1234567890123456 batch", "Ref 1234567890123456 batch"),
        ("Thanks! \U0001F44D", "Thanks! \U0001F44D"),
        ("", ""),
        (None, None),
    ]
    df = spark.createDataFrame(rows, "memo string, expected string").withColumn(
        "scrubbed", D.redact_pii_spans(F.col("memo")))
    assert_column_equality(df, "scrubbed", "expected")


def test_validators(spark):
    from pyspark.sql import functions as F

    rows = [("4556737586899855", True, "GB82WEST12345698765432", True, "021000021", True),
            ("4556737586899856", False, "GB82WEST12345698765431", False, "021000022", False),
            ("79927398713", True, "NL91ABNA0417164300", True, "111000025", True),
            (None, None, "XX00123", False, None, None)]
    df = spark.createDataFrame(rows, "card string, luhn boolean, iban string, iban_ok boolean, aba string, aba_ok boolean")
    df = df.select("*", D.luhn_valid(F.col("card")).alias("got_luhn"), D.iban_valid(F.col("iban")).alias("got_iban"),
                   D.aba_checksum_valid(F.col("aba")).alias("got_aba"))
    assert_column_equality(df, "got_luhn", "luhn")
    assert_column_equality(df, "got_iban", "iban_ok")
    assert_column_equality(df, "got_aba", "aba_ok")


def test_detect_pii_dataframe(spark):
    df = spark.createDataFrame([(0, "C00000001", "mary@example.com", "memo to 078-05-1120 for ssn", 12.5),
                                (1, "C00000002", "tok-9f86d081884c", None, 4556737586899855.0)],
                               "i long, customer_id string, email string, memo string, card_number double")
    got = D.detect_pii(df.withColumn("card_number", df["card_number"].cast("long")), record_index="i")
    expected = spark.createDataFrame(
        [(0, 3, "email", "EMAIL_ADDRESS", "CUSTOM_IDENTIFIER", 1),
         (0, 4, "memo", "USA_SOCIAL_SECURITY_NUMBER", "PERSONAL_INFORMATION", 1),
         (1, 5, "card_number", "CREDIT_CARD_NUMBER", "FINANCIAL_INFORMATION", 1)],
        "record_index long, column_number int, column_name string, type string, category string, count int")
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


# --- labelled corpus --------------------------------------------------------------------------------

def _luhn_complete(partial: str) -> str:
    total = 0
    for i, c in enumerate(reversed(partial)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return partial + str((10 - total % 10) % 10)


def _iban(rng: random.Random, country: str, bban_len: int, letters: int = 0) -> str:
    bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(letters)) + "".join(
        rng.choice(string.digits) for _ in range(bban_len - letters))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def _aba(rng: random.Random) -> str:
    while True:
        d = f"{rng.choice(['0', '1', '2', '3'])}{rng.randint(0, 9)}" + "".join(rng.choice(string.digits) for _ in range(7))
        if re.match(r"^(?:0\d|1[0-2]|2[1-9]|3[0-2])", d) and sum(int(c) * w for c, w in zip(d, (3, 7, 1) * 3)) % 10 == 0:
            return d


FIRST = ("Mary", "James", "Priya", "Olga", "Hiroshi", "Fatima", "Liam", "Zoe", "Ahmed", "Chloe")
LAST = ("Smith", "Kowalski", "Okafor", "Nguyen", "Rossi", "O'Brien", "Dubois", "Tanaka", "Garcia", "Muller")


def labelled_corpus(seed: int = 7, per_type: int = 60) -> list[tuple[str, str, str | None]]:
    """(value, context name, planted label or None for look-alikes). Deterministic by seed."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str | None]] = []

    def card() -> str:
        prefix = rng.choice(["4", "51", "53", "6011", "37"])
        length = 15 if prefix == "37" else 16
        return _luhn_complete(prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1)))

    def ssn() -> str:
        return f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"

    def phone() -> str:
        npa, nxx, line = rng.randint(201, 899), rng.randint(200, 899), rng.randint(0, 9999)
        return rng.choice([f"({npa}) {nxx}-{line:04d}", f"+1{npa}{nxx}{line:04d}", f"{npa}-{nxx}-{line:04d}",
                           f"+44 20 {rng.randint(7000, 7999)} {line:04d}"])

    def email() -> str:
        return f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower().replace(chr(39), '')}{rng.randint(1, 99)}@example.com"

    def iban() -> str:
        return rng.choice([lambda: _iban(rng, "GB", 18, 4), lambda: _iban(rng, "DE", 18), lambda: _iban(rng, "FR", 23),
                           lambda: _iban(rng, "NL", 14, 4)])()

    def name() -> str:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

    def dob() -> str:
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{m:02d}/{d:02d}/{y}", f"{d} Mar {y}"])

    def address() -> str:
        return (f"{rng.randint(100, 9999)} {rng.choice(['Oak', 'Main', 'Pine', 'Lake Shore'])} "
                f"{rng.choice(['St', 'Ave', 'Rd', 'Blvd'])}, {rng.choice(['Springfield', 'Salem', 'New York'])}, "
                f"{rng.choice(['IL', 'OR', 'NY'])} {rng.randint(10000, 99999)}")

    def secret() -> str:
        return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(37)) + "Ab7"

    def akid() -> str:
        return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))

    def ip() -> str:
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))

    structured = [
        ("CREDIT_CARD_NUMBER", "card_number", card), ("USA_SOCIAL_SECURITY_NUMBER", "ssn", ssn),
        ("PHONE_NUMBER", "phone", phone), ("EMAIL_ADDRESS", "email", email), ("IBAN", "iban", iban),
        ("BANK_ACCOUNT_NUMBER", "account_number", lambda: "1" + "".join(rng.choice(string.digits) for _ in range(10))),
        ("ABA_ROUTING_NUMBER", "routing_number", lambda: _aba(rng)), ("NAME", "customer_name", name),
        ("DATE_OF_BIRTH", "date_of_birth", dob), ("ADDRESS", "address", address),
        ("AWS_CREDENTIALS", "aws_secret_access_key", secret), ("AWS_ACCESS_KEY_ID", "access_key", akid),
        ("IPV4_ADDRESS", "client_ip", ip),
    ]
    for label, column, make in structured:
        out += [(make(), column, label) for _ in range(per_type)]
    templates = [
        ("CREDIT_CARD_NUMBER", "Manual entry, card {} swiped twice", card),
        ("CREDIT_CARD_NUMBER", "paid with {} yesterday", card),  # no keyword: the (NO_KEYWORD) type
        ("EMAIL_ADDRESS", "Receipt sent to {}", email), ("PHONE_NUMBER", "Customer asked for a call back on {}", phone),
        ("IBAN", "Refund to IBAN {}", iban), ("USA_SOCIAL_SECURITY_NUMBER", "my ssn is {} please update", ssn),
        ("ABA_ROUTING_NUMBER", "wire via routing {}", lambda: _aba(rng)),
        ("DATE_OF_BIRTH", "date of birth {} per passport", dob), ("IPV4_ADDRESS", "login from {} failed", ip),
        ("NAME", "Please call Mr. {} back", name), ("ADDRESS", "ship to {} asap", address),
        # harder cases, some of which the detector (like Macie) is expected to miss
        ("PHONE_NUMBER", "reach me at {} tonight", lambda: f"{rng.randint(201, 899)}{rng.randint(200, 899)}{rng.randint(0, 9999):04d}"),
        ("NAME", "Thanks from {}", name),  # no honorific, not a name column
        ("CREDIT_CARD_NUMBER", "amex {}", lambda: (lambda c: f"{c[:4]} {c[4:10]} {c[10:]}")(
            _luhn_complete("37" + "".join(rng.choice(string.digits) for _ in range(12))))),
        ("IBAN", "iban {}", lambda: iban().lower()),  # lower case IBANs are not matched
        ("DATE_OF_BIRTH", "born {}", dob), ("EMAIL_ADDRESS", "cc {}", lambda: f"a.b+tag{rng.randint(1, 9)}@mail.example.co.uk"),
        ("ADDRESS", "lives at {}", lambda: f"{rng.randint(1, 99)} Oak St, Springfield"),  # no state/ZIP: not matched
        ("USA_SOCIAL_SECURITY_NUMBER", "ssn: {}", lambda: ssn().replace("-", "")),
    ]
    for label, text, make in templates:
        out += [(text.format(make()), "memo", label) for _ in range(per_type // 2)]
    lookalikes = [
        lambda: f"Online order #{rng.randint(10**7, 10**8 - 1)}",
        lambda: f"Ref {rng.randint(10**15, 10**16 - 1)} batch",  # 16 digits, usually Luhn-invalid / no brand
        lambda: f"Delivery on 2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        lambda: f"Split bill, my share {rng.randint(1, 9999):,}.{rng.randint(0, 99):02d}",
        lambda: rng.choice(["4111111111111111", "5555555555554444", "378282246310005"]),  # issuer test numbers
        lambda: f"T{rng.randint(0, 10**12):012d}", lambda: f"C{rng.randint(0, 10**8):08d}",
        lambda: "".join(rng.choice("0123456789abcdef") for _ in range(64)),  # deterministic tokens
        lambda: f"invoice INV-2026-{rng.randint(0, 999999):06d}", lambda: f"v{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}",
        lambda: rng.choice(["FreshMart Grocery", "Dr. Smile Dental", "Lucky Star Casino", "Quick Fuel"]),
        lambda: f"case {rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)} closed",  # SSN-shaped, no keyword
        lambda: f"{rng.randint(0, 999999999):09d}", lambda: f"{rng.randint(1, 500)}.{rng.randint(0, 99):02d}",
        lambda: f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:15:00Z",
        lambda: f"ISBN 978-{rng.randint(0, 9)}-{rng.randint(10, 99)}-{rng.randint(100000, 999999)}-{rng.randint(0, 9)}",
        lambda: f"Tracking 1Z{rng.randint(10**15, 10**16 - 1)}", lambda: f"dial 555-{rng.randint(1000, 9999)}",
        lambda: f"seen {rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1950, 2005)}",  # a date, no keyword
        lambda: f"Ref {_luhn_complete('4' + ''.join(rng.choice(string.digits) for _ in range(14)))}",  # Luhn-valid Visa-shaped reference
    ]
    contexts = ("memo", "reference", "amount", "merchant_name", "transaction_id")
    for make in lookalikes:
        out += [(make(), rng.choice(contexts), None) for _ in range(per_type)]
    return out


PR_FLOORS = {  # (precision, recall) floors held by the test, a little below the measured values in docs/DETECTION.md
    "CREDIT_CARD_NUMBER": (0.65, 0.99), "USA_SOCIAL_SECURITY_NUMBER": (0.99, 0.99), "PHONE_NUMBER": (0.99, 0.7),
    "EMAIL_ADDRESS": (0.99, 0.99), "IBAN": (0.99, 0.7), "BANK_ACCOUNT_NUMBER": (0.99, 0.99),
    "ABA_ROUTING_NUMBER": (0.99, 0.99), "NAME": (0.99, 0.7), "DATE_OF_BIRTH": (0.99, 0.99), "ADDRESS": (0.99, 0.7),
    "AWS_CREDENTIALS": (0.99, 0.99), "AWS_ACCESS_KEY_ID": (0.99, 0.99), "IPV4_ADDRESS": (0.99, 0.99),
    # precision of the keyword-backed type alone (CREDIT_CARD_NUMBER, not ..._(NO_KEYWORD)); recall n/a
    "CREDIT_CARD_NUMBER[keyword]": (0.99, 0.0),
}


def precision_recall(spark, corpus) -> dict[str, dict]:
    from pyspark.sql import functions as F

    rows = [(i, v, D.context_flags(c)) for i, (v, c, _) in enumerate(corpus)]
    df = spark.createDataFrame(rows, "i int, value string, flags long")
    got = df.select("i", D.find_pii(F.col("value"), F.col("flags")).alias("m")).collect()
    found = {r["i"]: {m["label"] for m in (r["m"] or [])} for r in got}
    found_types = {r["i"]: {m["type"] for m in (r["m"] or [])} for r in got}
    stats = {label: {"tp": 0, "fp": 0, "fn": 0} for label in PR_FLOORS}
    for i, (_, _, planted) in enumerate(corpus):
        for label in stats:
            if label == "CREDIT_CARD_NUMBER[keyword]":
                if "CREDIT_CARD_NUMBER" in found_types[i]:
                    stats[label]["tp" if planted == "CREDIT_CARD_NUMBER" else "fp"] += 1
                continue
            hit = label in found[i]
            if planted == label:
                stats[label]["tp" if hit else "fn"] += 1
            elif hit:
                stats[label]["fp"] += 1
    for s in stats.values():
        s["precision"] = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 1.0
        s["recall"] = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else 1.0
    return stats


def test_corpus_precision_and_recall_hold_their_floors(spark):
    corpus = labelled_corpus()
    assert len(corpus) > 2000
    stats = precision_recall(spark, corpus)
    if os.environ.get("SECURE_TRANSFORM_PR_REPORT"):
        print(json.dumps(stats, indent=1))
    low = {label: (round(s["precision"], 3), round(s["recall"], 3)) for label, s in stats.items()
           if s["precision"] < PR_FLOORS[label][0] or s["recall"] < PR_FLOORS[label][1]}
    assert low == {}


# --- configuration ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, param", [
    ({"mode": "loose"}, "--detect_mode"), ({"labels": ("CARD",)}, "--detect_types"),
    ({"max_occurrences": 0}, "--max_occurrences"), ({"max_occurrences": 1001}, "--max_occurrences"),
    ({"header": "maybe"}, "--header"),
])
def test_invalid_detect_config(kwargs, param):
    with pytest.raises(ConfigError, match=param):
        D.DetectConfig(**kwargs)


def test_invalid_input_format_stops_the_job(spark, tmp_path):
    rt = local_runtime("detect_pii", {"source_bucket": str(tmp_path), "results_bucket": str(tmp_path / "r"),
                                      "input_format": "xml"}, spark)
    with pytest.raises(ConfigError, match="--input_format"):
        D.run_detect_pii(rt)


def test_context_keywords_follow_macie_rules():
    bit = {r.label: 1 << i for i, r in enumerate(D.RECOGNIZERS)}
    assert D.context_flags("customer_ssn") & bit["USA_SOCIAL_SECURITY_NUMBER"]
    assert D.context_flags("date_of_birth") & bit["DATE_OF_BIRTH"]  # "date of birth" matches with underscores
    assert not D.context_flags("company") & bit["CREDIT_CARD_NUMBER"]  # "pan" must not touch other letters
    assert D.context_flags(["credentials", "aws", "key"]) & bit["AWS_CREDENTIALS"]  # any path element counts
    assert D.context_flags("customer_name") & D.NAME_BIT and not D.context_flags("merchant_name") & D.NAME_BIT
    fpe = D.context_flags("card_number", format_preserving=True)
    assert fpe & (bit["CREDIT_CARD_NUMBER"] << 32) and not fpe & (bit["EMAIL_ADDRESS"] << 32)


# --- the detect job, its Macie results, and the mask command over them ------------------------------

CSV = ('id,customer_name,email,card_number,memo\n'
       '1,Mary Major,mary@example.com,4556737586899855,"Paid, thanks"\n'
       '2,John Doe,john@example.org,5425233430109903,card 4556737586899855 swiped\n'
       '3,Ann Lee,ann@example.com,4556737586899855,\n')


@pytest.fixture(scope="module")
def detected(spark, tmp_path_factory):
    base = tmp_path_factory.mktemp("detect")
    raw = base / "raw"
    (raw / "csv").mkdir(parents=True)
    (raw / "csv/customers.csv").write_text(CSV)
    (raw / "csv/ip_header.csv").write_text("id,ip 10.0.0.1\n1,x\n")  # PII in a column name -> lineRanges
    (raw / "csv/multi.csv").write_text('id,memo\n1,"two\nlines"\n')
    (raw / "events.jsonl").write_text(
        json.dumps({"id": 1, "contact": {"email": "x@example.com"}, "phones": ["n/a", "+14155552671"]}) + "\n"
        + json.dumps({"id": 2, "contact": {"email": None}, "phones": []}) + "\n")
    (raw / "doc.json").write_text(json.dumps({"people": [{"ssn": "n/a"}, {"ssn": "078-05-1120"}]}))
    spark.createDataFrame([("n/a",), ("4556737586899855",)], "card_number string").coalesce(1).write.parquet(
        str(base / "pq"))
    pq = next(p for p in os.listdir(base / "pq") if p.endswith(".parquet"))
    os.rename(base / "pq" / pq, raw / "cards.parquet")
    (raw / "notes.txt").write_text("nothing to see")
    rt = local_runtime("detect_pii", {"source_bucket": str(raw), "results_bucket": str(base / "results")}, spark,
                       run_id="r1")
    summary = D.run_detect_pii(rt)
    results = {r.object.key: r for r in macie.read_results(sio.parse_location(str(base / "results"), "r"))}
    return {"base": base, "raw": raw, "summary": summary, "results": results}


def _det(result, type_name):
    return next(d for d in result.detections if d.type == type_name)


def test_csv_results_use_physical_rows_and_named_columns(detected):
    res = detected["results"]["csv/customers.csv"]
    assert res.status == "COMPLETE" and res.object.etag == _local_etag(str(detected["raw"] / "csv/customers.csv"))
    cards = _det(res, "CREDIT_CARD_NUMBER")
    assert [(o.row, o.column, o.column_name) for o in cards.occurrences] == [
        (2, 4, "card_number"), (3, 4, "card_number"), (3, 5, "memo"), (4, 4, "card_number")]
    assert [(o.row, o.column) for o in _det(res, "EMAIL_ADDRESS").occurrences] == [(2, 3), (3, 3), (4, 3)]
    assert [(o.row, o.column) for o in _det(res, "NAME").occurrences] == [(2, 2), (3, 2), (4, 2)]


def test_record_formats_use_zero_based_indexes_and_json_paths(detected):
    r = detected["results"]
    assert [(o.record_index, o.json_path) for o in _det(r["events.jsonl"], "EMAIL_ADDRESS").occurrences] == [
        (0, "$.contact.email")]
    assert [(o.record_index, o.json_path) for o in _det(r["events.jsonl"], "PHONE_NUMBER").occurrences] == [
        (0, "$.phones[1]")]
    assert [(o.record_index, o.json_path) for o in _det(r["doc.json"], "USA_SOCIAL_SECURITY_NUMBER").occurrences] == [
        (0, "$.people[1].ssn")]
    assert [(o.record_index, o.json_path) for o in _det(r["cards.parquet"], "CREDIT_CARD_NUMBER").occurrences] == [
        (1, "$.card_number")]


def test_unscannable_objects_are_reported_skipped_or_as_line_ranges(detected):
    r = detected["results"]
    assert (r["notes.txt"].status, r["notes.txt"].status_reason) == ("SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION")
    assert (r["csv/multi.csv"].status, r["csv/multi.csv"].status_reason) == ("SKIPPED", "UNABLE_TO_PARSE_FILE")
    header = _det(r["csv/ip_header.csv"], "IPV4_ADDRESS")
    assert header.occurrences == (macie.Occurrence("lineRanges", start=1, end=1, start_column=7),)


def test_job_summary_counts_types_and_columns_never_values(detected):
    s = detected["summary"]
    assert s["objects"] == 7 and s["rows_in"] == s["rows_out"] == s["records"] and s["rows_quarantined"] == 0
    assert s["detections_by_column"]["CREDIT_CARD_NUMBER"] == {"$.card_number": 1, "card_number": 3, "memo": 1}
    assert "4556737586899855" not in json.dumps(s)
    files = [p for p in (detected["base"] / "results").rglob("*.jsonl.gz")]
    assert len(files) == 7 and all("/AWSLogs/000000000000/Macie/local/" in str(p) for p in files)
    json.loads(gzip.decompress(files[0].read_bytes()))  # valid gzip JSON Lines


def test_capped_detections_list_every_column(spark, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "t.csv").write_text(CSV)
    summary = D.detect_objects(spark, sio.parse_location(str(raw), "i"), sio.parse_location(str(tmp_path / "r"), "o"),
                               config=D.DetectConfig(max_occurrences=2))
    [res] = macie.read_results(sio.parse_location(str(tmp_path / "r"), "o"))
    cards = _det(res, "CREDIT_CARD_NUMBER")
    assert (cards.count, cards.listed, cards.is_capped) == (4, 2, True)
    assert {o.column_name for o in cards.occurrences} == {"card_number", "memo"}  # round-robin over columns
    assert summary["detections_by_type"]["CREDIT_CARD_NUMBER"] == 4


def test_cli_mask_over_detector_results(detected, capsys):
    base = detected["base"]
    code = cli_main(["mask", "--input", str(detected["raw"]), "--results", str(base / "results"),
                     "--output", str(base / "masked"), "--quarantine", str(base / "q")])
    assert code == 0
    out = capsys.readouterr().out
    assert "quarantined notes.txt: status_skipped" in out and "quarantined csv/ip_header.csv: unbounded_line_ranges" in out
    masked = (base / "masked/csv/customers.csv").read_text()
    assert masked.splitlines()[0] == CSV.splitlines()[0]
    assert "@" not in masked and "4556737586899855" not in masked and "Mary Major" not in masked
    assert masked.splitlines()[1] == '1,[NAME],[EMAIL_ADDRESS],************9855,"Paid, thanks"'
    assert "4556737586899855" not in out and "mary@" not in out


# --- guards: cheap tests that skip the regexes must never skip a real match ---------------------------

@pytest.mark.parametrize("context", ["column", "every_keyword"])
def test_guards_never_change_what_is_found(spark, monkeypatch, context):
    """The guards (digit runs, digit counts, shapes, keyword gates) only skip work: on the labelled
    corpus, planted values and look-alikes alike, the guarded detector finds exactly what the same
    recognisers find with every guard disabled."""
    from pyspark.sql import functions as F

    corpus = labelled_corpus()
    every = (1 << 32) - 1  # every recogniser's context bit, no skip bit
    rows = [(i, v, D.context_flags(c) if context == "column" else every) for i, (v, c, _) in enumerate(corpus)]
    df = spark.createDataFrame(rows, "i int, value string, flags long")
    guarded = df.select("i", D.find_pii(F.col("value"), F.col("flags")).alias("m"))
    expected = {r["i"]: r["m"] for r in guarded.collect()}
    assert sum(1 for m in expected.values() if m) > 1_000  # the corpus exercises the recognisers

    monkeypatch.setattr(DX, "_guard", lambda rec, value, shape: F.lit(True))
    monkeypatch.setattr(DX, "_keyword_gate", lambda *a, **k: None)
    unguarded_shape = {"numrun": F.lit(True), "upper": F.lit(True), "digits": F.lit(99), "letters": F.lit(True)}
    unguarded = df.select("i", D.find_pii(F.col("value"), F.col("flags"), shape=unguarded_shape).alias("m"))
    got = {r["i"]: r["m"] for r in unguarded.collect()}
    differ = [i for i in expected if expected[i] != got[i]]
    assert differ == [], f"{len(differ)} corpus values found differently (first index {differ[:1]})"


def test_typed_columns_are_scanned_only_where_they_can_hold_pii(spark):
    """Numbers below 9 digits, booleans, and dates outside a birth-date column cannot hold a
    recognised value and skip the recognisers; 9+ digit integers and birth-date columns do not."""
    import datetime as dt
    from decimal import Decimal

    df = spark.createDataFrame(
        [(0, 78051120, 123456789, Decimal("4556737586899855"), dt.date(1984, 3, 12), dt.date(1984, 3, 12), True)],
        "i long, ssn int, ssn_long long, card_number decimal(20,0), date_of_birth date, created date, flag boolean")
    got = {(r["column_name"], r["type"]) for r in D.detect_pii(df, record_index="i").collect()}
    assert got == {("ssn_long", "USA_SOCIAL_SECURITY_NUMBER"), ("card_number", "CREDIT_CARD_NUMBER"),
                   ("date_of_birth", "DATE_OF_BIRTH")}
    assert D.scannable(df.schema["flag"].dataType, D.context_flags("flag")) is False
    assert D.scannable(df.schema["created"].dataType, D.context_flags("created")) is False
    assert D.scannable(df.schema["date_of_birth"].dataType, D.context_flags("date_of_birth")) is True


def test_a_table_with_nothing_scannable_gives_an_empty_result(spark):
    import datetime as dt

    df = spark.createDataFrame([(0, True, dt.date(2024, 1, 2))], "i long, ok boolean, created date")
    assert D.detect_pii(df, record_index="i").count() == 0
