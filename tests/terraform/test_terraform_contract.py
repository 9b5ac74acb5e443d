"""Contract between terraform/modules/glue and the job scripts.

``lib/secure_transform/jobspec.py`` (``JOBS``) is the single source of truth for the arguments
each ``glue_jobs/<name>.py`` reads. These tests check that:

1. every ``glue_jobs/*.py`` has exactly one Glue job in Terraform and vice versa;
2. each job's default + non-overridable arguments are exactly jobspec names (all required ones,
   no unknown one) plus Glue's own special parameters from an explicit allow-list;
3. those effective arguments, with Terraform interpolations replaced by placeholders, parse with
   the local (argparse) parser and with the awsglue ``getResolvedOptions`` semantics, to the same
   values;
4. security-relevant arguments are non-overridable and no key material is ever an argument;
5. the workflow triggers only override jobspec names that a run may override.
"""

from __future__ import annotations

import re

import pytest

from secure_transform.errors import ConfigError
from secure_transform.jobspec import JOBS
from secure_transform.runtime import parse_glue_style_args, parse_local_args

from tfhcl import MODULES, REPO, blocks, expr, locals_of, one, placeholder

GLUE = MODULES / "glue"

# Glue's own special job parameters (AWS Glue "Using job parameters in AWS Glue jobs"). They are
# consumed by Glue, not by our scripts, so they are not in jobspec; every other name in a job's
# arguments must be a jobspec name. Keep this list explicit: a new special parameter is a
# deliberate decision, and a typo in one of ours must not slip through as "special".
GLUE_SPECIAL_PARAMETERS = frozenset({
    "--TempDir",                           # Glue temporary directory (in the temp bucket)
    "--job-language",                      # python
    "--job-bookmark-option",               # job bookmarks
    "--enable-metrics",                    # job metrics
    "--enable-observability-metrics",      # Job Runs Monitoring metrics
    "--enable-spark-ui",                   # Spark UI event logs ...
    "--spark-event-logs-path",             # ... written to the temp bucket
    "--enable-job-insights",               # job run insights
    "--enable-glue-datacatalog",           # Data Catalog as the Spark/Hive metastore
    "--disable-proxy-v2",                  # route S3/Glue/CloudWatch calls through our VPC endpoints
    "--additional-python-modules",         # library wheel + zip of dependency wheels from S3
    "--python-modules-installer-option",   # --no-index: no PyPI inside the VPC
    "--custom-logGroup-prefix",            # Glue 5.0 logging (replaces continuous logging)
    "--custom-logStream-prefix",           # Glue 5.0 logging
    "--extra-py-files",                    # (not used; allowed by Glue)
})

# Deprecated in Glue 5.0 or internal to Glue: must never be set.
FORBIDDEN_PARAMETERS = frozenset({
    "--enable-continuous-cloudwatch-log", "--continuous-log-logGroup", "--continuous-log-logStreamPrefix",
    "--continuous-log-conversionPattern", "--enable-continuous-log-filter", "--debug", "--mode",
    "--JOB_NAME", "--endpoint", "--encryption-type", "--conf",
})

# Arguments no job run may change (they decide where data and alerts go, how it is protected and
# what code runs). reidentify's --source_bucket is the exception: an operator points a run at one
# published run of the transformed zone.
SECURITY_RELEVANT = {
    "--TempDir", "--spark-event-logs-path", "--disable-proxy-v2", "--additional-python-modules",
    "--python-modules-installer-option", "--custom-logGroup-prefix", "--target_bucket",
    "--quarantine_bucket", "--key_secret_id", "--alert_topic_arn", "--metrics_namespace",
    "--masking_policy", "--artifacts_location", "--environment", "--audit_log_group", "--risk_config",
}

# Optional in jobspec (local runs do without them) but needed on AWS: secure_transform.audit
# refuses to run on Glue without an audit log group.
REQUIRED_ON_AWS = {"--audit_log_group", "--environment", "--alert_topic_arn", "--metrics_namespace"}


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def glue_locals() -> dict:
    return locals_of(GLUE)


