"""PII tokenization: per-column methods configured by ``--pii_columns``.

Configuration (JSON object, one entry per column; a bare string is shorthand for the method)::

    {"customer_id":    {"method": "deterministic"},
     "account_number": {"method": "format_preserving", "preserve_prefix": 4},
     "email":          {"method": "hash", "algorithm": "sha256"}}

Methods (see ``docs/TOKENIZATION.md`` for security properties and rotation):

``deterministic``      keyed HMAC-SHA256, hex; Spark built-ins only (``sha2``/``unhex``/``concat``
                       with the key's ipad/opad as binary literals). Options: ``key_version``.
``hash``               unkeyed SHA-256/512 of ``salt || value``, hex. Options: ``algorithm``, ``salt``.
``non_deterministic``  AES-256-GCM with a random IV (Spark ``aes_encrypt``), ``<version>:<base64>``.
                       Options: ``key_version``.
``format_preserving``  FF3-1 (:mod:`secure_transform.ff3`) in an Arrow ``pandas_udf``. Options:
                       ``alphabet`` (digits|alphanumeric), ``preserve_prefix``, ``preserve_suffix``,
                       ``luhn``, ``domain`` (tweak; default the column name), ``key_version``,
                       ``on_unsupported`` (``refuse``, the default: a job stops when a value does not
                       fit FF3-1; ``tokenize``: such values get counted ``§`` fallback tokens; see
                       :mod:`secure_transform.fpe_domain`).
``mask``               keep ``keep_first``/``keep_last`` characters, the rest become ``mask_char``.
``redact``             a constant ``placeholder`` or a typed one (``"type": "email"`` -> ``[EMAIL]``).
``drop``               the column is removed.

Every method keeps null as null and the empty string as the empty string. Non-string columns are
cast to string first (so every tokenized column is a string); the source type is recorded in the
column metadata together with the method and key version, which is how re-identification finds
the key version of format-preserving tokens.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import pandas as pd

from .errors import ConfigError, KeyManagementError, SchemaError
from .jsonargs import parse_json_arg

__all__ = [
    "KEYED_METHODS",
    "METADATA_KEY",
    "METHODS",
    "REVERSIBLE_METHODS",
    "ColumnSpec",
    "PiiConfig",
    "column_metadata",
    "ensure_plan_redaction",
    "fpe_column",
    "fpe_codec",
    "hash_value",
    "hmac_sha256",
    "mask_value",
    "parse_pii_columns",
    "quiet_py4j",
    "tokenize_columns",
]

PARAM = "--pii_columns"
METHODS = ("deterministic", "hash", "non_deterministic", "format_preserving", "mask", "redact", "drop")
KEYED_METHODS = frozenset({"deterministic", "non_deterministic", "format_preserving"})
REVERSIBLE_METHODS = frozenset({"non_deterministic", "format_preserving"})
METADATA_KEY = "secure_transform"
_OPTIONS: Mapping[str, frozenset[str]] = {
    "deterministic": frozenset({"key_version"}),
    "hash": frozenset({"algorithm", "salt"}),
    "non_deterministic": frozenset({"key_version"}),
    "format_preserving": frozenset({"alphabet", "preserve_prefix", "preserve_suffix", "luhn", "domain", "key_version",
                                    "on_unsupported"}),
    "mask": frozenset({"keep_first", "keep_last", "mask_char"}),
    "redact": frozenset({"placeholder", "type"}),
    "drop": frozenset(),
}
HASH_ALGORITHMS = {"sha256": 256, "sha512": 512}
FPE_ALPHABETS = ("digits", "alphanumeric")
#: format_preserving values FF3-1 cannot take: refuse the job (default) or accept counted fallback tokens
ON_UNSUPPORTED = ("refuse", "tokenize")
_VERSION = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
# Binary literals (HMAC pads, AES keys) print as long hex strings in query plans: redact them.
PLAN_REDACTION_REGEX = "(?i:[0-9a-f]{64,})"
_REDACTION_CONF = "spark.sql.redaction.string.regex"


@dataclass(frozen=True)
class ColumnSpec:
    """How one column is tokenized. Validated on construction (``ConfigError`` naming the column)."""

    name: str
    method: str
    algorithm: str = "sha256"
    salt: str = ""
    alphabet: str = "digits"
    preserve_prefix: int = 0
    preserve_suffix: int = 0
    luhn: bool = False
    domain: str | None = None
    key_version: str | None = None
    keep_first: int = 0
    keep_last: int = 0
    mask_char: str = "*"
    placeholder: str = "[REDACTED]"
    on_unsupported: str = "refuse"

    def _fail(self, problem: str) -> None:
        raise ConfigError(PARAM, f"column {self.name!r}: {problem}")

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(PARAM, "column names must be non-empty strings")
        if self.method not in METHODS:
            self._fail(f"unknown method {self.method!r}; valid methods: {', '.join(METHODS)}")
        if self.algorithm not in HASH_ALGORITHMS:
            self._fail(f"unknown algorithm {self.algorithm!r}; valid: {', '.join(HASH_ALGORITHMS)}")
        if not isinstance(self.salt, str):
            self._fail("salt must be a string")
        if self.alphabet not in FPE_ALPHABETS:
            self._fail(f"unknown alphabet {self.alphabet!r}; valid: {', '.join(FPE_ALPHABETS)}")
        for option in ("preserve_prefix", "preserve_suffix", "keep_first", "keep_last"):
            value = getattr(self, option)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 64:
                self._fail(f"{option} must be an integer in 0..64")
        if self.on_unsupported not in ON_UNSUPPORTED:
            self._fail(f"on_unsupported must be one of {', '.join(ON_UNSUPPORTED)}, got {self.on_unsupported!r}")
        if not isinstance(self.luhn, bool):
            self._fail("luhn must be true or false")
        if self.luhn and self.alphabet != "digits":
            self._fail("luhn needs \"alphabet\": \"digits\"")
        if self.domain is not None and (not isinstance(self.domain, str) or not self.domain):
            self._fail("domain must be a non-empty string")
        version = self.key_version
        if version is not None and (not isinstance(version, str) or not _VERSION.match(version)):
            self._fail(f"key_version must match {_VERSION.pattern}")
        if not isinstance(self.mask_char, str) or len(self.mask_char) != 1:
            self._fail("mask_char must be exactly one character")
        if not isinstance(self.placeholder, str) or len(self.placeholder) > 100:
            self._fail("placeholder must be a string of at most 100 characters")

    @property
    def is_keyed(self) -> bool:
        return self.method in KEYED_METHODS

    @property
    def is_reversible(self) -> bool:
        return self.method in REVERSIBLE_METHODS

    @property
    def tweak_domain(self) -> str:
        return self.domain if self.domain is not None else self.name


@dataclass(frozen=True)
class PiiConfig:
    """The parsed ``--pii_columns``: one :class:`ColumnSpec` per column, in configuration order."""

    columns: tuple[ColumnSpec, ...]

    def __post_init__(self) -> None:
        if not self.columns:
            raise ConfigError(PARAM, "names no columns; give at least one column and its method")
        names = [c.name for c in self.columns]
        for name in names:
            if names.count(name) > 1:
                raise ConfigError(PARAM, f"column {name!r} is configured more than once")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def needs_key(self) -> bool:
        return any(c.is_keyed for c in self.columns)

    @property
    def reversible_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.is_reversible)

    def spec(self, name: str) -> ColumnSpec | None:
        return next((c for c in self.columns if c.name == name), None)


def _column_spec(name: Any, entry: Any) -> ColumnSpec:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(PARAM, "column names must be non-empty strings")
    if isinstance(entry, str):
        entry = {"method": entry}
    if not isinstance(entry, Mapping):
        raise ConfigError(PARAM, f"column {name!r}: expected a method name or an object with \"method\"")
    method = entry.get("method")
    if not isinstance(method, str):
        raise ConfigError(PARAM, f"column {name!r}: \"method\" is missing; valid methods: {', '.join(METHODS)}")
    if method not in METHODS:
        raise ConfigError(PARAM, f"column {name!r}: unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    options = {k: v for k, v in entry.items() if k != "method"}
    unknown = sorted(set(options) - _OPTIONS[method])
    if unknown:
        valid = ", ".join(sorted(_OPTIONS[method])) or "none"
        raise ConfigError(PARAM, f"column {name!r}: option {unknown[0]!r} is not valid for method {method!r}; "
                                 f"valid options: {valid}")
    if method == "redact" and "type" in options:
        if "placeholder" in options:
            raise ConfigError(PARAM, f"column {name!r}: give either \"placeholder\" or \"type\", not both")
        kind = options.pop("type")
        if not isinstance(kind, str) or not _TYPE.match(kind):
            raise ConfigError(PARAM, f"column {name!r}: type must be an identifier such as \"email\"")
        options["placeholder"] = f"[{kind.upper()}]"
    return ColumnSpec(name=name, method=method, **options)


def parse_pii_columns(value: str | Mapping[str, Any]) -> PiiConfig:
    """Parse and validate ``--pii_columns`` (JSON text, ``@path`` of a JSON file, or a mapping)."""
    if isinstance(value, PiiConfig):
        return value
    if isinstance(value, str):
        value = parse_json_arg(value, PARAM)
    if not isinstance(value, Mapping):
        raise ConfigError(PARAM, "must be a JSON object mapping column names to methods")
    return PiiConfig(tuple(_column_spec(name, entry) for name, entry in value.items()))


# --- Column -> Column building blocks -------------------------------------------------------


def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    import hashlib

    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\x00")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_sha256(col: Any, key: bytes) -> Any:
    """HMAC-SHA256 (RFC 2104) of a string (UTF-8) or binary column, lower-case hex; null stays null.

    H((K ^ opad) || H((K ^ ipad) || m)) from ``sha2``, ``unhex`` and ``concat`` only.
    """
    from pyspark.sql import functions as F

    ipad, opad = _hmac_pads(key)
    inner = F.unhex(F.sha2(F.concat(F.lit(bytearray(ipad)), col.cast("binary")), 256))
    return F.sha2(F.concat(F.lit(bytearray(opad)), inner), 256)


def hash_value(col: Any, algorithm: str = "sha256", salt: str = "") -> Any:
    """Unkeyed SHA-256/512 of ``salt || value`` (UTF-8), lower-case hex; null stays null."""
    from pyspark.sql import functions as F

    data = col.cast("binary")
    if salt:
        data = F.concat(F.lit(bytearray(salt.encode("utf-8"))), data)
    return F.sha2(data, HASH_ALGORITHMS[algorithm])


def mask_value(col: Any, keep_first: int = 0, keep_last: int = 0, mask_char: str = "*") -> Any:
    """Replace characters by ``mask_char`` except the first/last ones; a value no longer than
    ``keep_first + keep_last`` is masked entirely (a short value is never shown whole)."""
    from pyspark.sql import functions as F

    replacement = mask_char.replace("\\", "\\\\").replace("$", "\\$")
    length = F.length(col)
    middle = col.substr(F.lit(keep_first + 1), length - keep_first - keep_last)
    partial = F.concat(col.substr(F.lit(1), F.lit(keep_first)),
                       F.regexp_replace(middle, "(?s).", replacement),
                       col.substr(length - keep_last + 1, F.lit(keep_last)))
    return F.when(length > keep_first + keep_last, partial).otherwise(F.regexp_replace(col, "(?s).", replacement))


def _gcm_encrypt(col: Any, key: bytes, version: str) -> Any:
    """``<version>:<base64(IV || ciphertext || tag)>`` with AES-256-GCM and a random 96-bit IV."""
    from pyspark.sql import functions as F

    sealed = F.aes_encrypt(col.cast("binary"), F.lit(bytearray(key)), F.lit("GCM"), F.lit("DEFAULT"))
    # base64() may wrap lines (spark.sql.chunkBase64String.enabled); tokens are one line.
    return F.concat(F.lit(f"{version}:"), F.translate(F.base64(sealed), "\r\n", ""))


def fpe_codec(spec: ColumnSpec, keyset: Any, version: str, *, decrypt: bool = False) -> Any:
    """The FF3-1 codec of a column for ``version``. Only the derived keys it needs are shipped to
    executors: this version's, plus every version's fallback key when decrypting (fallback tokens
    name their own version)."""
    from .ff3 import FormatPreservingCodec

    fallback = (keyset.derive_all("format_preserving_fallback") if decrypt
                else {version: keyset.derive("format_preserving_fallback", version)})
    return FormatPreservingCodec(
        alphabet=spec.alphabet, preserve_prefix=spec.preserve_prefix, preserve_suffix=spec.preserve_suffix,
        luhn=spec.luhn, domain=spec.tweak_domain, version=version,
        ff3_keys={version: keyset.derive("format_preserving", version)}, fallback_keys=fallback)


def fpe_column(col: Any, codec: Any, *, decrypt: bool = False) -> Any:
    """Apply an FF3-1 codec to a string column through Arrow batches."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    # Python is needed: Spark has no FF3-1 built-in (radix-n Feistel rounds over AES). The codec
    # takes whole Arrow batches and does one AES-ECB call per round for the batch.
    def run(values: pd.Series) -> pd.Series:
        result = codec.decrypt(values) if decrypt else codec.encrypt(values)
        # Arrow-backed result: handed back to Spark without building Python strings
        return pd.Series(pd.arrays.ArrowExtensionArray(result), index=values.index)

    return F.pandas_udf(run, StringType())(col)


