"""Versioned tokenization key sets: AWS Secrets Manager on AWS, a local key file for development.

A key set is a small JSON document (the secret's ``SecretString`` or the file's content)::

    {"type": "secure-transform-keyset", "schema": 1, "active_version": "v2",
     "keys": {"v1": {"material": "<base64 of 32 random bytes>", "created_at": "..."},
              "v2": {"material": "...", "created_at": "..."}}}

Every version's 32-byte master key stays in the document after rotation, so tokens made with
an old version can still be decrypted. Per-method keys are derived from a master with HKDF-SHA256
(one ``info`` label per purpose), so the HMAC key, the AES-GCM key, the FF3-1 key and the
fallback AES-SIV key are independent.

Each version carries a **key-check value** (``"check"``): the first 16 hex digits of
HMAC-SHA256 of a fixed label under the version's master key. It reveals nothing about the key
but tells two keys apart even when both are called ``v1``. It is stored with the key set, in
every tokenized column's metadata and in each run's manifest, so re-identification detects a
wrong key set before it writes a row. A key set written before check values existed still loads
(the value is computed); ``secure-transform keys upgrade`` stores it in the document.

There is no built-in or default key anywhere: :func:`load_keyset` without a source raises
:class:`~secure_transform.errors.KeyManagementError`. Key material never appears in a ``repr``,
``str``, exception message or log line; a :class:`KeySet` refuses to be pickled so it cannot be
shipped to executors by accident (only derived keys needed by a transform are).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import stat
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError, KeyManagementError

__all__ = [
    "KEY_FILE_ENV",
    "KeySet",
    "add_key_version",
    "create_dev_keyset",
    "describe_key_checks",
    "init_keyset_secret",
    "keyset_from_document",
    "load_job_keyset",
    "load_keyset",
    "rotate_keyset",
    "upgrade_keyset",
]

KEY_FILE_ENV = "SECURE_TRANSFORM_KEY_FILE"
DOCUMENT_TYPE = "secure-transform-keyset"
MASTER_KEY_BYTES = 32
KEY_CHECK_LABEL = b"secure-transform/key-check/v1"
KEY_CHECK_HEX = 16  # 64 bits: a wrong key matches by chance once in 1.8e19
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
PURPOSES = {
    # purpose -> derived key length in bytes
    "deterministic": 32,  # HMAC-SHA256
    "non_deterministic": 32,  # AES-256-GCM (Spark aes_encrypt)
    "format_preserving": 32,  # FF3-1 with AES-256
    "format_preserving_fallback": 64,  # AES-256-SIV for values FF3-1 cannot take
}


class KeySet:
    """The versioned master keys. ``repr``/``str`` show versions only, never material."""

    __slots__ = ("_material", "active_version", "source", "stored_checks")

    def __init__(self, keys: Mapping[str, bytes], active_version: str, *, source: str = "memory") -> None:
        if not keys:
            raise KeyManagementError(f"key set from {source} holds no keys")
        for version, material in keys.items():
            if not isinstance(version, str) or not VERSION_PATTERN.match(version):
                raise KeyManagementError(
                    f"key set from {source}: key version names must match {VERSION_PATTERN.pattern}")
            if not isinstance(material, (bytes, bytearray)) or len(material) != MASTER_KEY_BYTES:
                raise KeyManagementError(
                    f"key set from {source}: key version {version!r} is not {MASTER_KEY_BYTES} bytes")
        if active_version not in keys:
            raise KeyManagementError(f"key set from {source}: active version {active_version!r} is not among its keys")
        self._material = {v: bytes(m) for v, m in keys.items()}
        self.active_version = active_version
        self.source = source
        self.stored_checks = frozenset(self._material)  # versions whose check value the document holds

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(sorted(self._material, key=_version_sort_key))

    def __contains__(self, version: object) -> bool:
        return version in self._material

    def derive(self, purpose: str, version: str | None = None) -> bytes:
        """The key for one purpose (see ``PURPOSES``) of ``version`` (default: the active one)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        if purpose not in PURPOSES:
            raise KeyManagementError(f"unknown key purpose {purpose!r}; valid: {', '.join(PURPOSES)}")
        version = self.active_version if version is None else version
        if version not in self._material:
            raise KeyManagementError(f"key version {version!r} is not in the key set from {self.source} "
                                     f"(versions: {', '.join(self.versions)})")
        info = f"secure-transform/v1/{purpose}/{version}".encode("utf-8")
        return HKDF(algorithm=hashes.SHA256(), length=PURPOSES[purpose], salt=None, info=info).derive(
            self._material[version])

    def check_value(self, version: str | None = None) -> str:
        """The key-check value of ``version`` (default: the active one): not secret, safe to log."""
        import hashlib
        import hmac

        version = self.active_version if version is None else version
        if version not in self._material:
            raise KeyManagementError(f"key version {version!r} is not in the key set from {self.source} "
                                     f"(versions: {', '.join(self.versions)})")
        return hmac.new(self._material[version], KEY_CHECK_LABEL, hashlib.sha256).hexdigest()[:KEY_CHECK_HEX]

    def check_values(self) -> dict[str, str]:
        return {v: self.check_value(v) for v in self.versions}

    def derive_all(self, purpose: str) -> dict[str, bytes]:
        return {v: self.derive(purpose, v) for v in self.versions}

    def to_document(self) -> dict[str, Any]:
        """The JSON document (holds material: only for writing the file or the secret)."""
        return {"type": DOCUMENT_TYPE, "schema": 1, "active_version": self.active_version,
                "keys": {v: {"material": base64.b64encode(m).decode("ascii"), "check": self.check_value(v)}
                         for v, m in self._material.items()}}

    def __repr__(self) -> str:
        return f"KeySet(source={self.source!r}, active_version={self.active_version!r}, versions={self.versions!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a KeySet is not picklable: pass only the derived keys a transform needs")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, KeySet) and other.active_version == self.active_version
                and secrets.compare_digest(json.dumps(other.to_document(), sort_keys=True),
                                           json.dumps(self.to_document(), sort_keys=True)))

    __hash__ = None  # type: ignore[assignment]


