"""Key sets: local files, Secrets Manager (moto), rotation, derivation, and no material anywhere."""

from __future__ import annotations

import base64
import json
import os
import pickle
import stat

import boto3
import pytest
from moto import mock_aws

from secure_transform.cli import main as cli_main
from secure_transform.errors import ConfigError, KeyManagementError
from secure_transform.keys import (KEY_FILE_ENV, KeySet, add_key_version, create_dev_keyset, init_keyset_secret,
                                   keyset_from_document, load_job_keyset, load_keyset, rotate_keyset)

MATERIAL = bytes(range(100, 132))


def _document(**overrides):
    doc = {"type": "secure-transform-keyset", "schema": 1, "active_version": "v1",
           "keys": {"v1": {"material": base64.b64encode(MATERIAL).decode()}}}
    doc.update(overrides)
    return json.dumps(doc)


def _secret_words(keyset: KeySet) -> list[str]:
    """Every textual form key material could take in a leak."""
    out = []
    for version in keyset.versions:
        raw = keyset._material[version]
        out += [raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode()]
        for purpose in ("deterministic", "non_deterministic", "format_preserving", "format_preserving_fallback"):
            derived = keyset.derive(purpose, version)
            out += [derived.hex(), base64.b64encode(derived).decode()]
    return out


def _leaks(keyset: KeySet, text: str) -> int:
    """How many key-material strings occur in ``text`` (a count, so a failure never prints them)."""
    return sum(word in text for word in _secret_words(keyset))