@contextmanager
def quiet_py4j() -> Iterator[None]:
    """Keep Py4J above DEBUG while key-derived literals and the FF3-1 codec cross to the JVM.

    Py4J logs every command it sends at DEBUG, binary arguments included; a root logger at DEBUG
    would otherwise write key-derived bytes (base64) into the log.
    """
    logger = logging.getLogger("py4j")
    previous = logger.level
    if logger.getEffectiveLevel() < logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


def ensure_plan_redaction(spark: Any) -> None:
    """Make Spark redact long hex strings (our key-derived binary literals) in plan output."""
    current = spark.conf.get(_REDACTION_CONF, None)
    if current and PLAN_REDACTION_REGEX in current:
        return
    spark.conf.set(_REDACTION_CONF, f"(?:{current})|{PLAN_REDACTION_REGEX}" if current else PLAN_REDACTION_REGEX)


# --- the transform ----------------------------------------------------------------------------

_ATOMIC = ("string", "binary", "boolean", "tinyint", "smallint", "int", "bigint", "float", "double",
           "date", "timestamp", "timestamp_ntz")
_BYTE_METHODS = frozenset({"deterministic", "hash", "non_deterministic", "redact", "drop"})


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _key_version(spec: ColumnSpec, keyset: Any) -> str:
    version = spec.key_version or keyset.active_version
    if version not in keyset:
        raise KeyManagementError(f"column {spec.name!r} pins key version {version!r}, which is not in the key set "
                                 f"(versions: {', '.join(keyset.versions)})")
    return version