def _version_sort_key(version: str) -> tuple:
    match = re.fullmatch(r"v(\d+)", version)
    return (0, int(match.group(1)), "") if match else (1, 0, version)


def _new_material() -> bytes:
    return secrets.token_bytes(MASTER_KEY_BYTES)


def keyset_from_document(text: str | bytes, source: str) -> KeySet:
    """Parse a key-set document; errors name the source and the problem, never content."""
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise KeyManagementError(f"{source} is not a key set: not valid JSON") from None
    if not isinstance(doc, dict) or doc.get("type") != DOCUMENT_TYPE:
        raise KeyManagementError(
            f"{source} is not a key set: expected a JSON object with \"type\": \"{DOCUMENT_TYPE}\"")
    keys = doc.get("keys")
    active = doc.get("active_version")
    if not isinstance(keys, dict) or not keys:
        raise KeyManagementError(f"{source}: \"keys\" must be a non-empty object of versions")
    if not isinstance(active, str):
        raise KeyManagementError(f"{source}: \"active_version\" must name one of the key versions")
    material: dict[str, bytes] = {}
    stored: dict[str, Any] = {}
    for version, entry in keys.items():
        encoded = entry.get("material") if isinstance(entry, dict) else None
        if not isinstance(encoded, str):
            raise KeyManagementError(f"{source}: key version {version!r} has no \"material\" string")
        try:
            material[version] = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise KeyManagementError(f"{source}: key version {version!r} material is not base64") from None
        if "check" in entry:
            stored[version] = entry["check"]
    keyset = KeySet(material, active, source=source)
    for version, check in stored.items():
        if not isinstance(check, str) or not secrets.compare_digest(check, keyset.check_value(version)):
            raise KeyManagementError(f"{source}: key version {version!r} does not match its stored check value "
                                     "(the key material was edited or damaged); restore the key set from its backup")
    keyset.stored_checks = frozenset(stored)
    return keyset