@pytest.fixture(scope="module")
def job_resource() -> dict:
    return one("resource", GLUE, "aws_glue_job", "this")


def effective_arguments(glue_locals: dict, job: str) -> tuple[dict[str, str], dict[str, str]]:
    """(default_arguments, non_overridable_arguments) of one job, as Terraform merges them."""
    default = {**glue_locals["glue_default_arguments"], **glue_locals["job_default_arguments"][job]}
    fixed = {**glue_locals["glue_non_overridable_arguments"], **glue_locals["job_non_overridable_arguments"][job]}
    return default, fixed


def argv_of(arguments: dict[str, str]) -> list[str]:
    argv: list[str] = []
    for name, value in arguments.items():
        argv += [name, placeholder(value)]
    return argv


def test_job_resource_merges_exactly_the_argument_locals(job_resource):
    # The per-job evaluation below is only valid if the resource really is this merge.
    assert _normalise(expr(job_resource["default_arguments"])) == _normalise(
        "merge(local.glue_default_arguments, local.job_default_arguments[each.key])")
    assert _normalise(expr(job_resource["non_overridable_arguments"])) == _normalise(
        "merge(local.glue_non_overridable_arguments, local.job_non_overridable_arguments[each.key])")
    assert expr(job_resource["for_each"]) == "local.jobs"


def test_every_job_script_has_a_glue_job_and_vice_versa(glue_locals):
    scripts = {p.stem for p in (REPO / "glue_jobs").glob("*.py") if not p.name.startswith("_")}
    terraform_jobs = set(glue_locals["jobs"])
    assert scripts, "glue_jobs/ has no job scripts"
    assert scripts - terraform_jobs == set(), "job scripts without a Glue job in Terraform"
    assert terraform_jobs - scripts == set(), "Glue jobs in Terraform without a script in glue_jobs/"
    assert terraform_jobs == set(JOBS), "Terraform jobs and secure_transform.jobspec.JOBS differ"
    assert set(glue_locals["job_default_arguments"]) == terraform_jobs
    assert set(glue_locals["job_non_overridable_arguments"]) == terraform_jobs


def test_each_job_runs_its_own_script(job_resource):
    command = job_resource["command"][0]
    assert command["name"] == "glueetl"
    assert str(command["python_version"]) == "3"
    assert command["script_location"] == "${local.release_uri}/glue_jobs/${each.key}.py"


@pytest.mark.parametrize("job", sorted(JOBS))
def test_arguments_are_exactly_the_jobspec_names(glue_locals, job):
    spec = JOBS[job]
    default, fixed = effective_arguments(glue_locals, job)
    assert set(default) & set(fixed) == set(), "an argument is both default and non-overridable"
    names = set(default) | set(fixed)
    ours = {n for n in names if n not in GLUE_SPECIAL_PARAMETERS}
    unknown = {n for n in ours if n[2:] not in spec.names}
    assert unknown == set(), f"{job}: arguments its script does not read"
    missing = {f"--{n}" for n in spec.required} - ours
    assert missing == set(), f"{job}: required arguments not passed"
    assert names & FORBIDDEN_PARAMETERS == set()
    assert all(n.startswith("--") for n in names)
    assert REQUIRED_ON_AWS - names == set(), f"{job}: arguments the job needs on AWS are missing"
    # Local-only arguments never go to Glue.
    assert {"--key_file", "--audit_file", "--summary_location"} & names == set()


@pytest.mark.parametrize("job", sorted(JOBS))
def test_arguments_parse_with_local_and_glue_style_parsers(glue_locals, job):
    spec = JOBS[job]
    default, fixed = effective_arguments(glue_locals, job)
    argv = argv_of({**default, **fixed})
    local = parse_local_args(spec, argv)
    glue = parse_glue_style_args(spec, argv)
    assert local == glue
    expected = {name[2:]: placeholder(value) for name, value in {**default, **fixed}.items()
                if name not in GLUE_SPECIAL_PARAMETERS}
    for name, value in expected.items():
        assert local[name] == value
    # Optional names Terraform leaves out resolve to their jobspec default in both parsers.
    for arg in spec.args:
        if arg.name not in expected:
            assert local[arg.name] == arg.default


