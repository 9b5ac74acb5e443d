"""Re-identification: reverse ``format_preserving`` and ``non_deterministic`` tokens, with the key.

Library: :func:`reidentify_columns` (a DataFrame -> DataFrame transform). One-way methods
(``deterministic``, ``hash``, ``mask``, ``redact``, ``drop``):

* asked for explicitly (``columns=[...]``), a one-way column is refused with a ``ConfigError``
  naming the column and its method;
* by default (``columns=None``) every reversible column of the configuration is reversed and
  one-way columns are left untouched (their tokens stay tokens).

Job: :func:`run_reidentify` is the entry point of ``glue_jobs/reidentify.py``: it reads the
tokenized data (the newest published run when the source holds ``_latest.json``), keeps the rows
``--row_filter`` selects (``anomalies`` by default: ``is_anomaly`` true), reverses the reversible
columns and writes Parquet under ``<target>/run_id=<run id>/`` with an audit record beside it.

The key version of a format-preserving column comes from the column's metadata written at
tokenization time, else the column's ``key_version`` option, else the active version. A
``non_deterministic`` token names its version itself. A token that does not decrypt (tampered,
unknown version) becomes null and is counted in the run summary; the row is still written.

Before any row is written the key set is checked: each reversed column's key-check value
(recorded in its metadata at tokenization, else in the run's ``_manifest.json``) must equal the
key set's value for that version. A different key with the same version name (two key sets both
called ``v1``) is refused with :class:`KeyManagementError`. Data with no recorded check value
(tokenized before check values existed) is refused unless ``allow_unverified_key`` is set.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import reduce
from typing import Any, Iterable, Sequence

from .errors import ConfigError, KeyManagementError, SchemaError
from .tokenization import (METADATA_KEY, PiiConfig, REVERSIBLE_METHODS, ColumnSpec, ensure_plan_redaction,
                           fpe_codec, fpe_column, parse_pii_columns, quiet_py4j)

__all__ = ["parse_row_filter", "reidentify_columns", "run_reidentify"]

_TOKEN = re.compile(r"^([A-Za-z0-9_.-]{1,32}):(.*)$")
ANOMALY_COLUMN = "is_anomaly"
REIDENTIFIED = {METADATA_KEY: {"method": "reidentified"}}


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _targets(df: Any, config: PiiConfig, columns: Sequence[str] | None) -> list[ColumnSpec]:
    reversible = ", ".join(sorted(REVERSIBLE_METHODS))
    if columns is None:
        specs = [c for c in config.columns if c.is_reversible]
        if not specs:
            raise ConfigError("--pii_columns",
                              f"has no reversible column (methods {reversible}); nothing to re-identify")
    else:
        specs = []
        for name in columns:
            spec = config.spec(name)
            if spec is None:
                raise ConfigError("--columns", f"column {name!r} is not configured in --pii_columns")
            if not spec.is_reversible:
                raise ConfigError("--columns", f"column {name!r} was tokenized with method {spec.method!r}, which is "
                                               f"one-way and cannot be re-identified; reversible methods: {reversible}")
            specs.append(spec)
    for spec in specs:
        if spec.name not in df.columns:
            raise SchemaError("input", spec.name, "is a reversible column in --pii_columns but not in the data")
    return specs


def _recorded(df: Any, name: str) -> dict:
    field = next(f for f in df.schema.fields if f.name == name)
    meta = (field.metadata or {}).get(METADATA_KEY)
    return meta if isinstance(meta, dict) else {}


def _check_recorded(spec: ColumnSpec, recorded: dict) -> None:
    """The data's own record of how it was tokenized must match the configuration given."""
    if not recorded:
        return
    expected = {"method": spec.method}
    if spec.method == "format_preserving":
        expected.update({"alphabet": spec.alphabet, "preserve_prefix": spec.preserve_prefix,
                         "preserve_suffix": spec.preserve_suffix, "luhn": spec.luhn, "domain": spec.tweak_domain})
    for option, value in expected.items():
        if option in recorded and recorded[option] != value:
            raise ConfigError("--pii_columns", f"column {spec.name!r}: the data was tokenized with {option} "
                                               f"{recorded[option]!r}, the configuration says {value!r}")


