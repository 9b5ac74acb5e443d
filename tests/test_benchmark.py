"""Smoke test of the benchmark harness on 10,000 rows (timing is recorded, never asserted)."""

from __future__ import annotations

import json

import pytest

from secure_transform.benchmark import (STAGE_ORDER, TARGETS, BenchmarkConfig, format_table, run_benchmark,
                                        scoring_target, write_json)
from secure_transform.cli import main as cli_main
from secure_transform.errors import ConfigError


@pytest.fixture(scope="module")
def report(spark, tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    messages: list[str] = []
    cfg = BenchmarkConfig(rows=10_000, repeats=1, warmup=0, masking_rows=2_000, masking_findings=200,
                          workdir=str(work))
    return run_benchmark(cfg, spark=spark, progress=messages.append, command="pytest"), messages, work


def test_every_stage_is_measured_with_rows_per_second_and_its_floor(report):
    rep, messages, _ = report
    stages = {st["stage"]: st for st in rep["stages"]}
    assert list(stages) == list(STAGE_ORDER)
    for name, st in stages.items():
        assert len(st["runs_s"]) == 1 and st["median_s"] > 0 and st["rows_per_s"] > 0, name
    assert stages["masking"]["rows"] == stages["floor_csv"]["rows"] == stages["detect"]["rows"] == 2_000
    assert stages["main_etl"]["rows"] == 10_000 and stages["sklearn_single_process"]["rows"] > 9_000
    for name, floor in (("tokenize_det_hash_3", "floor_parquet"), ("tokenize_det_hash_3_noop", "read_noop"),
                        ("main_etl", "floor_parquet"),
                        ("anomaly_scoring", "floor_features"), ("leak_check", "floor_transformed"),
                        ("masking", "floor_csv"), ("detect", "floor_csv")):
        assert stages[name]["floor"] == floor
        assert stages[name]["ratio"] == pytest.approx(stages[name]["median_s"] / stages[floor]["median_s"], rel=0.01)
    for name, target in TARGETS.items():
        assert stages[name]["target"] == target and stages[name]["meets_target"] == (stages[name]["ratio"] <= target)
    assert any("main_etl" in m for m in messages)


def test_stages_do_the_work_they_claim(report):
    rep, _, _ = report
    stages = {st["stage"]: st for st in rep["stages"]}
    assert stages["masking"]["masked_occurrences_by_type"] == {
        "CREDIT_CARD_NUMBER": 50, "EMAIL_ADDRESS": 50, "PHONE_NUMBER": 50, "USA_SOCIAL_SECURITY_NUMBER": 50}
    assert stages["masking"]["objects_quarantined"] == 0 and stages["masking"]["rows_out"] == 2_000
    etl = stages["main_etl"]
    assert etl["rows_out"] + etl["rows_quarantined"] == 10_000 and etl["rows_quarantined"] > 0
    assert {"read", "validate", "tokenize", "anomaly", "write"} <= set(etl["stage_seconds"])
    assert stages["leak_check"]["leak_findings"] == 0
    assert stages["detect"]["records"] == 2_000 and stages["detect"]["detections_by_type"]["EMAIL_ADDRESS"] > 0
    assert rep["setup"]["masking_cells_listed"] == 200


def test_memory_scoring_target_and_outputs(report, tmp_path):
    rep, _, work = report
    assert rep["machine"]["cores"] >= 1 and rep["machine"]["memory_bytes"] > 0
    assert 100 * 1024 ** 2 < rep["driver_peak_memory_bytes"] < 16 * 1024 ** 3
    assert rep["driver_memory_target_met"] == (rep["driver_peak_memory_bytes"] < 4 * 1024 ** 3)
    assert set(rep["scoring_target"]) >= {"scoring_only_rows_per_s", "required_rows_per_s", "meets_target"}
    table = format_table(rep)
    for name in STAGE_ORDER:
        assert f"| {name} |" in table
    path = tmp_path / "bench.json"
    write_json(rep, str(path))
    assert json.loads(path.read_text())["config"]["rows"] == 10_000
    assert not (work / "out").exists()  # outputs are removed after each stage


def test_scoring_target_formula():
    # 1M rows in 12 s with a 2 s floor: 100,000 rows/s of scoring; sklearn 60,000 rows/s on 2 cores
    result = scoring_target(1_000_000, 12.0, 2.0, 60_000.0, 2)
    assert result["scoring_only_rows_per_s"] == 100_000 and result["required_rows_per_s"] == 96_000
    assert result["meets_target"] is True and result["scoring_vs_sklearn_x_cores"] == pytest.approx(0.833, abs=1e-3)
    assert scoring_target(1_000_000, 12.0, 2.0, 70_000.0, 2)["meets_target"] is False


@pytest.mark.parametrize("kwargs, parameter", [
    ({"rows": 10}, "--rows"), ({"repeats": 0}, "--repeats"), ({"warmup": -1}, "--warmup"),
    ({"masking_rows": 10}, "--masking-rows"), ({"masking_findings": 0}, "--masking-findings"),
    ({"stages": ("floor_parquet", "nope")}, "--stages"),
])
def test_invalid_configuration_is_refused(kwargs, parameter):
    with pytest.raises(ConfigError, match=parameter):
        BenchmarkConfig(**kwargs)


def test_leak_check_without_main_etl_gets_its_input_from_one_untimed_run(spark, tmp_path):
    messages: list[str] = []
    cfg = BenchmarkConfig(rows=1_000, repeats=1, warmup=0, masking_rows=1_000, masking_findings=10,
                          workdir=str(tmp_path), stages=("leak_check",))
    rep = run_benchmark(cfg, spark=spark, progress=messages.append)
    assert [st["stage"] for st in rep["stages"]] == ["leak_check"]
    assert rep["stages"][0]["leak_findings"] == 0 and rep["stages"][0]["cells_per_row"] > 10
    assert any("untimed main_etl" in m for m in messages)


def test_cli_help_and_one_line_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["benchmark", "--help"])
    assert exit_info.value.code == 0 and "--masking-findings" in capsys.readouterr().out
    assert cli_main(["benchmark", "--rows", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --rows: must be at least 1,000, got 5"]