def _check_file_permissions(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyManagementError(
            f"key file {path} is accessible to other users (mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}")


def _load_file(key_file: str) -> KeySet:
    path = Path(key_file).expanduser()
    if not path.is_file():
        raise KeyManagementError(
            f"key file {path} does not exist; create one with `secure-transform keys create --key-file {path}`")
    _check_file_permissions(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise KeyManagementError(f"key file {path} cannot be read ({type(exc).__name__})") from None
    return keyset_from_document(text, f"key file {path}")


def _secrets_client(session: Any) -> Any:
    import boto3

    return (session or boto3.session.Session()).client("secretsmanager")


def _client_error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(exc).__name__))


def _load_secret(secret_id: str, session: Any) -> KeySet:
    from botocore.exceptions import BotoCoreError, ClientError

    source = f"key secret {secret_id}"
    try:
        resp = _secrets_client(session).get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = _client_error_code(exc)
        hint = {"ResourceNotFoundException": "it does not exist or has no value yet "
                                             "(initialise it with `secure-transform keys create --secret-id ...`)",
                "AccessDeniedException": "the role may not read it or decrypt it with its KMS key",
                "DecryptionFailure": "its KMS key cannot be used by this role"}.get(code, "")
        raise KeyManagementError(f"cannot read {source}: {code}" + (f"; {hint}" if hint else "")) from None
    except BotoCoreError as exc:
        raise KeyManagementError(f"cannot read {source}: {type(exc).__name__}") from None
    text = resp.get("SecretString")
    if text is None and resp.get("SecretBinary") is not None:
        text = resp["SecretBinary"]
    if text is None:
        raise KeyManagementError(f"{source} has no value")
    return keyset_from_document(text, source)


def load_keyset(*, secret_id: str | None = None, key_file: str | None = None, session: Any = None) -> KeySet:
    """Load the key set from Secrets Manager (``secret_id``) or a local file (``key_file``).

    Without either, the ``SECURE_TRANSFORM_KEY_FILE`` environment variable names the file.
    Nothing else is tried: there is no default key.
    """
    if secret_id and key_file:
        raise KeyManagementError("give either a key secret (AWS) or a key file (local), not both")
    if secret_id:
        return _load_secret(secret_id, session)
    key_file = key_file or os.environ.get(KEY_FILE_ENV) or None
    if key_file:
        return _load_file(key_file)
    raise KeyManagementError(
        "no key set configured: pass --key_secret_id (AWS Secrets Manager) or --key_file "
        f"(local; or set {KEY_FILE_ENV}); there is no default key")


def load_job_keyset(rt: Any) -> KeySet:
    """The key set of a job run: ``--key_secret_id`` on AWS, ``--key_file`` (or the env var) locally.

    Called before any data is read so a missing key stops the job first.
    """
    secret_id = rt.args.get("key_secret_id")
    key_file = rt.args.get("key_file")
    if rt.is_glue:
        if key_file:
            raise ConfigError("--key_file", "is for local runs; on AWS the key set comes from --key_secret_id")
        if not secret_id:
            raise ConfigError("--key_secret_id", "is required on AWS: this job needs the tokenization key set")
    return load_keyset(secret_id=secret_id, key_file=key_file, session=rt.aws_session)