def _tokenize_expr(col: Any, spec: ColumnSpec, keyset: Any, version: str | None) -> Any:
    from pyspark.sql import functions as F

    if spec.method == "deterministic":
        token = hmac_sha256(col, keyset.derive("deterministic", version))
    elif spec.method == "hash":
        token = hash_value(col, spec.algorithm, spec.salt)
    elif spec.method == "non_deterministic":
        token = _gcm_encrypt(col, keyset.derive("non_deterministic", version), version)  # type: ignore[arg-type]
    elif spec.method == "format_preserving":
        token = fpe_column(col, fpe_codec(spec, keyset, version))  # type: ignore[arg-type]
    elif spec.method == "mask":
        token = mask_value(col, spec.keep_first, spec.keep_last, spec.mask_char)
    else:  # redact
        token = F.lit(spec.placeholder)
    # null stays null, "" stays "" (no shared token for missing values)
    return F.when(col.isNull(), F.lit(None).cast("string")).when(col.cast("string") == "", F.lit("")).otherwise(token)


def column_metadata(spec: ColumnSpec, source_type: str, version: str | None,
                    key_check: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"method": spec.method, "source_type": source_type}
    if version is not None:
        meta["key_version"] = version
    if key_check is not None:  # tells a same-named but different key apart at re-identification
        meta["key_check"] = key_check
    if spec.method == "format_preserving":
        meta.update({"alphabet": spec.alphabet, "preserve_prefix": spec.preserve_prefix,
                     "preserve_suffix": spec.preserve_suffix, "luhn": spec.luhn, "domain": spec.tweak_domain})
    return {METADATA_KEY: meta}


