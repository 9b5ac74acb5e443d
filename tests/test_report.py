"""The run report: every section present, images embedded, no raw PII, robust to missing pieces."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from datetime import datetime, timedelta

import pytest

from secure_transform.report import SECTIONS, render_report, write_report

# matplotlib 3.9's mathtext (log-axis tick labels) calls deprecated pyparsing names.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

RUN_ID = "20261101T000000Z"
# Raw personal data planted where a careless report would show it.
PLANTED = ("alice.planted@example.com", "4111111111111111", "555 867 5309", "bob.raw@example.org",
           "carol@example.net", "123-45-6789")
SCRIPT = "<script>alert(1)</script>"
EDGES = {"format": "secure-transform-bin-edges", "format_version": 1, "method": "percentile",
         "version": "sha256:00112233aabbccdd", "labels": ["small", "medium", "large", "extreme"],
         "edges": {"global": [0.0, 10.0, 50.0, 200.0, 1e9], "per_currency": {}}}
MODEL = {"format": "secure-transform-anomaly-model", "model_id": "0a1b2c3d4e5f6789", "threshold": 0.62,
         "features": ["amount_bin", "merchant_risk", "time_delta", "velocity"], "config": {"contamination": 0.05}}


def _token(i: int) -> str:
    return hashlib.sha256(f"customer-{i % 17}".encode()).hexdigest()


def _rows():
    start = datetime(2026, 11, 1)
    categories = [("Grocery", "low", 0.1), ("Restaurants", "low", 0.1), ("Fuel", "medium", 0.5),
                  ("Gambling", "high", 0.9), ("Wire transfer", "high", 0.9)]
    rows = []
    for i in range(240):
        amount = round(10 ** (0.3 + (i * 37 % 100) / 40), 2)
        b = 0 if amount < 10 else 1 if amount < 50 else 2 if amount < 200 else 3
        cat, level, risk = categories[i % len(categories)]
        score = round(0.35 + (i * 7 % 100) / 300, 4)
        flagged = score > 0.62
        rows.append({
            "transaction_id": f"T{i:012d}", "customer_id": _token(i),
            "transaction_ts": start + timedelta(hours=i % 72, minutes=i % 60), "amount": amount, "currency": "USD",
            "amount_bin": b, "amount_bin_label": EDGES["labels"][b], "merchant_category": cat,
            "merchant_risk_level": level, "merchant_risk": risk, "anomaly_score": score, "is_anomaly": flagged,
            "anomaly_reasons": ["amount_bin high", "velocity high"] if flagged else None,
            "time_delta": float(i * 60), "velocity": i % 5 + 1,
            # columns a transformed output must not have; the report must not read them
            "email": "alice.planted@example.com", "memo": "card 4111111111111111 call 555 867 5309",
            "ssn": "123-45-6789",
        })
    # the top-scoring flagged rows carry leaked-looking or hostile values in allowed columns
    rows[0].update(anomaly_score=0.99, is_anomaly=True, customer_id="bob.raw@example.org",
                   anomaly_reasons=["amount_bin high"])
    rows[1].update(anomaly_score=0.98, is_anomaly=True, merchant_category="carol@example.net",
                   anomaly_reasons=["merchant_risk high"])
    rows[2].update(anomaly_score=0.97, is_anomaly=True, merchant_category=SCRIPT, anomaly_reasons=[SCRIPT])
    return rows


SCHEMA = ("transaction_id string, customer_id string, transaction_ts timestamp, amount double, currency string, "
          "amount_bin int, amount_bin_label string, merchant_category string, merchant_risk_level string, "
          "merchant_risk double, anomaly_score double, is_anomaly boolean, anomaly_reasons array<string>, "
          "time_delta double, velocity bigint, email string, memo string, ssn string")


def _summary(rows, *, leak_findings=0, published=True):
    flagged = sum(r["is_anomaly"] for r in rows)
    etl = {"job": "main_etl", "run_id": RUN_ID, "rows_in": len(rows) + 3, "rows_out": len(rows), "rows_quarantined": 3,
           "anomalies_flagged": flagged, "anomaly_rate": flagged / len(rows), "seconds": 12.5,
           "reject_reasons": {"duplicate_transaction_id": 2, "invalid_amount": 1},
           "bin_edges_version": EDGES["version"], "anomaly_model_version": MODEL["model_id"],
           "pii_columns_protected": ["customer_id", "email", "card_number"], "config_hash": "c" * 64,
           "stages": [{"name": "validate", "seconds": 1.2, "rows_in": len(rows) + 3, "rows_out": len(rows),
                       "rows_quarantined": 3},
                      {"name": "anomaly", "seconds": 6.0, "rows_in": len(rows), "rows_out": len(rows),
                       "rows_quarantined": 0}]}
    mask = {"job": "macie_masking", "run_id": RUN_ID, "rows_in": len(rows) + 3, "rows_out": len(rows) + 3,
            "rows_quarantined": 0, "findings_masked": 41, "findings_by_type": {"EMAIL_ADDRESS": 30, "CREDIT_CARD_NUMBER": 11},
            "seconds": 4.0}
    leak = {"job": "leak_check", "run_id": RUN_ID, "rows_in": len(rows), "rows_out": len(rows) if not leak_findings else 0,
            "rows_quarantined": leak_findings and len(rows), "leak_findings": leak_findings, "published": published,
            "seconds": 3.0}
    rows_out = 0 if leak_findings else len(rows)
    return {"rows_in": len(rows) + 3, "rows_out": rows_out, "rows_quarantined": len(rows) + 3 - rows_out,
            "anomalies_flagged": flagged, "anomaly_rate": flagged / len(rows), "leak_findings": leak_findings,
            "published": published, "pii_columns_protected": etl["pii_columns_protected"],
            "reject_reasons": etl["reject_reasons"], "seconds": 20.0,
            "stages": [{"name": j, "seconds": s["seconds"], "rows_in": s["rows_in"], "rows_out": s["rows_out"],
                        "rows_quarantined": s["rows_quarantined"]} for j, s in (("macie_masking", mask),
                                                                                ("main_etl", etl), ("leak_check", leak))],
            "jobs": {"macie_masking": mask, "main_etl": etl, "leak_check": leak}}


@pytest.fixture(scope="module")
def published_run(spark, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "local_run"
    rows = _rows()
    run_dir = out / "transformed" / "runs" / f"run_id={RUN_ID}"
    df = spark.createDataFrame([tuple(r[c.split()[0]] for c in SCHEMA.split(", ")) for r in rows], SCHEMA)
    (df.withColumn("transaction_date", df.transaction_ts.cast("date")).coalesce(1)
     .write.partitionBy("transaction_date").parquet(str(run_dir / "data")))
    (run_dir / "_PUBLISHED").write_text("{}")
    (out / "artifacts" / "bin_edges").mkdir(parents=True)
    (out / "artifacts" / "bin_edges" / "current.json").write_text(json.dumps(EDGES))
    (out / "artifacts" / "anomaly_model" / "current").mkdir(parents=True)
    (out / "artifacts" / "anomaly_model" / "current" / "model.json").write_text(json.dumps(MODEL))
    return out, rows


def _sections(page: str) -> dict[str, str]:
    found = dict(re.findall(r'<section id="([a-z-]+)">(.*?)</section>', page, flags=re.S))
    assert list(found) == [sid for sid, _ in SECTIONS]
    return found


def _images(fragment: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', fragment)]


@pytest.fixture(scope="module")
def published_page(spark, published_run):
    out, rows = published_run
    path = write_report(str(out), _summary(rows), spark)  # rendered once for the tests below
    assert path == os.path.join(str(out), "report.html")
    with open(path, encoding="utf-8") as fh:
        return fh.read(), rows


def test_report_has_every_section_with_figures_and_no_raw_pii(published_page):
    page, _rows_written = published_page
    sections = _sections(page)
    for sid, title in SECTIONS:
        assert f"<h2>{title}</h2>" in sections[sid] or title in page
    # one PNG per figure section, each a real PNG
    for sid in ("row-accounting", "masking-leak-check", "amount-distribution", "rows-per-bin", "merchant-categories",
                "anomaly-scores", "flagged-over-time"):
        images = _images(sections[sid])
        assert images, sid
        assert all(img.startswith(b"\x89PNG\r\n\x1a\n") and len(img) > 2000 for img in images), sid
    # self-contained: no external asset, no script
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", page)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    # no raw personal data, and hostile strings are escaped
    for planted in PLANTED:
        assert planted not in page, planted
    assert "&lt;script&gt;" in page
    top = sections["top-flagged"]
    assert "[EMAIL]" in top  # the untokenized customer value and the e-mail-like category were redacted
    assert "T000000000002" in top and "T000000000001" in top
    assert _token(1)[:16] + "\u2026" in top and _token(2)[:16] in top  # tokens are shown, shortened


def test_report_figures_reflect_the_data(published_page):
    page, rows = published_page
    sections = _sections(page)
    flagged = sum(r["is_anomaly"] for r in rows)
    # rows per bin table: counts per label straight from the data
    per_bin = {label: sum(1 for r in rows if r["amount_bin_label"] == label) for label in EDGES["labels"]}
    for label, n in per_bin.items():
        assert re.search(rf"<td>{label}</td><td>{n:,}</td>", sections["rows-per-bin"]), label
    # bin edges listed; threshold and contamination from the model artifact
    assert "<td>medium</td><td>10.00</td><td>50.00</td>" in sections["amount-distribution"]
    assert "contamination 0.05" in sections["anomaly-scores"]
    # risk level table
    high = [r for r in rows if r["merchant_risk_level"] == "high"]
    assert f"<td>high</td><td>{len(high):,}</td><td>{sum(r['is_anomaly'] for r in high):,}</td>" in sections[
        "merchant-categories"]
    # time line, overview, masking and leak check
    assert f"{flagged:,} flagged transaction(s)" in sections["flagged-over-time"]
    assert "<b>Published</b>" in sections["summary"] and ">balanced<" in sections["summary"]
    assert "c" * 16 + "\u2026" in sections["run-details"]  # the config hash, shortened, not redacted
    assert "no personal data found" in sections["masking-leak-check"]
    # human labels, never raw dotted keys; the raw table is folded away
    masking = sections["masking-leak-check"]
    assert "<td>Findings masked</td><td>41</td>" in masking and "findings_masked" not in masking
    assert "<td>Findings by type</td><td>Email address</td><td>30</td>" in masking
    assert "<details><summary>Macie masking: every figure the job reported</summary>" in masking
    assert "<td>duplicate_transaction_id</td><td>2</td>" in sections["row-accounting"]
    # top table ordered by score: the 0.99 row first
    top = sections["top-flagged"]
    assert top.index("T000000000000") < top.index("T000000000001") < top.index("T000000000002")
    assert "amount_bin high" in top and "velocity" in top


def test_quarantined_run_shows_aggregates_but_no_rows(spark, published_run, tmp_path):
    src, rows = published_run
    out = tmp_path / "run"
    shutil.copytree(src / "artifacts", out / "artifacts")
    shutil.copytree(src / "transformed" / "runs" / f"run_id={RUN_ID}" / "data",
                    out / "quarantine" / "transformed" / f"run_id={RUN_ID}" / "data")
    page = open(write_report(str(out), _summary(rows, leak_findings=2, published=False), spark)).read()
    sections = _sections(page)
    assert "<b>Quarantined</b>" in sections["summary"] and "leak check found personal data" in sections["summary"]
    assert "2 finding(s); the run was quarantined" in sections["masking-leak-check"]
    assert "Not shown: the leak check quarantined this run" in sections["top-flagged"]
    assert _images(sections["amount-distribution"]) and _images(sections["anomaly-scores"])
    assert not re.search(r"T\d{12}", page)  # no transaction-level data at all
    for planted in PLANTED:
        assert planted not in page


def test_missing_pieces_leave_every_section_with_a_note(tmp_path):
    page = open(write_report(str(tmp_path), {"rows_in": 0, "rows_out": 0, "rows_quarantined": 0})).read()
    sections = _sections(page)
    for sid in ("amount-distribution", "rows-per-bin", "merchant-categories", "anomaly-scores", "flagged-over-time",
                "top-flagged"):
        assert "No data for this run." in sections[sid], sid
    assert "The leak check did not run" in sections["masking-leak-check"]
    assert "No transformed data was found" in sections["summary"]
    assert "no labels" in sections["summary"]  # no evaluation: said, not left blank


# ------------------------------------------------------------------ the first screen (issue 21)

JOB_ID = "837e4d5404ee2602cbb3a092579b494d"
RESULTS = f"/data/run/macie-results/AWSLogs/123456789012/Macie/local/{JOB_ID}"


def _first_screen_summary(rows, **extra):
    s = _summary(rows)
    s["anomaly_evaluation"] = {"rows_evaluated": 240, "positives": 12, "flagged": 20, "true_positives": 9,
                               "flagged_rate": 20 / 240, "precision_at_flagged_rate": 0.45,
                               "recall_at_flagged_rate": 0.75, "roc_auc": 0.9312}
    s["jobs"]["detect_pii"] = {"job": "detect_pii", "rows_in": 243, "rows_out": 243, "rows_quarantined": 0,
                               "job_id": JOB_ID, "results_location": RESULTS,
                               # a path holding personal data is still redacted
                               "source_path": "/home/alice.planted@example.com/4111111111111111/x.csv",
                               "detections_by_type": {"ADDRESS": 7, "EMAIL_ADDRESS": 3}}
    s.update(extra)
    return s


def test_summary_leads_with_status_rows_quality_and_leak(spark, published_run):
    out, rows = published_run
    page = render_report(str(out), _first_screen_summary(rows), spark)
    sections = _sections(page)
    assert list(sections)[0] == "summary"
    first = sections["summary"]
    assert "<b>Published</b>" in first
    for figure in (">243<", ">240<", ">3<", ">balanced<", ">0.931<", ">45.0 %<", ">75.0 %<", ">clean<"):
        assert figure in first, figure
    # the quarantined tile names its reasons in words
    assert "Duplicate transaction id: 2" in first
    # absent optional figures leave no tile and no error
    assert "Re-identification risk" not in first and "could not be produced" not in page


def test_summary_renders_optional_figures_generically(spark, published_run):
    out, rows = published_run
    summary = _first_screen_summary(rows, risk={"status": "passed", "min_k": 5, "k": 11, "quasi_identifiers":
                                                ["amount_bin", "merchant_category"]},
                                    redaction={"EMAIL_ADDRESS": 30, "CREDIT_CARD_NUMBER": 11})
    summary["jobs"]["main_etl"]["fpe_fallbacks"] = {"card_number": 2, "account_number": 0}
    first = _sections(render_report(str(out), summary, spark))["summary"]
    assert "Re-identification risk" in first and ">passed<" in first and "Minimum k: <b>5</b>" in first
    assert "Redaction" in first and "41 <span" in first and "Credit card number: <b>11</b>" in first
    assert "Format-preserving fallbacks (main_etl)" in first and "card_number: <b>2</b>" in first
    assert 'class="tile alert"' in first  # a fallback is not a success
    # odd shapes (a bare number, a list, nested maps) are tolerated
    odd = _first_screen_summary(rows, risk=7, redaction=[1, 2], fpe_fallbacks={"a": {"b": {"c": {"d": 1}}}})
    assert "could not be produced" not in render_report(str(out), odd, spark)


def test_one_tile_per_figure_when_a_headline_and_the_full_figures_both_exist(spark, published_run):
    out, rows = published_run
    summary = _first_screen_summary(rows, risk={"passed": True, "k": 5, "min_k": 5})
    summary["reidentification_risk"] = {"passed": True, "k": 5, "before_suppression": {"k": 1, "classes": 3}}
    summary["jobs"]["main_etl"]["placeholders_by_type"] = {"PERSON": 4, "EMAIL_ADDRESS": 2}
    first = _sections(render_report(str(out), summary, spark))["summary"]
    assert first.count("Re-identification risk") == 1 and "Before suppression" not in first
    assert first.count("Placeholders by type") == 1 and "6 <span" in first


def test_pipeline_identifiers_are_shown_and_personal_data_in_them_is_not(spark, published_run):
    out, rows = published_run
    page = render_report(str(out), _first_screen_summary(rows), spark)
    masking = _sections(page)["masking-leak-check"]
    assert f"<td>Job id</td><td>{JOB_ID}</td>" in masking  # not [HEX]
    assert RESULTS in masking  # the Macie layout's account id and job id stay readable
    assert "[SECRET]" not in masking and "[HEX]" not in masking
    assert "alice.planted@example.com" not in page and "4111111111111111" not in page
    assert "/home/[EMAIL]/[NUMBER]/x.csv" in masking
    assert "<td>Detections by type</td><td>Address</td><td>7</td>" in masking


def test_raw_tables_fold_away_and_wide_tables_scroll(published_page):
    page, _rows = published_page
    sections = _sections(page)
    assert "<details><summary>Per-stage table" in sections["row-accounting"]
    assert "<details><summary>Bin edges table</summary>" in sections["amount-distribution"]
    assert '<div class="scroll"><table class="rows">' in sections["top-flagged"]
    assert "overflow-x:auto" in page


def test_identifier_text_keeps_ids_and_redacts_personal_data():
    from secure_transform.report_html import identifier_text, is_identifier_key, label

    assert identifier_text(JOB_ID) == JOB_ID
    assert identifier_text("s3://results/macie-" + "a" * 48) == "s3://results/macie-" + "a" * 48
    assert identifier_text("run bob.raw@example.org 123-45-6789") == "run [EMAIL] [SSN]"
    assert identifier_text("/x/AWSLogs/123456789012/Macie/4111111111111111") == "/x/AWSLogs/123456789012/Macie/[NUMBER]"
    assert is_identifier_key("job_id") and is_identifier_key("results_location") and is_identifier_key("output")
    assert not is_identifier_key("key_id") and not is_identifier_key("secret_path") and not is_identifier_key("memo")
    assert label("detections_by_type.EMAIL_ADDRESS") == "Detections by type: email address"
    assert label("cells_deferred_to_tokenization_by_column.card_number") == (
        "Cells deferred to tokenization by column: card_number")
    assert label("roc_auc") == "ROC-AUC" and label("pii_columns_protected") == "Columns protected"