def _gcm_decrypt(col: Any, keyset: Any) -> Any:
    """Decrypt ``<version>:<base64>`` tokens with the named version's key; null when it fails."""
    from pyspark.sql import functions as F

    version = F.regexp_extract(col, _TOKEN.pattern, 1)
    payload = F.unbase64(F.regexp_extract(col, _TOKEN.pattern, 2))
    branches = []
    for v in keyset.versions:
        key = F.lit(bytearray(keyset.derive("non_deterministic", v)))
        branches.append((version == F.lit(v), F.try_aes_decrypt(payload, key, F.lit("GCM"), F.lit("DEFAULT"))))
    first_cond, first_value = branches[0]
    plain = reduce(lambda acc, b: acc.when(b[0], b[1]), branches[1:], F.when(first_cond, first_value))
    return plain


def _restore_type(plain: Any, source_type: str | None) -> Any:
    if not source_type or source_type == "string":
        return plain
    return plain.cast(source_type)


def verify_key(spec: ColumnSpec, recorded: dict, keyset: Any, manifest_checks: dict | None = None,
               allow_unverified: bool = False) -> str:
    """The key version a column was tokenized with, after checking that ``keyset`` holds that very key.

    Raises ``KeyManagementError`` naming the column, version and both check values when the key
    set's key of that version is a different key (same name, other material), and when no check
    value is recorded anywhere unless ``allow_unverified``.
    """
    version = recorded.get("key_version") or spec.key_version or keyset.active_version
    if version not in keyset:
        raise KeyManagementError(f"column {spec.name!r} was tokenized with key version {version!r}, which is "
                                 f"not in the key set from {keyset.source} (versions: {', '.join(keyset.versions)})")
    expected = recorded.get("key_check") or (manifest_checks or {}).get(version)
    actual = keyset.check_value(version)
    if expected is None:
        if not allow_unverified:
            raise KeyManagementError(
                f"column {spec.name!r}: the data records no key-check value for key version {version!r} (tokenized "
                f"before check values existed), so the key set cannot be verified; if you are sure the key set "
                f"from {keyset.source} is the one used, pass --allow-unverified-key")
        return version
    if expected != actual:
        raise KeyManagementError(
            f"column {spec.name!r}: wrong key set: the data was tokenized with a key version {version!r} whose check "
            f"value is {expected}, but {keyset.source} holds a different key under that name (check {actual}); "
            "nothing was written")
    return version


def _reverse_expr(df: Any, spec: ColumnSpec, keyset: Any, manifest_checks: dict | None = None,
                  allow_unverified: bool = False) -> Any:
    from pyspark.sql import functions as F

    col = F.col(_quoted(spec.name))
    recorded = _recorded(df, spec.name)
    _check_recorded(spec, recorded)
    version = verify_key(spec, recorded, keyset, manifest_checks, allow_unverified)
    source_type = recorded.get("source_type")
    if spec.method == "non_deterministic":
        plain_bytes = _gcm_decrypt(col, keyset)
        plain = plain_bytes if source_type == "binary" else _restore_type(plain_bytes.cast("string"), source_type)
    else:
        codec = fpe_codec(spec, keyset, version, decrypt=True)
        plain = _restore_type(fpe_column(col, codec, decrypt=True), source_type)
    if source_type in (None, "string"):
        empty = F.lit("")
    else:  # a non-string source never produced an empty token
        empty = F.lit(bytearray()) if source_type == "binary" else F.lit(None).cast(source_type)
    return F.when(col.isNull(), F.lit(None)).when(col == "", empty).otherwise(plain)