@pytest.mark.parametrize("job", sorted(JOBS))
def test_both_parsers_reject_the_arguments_without_any_required_one(glue_locals, job):
    spec = JOBS[job]
    default, fixed = effective_arguments(glue_locals, job)
    arguments = {**default, **fixed}
    for required in spec.required:
        reduced = {k: v for k, v in arguments.items() if k != f"--{required}"}
        with pytest.raises(ConfigError):
            parse_local_args(spec, argv_of(reduced))
        with pytest.raises(ConfigError):
            parse_glue_style_args(spec, argv_of(reduced))


@pytest.mark.parametrize("job", sorted(JOBS))
def test_security_relevant_arguments_are_non_overridable(glue_locals, job):
    default, fixed = effective_arguments(glue_locals, job)
    exempt = {"--source_bucket"} if job == "reidentify" else set()
    overridable_security = (set(default) & SECURITY_RELEVANT) - exempt
    assert overridable_security == set()
    if job != "reidentify":
        assert "--source_bucket" in fixed
    if job == "main_etl":
        assert "--pii_columns" in fixed  # weakening tokenization per run is not allowed


@pytest.mark.parametrize("job", sorted(JOBS))
def test_glue_runtime_arguments(glue_locals, job):
    default, fixed = effective_arguments(glue_locals, job)
    assert fixed["--TempDir"] == f"s3://${{var.bucket_names.temp}}/glue-temp/{job}/"
    assert fixed["--spark-event-logs-path"] == f"s3://${{var.bucket_names.temp}}/spark-ui/{job}/"
    assert default["--enable-spark-ui"] == "true"
    assert default["--job-bookmark-option"] == "job-bookmark-enable"
    assert "--enable-metrics" in default and "--enable-observability-metrics" in default
    assert fixed["--disable-proxy-v2"] == "true"
    assert fixed["--custom-logGroup-prefix"] == "${local.log_group_prefix}"
    # Offline install: S3 objects only, no index.
    modules = [m.strip() for m in fixed["--additional-python-modules"].split(",")]
    assert modules == ["${local.library_wheel}", "${local.dependency_zip}"]
    assert "--no-index" in fixed["--python-modules-installer-option"].split()


def test_offline_install_paths_are_s3_objects_of_the_release(glue_locals):
    assert glue_locals["release_uri"] == "s3://${var.bucket_names.artifacts}/releases/${var.artifact_version}"
    assert glue_locals["library_wheel"] == (
        "${local.release_uri}/wheels/secure_ml_transform-${var.artifact_version}-py3-none-any.whl")
    assert glue_locals["dependency_zip"] == (
        "${local.release_uri}/wheels/secure_ml_transform-deps-${var.artifact_version}.gluewheels.zip")
    # scripts/build.sh must produce exactly these file names.
    build = (REPO / "scripts" / "build.sh").read_text()
    assert "secure_ml_transform-deps-$version.gluewheels.zip" in build
    assert "secure_ml_transform-*-py3-none-any.whl" in build


@pytest.mark.parametrize("job", sorted(JOBS))
def test_no_key_material_in_arguments(glue_locals, job):
    default, fixed = effective_arguments(glue_locals, job)
    arguments = {**default, **fixed}
    assert "--key_file" not in arguments  # local runs only
    if "--key_secret_id" in arguments:
        # The secret's ARN, never its value.
        assert arguments["--key_secret_id"] == "${var.tokenization_secret_arn}"
    for name, value in arguments.items():
        assert "secret_string" not in value.lower() and "material" not in value.lower(), name
    # Keyed tokenization methods need the key set: every job that tokenizes gets the secret.
    if job in ("macie_masking", "main_etl", "reidentify"):
        assert "--key_secret_id" in fixed


def test_terraform_never_holds_the_key_set():
    assert not list(blocks("resource", None, "aws_secretsmanager_secret_version"))
    kms_vars = (MODULES / "kms" / "variables.tf").read_text() + (REPO / "terraform" / "variables.tf").read_text()
    assert not re.search(r'variable\s+"[^"]*(key_material|secret_value|keyset)[^"]*"', kms_vars)