def tokenize_columns(df: Any, config: PiiConfig, keyset: Any) -> Any:
    """Replace every configured column by its token, in place, in one ``select`` (drop removes it).

    Raises ``SchemaError`` for a configured column missing from ``df`` or of a complex type, and
    ``KeyManagementError`` when a keyed method is configured but ``keyset`` is None.
    """
    from pyspark.sql import functions as F

    fields = {f.name: f for f in df.schema.fields}
    for spec in config.columns:
        if spec.name not in fields:
            raise SchemaError("input", spec.name, "configured in --pii_columns but not in the data")
        type_name = fields[spec.name].dataType.simpleString()
        if type_name not in _ATOMIC and not type_name.startswith("decimal"):
            raise SchemaError("input", spec.name, f"has type {type_name}; only atomic columns can be tokenized")
        if type_name == "binary" and spec.method not in _BYTE_METHODS:
            raise SchemaError("input", spec.name, f"is binary; method {spec.method!r} needs text")
    keyed = [s.name for s in config.columns if s.is_keyed]
    if keyed and keyset is None:
        raise KeyManagementError(f"{PARAM} uses keyed methods (columns: {', '.join(keyed)}) but no key set was loaded")
    versions = {s.name: _key_version(s, keyset) for s in config.columns if s.is_keyed}
    if keyed:
        ensure_plan_redaction(df.sparkSession)
    with quiet_py4j():
        selected = []
        for field in df.schema.fields:
            spec = config.spec(field.name)
            col = F.col(_quoted(field.name))
            if spec is None:
                selected.append(col)
                continue
            if spec.method == "drop":
                continue
            source_type = field.dataType.simpleString()
            value = col if source_type in ("string", "binary") else col.cast("string")
            version = versions.get(spec.name)
            expr = _tokenize_expr(value, spec, keyset, version)
            check = keyset.check_value(version) if version is not None else None
            selected.append(expr.alias(field.name, metadata=column_metadata(spec, source_type, version, check)))
        return df.select(selected)