def reidentify_columns(df: Any, config: PiiConfig, keyset: Any, columns: Sequence[str] | None = None, *,
                       manifest_checks: dict | None = None, allow_unverified_key: bool = False) -> Any:
    """Replace reversible tokens by their original values, in place, in one ``select``.

    ``columns=None`` reverses every reversible column of ``config`` and leaves one-way columns as
    they are; an explicit ``columns`` list naming a one-way column raises ``ConfigError``.
    Nulls stay null, empty strings stay empty, a token that cannot be decrypted becomes null.
    The original type recorded at tokenization (e.g. ``bigint``) is restored. The key set is
    verified first (:func:`verify_key`); ``manifest_checks`` are the run manifest's check values
    per version, used for columns whose metadata records none.
    """
    from pyspark.sql import functions as F

    if keyset is None:
        raise KeyManagementError("re-identification needs the key set the data was tokenized with")
    specs = {s.name: s for s in _targets(df, config, columns)}
    ensure_plan_redaction(df.sparkSession)
    with quiet_py4j():  # key-derived literals cross to the JVM here
        selected = []
        for field in df.schema.fields:
            spec = specs.get(field.name)
            if spec is None:
                selected.append(F.col(_quoted(field.name)))
            else:
                # replaces the tokenization record: a second re-identification is refused
                expr = _reverse_expr(df, spec, keyset, manifest_checks, allow_unverified_key)
                selected.append(expr.alias(field.name, metadata=REIDENTIFIED))
        return df.select(selected)


# --- the job ----------------------------------------------------------------------------------


def parse_row_filter(value: str | None, config: PiiConfig) -> tuple[str, Any]:
    """``anomalies`` (default), ``all`` or ``<column>=<v1>,<v2>,...`` on a non-PII key column.

    Filtering on a PII column is refused: its values would have to appear in job arguments.
    """
    text = (value or "anomalies").strip()
    if text in ("anomalies", "all"):
        return text, None
    name, sep, values = text.partition("=")
    name = name.strip()
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or not name or not items:
        raise ConfigError("--row_filter", "must be 'anomalies', 'all' or '<column>=<value>[,<value>...]'")
    if name in config.column_names:
        raise ConfigError("--row_filter", f"column {name!r} holds personal data (it is in --pii_columns); "
                                          "select rows by a non-personal key such as transaction_id")
    return "values", (name, tuple(items))


def filter_rows(df: Any, row_filter: tuple[str, Any]) -> Any:
    from pyspark.sql import functions as F

    kind, detail = row_filter
    if kind == "all":
        return df
    if kind == "anomalies":
        if ANOMALY_COLUMN not in df.columns:
            raise SchemaError("input", ANOMALY_COLUMN, "is needed by --row_filter anomalies but not in the data "
                                                       "(use --row_filter all or <column>=<values>)")
        return df.filter(F.col(ANOMALY_COLUMN).cast("boolean"))
    name, values = detail
    if name not in df.columns:
        raise SchemaError("input", name, "is named by --row_filter but not in the data")
    return df.filter(F.col(_quoted(name)).cast("string").isin(list(values)))


def resolve_source(source: Any, session: Any = None) -> Any:
    """The newest published run's data when ``source`` is a transformed zone, else ``source``."""
    from . import io as sio
    from . import publish

    latest = source.child(publish.LATEST)
    if sio.exists(latest, session):
        run_id = sio.read_json(latest, session).get("run_id")
        if not isinstance(run_id, str) or not run_id:
            raise SchemaError(latest.uri, None, "does not name a run_id")
        return publish.data_location(source, run_id)
    return source


def manifest_key_checks(source: Any, session: Any = None) -> dict[str, str] | None:
    """The key-check values in the run manifest beside ``source`` (``runs/run_id=<id>/data``), if any."""
    import posixpath

    from . import io as sio
    from .publish import MANIFEST

    parent_key = posixpath.dirname(source.key.rstrip("/"))
    for loc in (source.child(MANIFEST), sio.Location(source.scheme, source.bucket, parent_key).child(MANIFEST)):
        if sio.exists(loc, session):
            checks = sio.read_json(loc, session).get("key_check_values")
            if isinstance(checks, dict):
                return {str(k): str(v) for k, v in checks.items()}
    return None


