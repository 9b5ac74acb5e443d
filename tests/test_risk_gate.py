"""The risk gate inside main_etl: suppress (row accounting, figures in summary and manifest),
block (the run is quarantined like a leak) and fail-closed configuration."""

from __future__ import annotations

import json
import os

import pytest

from secure_transform import io as sio
from secure_transform import publish
from secure_transform.errors import ConfigError, SchemaError
from secure_transform.generator import GeneratorConfig, write_sample_data
from secure_transform.keys import create_dev_keyset
from secure_transform.merchant import default_mapping_path
from secure_transform.pipeline import default_binning_config, default_pii_columns, default_risk_config, run_main_etl
from secure_transform.review import list_quarantine
from secure_transform.risk import ReidentificationRiskError
from secure_transform.runtime import execute, local_runtime

QIS = ["amount_bin", "merchant_category", "transaction_hour"]


@pytest.fixture(scope="module")
def masked(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("riskgate")
    write_sample_data(spark, GeneratorConfig(rows=2000, seed=5, bad_row_rate=0.01), str(root / "masked"), "csv")
    create_dev_keyset(str(root / "keys" / "dev.json"))
    return root


def _args(root, out: str, risk: dict | str | None) -> dict:
    args = {"source_bucket": str(root / "masked" / "transactions"), "target_bucket": str(root / out / "transformed"),
            "quarantine_bucket": str(root / out / "quarantine"), "artifacts_location": str(root / out / "artifacts"),
            "pii_columns": json.dumps(default_pii_columns()), "binning_config": json.dumps(default_binning_config()),
            "merchant_mapping": default_mapping_path(), "anomaly_threshold": "0.02",
            "anomaly_config": json.dumps({"n_estimators": 10, "sample_size": 1000}),
            "key_file": str(root / "keys" / "dev.json"), "incremental": "false",
            "summary_location": str(root / out / "summary.json")}
    if risk is not None:
        args["risk_config"] = risk if isinstance(risk, str) else json.dumps(risk)
    return args


@pytest.fixture(scope="module")
def suppressed_run(spark, masked):
    risk = {**default_risk_config(), "quasi_identifiers": QIS, "min_k": 3}
    rt = local_runtime("main_etl", _args(masked, "suppress", risk), spark, run_id="s1")
    return execute(rt, run_main_etl)


def test_suppress_keeps_every_row_accounted_for(suppressed_run, spark):
    s = suppressed_run
    fig = s["reidentification_risk"]
    suppressed = fig["rows_suppressed"].get("k_anonymity", 0)
    assert suppressed > 0 and s["reject_reasons"]["k_anonymity"] == suppressed
    assert s["rows_in"] == 2000 == s["rows_out"] + s["rows_quarantined"]
    risk_rows = spark.read.parquet(fig["quarantine"])
    assert risk_rows.count() == suppressed
    assert {r["reject_reason"] for r in risk_rows.select("reject_reason").distinct().collect()} == {"k_anonymity"}  # 1 row
    # the output's columns, tokenized: ssn is dropped, memo keeps only text with typed placeholders
    assert "ssn" not in risk_rows.columns and "memo" in risk_rows.columns
    published = spark.read.parquet(s["output"])
    assert set(risk_rows.columns) == set(published.columns) | {"reject_reason"}
    # the published rows satisfy the threshold; the figures before suppression show what was removed
    assert fig["k"] >= 3 and fig["passed"] and fig["rows_below_min_k"] == 0 and fig["rows"] == s["rows_out"]
    before = fig["before_suppression"]
    assert before["k"] < 3 and before["rows_below_min_k"] == suppressed and not before["passed"]
    assert before["rows"] == s["rows_out"] + suppressed
    assert sum(h["rows"] for h in before["class_size_histogram"]) == before["rows"]
    assert fig["quasi_identifiers"] == QIS and fig["sensitive_column"] == "is_anomaly" and fig["l"] >= 1
    assert [st["name"] for st in s["stages"]][-2:] == ["write", "risk"]
    # the one-screen headline the report shows
    assert s["risk"] == {"status": "passed", "k": fig["k"], "min_k": 3, "rows_below_min_k": suppressed,
                         "share_rows_below_min_k": before["share_rows_below_min_k"], "rows_suppressed": suppressed,
                         "l": fig["l"], "min_l": 1}


def test_suppress_figures_are_in_the_manifest(suppressed_run, masked):
    manifest = json.loads((masked / "suppress" / "transformed" / "runs" / "run_id=s1" / "_manifest.json").read_text())
    assert manifest["reidentification_risk"]["k"] == suppressed_run["reidentification_risk"]["k"]
    assert manifest["reidentification_risk"]["class_size_histogram"] == \
        suppressed_run["reidentification_risk"]["class_size_histogram"]
    assert manifest["counts"]["rows_quarantined"] == suppressed_run["rows_quarantined"]
    assert "risk_quarantine" in json.dumps(manifest["outputs"])


def test_report_only_records_the_figures(spark, masked):
    risk = {"quasi_identifiers": QIS, "min_k": 3, "derived_columns": ["transaction_hour"]}
    s = execute(local_runtime("main_etl", _args(masked, "report", risk), spark, run_id="r1"), run_main_etl)
    fig = s["reidentification_risk"]
    assert fig["action"] == "report" and not fig["passed"] and fig["k"] < 3 and fig["rows_below_min_k"] > 0
    assert fig["rows"] == s["rows_out"] and "k_anonymity" not in s["reject_reasons"]
    target = sio.parse_location(str(masked / "report" / "transformed"), "t")
    assert publish.pending_runs(target) == ["r1"]  # the leak check still decides publication


def test_block_quarantines_the_run_like_a_leak(spark, masked):
    risk = {"quasi_identifiers": QIS, "min_k": 3, "action": "block", "derived_columns": ["transaction_hour"]}
    rt = local_runtime("main_etl", _args(masked, "block", risk), spark, run_id="b1")
    with pytest.raises(ReidentificationRiskError, match="blocked run b1: k=1 .*nothing was published") as err:
        execute(rt, run_main_etl)
    assert err.value.exit_code == 5
    target = sio.parse_location(str(masked / "block" / "transformed"), "t")
    assert publish.pending_runs(target) == [] and publish.published_runs(target) == []
    qdir = masked / "block" / "quarantine" / "transformed" / "run_id=b1"
    reason = json.loads((qdir / "_reason.json").read_text())
    assert reason["reason"] == "reidentification_risk" and reason["k"] == 1 and reason["min_k"] == 3
    assert (qdir / "_manifest.json").exists() and not (qdir / "_SUCCESS").exists()
    summary = json.loads((masked / "block" / "summary.json").read_text())
    assert summary["rows_out"] == 0 and summary["rows_in"] == summary["rows_quarantined"] == 2000
    assert summary["risk_blocked"] is True and summary["notifications"][0]["published"] is False
    items = list_quarantine(sio.parse_location(str(masked / "block" / "quarantine"), "q"))
    run = next(i for i in items if i.kind == "run")
    assert run.reason == "reidentification_risk" and "risk gate" in run.detail


def test_suppressing_every_row_leaves_a_readable_empty_run(spark, masked):
    # every transaction id is its own class: nothing can be published, everything is accounted for
    risk = {"quasi_identifiers": ["transaction_id"], "min_k": 2, "action": "suppress"}
    s = execute(local_runtime("main_etl", _args(masked, "all", risk), spark, run_id="a1"), run_main_etl)
    assert s["rows_out"] == 0 and s["rows_in"] == s["rows_quarantined"] == 2000
    assert s["reidentification_risk"]["rows"] == 0 and s["reidentification_risk"]["passed"]
    assert s["reject_reasons"]["k_anonymity"] == s["reidentification_risk"]["before_suppression"]["rows"]
    from secure_transform.leak import leak_check
    target = sio.parse_location(str(masked / "all" / "transformed"), "t")
    checked = leak_check(spark, target, sio.parse_location(str(masked / "all" / "quarantine"), "q"))
    assert checked["runs_checked"] == ["a1"] and checked["rows_in"] == 0 and checked["leak_findings"] == 0


@pytest.mark.parametrize("risk, error, fragment", [
    ({"quasi_identifiers": ["amount_bin", "postcode"]}, SchemaError, "'postcode': is a quasi-identifier"),
    ({"quasi_identifiers": ["amount_bin"], "sensitive_column": "ssn"}, SchemaError, "'ssn': is a sensitive_column"),
    ({"quasi_identifiers": ["transaction_hour"]}, SchemaError, "'transaction_hour'"),  # not derived: not in output
    ({"quasi_identifiers": ["amount_bin"], "min_k": 1}, ConfigError, "--risk_config: min_k"),
    ('{"quasi_identifiers": ["amount_bin"], "action": "block", "action": "report"}', ConfigError, "more than once"),
])
def test_bad_risk_config_fails_before_writing_anything(spark, masked, tmp_path, risk, error, fragment):
    out = tmp_path.name
    rt = local_runtime("main_etl", _args(masked, out, risk), spark, run_id="x1")
    with pytest.raises(error, match=fragment.replace("(", r"\(")):
        execute(rt, run_main_etl)
    for zone in ("transformed", "quarantine", "artifacts", "summary.json"):  # only the audit trail of the failure
        assert not os.path.exists(masked / out / zone), f"{zone} was written by a run that must fail closed"
