"""Issue 17: no unsafe success. An adversarial corpus, one case per failure of the issue and its
neighbours; each asserts the exit status, the message (file, column, problem -- never the value),
the row accounting, and that no planted value leaves the raw and quarantine zones.

Values planted here (``PLANTED``) are fake but shaped like real personal data.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import stat
import subprocess
import sys

import pytest
from pyspark.sql import functions as F

from secure_transform import io as sio
from secure_transform import macie, review
from secure_transform.cli import main as cli_main
from secure_transform.errors import AllInputsQuarantinedError, KeyManagementError, SchemaError
from secure_transform.ff3 import FALLBACK_MARKER
from secure_transform.fpe_domain import unfit_value
from secure_transform.keys import KeySet, create_dev_keyset, keyset_from_document, load_keyset
from secure_transform.masking import ObjectPlan, _name_damaged_streams, _quarantine
from secure_transform.merchant import default_mapping_path
from secure_transform.pipeline import default_binning_config, run_main_etl
from secure_transform.reidentify import reidentify_columns
from secure_transform.runtime import execute, local_runtime
from secure_transform.tokenization import parse_pii_columns, tokenize_columns

SSN = "219-09-9999"
CARD = "4556737586899855"
EMAIL = "mary.major@example.com"
IBAN = "GB82WEST12345698765432"
PLANTED = (SSN, CARD, EMAIL, IBAN)


def _no_planted(*texts: str) -> None:
    for text in texts:
        for value in PLANTED:
            assert value not in text, "a planted value was printed"


def _files_text(root) -> str:
    """Every byte under ``root`` (decompressed .gz), for leak assertions."""
    out = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            data = open(os.path.join(dirpath, name), "rb").read()
            if name.endswith(".gz"):
                try:
                    data = gzip.decompress(data)
                except (OSError, EOFError):
                    pass
            out.append(data.decode("utf-8", "replace"))
    return "\n".join(out)


def _md5(path) -> str:
    return hashlib.md5(open(path, "rb").read(), usedforsecurity=False).hexdigest()


# --- 1. review approve of an object quarantined before masking ----------------------------------


def _quarantined(tmp_path, key: str, reason: str | None, status: str = "COMPLETE"):
    raw = sio.parse_location(str(tmp_path / "raw"), "raw")
    quarantine = sio.parse_location(str(tmp_path / "q"), "q")
    body = f"id,ssn,email\n1,{SSN},{EMAIL}\n".encode()
    sio.write_bytes(raw.child(key), body)
    result = macie.DiscoveryResult(object=macie.ObjectRef("raw", key, etag="e"), status=status, status_reason=None,
                                   detections=(), source="s3://results/x.jsonl.gz")
    plan = ObjectPlan(info=sio.ObjectInfo(raw.child(key), len(body)), key=key, fmt="csv", result=result,
                      action="quarantine", reason=reason, detail="d", records=1)
    _quarantine(plan, quarantine, "run-1", None)
    return raw, quarantine


@pytest.mark.parametrize("reason", ["etag_mismatch", "no_discovery_result", "version_mismatch", "status_skipped",
                                    "status_partial", "damaged_compressed_object", "unsupported_format", None,
                                    # results that do not fit the bytes, and a reason this version does not know
                                    "column_mismatch", "occurrence_out_of_range", "occurrence_kind_mismatch",
                                    "json_path_not_in_data", "a_reason_added_later"])
def test_approve_refuses_an_object_quarantined_before_masking(tmp_path, capsys, reason):
    _raw, quarantine = _quarantined(tmp_path, "in/a.csv", reason)
    masked = tmp_path / "masked"
    code = cli_main(["review", "approve", "--quarantine", quarantine.uri, "--key", "in/a.csv", "--masked", str(masked),
                     "--reviewer", "ops@example"])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: in/a.csv: quarantined before masking") and err.count("\n") == 1
    assert (reason or "no reason recorded") in err
    assert "secure-transform detect --input" in err and "secure-transform review deny" in err
    _no_planted(out, err)
    assert not masked.exists(), "nothing may reach the masked zone"
    assert (tmp_path / "q" / "objects" / "in" / "a.csv").exists()
    record = json.loads((tmp_path / "q" / "reasons" / "in" / "a.csv.json").read_text())
    assert record.get("status", "pending") == "pending" and record["decisions"] == []


def test_approve_still_moves_an_analysed_object_the_reviewer_vouches_for(tmp_path, capsys):
    _raw, quarantine = _quarantined(tmp_path, "b.csv", "policy_quarantine")
    code = cli_main(["review", "approve", "--quarantine", quarantine.uri, "--key", "b.csv", "--masked",
                     str(tmp_path / "masked"), "--reviewer", "ops@example"])
    assert code == 0 and (tmp_path / "masked" / "b.csv").exists()
    _no_planted(*capsys.readouterr())


# --- 2. key-check values --------------------------------------------------------------------------

KEY_A = KeySet({"v1": bytes(range(32))}, "v1", source="key file a.json")
KEY_B = KeySet({"v1": bytes(range(1, 33))}, "v1", source="key file b.json")  # same name, other key


def test_key_check_values_tell_two_keys_called_v1_apart():
    assert KEY_A.check_value("v1") != KEY_B.check_value("v1")
    assert KEY_A.check_value() == KeySet({"v1": bytes(range(32))}, "v1").check_value("v1")  # stable
    assert len(KEY_A.check_value()) == 16 and int(KEY_A.check_value(), 16) >= 0
    material = base64.b64encode(bytes(range(32))).decode()
    assert KEY_A.check_value() not in material and bytes(range(32)).hex()[:16] != KEY_A.check_value()
    with pytest.raises(KeyManagementError, match="'v9' is not in the key set"):
        KEY_A.check_value("v9")


def test_a_key_file_stores_its_check_values_and_an_edited_key_is_refused(tmp_path):
    path = tmp_path / "k.json"
    keyset = create_dev_keyset(path)
    doc = json.loads(path.read_text())
    assert doc["keys"]["v1"]["check"] == keyset.check_value("v1")
    doc["keys"]["v1"]["material"] = base64.b64encode(bytes(32)).decode()  # edited material, old check
    with pytest.raises(KeyManagementError, match="'v1' does not match its stored check value") as info:
        keyset_from_document(json.dumps(doc), "key file k.json")
    assert doc["keys"]["v1"]["material"] not in str(info.value)


def test_a_key_set_made_before_check_values_still_loads_and_upgrade_stores_them(tmp_path, capsys):
    path = tmp_path / "legacy.json"
    material = base64.b64encode(bytes(range(32))).decode()
    path.write_text(json.dumps({"type": "secure-transform-keyset", "schema": 1, "active_version": "v1",
                                "keys": {"v1": {"material": material, "created_at": "2026-01-01T00:00:00+00:00"}}}))
    os.chmod(path, 0o600)
    legacy = load_keyset(key_file=str(path))
    assert legacy.stored_checks == frozenset() and legacy.check_value() == KEY_A.check_value()
    assert cli_main(["keys", "show", "--key-file", str(path)]) == 0
    assert "not stored (run `secure-transform keys upgrade`)" in capsys.readouterr().out
    assert cli_main(["keys", "upgrade", "--key-file", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"v1 (active): check {KEY_A.check_value()}, stored" in out and material not in out
    doc = json.loads(path.read_text())
    assert doc["keys"]["v1"] == {"material": material, "check": KEY_A.check_value(),
                                 "created_at": "2026-01-01T00:00:00+00:00"}  # material and date unchanged
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def _key_file(tmp_path, name: str, keyset: KeySet) -> str:
    from secure_transform.keys import _document_text

    path = tmp_path / name
    path.write_text(_document_text(keyset))
    os.chmod(path, 0o600)
    return str(path)


def test_reidentify_with_the_wrong_key_set_fails_before_writing_a_row(spark, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text(f"transaction_id,card,iban\nT1,{CARD},{IBAN}\nT2,5425233430109903,DE89370400440532013000\n")
    pii = json.dumps({"card": {"method": "format_preserving", "preserve_prefix": 6, "luhn": True},
                      "iban": "non_deterministic"})
    key_a = _key_file(tmp_path, "a.json", KEY_A)
    assert cli_main(["tokenize", "--input", str(src), "--output", str(tmp_path / "tok"), "--pii-columns", pii,
                     "--key-file", key_a]) == 0
    capsys.readouterr()
    cases = [(_key_file(tmp_path, "b.json", KEY_B), "wrong key set"),  # also called v1: not fooled
             (_key_file(tmp_path, "c.json", KeySet({"v7": bytes(range(2, 34))}, "v7")), "'v1', which is not in the key set")]
    for n, (key_file, problem) in enumerate(cases):
        out_dir = tmp_path / f"plain{n}"
        code = cli_main(["reidentify", "--input", str(tmp_path / "tok"), "--output", str(out_dir), "--pii-columns", pii,
                         "--key-file", key_file, "--row-filter", "all"])
        out, err = capsys.readouterr()
        last = err.strip().splitlines()[-1]
        assert code == 2 and last.startswith("error: column '") and problem in last and err.count("error") == 1
        _no_planted(out, err)
        assert not out_dir.exists(), "nothing may be written with a wrong key"
    code = cli_main(["reidentify", "--input", str(tmp_path / "tok"), "--output", str(tmp_path / "ok"), "--pii-columns",
                     pii, "--key-file", key_a, "--row-filter", "all"])
    assert code == 0
    rows = {r["transaction_id"]: r for r in spark.read.parquet(str(tmp_path / "ok")).collect()}  # 2 rows
    assert rows["T1"]["card"] == CARD and rows["T1"]["iban"] == IBAN


def test_the_run_manifest_check_value_catches_a_wrong_key_when_the_column_record_is_lost(spark):
    df = spark.createDataFrame([("T1", CARD)], "transaction_id string, card string")
    config = parse_pii_columns({"card": {"method": "format_preserving", "preserve_prefix": 6}})
    stripped = tokenize_columns(df, config, KEY_A).withMetadata("card", {})
    manifest = {"v1": KEY_A.check_value("v1")}
    with pytest.raises(KeyManagementError, match="column 'card': wrong key set"):
        reidentify_columns(stripped, config, KEY_B, manifest_checks=manifest)
    back = reidentify_columns(stripped, config, KEY_A, manifest_checks=manifest).first()["card"]
    assert back == CARD


# --- 3. format_preserving on values outside its alphabet --------------------------------------------

FPE_CORPUS = [CARD, "4556 7375 8689 9855", "4556-7375-8689-9855", "12345", "123456", "1234567", EMAIL, IBAN,
              "GB82 WEST 1234 5698 7654 32", "+1 (415) 555-2671", "ext. 5", "ABC", "abc123", "A1B2", "Zoë123456",
              "9" * 56, "9" * 57, "9" * 300, " ", "-", "", None, "12 34", "(0)123-4567", "12345678901234567890"]
FPE_SPECS = [{"alphabet": "digits"}, {"alphabet": "digits", "preserve_prefix": 6, "luhn": True},
             {"alphabet": "digits", "preserve_prefix": 2, "preserve_suffix": 2}, {"alphabet": "alphanumeric"},
             {"alphabet": "alphanumeric", "preserve_prefix": 4}]


def test_the_spark_fit_rule_is_exactly_the_codecs_fallback_rule(spark):
    from secure_transform.tokenization import fpe_codec

    columns = {f"c{i}": {"method": "format_preserving", **spec} for i, spec in enumerate(FPE_SPECS)}
    config = parse_pii_columns(columns)
    df = spark.createDataFrame([(v,) for v in FPE_CORPUS], "v string")
    predicted = df.select("v", *[unfit_value(F.col("v"), s).alias(s.name) for s in config.columns]).collect()
    for spec in config.columns:
        tokens = fpe_codec(spec, KEY_A, "v1").encrypt(FPE_CORPUS).to_pylist()
        actual = [t is not None and t.startswith(FALLBACK_MARKER) for t in tokens]
        assert [r[spec.name] for r in predicted] == actual, spec


def test_format_preserving_on_emails_is_refused_naming_the_column(tmp_path, capsys):
    src = tmp_path / "people.csv"
    src.write_text(f"id,email\n1,{EMAIL}\n2,ann@example.org\n3,\n")
    code = cli_main(["tokenize", "--input", str(src), "--output", str(tmp_path / "out"), "--pii-columns",
                     json.dumps({"email": "format_preserving"}), "--key-file", _key_file(tmp_path, "k.json", KEY_A)])
    out, err = capsys.readouterr()
    assert code == 2 and str(src) in err and "column 'email'" in err
    assert "2 of 3 value(s) do not fit format_preserving with the digits alphabet" in err
    assert '"on_unsupported": "tokenize"' in err and "--pii-columns" in err and "--pii_columns" not in err
    _no_planted(out, err)
    assert not (tmp_path / "out").exists()


def test_a_column_that_partly_fits_is_tokenized_and_its_fallbacks_counted_when_allowed(spark, tmp_path, capsys):
    src = tmp_path / "phones.csv"
    src.write_text("id,phone\n1,+1 (415) 555-2671\n2,ext. 5\n3,020 7946 0958\n4,12\n5,\n")
    pii = {"phone": {"method": "format_preserving", "on_unsupported": "tokenize"}}
    code = cli_main(["tokenize", "--input", str(src), "--output", str(tmp_path / "out"), "--pii-columns",
                     json.dumps(pii), "--key-file", _key_file(tmp_path, "k.json", KEY_A)])
    out, _err = capsys.readouterr()
    assert code == 0 and "phone: 2 value(s) did not fit format_preserving" in out
    tokens = {r["id"]: r["phone"] for r in spark.read.parquet(str(tmp_path / "out")).collect()}  # 5 rows
    assert sorted(i for i, t in tokens.items() if t and t.startswith(FALLBACK_MARKER)) == ["2", "4"]
    assert len(tokens["1"]) == 17 and tokens["1"][0] + tokens["1"][2:4] == "+ (" and tokens["5"] is None


# --- 4. missing paths ---------------------------------------------------------------------------------


def test_mask_with_a_missing_results_path_names_the_path(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.csv").write_text(f"id,ssn\n1,{SSN}\n")
    missing = tmp_path / "no-such-results"
    code = cli_main(["mask", "--input", str(tmp_path / "raw"), "--results", str(missing), "--output",
                     str(tmp_path / "masked"), "--quarantine", str(tmp_path / "q")])
    out, err = capsys.readouterr()
    assert code == 2 and err == f"error: --results: {missing} does not exist\n"
    code = cli_main(["mask", "--input", str(tmp_path / "nothing"), "--results", str(tmp_path), "--output",
                     str(tmp_path / "masked"), "--quarantine", str(tmp_path / "q")])
    assert code == 2 and f"--input: {tmp_path / 'nothing'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "masked").exists() and not (tmp_path / "q").exists()


def test_mask_with_a_results_folder_holding_no_results_is_an_error(spark, tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.csv").write_text(f"id,ssn\n1,{SSN}\n")
    (tmp_path / "results").mkdir()
    code = cli_main(["mask", "--input", str(tmp_path / "raw"), "--results", str(tmp_path / "results"), "--output",
                     str(tmp_path / "masked"), "--quarantine", str(tmp_path / "q")])
    out, err = capsys.readouterr()
    assert code == 2 and f"--results: {tmp_path / 'results'} holds no discovery results" in err
    assert not (tmp_path / "q" / "objects").exists()
    _no_planted(out, err)


def test_review_with_a_missing_quarantine_path_is_an_error_not_an_empty_quarantine(tmp_path, capsys):
    missing = tmp_path / "nope"
    assert cli_main(["review", "list", "--quarantine", str(missing)]) == 2
    assert capsys.readouterr().err == f"error: --quarantine: {missing} does not exist\n"
    assert cli_main(["review", "deny", "--quarantine", str(missing), "--key", "a.csv", "--reviewer", "x"]) == 2
    assert f"--quarantine: {missing} does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli_main(["review", "list", "--quarantine", str(tmp_path / "empty")]) == 0
    assert capsys.readouterr().out == "quarantine is empty\n"


# --- all inputs quarantined, damaged compressed objects ------------------------------------------------


def _gzip_cases() -> dict[str, bytes]:
    body = ("id,ssn\n" + "".join(f"{i},{SSN}\n" for i in range(2000))).encode()
    whole = gzip.compress(body, mtime=0)
    corrupt = bytearray(whole)
    corrupt[len(whole) // 2] ^= 0xFF
    return {"head.csv.gz": whole[:12], "half.csv.gz": whole[: len(whole) // 2], "no_trailer.csv.gz": whole[:-4],
            "corrupt.csv.gz": bytes(corrupt)}


def test_damaged_gzip_objects_are_named_by_their_codec_problem_and_counted_as_unknown(tmp_path):
    plans = []
    for name, data in _gzip_cases().items():
        path = tmp_path / name
        path.write_bytes(data)
        plans.append(ObjectPlan(info=sio.ObjectInfo(sio.Location("file", "", str(path)), len(data)), key=name,
                                fmt="csv", action="quarantine", reason="status_skipped", detail="d"))
    _name_damaged_streams(plans, None)
    got = {p.key: (p.reason, p.detail) for p in plans}
    for name in ("head.csv.gz", "half.csv.gz", "no_trailer.csv.gz"):
        assert got[name] == ("damaged_compressed_object", "cannot be read as gzip (the stream is truncated); rows "
                                                          "unknown; first quarantined as status_skipped")
    assert got["corrupt.csv.gz"][0] == "damaged_compressed_object"
    assert got["corrupt.csv.gz"][1].startswith("cannot be read as gzip (corrupt data within the first")


def _stale_results(tmp_path, raw, keys_and_etags: dict[str, str | None]) -> str:
    results = []
    for key, etag in keys_and_etags.items():
        path = raw / key
        status = {"status": "SKIPPED", "reason": "UNSUPPORTED_FILE_TYPE"} if key.endswith(".gz") else {
            "status": "COMPLETE", "reason": None}
        results.append((macie.ObjectRef("raw-bucket", key, etag=etag or _md5(path), size=os.path.getsize(path)), [],
                        status))
    loc = tmp_path / "results"
    macie.write_results(sio.parse_location(str(loc), "r"), results, account="111122223333", region="eu-west-1",
                        job_id="0123456789abcdef0123456789abcdef")
    return str(loc)


def test_a_run_whose_inputs_are_all_quarantined_has_its_own_status_summary_alert_and_exit(spark, tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "changed.csv").write_text(f"id,ssn,email\n1,{SSN},{EMAIL}\n2,{SSN},{EMAIL}\n")
    (raw / "nores.csv").write_text(f"id,card\n1,{CARD}\n")
    (raw / "cut.csv.gz").write_bytes(_gzip_cases()["half.csv.gz"])
    results = _stale_results(tmp_path, raw, {"changed.csv": "f" * 32, "cut.csv.gz": None})
    args = {"source_bucket": str(raw), "results_bucket": results, "target_bucket": str(tmp_path / "masked"),
            "quarantine_bucket": str(tmp_path / "q"), "summary_location": str(tmp_path / "mask.json"),
            "audit_file": str(tmp_path / "audit.jsonl")}
    with pytest.raises(AllInputsQuarantinedError) as info:
        execute(local_runtime("macie_masking", args, spark, run_id="aq1"), __import__(
            "secure_transform.masking", fromlist=["run_macie_masking"]).run_macie_masking)
    message = str(info.value)
    assert info.value.exit_code == 5 and "all 3 input object(s) were quarantined" in message
    for part in ("changed.csv: etag_mismatch", "nores.csv: no_discovery_result", "cut.csv.gz: damaged_compressed_object",
                 "secure-transform review list --quarantine"):
        assert part in message
    assert "--source_bucket" not in message
    summary = json.loads((tmp_path / "mask.json").read_text())
    assert summary["status"] == "all_inputs_quarantined" and summary["objects_with_unknown_rows"] == 1
    assert summary["rows_in"] == summary["rows_quarantined"] == 3 and summary["rows_out"] == 0  # 2 + 1 known rows
    assert summary["records_unknown"] == ["cut.csv.gz"]
    cut = next(q for q in summary["quarantined"] if q["object"] == "cut.csv.gz")
    assert cut["records"] is None and "cannot be read as gzip (the stream is truncated)" in cut["detail"]
    alert = summary["notifications"][0]
    assert alert["subject"].startswith("secure-transform: all 3 input object(s) quarantined")
    assert alert["message"]["status"] == "all_inputs_quarantined"
    assert not [f for f in (tmp_path / "masked").rglob("*") if f.is_file()]
    _no_planted(message, json.dumps(summary), _files_text(tmp_path / "masked"))
    # the CLI says the same and exits non-zero; approving any of them is refused
    code = cli_main(["mask", "--input", str(raw), "--results", results, "--output", str(tmp_path / "m2"),
                     "--quarantine", str(tmp_path / "q2"), "--summary", str(tmp_path / "m2.json")])
    out, err = capsys.readouterr()
    assert code == 5 and "error: mask: all 3 input object(s) were quarantined" in err
    assert "1 object(s) with unknown row counts" in out
    assert json.loads((tmp_path / "m2.json").read_text())["status"] == "all_inputs_quarantined"
    _no_planted(out, err)
    for key in ("changed.csv", "nores.csv", "cut.csv.gz"):
        assert cli_main(["review", "approve", "--quarantine", str(tmp_path / "q"), "--key", key, "--masked",
                         str(tmp_path / "masked"), "--reviewer", "ops"]) == 2
        assert "quarantined before masking" in capsys.readouterr().err


# --- main_etl: header-only input, duplicate header, format_preserving fallbacks ---------------------------

HEADER = "transaction_id,customer_id,card_number,merchant_category_code,amount,currency,transaction_ts\n"


def _etl_args(root, pii: dict, **over) -> dict:
    args = {"source_bucket": str(root / "masked"), "target_bucket": str(root / "transformed"),
            "quarantine_bucket": str(root / "quarantine"), "artifacts_location": str(root / "artifacts"),
            "pii_columns": json.dumps(pii), "binning_config": json.dumps(default_binning_config()),
            "merchant_mapping": default_mapping_path(), "anomaly_threshold": "0.1",
            "anomaly_config": json.dumps({"n_estimators": 5, "sample_size": 64}),
            "key_file": str(root / "keys.json"), "summary_location": str(root / "etl.json"), "incremental": "false"}
    args.update(over)
    return args


def _rows(n: int, card=lambda i: CARD) -> str:
    return "".join(f"T{i},C{i % 3},{card(i)},5411,{10 + i}.50,USD,2026-01-0{1 + i % 5}T10:00:00Z\n" for i in range(n))


PII_CARD = {"customer_id": "deterministic", "card_number": {"method": "format_preserving", "preserve_prefix": 6}}


def test_a_header_only_input_is_a_valid_run_of_zero_rows(spark, tmp_path):
    (tmp_path / "masked").mkdir()
    (tmp_path / "masked" / "only_header.csv").write_text(HEADER)
    create_dev_keyset(tmp_path / "keys.json")
    summary = execute(local_runtime("main_etl", _etl_args(tmp_path, PII_CARD), spark, run_id="h0"), run_main_etl)
    assert (summary["rows_in"], summary["rows_out"], summary["rows_quarantined"]) == (0, 0, 0)
    assert summary["empty_input"] == {
        "binning": "no rows to fit and no saved bin edges: binning skipped, nothing saved",
        "anomaly": "no rows to fit and no saved anomaly model: scoring skipped, nothing saved"}
    assert summary["bin_edges_version"] is None and not (tmp_path / "artifacts" / "bin_edges").exists()
    out = spark.read.parquet(summary["output"])
    assert out.count() == 0 and {"amount_bin", "anomaly_score", "is_anomaly"} <= set(out.columns)
    from secure_transform.leak import run_leak_check

    leak = execute(local_runtime("leak_check", {"source_bucket": str(tmp_path / "transformed"),
                                                "quarantine_bucket": str(tmp_path / "quarantine"),
                                                "audit_file": str(tmp_path / "audit.jsonl")}, spark, run_id="h0"),
                   run_leak_check)
    assert leak["leak_findings"] == 0 and (tmp_path / "transformed" / "runs" / "run_id=h0" / "_PUBLISHED").exists()
    # with artifacts saved by an earlier fit, a 0-row run reuses them
    (tmp_path / "masked" / "only_header.csv").unlink()
    (tmp_path / "masked" / "rows.csv").write_text(HEADER + _rows(40))
    fitted = execute(local_runtime("main_etl", _etl_args(tmp_path, PII_CARD), spark, run_id="h1"), run_main_etl)
    assert fitted["rows_out"] == 40 and fitted["key_check_values"] == {"v1": load_keyset(
        key_file=str(tmp_path / "keys.json")).check_value("v1")}
    manifest = json.loads((tmp_path / "transformed" / "runs" / "run_id=h1" / "_manifest.json").read_text())
    assert manifest["key_check_values"] == fitted["key_check_values"]
    (tmp_path / "masked" / "rows.csv").unlink()
    (tmp_path / "masked" / "only_header.csv").write_text("\ufeff" + HEADER.replace("\n", "\r\n"))  # BOM + CRLF
    again = execute(local_runtime("main_etl", _etl_args(tmp_path, PII_CARD), spark, run_id="h2"), run_main_etl)
    assert again["rows_in"] == 0 and again["bin_edges_version"] == fitted["bin_edges_version"]
    assert again["empty_input"]["binning"] == f"no rows to fit: the saved bin edges {fitted['bin_edges_version']} were reused"
    assert again["anomaly_model_version"] == fitted["anomaly_model_version"]


def test_a_duplicate_header_name_is_named_with_its_file(spark, tmp_path):
    (tmp_path / "masked").mkdir()
    (tmp_path / "masked" / "dup.csv").write_text(HEADER.replace("card_number", "customer_id") + _rows(3))
    create_dev_keyset(tmp_path / "keys.json")
    with pytest.raises(SchemaError, match=r"dup\.csv, column 'customer_id': appears more than once in the header"):
        execute(local_runtime("main_etl", _etl_args(tmp_path, PII_CARD), spark, run_id="d1"), run_main_etl)
    assert not (tmp_path / "transformed").exists()


def test_a_headerless_file_is_refused_without_naming_a_value_as_a_column(spark, tmp_path):
    (tmp_path / "masked").mkdir()
    (tmp_path / "masked" / "noheader.csv").write_text(f"T1,{EMAIL},{EMAIL},5411,1.00,USD,2026-01-01T10:00:00Z\n")
    create_dev_keyset(tmp_path / "keys.json")
    with pytest.raises(SchemaError, match="noheader.csv, column 'transaction_id': required column is missing") as info:
        execute(local_runtime("main_etl", _etl_args(tmp_path, PII_CARD), spark, run_id="n1"), run_main_etl)
    _no_planted(str(info.value))


def test_main_etl_refuses_or_counts_format_preserving_fallbacks(spark, tmp_path):
    (tmp_path / "masked").mkdir()
    (tmp_path / "masked" / "rows.csv").write_text(HEADER + _rows(30, card=lambda i: "n/a" if i in (3, 7) else CARD))
    create_dev_keyset(tmp_path / "keys.json")
    with pytest.raises(SchemaError, match="column 'card_number': 2 of 30 value") as info:
        execute(local_runtime("main_etl", _etl_args(tmp_path, PII_CARD), spark, run_id="f1"), run_main_etl)
    assert "on_unsupported" in str(info.value) and str(info.value).startswith("file:")
    assert "/masked/rows.csv, column 'card_number'" in str(info.value)  # the file, not only the folder
    assert not (tmp_path / "transformed" / "runs").exists()
    allowed = {**PII_CARD, "card_number": {**PII_CARD["card_number"], "on_unsupported": "tokenize"}}
    summary = execute(local_runtime("main_etl", _etl_args(tmp_path, allowed), spark, run_id="f2"), run_main_etl)
    assert summary["format_preserving_fallbacks"] == {"card_number": 2}
    assert summary["format_preserving_fallbacks_total"] == 2 and summary["rows_out"] == 30
    _no_planted(_files_text(tmp_path / "transformed"))


# --- CLI spelling, no Java stack traces -------------------------------------------------------------------


def test_errors_use_the_cli_flag_spelling(tmp_path, capsys):
    key = _key_file(tmp_path, "k.json", KEY_A)
    code = cli_main(["reidentify", "--input", str(tmp_path), "--output", str(tmp_path / "o"), "--pii-columns",
                     json.dumps({"card": "format_preserving"}), "--key-file", key, "--row-filter", "card=1"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --row-filter: column 'card' holds personal data (it is in --pii-columns)")
    assert "_" not in err.split(":")[1]
    code = cli_main(["tokenize", "--input", str(tmp_path), "--output", str(tmp_path / "o"), "--pii-columns", "{"])
    assert code == 2 and capsys.readouterr().err.startswith("error: --pii-columns: ")


def test_cli_failures_print_one_line_and_never_a_java_stack_trace(tmp_path):
    (tmp_path / "x.csv").write_text(f"transaction_id,card\nT1,{CARD}\n")
    key = _key_file(tmp_path, "k.json", KEY_A)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("SECURE_TRANSFORM_SPARK_LOG_LEVEL", None)
    base = [sys.executable, "-m", "secure_transform.cli"]
    reid = subprocess.run(base + ["reidentify", "--input", str(tmp_path / "x.csv"), "--output", str(tmp_path / "o"),
                                  "--pii-columns", json.dumps({"card": "format_preserving"}), "--key-file", key,
                                  "--row-filter", "all"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert reid.returncode == 2
    assert reid.stderr.strip().splitlines()[-1] == (f"error: --input: {tmp_path / 'x.csv'} is not Parquet; reidentify "
                                                    "reads tokenized Parquet (a `tokenize` output or a transformed zone)")
    spark_failure = subprocess.run(base + ["tokenize", "--input", str(tmp_path / "x.csv"), "--output",
                                           str(tmp_path / "t"), "--format", "parquet", "--pii-columns",
                                           json.dumps({"card": "hash"})], capture_output=True, text=True, env=env,
                                   cwd=tmp_path)
    assert spark_failure.returncode == 2
    assert "\tat " not in spark_failure.stderr and "Exception" not in spark_failure.stderr
    assert spark_failure.stderr.strip().splitlines()[-1] == f"error: file:{tmp_path / 'x.csv'} is not a Parquet file"
    _no_planted(reid.stdout, reid.stderr, spark_failure.stdout, spark_failure.stderr)


# --- 5. detect on empty input ----------------------------------------------------------------------


def test_detect_on_an_empty_or_header_only_input_says_so_and_fails_unless_allowed(spark, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.csv").write_bytes(b"")
    (folder / "header.csv").write_text("id,email\n")
    code = cli_main(["detect", "--input", str(folder), "--output", str(tmp_path / "r1")])
    out, err = capsys.readouterr()
    assert code == 2 and "no records to scan: nothing was checked for personal data" in out
    assert "no sensitive data found" not in out
    assert err.strip().endswith("has no records to scan (2 object(s), all empty or header-only), so nothing was "
                                "checked for personal data; pass --allow-empty if an empty input is expected")
    assert cli_main(["detect", "--input", str(folder), "--output", str(tmp_path / "r2"), "--allow-empty"]) == 0
    capsys.readouterr()
    (tmp_path / "none").mkdir()
    assert cli_main(["detect", "--input", str(tmp_path / "none"), "--output", str(tmp_path / "r3")]) == 2
    assert "(0 object(s)" in capsys.readouterr().err


# --- one bad line must not cost a file ------------------------------------------------------------------

ADV_HEADER = ["transaction_id", "customer_id", "email", "card_number", "merchant_category_code", "amount", "currency",
              "transaction_ts", "memo"]


def _adversarial(sep: str, n_good: int = 118) -> tuple[bytes, dict]:
    """BOM, CRLF, quoted separators, records spanning lines, and three malformed lines (values planted)."""
    def line(i: int, memo: str = "ok", email: str | None = None) -> str:
        return sep.join([f"T{i:03d}", f"C{i % 5}", email or f"user{i}@example.com", CARD, "5411", f"{10 + i}.25",
                         "USD", f"2026-01-0{1 + i % 5}T10:00:00Z", memo])

    lines = [sep.join(ADV_HEADER)]
    expected = {}
    for i in range(n_good):
        lines.append(line(i, memo='"quoted, with separator"' if i % 10 == 0 else "ok"))
        if i == 20:
            lines.append(line(900, email=EMAIL) + sep + "EXTRA")  # too many fields
            expected["too_many"] = len(lines)
        if i == 40:
            lines.append(sep.join(["T901", "C1", EMAIL]))  # too few fields
            expected["too_few"] = len(lines)
        if i == 60:
            lines.append(line(902, memo=f'"unclosed {SSN}'))  # unbalanced quote
            expected["unbalanced"] = len(lines)
        if i == 80:
            lines.append(line(903, memo=f'"first line\r\nsecond line {SSN}"'))  # a record spanning 2 lines
            expected["multi2"] = len(lines) - 0
        if i == 100:
            lines.append(line(904, memo='"a\r\nb\r\nc"'))  # spanning 3 lines
            expected["multi3"] = len(lines)
    text = "\r\n".join(lines) + "\r\n"
    # physical line numbers of the records spanning lines (each joined item above holds CRLFs)
    physical, starts = 0, []
    for item in lines:
        starts.append(physical + 1)
        physical += item.count("\r\n") + 1
    where = {k: starts[v - 1] for k, v in expected.items()}
    return b"\xef\xbb\xbf" + text.encode("utf-8"), where


@pytest.mark.parametrize("sep, ext", [(",", "csv"), ("\t", "tsv")])
def test_malformed_lines_become_quarantined_rows_and_the_rest_of_the_object_is_processed(spark, tmp_path, sep, ext):
    from secure_transform.detection import detect_objects
    from secure_transform.masking import mask_objects

    raw = tmp_path / "raw"
    raw.mkdir()
    body, where = _adversarial(sep)
    (raw / f"day.{ext}").write_bytes(body)
    detected = detect_objects(spark, sio.parse_location(str(raw), "i"), sio.parse_location(str(tmp_path / "r"), "o"))
    assert detected["objects_skipped"] == {} and detected["records"] == 118 + 5  # records, not 126 lines
    outcome = mask_objects(spark, sio.parse_location(str(raw), "i"), sio.parse_location(str(tmp_path / "r"), "r"),
                           sio.parse_location(str(tmp_path / "masked"), "m"), sio.parse_location(str(tmp_path / "q"), "q"),
                           run_id="adv")
    summary = outcome.summary()
    assert summary["objects_quarantined"] == 0 and summary["objects_masked"] == 1
    # records, not lines: the two records spanning lines are masked and kept, the three malformed lines are rows
    assert (summary["rows_in"], summary["rows_out"], summary["rows_quarantined"]) == (123, 120, 3)
    got = {(m["line"], m["lines"], m["reason"]) for m in summary["malformed_records"]}
    assert got == {(where["too_many"], 1, "malformed_record"), (where["too_few"], 1, "malformed_record"),
                   (where["unbalanced"], 1, "malformed_record")}
    assert summary["records_spanning_lines"] == 2
    rows = [json.loads(x) for x in (tmp_path / "q" / "records" / "run_id=adv" / "macie_masking.jsonl").read_text()
            .splitlines()]
    assert {(r["line_number"], r["reject_reason"]) for r in rows} == {(a, c) for a, _, c in got}
    assert all(len(r["raw_record_sha256"]) == 64 and r["raw_record_chars"] > 0 and r["object"] == f"day.{ext}"
               for r in rows)
    masked = (tmp_path / "masked" / f"day.{ext}").read_bytes()
    # header + good records (two spanning 2 and 3 lines), CRLF kept; Hadoop's line reader drops the UTF-8 BOM
    assert masked.startswith(b"transaction_id") and masked.count(b"\r\n") == 119 + 2 + 3
    _no_planted(masked.decode("utf-8"), json.dumps(summary), _files_text(tmp_path / "q" / "records"))
    # main_etl reads the masked object: every good record, none of the taken-out ones
    (tmp_path / "keys.json").parent.mkdir(exist_ok=True)
    create_dev_keyset(tmp_path / "keys.json")
    pii = {"customer_id": "deterministic", "email": "hash", "card_number": "hash", "memo": "drop"}
    args = _etl_args(tmp_path, pii)
    etl = execute(local_runtime("main_etl", args, spark, run_id="adv"), run_main_etl)
    assert etl["rows_in"] == summary["rows_out"] == 120 and etl["rows_out"] + etl["rows_quarantined"] == 120
    assert etl["rows_out"] == 120, etl["reject_reasons"]
    _no_planted(_files_text(tmp_path / "transformed"), _files_text(tmp_path / "masked"))


def test_a_pass_through_object_keeps_its_record_spanning_lines_and_loses_only_the_malformed_line(spark, tmp_path):
    from secure_transform.detection import detect_objects
    from secure_transform.masking import mask_objects

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "notes.csv").write_text('id,memo\n1,plain\n2,"two\nlines"\n3,"unbalanced\n4,end\n\n')
    detect_objects(spark, sio.parse_location(str(raw), "i"), sio.parse_location(str(tmp_path / "r"), "o"))
    s = mask_objects(spark, sio.parse_location(str(raw), "i"), sio.parse_location(str(tmp_path / "r"), "r"),
                     sio.parse_location(str(tmp_path / "m"), "m"), sio.parse_location(str(tmp_path / "q"), "q"),
                     run_id="p1").summary()
    assert (s["rows_in"], s["rows_out"], s["rows_quarantined"]) == (4, 3, 1)
    assert [(m["line"], m["reason"]) for m in s["malformed_records"]] == [(5, "malformed_record")]
    assert (tmp_path / "m" / "notes.csv").read_text() == 'id,memo\n1,plain\n2,"two\nlines"\n4,end\n\n'
    assert json.loads((tmp_path / "m" / "_multiline_records" / "notes.csv.json").read_text())["records"] == 3


def test_a_macie_occurrence_past_the_end_of_the_file_quarantines_the_object_with_its_reason(spark, tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "short.csv").write_text(f"id,amount,ssn\n1,2.50,{SSN}\n")
    det = macie.Detection("USA_SOCIAL_SECURITY_NUMBER", 1, (macie.Occurrence("cells", row=9, column=2,
                                                                            column_name="amount"),),
                          category="PERSONAL_INFORMATION")
    macie.write_results(sio.parse_location(str(tmp_path / "r"), "r"), [
        (macie.ObjectRef("raw", "short.csv", etag=_md5(raw / "short.csv"), size=os.path.getsize(raw / "short.csv")),
         [det], {"status": "COMPLETE", "reason": None})], account="111122223333", region="eu-west-1",
        job_id="0123456789abcdef0123456789abcdef")
    code = cli_main(["mask", "--input", str(raw), "--results", str(tmp_path / "r"), "--output", str(tmp_path / "m"),
                     "--quarantine", str(tmp_path / "q")])
    out, err = capsys.readouterr()
    assert code == 5 and "short.csv: occurrence_out_of_range" in err and "--source_bucket" not in err
    assert not (tmp_path / "m" / "short.csv").exists()
    _no_planted(out, err)


def test_the_local_run_ends_all_inputs_quarantined_with_summary_report_and_exit_5(spark, tmp_path):
    from secure_transform.localrun import LocalRunConfig, run_local_pipeline

    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "other.csv").write_text("id\n1\n")
    results = _stale_results(tmp_path, stale, {"other.csv": None})  # results, but none for the run's objects
    cfg = LocalRunConfig(output=str(tmp_path / "run"), rows=1000, extra_args={"macie_masking": {"results_bucket": results}})
    with pytest.raises(AllInputsQuarantinedError) as info:
        run_local_pipeline(cfg, spark=spark, log=lambda m: None)
    assert info.value.exit_code == 5 and ": no_discovery_result" in str(info.value)
    summary = json.loads((tmp_path / "run" / "run_summary.json").read_text())
    assert summary["status"] == "all_inputs_quarantined" and summary["published"] is False
    assert summary["rows_in"] == summary["rows_quarantined"] == 1000 and summary["rows_out"] == 0
    assert summary["quarantined_objects"] and {q["reason"] for q in summary["quarantined_objects"]} == {
        "no_discovery_result"}
    assert summary["notifications"][0]["message"]["status"] == "all_inputs_quarantined"
    report = (tmp_path / "run" / "report.html").read_text()
    assert "Run status: all_inputs_quarantined" in report
    assert not (tmp_path / "run" / "transformed" / "runs").exists()


@pytest.mark.parametrize("name, shown", [
    ("amount", "'amount'"), ("Transaction ID", "'Transaction ID'"), ("merchant-name", "'merchant-name'"),
    ("zelda.quixotewicz.77@example.org", None), ("4556737586899855", None), ("GB82 WEST 1234 5698 7654 32", None),
    ("col.with.dots", None)])
def test_schema_errors_withhold_column_names_that_look_like_data(name, shown):
    message = str(SchemaError("s3://b/in/a.csv", name, "appears more than once in the header"))
    if shown is not None:
        assert message == f"s3://b/in/a.csv, column {shown}: appears more than once in the header"
    else:
        assert name not in message and "name withheld" in message and f"{len(name)} characters" in message