def test_create_dev_keyset_writes_a_private_file_and_loads_back(tmp_path):
    path = tmp_path / "keys" / "dev.json"
    created = create_dev_keyset(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_keyset(key_file=str(path))
    assert loaded == created
    assert loaded.active_version == "v1" and loaded.versions == ("v1",)
    assert create_dev_keyset(tmp_path / "other.json") != created  # random, not a built-in default


def test_create_dev_keyset_refuses_to_overwrite(tmp_path):
    path = tmp_path / "dev.json"
    create_dev_keyset(path)
    before = path.read_bytes()
    with pytest.raises(KeyManagementError, match="refusing to overwrite"):
        create_dev_keyset(path)
    assert path.read_bytes() == before


def test_repr_str_errors_and_pickle_never_show_material(tmp_path):
    keyset = create_dev_keyset(tmp_path / "dev.json")
    shown = repr(keyset) + str(keyset) + f"{keyset}"
    assert "v1" in shown and "dev.json" in shown
    assert _leaks(keyset, shown) == 0
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(keyset)
    with pytest.raises(KeyManagementError) as err:
        keyset.derive("deterministic", "v7")
    assert _leaks(keyset, str(err.value)) == 0


def test_derived_keys_are_independent_per_purpose_and_version():
    keyset = KeySet({"v1": MATERIAL, "v2": bytes(32)}, "v2")
    derived = {(p, v): keyset.derive(p, v) for p in ("deterministic", "non_deterministic", "format_preserving",
                                                      "format_preserving_fallback") for v in ("v1", "v2")}
    assert len(set(derived.values())) == 8
    assert len(derived[("format_preserving_fallback", "v1")]) == 64 and len(derived[("deterministic", "v1")]) == 32
    assert keyset.derive("deterministic") == derived[("deterministic", "v2")]  # active by default
    assert KeySet({"v1": MATERIAL}, "v1").derive("deterministic", "v1") == derived[("deterministic", "v1")]
    with pytest.raises(KeyManagementError, match="unknown key purpose"):
        keyset.derive("signing")


@pytest.mark.parametrize("text,problem", [
    ("{not json", "not valid JSON"),
    (json.dumps({"keys": {}}), "is not a key set"),
    (_document(keys={}), "non-empty object"),
    (_document(active_version="v3"), "active version 'v3' is not among its keys"),
    (_document(keys={"v1": {"material": "***"}}), "not base64"),
    (_document(keys={"v1": {"material": base64.b64encode(b"short").decode()}}), "is not 32 bytes"),
    (_document(keys={"v 1": {"material": base64.b64encode(MATERIAL).decode()}}, active_version="v 1"), "must match"),
    (_document(keys={"v1": "x"}), "no \"material\""),
])
def test_malformed_documents_are_refused_without_echoing_content(text, problem):
    with pytest.raises(KeyManagementError, match=problem) as err:
        keyset_from_document(text, "key file test.json")
    assert "test.json" in str(err.value)
    assert base64.b64encode(MATERIAL).decode() not in str(err.value)


def test_key_file_must_exist_and_be_private(tmp_path):
    with pytest.raises(KeyManagementError, match="does not exist.*keys create"):
        load_keyset(key_file=str(tmp_path / "missing.json"))
    path = tmp_path / "open.json"
    path.write_text(_document())
    os.chmod(path, 0o644)
    with pytest.raises(KeyManagementError, match="chmod 600"):
        load_keyset(key_file=str(path))
    os.chmod(path, 0o600)
    expected = KeySet({"v1": MATERIAL}, "v1").derive("deterministic")
    assert load_keyset(key_file=str(path)).derive("deterministic") == expected


def test_no_source_means_no_key(monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    with pytest.raises(KeyManagementError, match="no default key"):
        load_keyset()
    with pytest.raises(KeyManagementError, match="not both"):
        load_keyset(secret_id="s", key_file="f")


def test_key_file_from_environment(tmp_path, monkeypatch):
    path = tmp_path / "env.json"
    created = create_dev_keyset(path)
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    assert load_keyset() == created


def test_rotation_of_a_key_file_keeps_old_versions(tmp_path):
    path = tmp_path / "dev.json"
    first = create_dev_keyset(path)
    rotated = rotate_keyset(key_file=str(path))
    assert rotated.active_version == "v2" and rotated.versions == ("v1", "v2")
    assert rotated.derive("deterministic", "v1") == first.derive("deterministic", "v1")
    assert rotated.derive("deterministic", "v2") != first.derive("deterministic", "v1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyset(key_file=str(path)) == rotated
    assert add_key_version(rotated).versions == ("v1", "v2", "v3")
    assert "created_at" in json.loads(path.read_text())["keys"]["v1"]


@mock_aws
def test_secrets_manager_key_set_is_read_and_rotated_through_the_session():
    session = boto3.session.Session(region_name="eu-west-1")
    client = session.client("secretsmanager")
    client.create_secret(Name="secure-ml/tokenization-keys", SecretString=_document())
    keyset = load_keyset(secret_id="secure-ml/tokenization-keys", session=session)
    assert keyset.active_version == "v1" and keyset.source == "key secret secure-ml/tokenization-keys"
    assert keyset.derive("deterministic") == KeySet({"v1": MATERIAL}, "v1").derive("deterministic")
    rotated = rotate_keyset(secret_id="secure-ml/tokenization-keys", session=session)
    reloaded = load_keyset(secret_id="secure-ml/tokenization-keys", session=session)
    assert reloaded == rotated and reloaded.versions == ("v1", "v2") and reloaded.active_version == "v2"
    assert reloaded.derive("deterministic", "v1") == keyset.derive("deterministic", "v1")


@mock_aws
def test_secrets_manager_errors_are_clear():
    session = boto3.session.Session(region_name="eu-west-1")
    with pytest.raises(KeyManagementError, match="ResourceNotFoundException"):
        load_keyset(secret_id="missing", session=session)
    session.client("secretsmanager").create_secret(Name="bad", SecretString="plain text")
    with pytest.raises(KeyManagementError, match="key secret bad is not a key set"):
        load_keyset(secret_id="bad", session=session)


@mock_aws
def test_init_keyset_secret_fills_an_empty_secret_once():
    session = boto3.session.Session(region_name="eu-west-1")
    session.client("secretsmanager").create_secret(Name="empty")  # as Terraform creates it: no value
    created = init_keyset_secret("empty", session=session)
    assert load_keyset(secret_id="empty", session=session) == created
    with pytest.raises(KeyManagementError, match="already holds a key set"):
        init_keyset_secret("empty", session=session)


class _Rt:
    def __init__(self, args, is_glue):
        self.args, self.is_glue, self.aws_session = args, is_glue, None


def test_job_key_source_rules(tmp_path):
    with pytest.raises(ConfigError, match="--key_file"):
        load_job_keyset(_Rt({"key_file": "/tmp/k.json", "key_secret_id": None}, is_glue=True))
    with pytest.raises(ConfigError, match="--key_secret_id"):
        load_job_keyset(_Rt({"key_file": None, "key_secret_id": None}, is_glue=True))
    created = create_dev_keyset(tmp_path / "k.json")
    assert load_job_keyset(_Rt({"key_file": str(tmp_path / "k.json"), "key_secret_id": None}, is_glue=False)) == created


def test_keys_cli_create_rotate_show_never_print_material(tmp_path, capsys):
    path = tmp_path / "cli.json"
    assert cli_main(["keys", "create", "--key-file", str(path)]) == 0
    assert cli_main(["keys", "rotate", "--key-file", str(path)]) == 0
    assert cli_main(["keys", "show", "--key-file", str(path)]) == 0
    assert cli_main(["keys", "create", "--key-file", str(path)]) == 2  # refuses to overwrite
    out = capsys.readouterr()
    assert "active version v2" in out.out and "refusing to overwrite" in out.err
    assert _leaks(load_keyset(key_file=str(path)), out.out + out.err) == 0