def _failure_counts(df: Any, tokens: dict[str, str], names: Iterable[str]) -> Any:
    from pyspark.sql import functions as F

    aggs = [F.count(F.lit(1)).alias("rows")]
    for i, name in enumerate(names):
        token = F.col(_quoted(tokens[name]))
        failed = token.isNotNull() & (token != "") & F.col(_quoted(name)).isNull()
        aggs.append(F.sum(F.when(failed, 1).otherwise(0)).alias(f"failed_{i}"))
    return df.agg(*aggs).first()  # one aggregate row


def reidentify_dataset(spark: Any, source_path: str, target_path: str, config: PiiConfig, keyset: Any,
                       row_filter: tuple[str, Any], columns: Sequence[str] | None = None,
                       stage: Any = None, *, manifest_checks: dict | None = None,
                       allow_unverified_key: bool = False) -> dict:
    """Read Parquet, select rows, re-identify, write Parquet; returns the counts (shared by job and CLI)."""
    from contextlib import nullcontext

    from pyspark.sql import functions as F

    stage = stage or (lambda _name: nullcontext())
    with stage("read"):
        # spark.read, not a bookmarked DynamicFrame: the column metadata (key versions) must survive
        # and a re-identification must see the whole run, not only what is new since the last one.
        df = spark.read.parquet(source_path)
    with stage("reidentify"):
        selected = filter_rows(df, row_filter)
        scanned = df.agg(F.count(F.lit(1)).alias("n")).first()["n"]  # one aggregate row
        names = [s.name for s in _targets(selected, config, columns)]
        tokens = {n: f"__token_{i}" for i, n in enumerate(names)}
        with_tokens = selected.select("*", *[F.col(_quoted(n)).alias(t) for n, t in tokens.items()])
        verified = {"manifest_checks": manifest_checks, "allow_unverified_key": allow_unverified_key}
        plain_with_tokens = reidentify_columns(with_tokens, config, keyset, names, **verified)
        counts = _failure_counts(plain_with_tokens, tokens, names)
    with stage("write"):
        plain = reidentify_columns(selected, config, keyset, names, **verified)
        plain.write.mode("errorifexists").parquet(target_path)
    failed = {n: int(counts[f"failed_{i}"] or 0) for i, n in enumerate(names)}
    return {"rows_scanned": int(scanned), "rows_selected": int(counts["rows"]), "columns_reidentified": names,
            "values_not_reidentified": failed}


def run_reidentify(rt: Any) -> dict:
    """Entry point of ``glue_jobs/reidentify.py`` (jobspec ``reidentify``)."""
    from . import io as sio
    from .keys import load_job_keyset

    with rt.stage("configure"):
        config = parse_pii_columns(rt.args["pii_columns"])
        row_filter = parse_row_filter(rt.args.get("row_filter"), config)
        if not config.reversible_columns:
            raise ConfigError("--pii_columns", "has no reversible column (format_preserving or non_deterministic); "
                                               "nothing to re-identify")
        keyset = load_job_keyset(rt)  # before any data is read: a missing key stops the job here
        source = resolve_source(rt.location("source_bucket"), rt.aws_session)
        out = rt.location("target_bucket").child(f"run_id={rt.run_id}")
        if sio.exists(out, rt.aws_session):
            raise ConfigError("--target_bucket", f"already holds run_id={rt.run_id}; refusing to overwrite")
    result = reidentify_dataset(rt.spark, source.spark_path(), out.spark_path(), config, keyset, row_filter,
                                stage=rt.stage, manifest_checks=manifest_key_checks(source, rt.aws_session))
    failed_total = sum(result["values_not_reidentified"].values())
    if failed_total:
        rt.logger.warning("%d token(s) could not be decrypted and were written as null", failed_total)
    audit = {"run_id": rt.run_id, "job": "reidentify", "source": source.uri, "output": out.uri,
             "row_filter": row_filter[0], "key_set": keyset.source, "key_versions": list(keyset.versions),
             "key_check_values": keyset.check_values(),
             "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **result}
    sio.write_json(out.child("_reidentification.json"), audit, rt.aws_session)
    rows = result["rows_selected"]
    return {"job": "reidentify", "run_id": rt.run_id, "rows_in": rows, "rows_out": rows, "rows_quarantined": 0,
            "source": source.uri, "output": out.uri, **result}
