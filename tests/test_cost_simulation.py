"""The cost calculator: arithmetic of one scenario checked by hand, and the generated document."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def cost():
    spec = importlib.util.spec_from_file_location("cost_simulation", os.path.join(ROOT, "scripts", "cost_simulation.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve string annotations through sys.modules
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_small_scenario_arithmetic(cost):
    small = next(s for s in cost.SCENARIOS if s.name == "small")
    assert (small.runs_per_day, [(j.worker_type, j.workers, j.minutes) for j in small.jobs]) == (
        1, [("G.1X", 2, 2.0), ("G.1X", 2, 4.0), ("G.1X", 2, 2.0)])
    lines = cost.simulate(small)
    # Glue: 2 workers x 1 DPU x (2 + 4 + 2) min = 16 DPU-minutes per run; 30 runs; $0.44 per DPU-hour
    assert lines["Glue job DPU-hours"] == pytest.approx(16 / 60 * 30 * 0.44, abs=0.005)  # 3.52
    # S3 storage: 0.03 GB/day x (30 raw + 30 masked) + 0.009 GB/day x 365 + quarantine 0.03 x 0.002 x 30
    stored = 0.03 * 30 + 0.03 * 30 + 0.03 * 0.30 * 365 + 0.03 * 0.002 * 30
    assert lines["S3 storage"] == pytest.approx(stored * 0.023, abs=0.005)
    # Macie: 0.03 GB/day x 30 days x $1/GB; 9 buckets x $0.10
    assert lines["Macie data inspected"] == pytest.approx(0.90)
    assert lines["Macie bucket monitoring"] == pytest.approx(0.90)
    # KMS: 5 keys x $1; 90 job runs x 2,000 requests = 180,000 -> 18 x $0.03
    assert lines["KMS keys"] == pytest.approx(5.0)
    assert lines["KMS requests"] == pytest.approx(0.54)
    # endpoints: 6 interface endpoints x 2 AZs x 730 h x $0.01
    assert lines["VPC interface endpoint hours"] == pytest.approx(87.60)
    # CloudWatch: 60 metrics x $0.30 + 6 alarms x $0.10 + 1 dashboard x $3
    assert lines["CloudWatch metrics, alarms, dashboard"] == pytest.approx(21.60)
    # logs: 90 runs x 5 MB + 0.05 GB/day flow logs x 30
    logs_gb = 90 * 5 / 1024 + 0.05 * 30
    assert lines["CloudWatch Logs ingestion"] == pytest.approx(logs_gb * 0.50, abs=0.005)
    assert lines["CloudWatch Logs storage"] == pytest.approx(logs_gb * 12 * 0.03, abs=0.005)


def test_glue_one_minute_minimum_and_worker_types(cost):
    assert cost.glue_dpu_hours(cost.JobRun("x", "G.1X", 10, 0.25)) == pytest.approx(10 / 60)
    assert cost.glue_dpu_hours(cost.JobRun("x", "G.2X", 10, 30)) == pytest.approx(10)


def test_larger_volumes_cost_more_but_less_per_transaction(cost):
    totals = {s.name: (sum(cost.simulate(s).values()), s.rows_per_day) for s in cost.SCENARIOS}
    assert totals["small"][0] < totals["medium"][0] < totals["large"][0]
    per_row = {k: t / rows for k, (t, rows) in totals.items()}
    assert per_row["small"] > per_row["medium"] > per_row["large"]


def test_document_states_prices_date_sources_and_scenarios(cost, tmp_path):
    out = tmp_path / "COST.md"
    assert cost.main(["--output", str(out)]) == 0
    text = out.read_text()
    assert f"looked up on **{cost.PRICE_DATE}**" in text and cost.PRICE_REGION in text
    for s in cost.SCENARIOS:
        assert f"| {s.name} " in text or f" {s.name} |" in text
    for key, price in cost.PRICES.items():
        assert f"`{key}`" in text and price.source in text
    small = cost.simulate(next(s for s in cost.SCENARIOS if s.name == "small"))
    assert f"${sum(small.values()):,.2f}" in text
    assert "not confirmed" in text  # unconfirmed prices are flagged as such


def test_committed_document_is_up_to_date(cost):
    with open(os.path.join(ROOT, "docs", "COST_SIMULATION.md"), encoding="utf-8") as fh:
        assert fh.read() == cost.render(), "rerun scripts/cost_simulation.py"