def _write_private_file(path: Path, text: str, *, exclusive: bool) -> None:
    """Write ``text`` to ``path`` with mode 0600 (atomically when replacing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise KeyManagementError(f"key file {path} already exists; refusing to overwrite a key set") from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(path, 0o600)  # in case the umask or filesystem widened it
        return
    fd, tmp = tempfile.mkstemp(prefix=".keyset-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _document_text(keyset: KeySet, created: Mapping[str, str] | None = None) -> str:
    doc = keyset.to_document()
    for version, entry in doc["keys"].items():
        if created and version in created:
            entry["created_at"] = created[version]
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def create_dev_keyset(path: str | os.PathLike) -> KeySet:
    """Write a fresh random key set (one version, ``v1``) to ``path`` with mode 0600.

    Refuses to overwrite an existing file: replacing a key set makes its tokens undecryptable.
    """
    target = Path(path).expanduser()
    keyset = KeySet({"v1": _new_material()}, "v1", source=f"key file {target}")
    _write_private_file(target, _document_text(keyset, {"v1": _now()}), exclusive=True)
    return keyset


def add_key_version(keyset: KeySet) -> KeySet:
    """A new key set with one more (random) version, made active; every old version kept."""
    numbers = [int(m.group(1)) for v in keyset.versions if (m := re.fullmatch(r"v(\d+)", v))]
    version = f"v{max(numbers, default=0) + 1}"
    keys = {v: keyset._material[v] for v in keyset.versions}
    keys[version] = _new_material()
    return KeySet(keys, version, source=keyset.source)


def _created_dates(text: str | bytes) -> dict[str, str]:
    try:
        keys = json.loads(text).get("keys", {})
        return {v: e["created_at"] for v, e in keys.items() if isinstance(e, dict) and "created_at" in e}
    except (ValueError, AttributeError):
        return {}


def rotate_keyset(*, secret_id: str | None = None, key_file: str | None = None, session: Any = None) -> KeySet:
    """Add a new active version to the key file or secret (old versions stay for decryption)."""
    if bool(secret_id) == bool(key_file):
        raise KeyManagementError("rotate needs exactly one of a key secret or a key file")
    if key_file:
        path = Path(key_file).expanduser()
        old = _load_file(str(path))
        new = add_key_version(old)
        created = _created_dates(path.read_bytes())
        created[new.active_version] = _now()
        _write_private_file(path, _document_text(new, created), exclusive=False)
        return new
    old = _load_secret(secret_id, session)  # type: ignore[arg-type]
    new = add_key_version(old)
    _put_secret(secret_id, _document_text(new, {new.active_version: _now()}), session)  # type: ignore[arg-type]
    return new


def _put_secret(secret_id: str, text: str, session: Any) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _secrets_client(session).put_secret_value(SecretId=secret_id, SecretString=text)
    except (ClientError, BotoCoreError) as exc:
        raise KeyManagementError(f"cannot write key secret {secret_id}: {_client_error_code(exc)}") from None


def init_keyset_secret(secret_id: str, session: Any = None) -> KeySet:
    """Give an existing, still empty secret (Terraform creates it without a value) a fresh key set.

    Refuses when the secret already holds a value, which would orphan existing tokens.
    """
    from botocore.exceptions import ClientError

    client = _secrets_client(session)
    try:
        client.get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        if _client_error_code(exc) != "ResourceNotFoundException":
            raise KeyManagementError(f"cannot read key secret {secret_id}: {_client_error_code(exc)}") from None
    else:
        raise KeyManagementError(f"key secret {secret_id} already holds a key set; use `keys rotate` instead")
    keyset = KeySet({"v1": _new_material()}, "v1", source=f"key secret {secret_id}")
    _put_secret(secret_id, _document_text(keyset, {"v1": _now()}), session)
    return keyset


def describe_key_checks(keyset: KeySet) -> list[str]:
    """One line per version: its check value and whether the document stores it (no material)."""
    lines = []
    for version in keyset.versions:
        stored = "stored" if version in keyset.stored_checks else "not stored (run `secure-transform keys upgrade`)"
        active = " (active)" if version == keyset.active_version else ""
        lines.append(f"{version}{active}: check {keyset.check_value(version)}, {stored}")
    return lines


def upgrade_keyset(*, secret_id: str | None = None, key_file: str | None = None, session: Any = None) -> KeySet:
    """Store every version's key-check value in a key set written before check values existed.

    The key material and versions are unchanged, so every existing token stays valid.
    """
    if bool(secret_id) == bool(key_file):
        raise KeyManagementError("upgrade needs exactly one of a key secret or a key file")
    if key_file:
        path = Path(key_file).expanduser()
        keyset = _load_file(str(path))
        _write_private_file(path, _document_text(keyset, _created_dates(path.read_bytes())), exclusive=False)
    else:
        keyset = _load_secret(secret_id, session)  # type: ignore[arg-type]
        _put_secret(secret_id, _document_text(keyset), session)  # type: ignore[arg-type]
    keyset.stored_checks = frozenset(keyset.versions)
    return keyset
