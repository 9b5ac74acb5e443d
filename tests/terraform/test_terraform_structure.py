"""Structural checks of terraform/ with python-hcl2 (no provider, no network).

What a security review asks of the configuration: no route to or from the internet, every bucket
hardened, every Glue job encrypted, in the VPC, on Glue 5.0 and installing offline, keys rotated
with explicit policies, logs encrypted and kept a year, alerting wired, conventions followed, and
every checkov suppression inline with a reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tfhcl import (MODULES, REPO, TF_ROOT, blocks, expr, load_file, locals_of, module_passthroughs, nested, one,
                   single, tf_dirs, tf_files, validations, variables)

MODULE_DIRS = sorted(p for p in MODULES.iterdir() if p.is_dir())
ALL_FILES_TEXT = {p: p.read_text(encoding="utf-8") for p in tf_files()}
CLOUDWATCH_RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                             2192, 2557, 2922, 3288, 3653}
JOB_NAMES = {"detect_pii", "macie_masking", "main_etl", "leak_check", "reidentify"}


def _all_resources(type_: str | None = None):
    return list(blocks("resource", None, type_))


# ---------------------------------------------------------------------------------------------
# Layout and conventions
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda p: p.name)
def test_module_layout(module):
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module / name).is_file(), f"{module.name}/{name} is missing"


@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda p: p.name)
def test_module_readme_documents_every_input_and_output(module):
    readme = (module / "README.md").read_text(encoding="utf-8")
    assert "## Inputs" in readme and "## Outputs" in readme
    inputs = readme.split("## Inputs", 1)[1].split("## Outputs", 1)[0]
    outputs = readme.split("## Outputs", 1)[1]
    for name in variables(module):
        assert re.search(rf"^\|\s*`?{re.escape(name)}`?\s*\|", inputs, re.M), f"input {name} not in README"
    for block in blocks("output", module):
        assert re.search(rf"^\|\s*`?{re.escape(block.name)}`?\s*\|", outputs, re.M), f"output {block.name} not in README"


def test_module_readme_tables_are_generated_from_the_code():
    import importlib.util

    spec = importlib.util.spec_from_file_location("module_docs", TF_ROOT / "tools" / "module_docs.py")
    module_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module_docs)
    for module in MODULE_DIRS:
        readme = (module / "README.md").read_text(encoding="utf-8")
        assert module_docs.updated(readme, module_docs.render(module)) == readme, (
            f"{module.name}/README.md is stale: run .venv/bin/python terraform/tools/module_docs.py")


@pytest.mark.parametrize("directory", tf_dirs(), ids=lambda p: str(p.relative_to(TF_ROOT)))
def test_versions_pinned(directory):
    terraform = [t for f in tf_files(directory) for t in load_file(f).get("terraform", [])]
    required = [t for t in terraform if "required_version" in t]
    assert required, "required_version is not set"
    assert re.fullmatch(r">=\s*1\.1\d\.\d+", required[0]["required_version"])
    providers = [p for t in terraform for p in nested(t, "required_providers")]
    assert providers and providers[0]["aws"]["source"] == "hashicorp/aws"
    version = providers[0]["aws"]["version"]
    # Reusable modules state a lower bound; root configurations pin the major version.
    if directory.parent == MODULES:
        assert version.startswith(">=")
    else:
        assert version.startswith("~>")


@pytest.mark.parametrize("directory", tf_dirs(), ids=lambda p: str(p.relative_to(TF_ROOT)))
def test_every_variable_typed_described_and_validated(directory):
    # Inputs whose every value is legitimate need no validation block.
    free_form = {"tags", "extra_tags", "job_names", "force_destroy", "force_destroy_buckets",
                 "policy_documents", "deny_unencrypted_uploads", "enabled", "manage_macie_account",
                 "manage_catalog_encryption", "manage_glue_catalog_encryption", "workflow_schedule_enabled",
                 "macie_event_trigger_enabled", "enable_macie", "metric_names"}
    # A root input handed unchanged to a module is validated there (test_root_passes_inputs_through...).
    passed_through = module_passthroughs(directory)
    for name, body in variables(directory).items():
        assert body.get("type"), f"variable {name} has no type"
        assert "any" not in str(body["type"]).split("(")[0], f"variable {name} uses type any"
        assert len(str(body.get("description", ""))) >= 15, f"variable {name} has no description"
        if name not in free_form and body["type"] != "bool" and name not in passed_through:
            assert validations(body), f"variable {name} is constrained but not validated"
        for validation in validations(body):
            assert validation.get("error_message"), f"variable {name}: validation without error_message"


@pytest.mark.parametrize("directory", tf_dirs(), ids=lambda p: str(p.relative_to(TF_ROOT)))
def test_every_output_described(directory):
    for block in blocks("output", directory):
        assert len(str(block.body.get("description", ""))) >= 10, f"output {block.name} has no description"


def test_provider_default_tags():
    provider = load_file(TF_ROOT / "providers.tf")["provider"][0]["aws"]
    tags = expr(single(provider, "default_tags")["tags"])
    for key in ("environment", "owner", "data_classification"):
        assert re.search(rf"\b{key}\s*=", tags), f"default tag {key} missing"


def test_backend_is_partial_encrypted_and_locked():
    backends = [b for t in load_file(TF_ROOT / "backend.tf")["terraform"] for b in nested(t, "backend")]
    assert len(backends) == 1 and "s3" in backends[0]
    s3 = backends[0]["s3"]
    assert s3["encrypt"] is True and s3["use_lockfile"] is True
    assert not {"bucket", "key", "region", "dynamodb_table", "profile"} & set(s3), "backend must be partial"
    example = (TF_ROOT / "backend.hcl.example").read_text()
    assert "use_lockfile = true" in example and "encrypt      = true" in example
    for path in list(TF_ROOT.rglob("*.tf")) + list(TF_ROOT.rglob("*.tfvars")) + [TF_ROOT / "backend.hcl.example"]:
        assert not re.search(r"(?<![\d.])\d{12}(?![\d.])", path.read_text()), f"account id in {path}"


# ---------------------------------------------------------------------------------------------
# Network: no internet at all
# ---------------------------------------------------------------------------------------------

def test_no_internet_gateway_nat_or_public_ip():
    forbidden = {"aws_internet_gateway", "aws_egress_only_internet_gateway", "aws_nat_gateway", "aws_eip",
                 "aws_eip_association", "aws_default_subnet", "aws_default_vpc", "aws_instance",
                 "aws_vpc_peering_connection", "aws_vpn_gateway", "aws_customer_gateway", "aws_ec2_transit_gateway"}
    found = {b.type for b in _all_resources()} & forbidden
    assert found == set()
    for block in _all_resources("aws_subnet"):
        assert block.body["map_public_ip_on_launch"] is False
    for text in ALL_FILES_TEXT.values():
        assert "associate_public_ip_address" not in text
        assert "map_public_ip_on_launch = true" not in text
    # No routes at all besides the local route and the S3 gateway endpoint's prefix-list route.
    assert _all_resources("aws_route") == []
    for block in _all_resources("aws_route_table"):
        assert "route" not in block.body


def test_network_acl_allows_only_vpc_traffic_and_s3_https():
    rules = {b.name: b.body for b in _all_resources("aws_network_acl_rule")}
    assert set(rules) == {"ingress_vpc", "ingress_s3_return", "egress_vpc", "egress_s3_https"}
    for name, rule in rules.items():
        if rule["cidr_block"] == "0.0.0.0/0":
            assert rule["protocol"] == "tcp"
            if rule["egress"]:
                assert (rule["from_port"], rule["to_port"]) == (443, 443), name
            else:  # return traffic only: the Linux ephemeral range, no service port
                assert rule["from_port"] >= 32768, name
        else:
            assert rule["cidr_block"] == "${var.vpc_cidr}", name


def test_vpc_dns_flow_logs_and_default_security_group():
    network = MODULES / "network"
    vpc = one("resource", network, "aws_vpc", "this")
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True
    default_sg = one("resource", network, "aws_default_security_group", "this")
    assert "ingress" not in default_sg and "egress" not in default_sg
    flow = one("resource", network, "aws_flow_log", "this")
    assert flow["traffic_type"] == "ALL" and expr(flow["log_destination"]) == "aws_cloudwatch_log_group.flow_logs.arn"
    group = one("resource", network, "aws_cloudwatch_log_group", "flow_logs")
    assert expr(group["kms_key_id"]) == "var.logs_kms_key_arn"


def test_vpc_endpoints_with_private_dns_and_policies():
    network = MODULES / "network"
    s3 = one("resource", network, "aws_vpc_endpoint", "s3")
    assert s3["vpc_endpoint_type"] == "Gateway" and "aws_route_table.private.id" in repr(s3["route_table_ids"])
    assert expr(s3["policy"]) == "data.aws_iam_policy_document.s3_endpoint.json"
    s3_policy = one("data", network, "aws_iam_policy_document", "s3_endpoint")
    resources = repr(single(s3_policy, "statement")["resources"])
    assert "local.s3_bucket_arns" in resources and '"*"' not in resources
    interface = one("resource", network, "aws_vpc_endpoint", "interface")
    assert interface["vpc_endpoint_type"] == "Interface" and interface["private_dns_enabled"] is True
    assert expr(interface["policy"]) == "data.aws_iam_policy_document.interface_endpoint[each.key].json"
    assert expr(interface["for_each"]) == "local.endpoint_access"
    services = set(locals_of(network)["endpoint_access"])
    assert services == {"glue", "kms", "logs", "monitoring", "sts", "secretsmanager"}


def test_glue_security_group_reaches_only_itself_s3_and_endpoints():
    network = MODULES / "network"
    rules = {b.name: b.body for b in blocks("resource", network, "aws_security_group_rule")}
    glue_rules = {n: r for n, r in rules.items() if expr(r["security_group_id"]) == "aws_security_group.glue.id"}
    ingress = [r for r in glue_rules.values() if r["type"] == "ingress"]
    egress = [r for r in glue_rules.values() if r["type"] == "egress"]
    assert len(ingress) == 1 and ingress[0]["self"] is True
    assert (ingress[0]["protocol"], ingress[0]["from_port"], ingress[0]["to_port"]) == ("tcp", 0, 65535)
    targets = set()
    for rule in egress:
        if rule.get("self") is True:
            targets.add("self")
        elif "prefix_list_ids" in rule:
            assert rule["from_port"] == 443 and "aws_vpc_endpoint.s3.prefix_list_id" in repr(rule["prefix_list_ids"])
            targets.add("s3")
        elif "source_security_group_id" in rule:
            assert rule["from_port"] == 443 and expr(rule["source_security_group_id"]) == "aws_security_group.endpoints.id"
            targets.add("endpoints")
    assert targets == {"self", "s3", "endpoints"} and len(egress) == 3
    for rule in rules.values():
        assert "cidr_blocks" not in rule and "ipv6_cidr_blocks" not in rule
        assert rule.get("description")
    for block in _all_resources("aws_security_group"):
        assert "ingress" not in block.body and "egress" not in block.body  # rules are separate resources
        assert block.body.get("description")


def test_one_glue_network_connection_per_subnet_with_az_from_the_subnet():
    connection = one("resource", MODULES / "network", "aws_glue_connection", "network")
    assert expr(connection["for_each"]) == "aws_subnet.private"
    assert connection["connection_type"] == "NETWORK"
    requirements = single(connection, "physical_connection_requirements")
    assert expr(requirements["availability_zone"]) == "each.value.availability_zone"
    assert expr(requirements["subnet_id"]) == "each.value.id"
    network_vars = variables(MODULES / "network")
    assert "length(var.private_subnet_cidrs) >= 2" in repr(network_vars["private_subnet_cidrs"]["validation"])
    assert expr(one("module", TF_ROOT, "", "network")["private_subnet_cidrs"]) == "var.private_subnet_cidrs"


# Inputs a configuration that calls modules consumes itself (so it validates them), with the reason.
OWN_VALIDATION = {
    TF_ROOT: {"region", "owner", "data_classification", "cost_center",  # providers.tf only
              "deployer_role_names", "key_custodian_role_names", "raw_writer_role_names",
              "data_reader_role_names"},  # turned into ARNs by the root; modules see only ARNs
    TF_ROOT / "bootstrap": {"region", "environment", "owner",  # providers.tf only
                            "state_user_role_names",  # turned into ARNs by the root
                            "state_bucket_name"},  # the root derives <name>-access-logs and a KMS alias
    # storage's own policy per zone, narrower than the generic bucket modules' rules (and the audit
    # bucket's retention may not be null there)
    MODULES / "storage": {"temp_expiration_days", "quarantine_expiration_days", "reidentified_expiration_days",
                          "macie_results_object_lock"},
}


def test_only_the_listed_configurations_call_modules():
    callers = {path.parent for path in tf_files() if load_file(path).get("module")}
    assert callers == set(OWN_VALIDATION)


@pytest.mark.parametrize("directory", sorted(OWN_VALIDATION), ids=lambda p: "root" if p == TF_ROOT else p.name)
def test_root_passes_inputs_through_and_validates_only_its_own(directory):
    """One validation rule set per input, in the module that uses it (issue 19)."""
    passed = module_passthroughs(directory)
    assert len(passed) >= (20 if directory == TF_ROOT else 1)
    root_vars = variables(directory)
    for name, body in root_vars.items():
        if name in OWN_VALIDATION[directory]:
            assert validations(body), f"{name}: the root consumes it and must validate it"
            continue
        if name not in passed:
            continue
        # No rule at the root: the module that receives the value has it (no duplicate, no drift).
        assert not validations(body), f"root variable {name} repeats validation owned by {passed[name]}"
        for module, source, attribute in passed[name]:
            module_var = variables(source)[attribute]
            # the root declares what the module takes, so no value reaches a module less constrained
            assert " ".join(str(body["type"]).split()) == " ".join(str(module_var["type"]).split()), (
                f"{name} -> module.{module}.{attribute}: type differs")
            # a root's default is the module's (storage sets its own defaults for the generic modules)
            if directory.parent != MODULES and body.get("default") is not None and "default" in module_var:
                assert body["default"] == module_var["default"], f"{name} -> module.{module}.{attribute}: default differs"
    # every root-validated input is one the root consumes itself (never also passed through)
    for name in OWN_VALIDATION[directory]:
        assert name in root_vars
        assert name not in passed or directory != TF_ROOT, f"{name} is passed to a module unchanged"


def _validated_downstream(directory, name) -> bool:
    """Whether a module validates the variable, or hands it unchanged to one that does."""
    return any(validations(variables(source)[attribute]) or _validated_downstream(source, attribute)
               for _, source, attribute in module_passthroughs(directory).get(name, []))


def test_every_constrained_passthrough_is_validated_by_its_module():
    for name in module_passthroughs(TF_ROOT):
        if variables(TF_ROOT)[name]["type"] == "bool":
            continue
        assert _validated_downstream(TF_ROOT, name), f"root variable {name}: no module it reaches validates it"


# ---------------------------------------------------------------------------------------------
# Buckets
# ---------------------------------------------------------------------------------------------

BUCKET_DIRS = sorted({b.path.parent for b in _all_resources("aws_s3_bucket")})


@pytest.mark.parametrize("directory", BUCKET_DIRS, ids=lambda p: str(p.relative_to(TF_ROOT)))
def test_every_bucket_is_hardened(directory):
    buckets = [b for b in blocks("resource", directory, "aws_s3_bucket")]
    for bucket in buckets:
        ref = f"aws_s3_bucket.{bucket.name}.id"

        def sibling(type_: str) -> dict:
            found = [b.body for b in blocks("resource", directory, type_) if expr(b.body.get("bucket")) == ref]
            assert len(found) == 1, f"{bucket.address}: expected one {type_}"
            assert "count" not in found[0] and "for_each" not in found[0], f"{type_} must not be optional"
            return found[0]

        sse = single(sibling("aws_s3_bucket_server_side_encryption_configuration"), "rule")
        default = single(sse, "apply_server_side_encryption_by_default")
        assert default["sse_algorithm"] == "aws:kms" and expr(default["kms_master_key_id"]) == "var.kms_key_arn"
        assert sse["bucket_key_enabled"] is True and sse["blocked_encryption_types"] == ["SSE-C"]
        block = sibling("aws_s3_bucket_public_access_block")
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
            assert block[flag] is True, flag
        assert single(sibling("aws_s3_bucket_ownership_controls"), "rule")["object_ownership"] == "BucketOwnerEnforced"
        assert single(sibling("aws_s3_bucket_versioning"), "versioning_configuration")["status"] == "Enabled"
        lifecycle = sibling("aws_s3_bucket_lifecycle_configuration")
        assert any(nested(rule, "abort_incomplete_multipart_upload") for rule in nested(lifecycle, "rule"))
        policy = sibling("aws_s3_bucket_policy")
        document = expr(policy["policy"]).removesuffix(".json").removeprefix("data.aws_iam_policy_document.")
        text = repr(one("data", directory, "aws_iam_policy_document", document))
        if "DenyInsecureTransport" not in text:  # composed: look in the source documents
            text = repr([b.body for b in blocks("data", directory, "aws_iam_policy_document")])
        assert "DenyInsecureTransport" in text and "aws:SecureTransport" in text
        assert bucket.body["object_lock_enabled"] is True
        logging = [b.body for b in blocks("resource", directory, "aws_s3_bucket_logging")]
        if directory.name == "s3_log_bucket":
            assert logging == []  # the log target does not log to itself (skip CKV_AWS_18 with reason)
        else:
            assert len(logging) == 1 and expr(logging[0]["bucket"]) == ref


def test_storage_creates_every_zone_from_the_hardened_modules():
    storage = MODULES / "storage"
    modules = {b.name: b.body for b in blocks("module", storage)}
    zones = {"raw", "masked", "transformed", "quarantine", "reidentified", "macie_results", "artifacts", "temp"}
    assert set(modules) == zones | {"access_logs"}
    for zone in zones:
        assert modules[zone]["source"] == "../s3_bucket"
        assert expr(modules[zone]["access_log_bucket"]) == "module.access_logs.bucket_id"
    assert modules["access_logs"]["source"] == "../s3_log_bucket"
    # Expiries for the short-lived zones, none for the data zones.
    for zone in ("temp", "quarantine", "reidentified"):
        assert expr(modules[zone]["expiration_days"]).startswith("var."), zone
    for zone in ("raw", "masked", "transformed", "macie_results", "artifacts"):
        assert modules[zone]["expiration_days"] is None, zone
    # Object Lock default retention on the audit bucket; header-deny only where every writer
    # sends SSE-KMS headers (the artifacts bucket, written by deploy.sh).
    assert expr(modules["macie_results"]["object_lock_retention"]) == "var.macie_results_object_lock"
    assert [z for z in zones if modules[z]["deny_unencrypted_uploads"] is True] == ["artifacts"]
    assert "data.aws_iam_policy_document.macie_results.json" in repr(modules["macie_results"]["policy_documents"])
    deploy = (REPO / "scripts" / "deploy.sh").read_text()
    assert "--sse aws:kms --sse-kms-key-id" in deploy


def test_macie_results_bucket_policy_has_macies_statements():
    policy = one("data", MODULES / "storage", "aws_iam_policy_document", "macie_results")
    statements = {s["sid"]: s for s in nested(policy, "statement")}
    assert {"AllowMacieGetBucketLocation", "AllowMacieWriteResults", "DenyMacieUnencryptedUploads",
            "DenyMacieIncorrectKmsKey"} <= set(statements)
    for statement in statements.values():
        assert single(statement, "principals")["identifiers"] == ["macie.amazonaws.com"]
    allow = statements["AllowMacieWriteResults"]
    assert {c["variable"] for c in nested(allow, "condition")} == {"aws:SourceAccount", "aws:SourceArn"}


# ---------------------------------------------------------------------------------------------
# Keys and logs
# ---------------------------------------------------------------------------------------------

def test_kms_keys_rotated_with_explicit_policies_separated_by_purpose():
    kms = MODULES / "kms"
    keys = _all_resources("aws_kms_key")
    assert keys
    for key in keys:
        assert key.body["enable_key_rotation"] is True, key.address
        assert key.body.get("policy"), key.address
        assert key.body.get("is_enabled", True) is True
    purposes = set(locals_of(kms)["keys"])
    assert purposes == {"raw", "data", "logs", "secrets", "macie"}
    logs = one("data", kms, "aws_iam_policy_document", "logs")
    cloudwatch = [s for s in nested(logs, "statement") if s.get("sid") == "CloudWatchLogs"][0]
    assert "logs.${local.region}.amazonaws.com" in repr(cloudwatch["principals"])
    assert single(cloudwatch, "condition")["variable"] == "kms:EncryptionContext:aws:logs:arn"
    raw = one("data", kms, "aws_iam_policy_document", "raw")
    assert "MacieServiceLinkedRoleDecrypt" in repr(raw)
    secrets = one("data", kms, "aws_iam_policy_document", "secrets")
    assert "kms:ViaService" in repr(secrets)
    macie = one("data", kms, "aws_iam_policy_document", "macie")
    assert "macie.amazonaws.com" in repr(macie) and "aws:SourceArn" in repr(macie)
    admin = one("data", kms, "aws_iam_policy_document", "administration")
    actions = locals_of(kms)["admin_actions"]
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:CreateGrant", "kms:*"} & set(actions)
    assert "local.admin_actions" in repr(admin)


def test_log_groups_encrypted_and_kept_at_least_a_year():
    groups = _all_resources("aws_cloudwatch_log_group")
    assert len(groups) >= 3
    for group in groups:
        assert group.body.get("kms_key_id"), group.address
        assert expr(group.body["retention_in_days"]) == "var.log_retention_days", group.address
    for directory in tf_dirs():
        var = variables(directory).get("log_retention_days")
        if var is None:
            continue
        if not validations(var):  # the root passes it through: the modules' rules are checked here
            assert "log_retention_days" in module_passthroughs(directory), directory
            continue
        condition = expr(validations(var)[0]["condition"])
        allowed = {int(n) for n in re.search(r"contains\(\[([\d,\s]+)\]", condition).group(1).split(",")}
        assert allowed <= CLOUDWATCH_RETENTION_DAYS and min(allowed) >= 365, directory


# ---------------------------------------------------------------------------------------------
# Glue
# ---------------------------------------------------------------------------------------------

def test_glue_jobs_are_5_0_encrypted_and_in_the_vpc():
    glue = MODULES / "glue"
    job = one("resource", glue, "aws_glue_job", "this")
    assert expr(job["glue_version"]) == "var.glue_version"
    assert expr(job["security_configuration"]).startswith("aws_glue_security_configuration.this[")
    assert expr(job["connections"]) == "var.connection_names"
    assert expr(job["worker_type"]) == "var.job_settings[each.key].worker_type"
    assert expr(job["number_of_workers"]) == "var.job_settings[each.key].number_of_workers"
    assert set(locals_of(glue)["jobs"]) == JOB_NAMES
    for directory in (glue, TF_ROOT):
        assert variables(directory)["glue_version"]["default"] == "5.0"
    # validated once, by the module the root passes it to
    assert expr(validations(variables(glue)["glue_version"])[0]["condition"]) == 'var.glue_version == "5.0"'
    assert not validations(variables(TF_ROOT)["glue_version"])
    root_module = one("module", TF_ROOT, "", "glue")
    assert expr(root_module["glue_version"]) == "var.glue_version"
    assert expr(root_module["connection_names"]) == "module.network.glue_connection_names"
    for env in (TF_ROOT / "envs").glob("*.tfvars"):
        assert re.search(r'^glue_version\s*=\s*"5\.0"$', env.read_text(), re.M), env


def test_security_configurations_use_all_three_encryption_modes():
    config = one("resource", MODULES / "glue", "aws_glue_security_configuration", "this")
    encryption = single(config, "encryption_configuration")
    assert single(encryption, "cloudwatch_encryption")["cloudwatch_encryption_mode"] == "SSE-KMS"
    assert single(encryption, "job_bookmarks_encryption")["job_bookmarks_encryption_mode"] == "CSE-KMS"
    assert single(encryption, "s3_encryption")["s3_encryption_mode"] == "SSE-KMS"
    for part in ("cloudwatch_encryption", "job_bookmarks_encryption", "s3_encryption"):
        assert single(encryption, part)["kms_key_arn"], part


def test_catalog_database_and_optional_catalog_encryption():
    glue = MODULES / "glue"
    one("resource", glue, "aws_glue_catalog_database", "transformed")
    settings = one("resource", glue, "aws_glue_data_catalog_encryption_settings", "this")
    assert expr(settings["count"]) == "var.manage_catalog_encryption ? 1 : 0"
    body = single(settings, "data_catalog_encryption_settings")
    assert single(body, "encryption_at_rest")["catalog_encryption_mode"] == "SSE-KMS"
    assert single(body, "connection_password_encryption")["return_connection_password_encrypted"] is True


def _statements(directory: Path, name: str) -> list[dict]:
    return nested(one("data", directory, "aws_iam_policy_document", name), "statement")


def test_job_roles_are_least_privilege():
    glue = MODULES / "glue"
    star_allowed = {("job_runtime", "DescribeNetwork"), ("job_runtime", "PublishMetrics")}
    for document in ("job_runtime", "ingest", "transform", "verify", "reidentify", "events_notify_workflow"):
        for statement in _statements(glue, document):
            actions = statement["actions"] if isinstance(statement["actions"], list) else [statement["actions"]]
            for action in actions:
                assert not str(action).endswith(":*") and action != "*", f"{document}: wildcard action {action}"
            if statement.get("resources") == ["*"]:
                assert (document, statement["sid"]) in star_allowed, f"{document}.{statement['sid']} uses *"
                assert nested(statement, "condition"), f"{document}.{statement['sid']}: * without a condition"
    role = one("resource", glue, "aws_iam_role", "job")
    assert expr(role["for_each"]) == "local.families"
    assert expr(locals_of(glue)["families"]) == 'toset(["ingest", "transform", "verify", "reidentify"])'
    runtime = {s["sid"]: s for s in _statements(glue, "job_runtime")}
    assert runtime["PublishMetrics"]["condition"][0]["variable"] == "cloudwatch:namespace"
    # Only the ingest and reidentify families may decrypt raw personal data.
    raw_readers = [d for d in ("job_runtime", "ingest", "transform", "verify", "reidentify")
                   if "var.kms_key_arns.raw" in repr(_statements(glue, d))]
    assert raw_readers == ["ingest", "reidentify"]
    secret_readers = [d for d in ("job_runtime", "ingest", "transform", "verify", "reidentify")
                      if "var.tokenization_secret_arn" in repr(_statements(glue, d))]
    assert secret_readers == ["ingest", "transform", "reidentify"]
    # Only the publisher (leak check) writes to the Data Catalog, after a run is published.
    catalog_writers = [d for d in ("job_runtime", "ingest", "transform", "verify", "reidentify")
                       if "glue:CreatePartition" in repr(_statements(glue, d))
                       or "glue:BatchCreatePartition" in repr(_statements(glue, d))]
    assert catalog_writers == ["verify"]


# ---------------------------------------------------------------------------------------------
# Workflows, triggers, EventBridge
# ---------------------------------------------------------------------------------------------

def test_workflows_and_triggers():
    glue = MODULES / "glue"
    workflows = one("resource", glue, "aws_glue_workflow", "this")
    assert set(workflows["for_each"]) == {"scheduled", "macie_event"}
    scheduled = one("resource", glue, "aws_glue_trigger", "scheduled_start")
    assert scheduled["type"] == "SCHEDULED" and expr(scheduled["schedule"]) == "var.workflow_schedule"
    assert expr(single(scheduled, "actions")["job_name"]) == 'aws_glue_job.this["detect_pii"].name'
    event = one("resource", glue, "aws_glue_trigger", "macie_event_start")
    assert event["type"] == "EVENT" and event["start_on_creation"] is True
    assert expr(single(event, "actions")["job_name"]) == 'aws_glue_job.this["macie_masking"].name'
    assert single(event, "event_batching_condition")
    chain = locals_of(glue)["workflow_chain"]
    links = {(s["workflow"], s["after"], s["start"]) for s in chain.values()}
    assert links == {
        ("scheduled", "detect_pii", "macie_masking"), ("scheduled", "macie_masking", "main_etl"),
        ("scheduled", "main_etl", "leak_check"),
        ("macie_event", "macie_masking", "main_etl"), ("macie_event", "main_etl", "leak_check"),
    }
    trigger = one("resource", glue, "aws_glue_trigger", "chain")
    assert trigger["type"] == "CONDITIONAL" and trigger["start_on_creation"] is True
    condition = single(single(trigger, "predicate"), "conditions")
    assert condition["state"] == "SUCCEEDED" and condition["logical_operator"] == "EQUALS"
    # reidentify runs on demand only.
    assert "reidentify" not in repr([b.body for b in blocks("resource", glue, "aws_glue_trigger")])
    assert all("reidentify" not in (s["after"], s["start"]) for s in chain.values())


def test_macie_findings_start_the_event_workflow():
    glue = MODULES / "glue"
    rule = one("resource", glue, "aws_cloudwatch_event_rule", "macie_findings")
    pattern = expr(rule["event_pattern"])
    for fragment in ('"aws.macie"', '"Macie Finding"', "var.bucket_names.raw", "CLASSIFICATION"):
        assert fragment in pattern
    target = one("resource", glue, "aws_cloudwatch_event_target", "macie_findings_to_workflow")
    assert expr(target["arn"]) == 'aws_glue_workflow.this["macie_event"].arn'
    assert expr(target["role_arn"]) == "aws_iam_role.events_to_glue.arn"
    statement = single(one("data", glue, "aws_iam_policy_document", "events_notify_workflow"), "statement")
    assert statement["actions"] == ["glue:notifyEvent"]
    assert statement["resources"] == ['${aws_glue_workflow.this["macie_event"].arn}']


# ---------------------------------------------------------------------------------------------
# Monitoring and Macie
# ---------------------------------------------------------------------------------------------

def test_monitoring_alerts_and_alarms():
    monitoring = MODULES / "monitoring"
    topic = one("resource", monitoring, "aws_sns_topic", "alerts")
    assert expr(topic["kms_master_key_id"]) == "var.kms_key_arn"
    one("resource", monitoring, "aws_sns_topic_subscription", "email")
    rule = one("resource", monitoring, "aws_cloudwatch_event_rule", "job_failed")
    pattern = expr(rule["event_pattern"])
    assert '"Glue Job State Change"' in pattern and '"FAILED"' in pattern and '"TIMEOUT"' in pattern
    target = one("resource", monitoring, "aws_cloudwatch_event_target", "job_failed_to_sns")
    assert expr(target["arn"]) == "aws_sns_topic.alerts.arn"
    alarms = {b.name: b.body for b in blocks("resource", monitoring, "aws_cloudwatch_metric_alarm")}
    assert set(alarms) == {"job_failures", "leak_findings", "rows_quarantined", "anomaly_rate", "duration"}
    for name, alarm in alarms.items():
        assert "aws_sns_topic.alerts.arn" in repr(alarm["alarm_actions"]), name
        assert alarm.get("actions_enabled", True) is True
    assert alarms["leak_findings"]["comparison_operator"] == "GreaterThanThreshold"
    assert alarms["leak_findings"]["threshold"] == 0
    one("resource", monitoring, "aws_cloudwatch_dashboard", "this")


def test_alarms_use_the_metrics_the_jobs_publish():
    from secure_transform.metrics import metrics_from_summary

    summary = {"job": "main_etl", "rows_in": 3, "rows_out": 2, "rows_quarantined": 1, "anomalies_flagged": 1,
               "anomaly_rate": 0.5, "leak_findings": 0}
    datums = metrics_from_summary(summary, job="main_etl", environment="aws")
    published = {d.name for d in datums}
    dimension_names = {name for d in datums for name, _ in d.dimensions}
    defaults = variables(MODULES / "monitoring")["metric_names"]["default"]
    assert set(defaults.values()) <= published
    assert dimension_names == {"Job", "Environment"}
    dims = locals_of(MODULES / "monitoring")["metric_dimensions"]
    assert "Job = job" in expr(dims) and "Environment = var.metric_environment" in expr(dims)
    rate = [d for d in datums if d.name == "AnomalyRate"][0]
    assert rate.unit == "Percent"  # hence the alarm compares with threshold * 100
    alarm = one("resource", MODULES / "monitoring", "aws_cloudwatch_metric_alarm", "anomaly_rate")
    assert expr(alarm["threshold"]) == "var.anomaly_rate_threshold * 100"


def test_macie_classification_job_custom_identifiers_and_export():
    macie = MODULES / "macie"
    account = one("resource", macie, "aws_macie2_account", "this")
    assert expr(account["count"]) == "var.manage_macie_account ? 1 : 0"
    job = one("resource", macie, "aws_macie2_classification_job", "raw")
    assert job["job_type"] == "SCHEDULED"
    definition = single(single(job, "s3_job_definition"), "bucket_definitions")
    assert expr(definition["buckets"][0]) == "var.raw_bucket_name"
    assert "aws_macie2_custom_data_identifier.this" in repr(job["custom_data_identifier_ids"])
    export = single(one("resource", macie, "aws_macie2_classification_export_configuration", "this"), "s3_destination")
    assert expr(export["kms_key_arn"]) == "var.results_kms_key_arn" and expr(export["key_prefix"]) == "var.results_prefix"
    builtin = locals_of(macie)["default_custom_data_identifiers"]
    assert "email-address" in builtin and "internal-account-number" in builtin
    # built-ins plus the variable (feedback proposals), created for_each and all used by the job
    assert variables(macie)["custom_data_identifiers"]["default"] == {}
    merged = expr(locals_of(macie)["custom_data_identifiers"])
    assert "local.default_custom_data_identifiers" in merged and "var.custom_data_identifiers" in merged
    cdi = one("resource", macie, "aws_macie2_custom_data_identifier", "this")
    assert expr(cdi["for_each"]) == "var.enabled ? local.custom_data_identifiers : {}"
    assert "for identifier in aws_macie2_custom_data_identifier.this : identifier.id" in expr(
        job["custom_data_identifier_ids"])
    root = one("module", TF_ROOT, "", "macie")
    assert expr(root["custom_data_identifiers"]) == "var.macie_custom_data_identifiers"
    for text in ((macie / "README.md").read_text(), (macie / "main.tf").read_text()):
        text = " ".join(text.replace("#", " ").split())
        assert "cannot select managed data identifiers" in text and "21952" in text


# ---------------------------------------------------------------------------------------------
# checkov suppressions and scripts
# ---------------------------------------------------------------------------------------------

SKIP = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def test_every_checkov_skip_is_inline_with_a_reason():
    skips = []
    for path, text in ALL_FILES_TEXT.items():
        for number, line in enumerate(text.splitlines(), 1):
            if "checkov:skip" not in line:
                continue
            match = SKIP.search(line)
            assert match, f"{path}:{number}: malformed checkov skip"
            check_id, reason = match.group(1), (match.group(2) or "").strip()
            assert re.fullmatch(r"CKV2?_AWS_\d+", check_id), f"{path}:{number}: {check_id}"
            assert len(reason) >= 40, f"{path}:{number}: {check_id} needs a real reason"
            assert line.startswith("  #checkov:skip="), f"{path}:{number}: skip must sit inside a block"
            skips.append(check_id)
    assert skips, "expected the documented skips (e.g. CKV2_AWS_5 on the Glue security group)"
    # No global suppression anywhere.
    for config in (".checkov.yaml", ".checkov.yml", "terraform/.checkov.yaml", "terraform/.checkov.yml"):
        assert not (REPO / config).exists(), config
    script = (REPO / "scripts" / "check_terraform.sh").read_text()
    commands = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    for flag in ("--soft-fail", "--skip-check", "--config-file", "--baseline", "--skip-path"):
        assert flag not in commands, flag


def test_checkov_runs_in_its_own_pinned_environment():
    script = (REPO / "scripts" / "check_terraform.sh").read_text()
    assert ".venv-checkov" in script and "requirements-checkov.txt" in script
    assert "fmt -check -recursive" in script and "set -euo pipefail" in script
    requirements = (REPO / "scripts" / "requirements-checkov.txt").read_text().splitlines()
    pins = [line for line in requirements if line and not line.startswith("#")]
    assert "checkov==3.3.30" in pins
    assert all("==" in pin for pin in pins)


def test_glue_constraints_pin_the_image_versions():
    constraints = (REPO / "scripts" / "glue-5.0-constraints.txt").read_text()
    for pin in ("numpy==1.26.4", "pandas==2.2.2", "pyarrow==17.0.0", "boto3==1.34.131", "botocore==1.34.131"):
        assert re.search(rf"^{re.escape(pin)}$", constraints, re.M), pin
    pyproject = (REPO / "pyproject.toml").read_text()
    for pin in ("numpy==1.26.4", "pandas==2.2.2", "pyarrow==17.0.0", "boto3==1.34.131"):
        assert pin in pyproject  # the local pins and the image pins agree
