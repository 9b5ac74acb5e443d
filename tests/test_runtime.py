"""The runtime adapter: local and Glue-style parsing accept and reject the same arguments."""

from __future__ import annotations

import pytest

from secure_transform.errors import AccountingError, ConfigError
from secure_transform.jobspec import JOBS, job_spec
from secure_transform.runtime import (
    check_accounting,
    execute,
    glue_available,
    local_runtime,
    parse_glue_style_args,
    parse_local_args,
)

MAIN_ETL_OK = [
    "--source_bucket", "masked", "--target_bucket", "out", "--pii_columns", "{}", "--binning_config", "{}",
    "--merchant_mapping", "m.json", "--anomaly_threshold", "0.01",
]

CASES = [
    ("all required", MAIN_ETL_OK, True),
    ("optional given", MAIN_ETL_OK + ["--run_mode", "apply"], True),
    ("glue's own arguments are ignored", MAIN_ETL_OK + ["--JOB_NAME", "x", "--job-bookmark-option", "job-bookmark-enable",
                                                      "--TempDir", "s3://t/tmp", "--enable-metrics", "true"], True),
    ("required missing", MAIN_ETL_OK[2:], False),
    ("unknown snake_case argument (a typo)", MAIN_ETL_OK + ["--run_mod", "apply"], False),
    ("optional without value", MAIN_ETL_OK + ["--run_mode"], False),
    ("nothing", [], False),
]


@pytest.mark.parametrize("name,argv,accepted", CASES, ids=[c[0] for c in CASES])
def test_both_parsers_accept_and_reject_the_same(name, argv, accepted):
    spec = job_spec("main_etl")
    results = []
    for parse in (parse_local_args, parse_glue_style_args):
        try:
            results.append(parse(spec, argv))
        except ConfigError:
            results.append(None)
    assert (results[0] is not None) == accepted, name
    assert results[0] == results[1]


def test_defaults_are_applied_and_absent_optionals_are_none():
    args = parse_local_args(job_spec("main_etl"), MAIN_ETL_OK)
    assert args["run_mode"] == "fit_and_apply"
    assert args["metrics_namespace"] == "SecureMLTransform"
    assert args["quarantine_bucket"] is None
    assert args["source_bucket"] == "masked"


def test_unknown_argument_message_names_it_and_lists_valid_ones():
    with pytest.raises(ConfigError, match=r"--run_mod: is not an argument of job main_etl; valid: --source_bucket"):
        parse_local_args(job_spec("main_etl"), MAIN_ETL_OK + ["--run_mod", "apply"])


def test_every_job_has_a_script_and_no_reserved_names():
    import os

    root = os.path.dirname(os.path.dirname(__file__))
    scripts = {f[:-3] for f in os.listdir(os.path.join(root, "glue_jobs")) if f.endswith(".py")}
    assert scripts == set(JOBS)
    for spec in JOBS.values():
        assert not {"mode", "debug", "endpoint", "JOB_NAME"} & set(spec.names)
        assert all("-" not in n for n in spec.names)


def test_awsglue_is_absent_here():
    assert glue_available() is False


def test_check_accounting_fails_when_rows_are_lost():
    check_accounting({"rows_in": 10, "rows_out": 7, "rows_quarantined": 3}, "x")
    with pytest.raises(AccountingError, match="rows_in \\(10\\) != rows_out \\(7\\) \\+ rows_quarantined \\(2\\)"):
        check_accounting({"rows_in": 10, "rows_out": 7, "rows_quarantined": 2}, "x")
    with pytest.raises(AccountingError, match="stage s"):
        check_accounting({"rows_in": 1, "rows_out": 1, "rows_quarantined": 0,
                          "stages": [{"name": "s", "rows_in": 5, "rows_out": 3, "rows_quarantined": 1}]}, "x")


def test_execute_writes_summary_and_enforces_accounting(spark, tmp_path):
    summary_path = tmp_path / "s.json"
    rt = local_runtime("leak_check", {"source_bucket": str(tmp_path / "t"), "quarantine_bucket": str(tmp_path / "q"),
                                      "summary_location": str(summary_path)}, spark, run_id="r1")

    def good(rt):
        with rt.stage("one") as st:
            st.rows_in, st.rows_out, st.rows_quarantined = 3, 2, 1
        return {"rows_in": 3, "rows_out": 2, "rows_quarantined": 1}

    out = execute(rt, good)
    import json

    written = json.loads(summary_path.read_text())
    assert written["rows_in"] == 3 and written["run_id"] == "r1" and written["job"] == "leak_check"
    assert out["stages"][0]["name"] == "one" and out["stages"][0]["rows_out"] == 2

    rt2 = local_runtime("leak_check", {"source_bucket": "a", "quarantine_bucket": "b"}, spark)
    with pytest.raises(AccountingError):
        execute(rt2, lambda rt: {"rows_in": 3, "rows_out": 1, "rows_quarantined": 1})


def test_location_on_glue_treats_bare_names_as_buckets(spark):
    rt = local_runtime("leak_check", {"source_bucket": "my-bucket", "quarantine_bucket": "/tmp/q"}, spark)
    assert rt.location("source_bucket").scheme == "file"
    rt.is_glue = True
    assert rt.location("source_bucket").uri == "s3://my-bucket"
    assert rt.location("quarantine_bucket").uri == "/tmp/q"