def test_json_arguments_come_from_typed_variables(glue_locals):
    fixed = glue_locals["job_non_overridable_arguments"]
    default = glue_locals["job_default_arguments"]
    assert fixed["main_etl"]["--pii_columns"] == "${local.pii_columns_json}"
    # masking defers declared columns to main_etl's tokenizers: both jobs must see the same plan
    assert fixed["macie_masking"]["--pii_columns"] == fixed["main_etl"]["--pii_columns"]
    assert default["reidentify"]["--pii_columns"] == "${local.pii_columns_json}"
    assert default["main_etl"]["--binning_config"] == "${local.binning_config_json}"
    assert default["main_etl"]["--anomaly_config"] == "${local.anomaly_config_json}"
    assert fixed["macie_masking"]["--masking_policy"] == "${local.masking_policy_json}"
    # the re-identification risk gate is a privacy control: a run may not weaken or drop it
    assert fixed["main_etl"]["--risk_config"] == "${local.risk_config_json}"
    assert "--risk_config" not in default["main_etl"]
    assert expr(glue_locals["risk_config_json"]).startswith("jsonencode(var.risk_config == null ? null :")
    assert fixed["main_etl"]["--audit_log_group"] == "${aws_cloudwatch_log_group.audit.name}"
    assert default["main_etl"]["--anomaly_threshold"] == "${tostring(var.anomaly_threshold)}"
    for name, variable in (("pii_columns_json", "var.pii_columns"), ("binning_config_json", "var.binning_config"),
                           ("anomaly_config_json", "var.anomaly_config"), ("masking_policy_json", "var.masking_policy")):
        text = expr(glue_locals[name])
        assert text.startswith("jsonencode(") and variable in text
        assert "!= null" in text  # unset optional attributes are dropped, not sent as null


def test_merchant_mapping_is_the_uploaded_release_object(glue_locals):
    assert glue_locals["job_default_arguments"]["main_etl"]["--merchant_mapping"] == (
        "${local.release_uri}/config/mcc_mapping.json")
    assert (REPO / "lib" / "secure_transform" / "data" / "mcc_mapping.json").is_file()
    assert 'cp "$MAPPING" "$DIST/config/mcc_mapping.json"' in (REPO / "scripts" / "build.sh").read_text()


def test_workflow_triggers_override_only_overridable_jobspec_names(glue_locals):
    chain = glue_locals["workflow_chain"]
    for link, step in chain.items():
        default, fixed = effective_arguments(glue_locals, step["start"])
        spec = JOBS[step["start"]]
        for name in step["arguments"]:
            assert name[2:] in spec.names, f"{link}: {name} is not an argument of {step['start']}"
            assert name in default and name not in fixed, f"{link}: {name} must be an overridable default"
        argv = argv_of({**default, **fixed, **step["arguments"]})
        assert parse_local_args(spec, argv) == parse_glue_style_args(spec, argv)


def test_scheduled_path_masks_from_the_detector_and_event_path_from_macie(glue_locals):
    chain = glue_locals["workflow_chain"]
    assert chain["scheduled-masking"]["arguments"] == {"--results_bucket": "${local.detector_uri}"}
    assert glue_locals["job_non_overridable_arguments"]["detect_pii"]["--results_bucket"] == "${local.detector_uri}"
    assert glue_locals["job_default_arguments"]["macie_masking"]["--results_bucket"] == "${local.macie_results_uri}"
    assert glue_locals["detector_uri"] != glue_locals["macie_results_uri"]


def test_only_the_leak_check_registers_runs_in_the_catalog(glue_locals):
    fixed = glue_locals["job_non_overridable_arguments"]
    default = glue_locals["job_default_arguments"]
    assert fixed["leak_check"]["--catalog_database"] == "${aws_glue_catalog_database.transformed.name}"
    assert default["leak_check"]["--catalog_table"] == "${var.catalog_table_name}"
    for job in set(JOBS) - {"leak_check"}:
        assert "--catalog_database" not in {**fixed.get(job, {}), **default.get(job, {})}, job
