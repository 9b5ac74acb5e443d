"""Lineage: what a run read, what it wrote, with which configuration, code and artifacts.

* :func:`build_manifest` builds the ``_manifest.json`` written beside each transformed run: the
  inputs with their sizes and S3 ETags (or, for local files, a streamed SHA-256), the outputs
  with their files and total bytes, the row counts, the configuration hash, the code version,
  the key *version* and the versions of the fitted artifacts (bin edges, anomaly model,
  merchant mapping). No row value, key or secret is ever part of it.
* :func:`register_in_catalog` registers a *published* run in the Glue Data Catalog: the table
  (Parquet, partitioned by ``run_id`` and ``transaction_date``) is created or updated, and the
  run's partitions are added with explicit locations. Only the leak check calls it, after
  :func:`secure_transform.publish.publish_run`, so the catalog never points at an unpublished
  or quarantined run.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from . import __version__
from . import io as sio
from . import publish

__all__ = [
    "MANIFEST_VERSION",
    "MAX_LISTED_FILES",
    "artifact_versions",
    "build_manifest",
    "describe_inputs",
    "describe_outputs",
    "list_partition_values",
    "register_in_catalog",
    "register_published_run",
    "schema_fields_from_spark",
    "sha256_file",
]

MANIFEST_VERSION = 2
MAX_LISTED_FILES = 10_000  # a manifest lists at most this many files per side (totals cover all)
_CHUNK = 1 << 20
# Glue BatchCreatePartition accepts at most 100 partitions per call.
MAX_PARTITIONS_PER_CALL = 100
_PARQUET_SD = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                  "Parameters": {"serialization.format": "1"}},
    "Compressed": True,
}


def sha256_file(path: str, chunk_size: int = _CHUNK) -> str:
    """SHA-256 of a local file, read in chunks (constant memory for any size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def _describe(files: Iterable[sio.ObjectInfo], checksum_local: bool, limit: int) -> dict[str, Any]:
    listed: list[dict[str, Any]] = []
    count = 0
    total = 0
    for info in files:
        count += 1
        total += int(info.size)
        if len(listed) >= limit:
            continue
        entry: dict[str, Any] = {"uri": info.location.uri, "bytes": int(info.size)}
        if info.location.is_s3:
            if info.etag:
                entry["etag"] = info.etag
            if info.version_id:
                entry["version_id"] = info.version_id
        elif checksum_local:
            entry["sha256"] = sha256_file(info.location.key)
        listed.append(entry)
    return {"files": listed, "file_count": count, "total_bytes": total, "truncated": count > len(listed)}


def describe_inputs(files: Iterable[sio.ObjectInfo], *, checksum_local: bool = True,
                    limit: int = MAX_LISTED_FILES) -> dict[str, Any]:
    """Inputs as recorded in a manifest: uri, bytes and the S3 ETag / version id, or a
    streamed SHA-256 for local files; ``file_count``/``total_bytes`` cover every file."""
    return _describe(files, checksum_local, limit)


def describe_outputs(loc: sio.Location, session: Any = None, *, checksum_local: bool = False,
                     limit: int = MAX_LISTED_FILES) -> dict[str, Any]:
    """The data files under an output location (marker files excluded), with the same shape."""
    described = _describe(sio.list_objects(loc, session), checksum_local, limit)
    described["location"] = loc.uri
    return described


def artifact_versions(artifacts: sio.Location, session: Any = None) -> dict[str, str]:
    """Versions of the current bin edges and anomaly model under ``--artifacts_location``
    (missing artifacts are left out)."""
    out: dict[str, str] = {}
    edges = artifacts.child("bin_edges", "current.json")
    if sio.exists(edges, session):
        version = sio.read_json(edges, session).get("version")
        if version:
            out["bin_edges"] = str(version)
    model = artifacts.child("anomaly_model", "current", "model.json")
    if sio.exists(model, session):
        model_id = sio.read_json(model, session).get("model_id")
        if model_id:
            out["anomaly_model"] = str(model_id)
    return out


def build_manifest(*, run_id: str, job: str, config_hash: str | None, inputs: Iterable[sio.ObjectInfo],
                   outputs: Mapping[str, sio.Location], counts: Mapping[str, int],
                   artifacts: Mapping[str, str] | None = None, key_version: str | None = None,
                   session: Any = None, checksum_local_inputs: bool = True, list_outputs: bool = True,
                   extra: Mapping[str, Any] | None = None, git_commit: str | None = None) -> dict[str, Any]:
    """The lineage manifest of one run.

    ``outputs`` maps a role (``data``, ``quarantine``) to its location; with ``list_outputs``
    the files under each are listed with sizes. ``extra`` adds job-specific keys (it may not
    replace the ones set here). Keys of the manifest written by main_etl so far are kept
    (``inputs`` is a list of {uri, bytes, etag}); the new keys are additions.
    """
    described_inputs = describe_inputs(inputs, checksum_local=checksum_local_inputs)
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "run_id": run_id,
        "job": job,
        "config_hash": config_hash,
        "inputs": described_inputs["files"],
        "input_summary": {k: described_inputs[k] for k in ("file_count", "total_bytes", "truncated")},
        "outputs": {role: loc.uri for role, loc in outputs.items()},
        "counts": {k: int(v) for k, v in counts.items()},
        "artifacts": dict(artifacts or {}),
        "key_version": key_version,
        "code": {"package": "secure-ml-transform", "version": __version__,
                 "git_commit": git_commit or os.environ.get("SECURE_TRANSFORM_GIT_COMMIT") or None},
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if list_outputs:
        manifest["output_files"] = {}
        for role, loc in outputs.items():
            if sio.exists(loc, session):
                manifest["output_files"][role] = describe_outputs(loc, session)
    for key, value in (extra or {}).items():
        if key in manifest:
            raise ValueError(f"manifest: extra key {key!r} would replace a standard key")
        manifest[key] = value
    return manifest


# ---------------------------------------------------------------------------------- catalog


def schema_fields_from_spark(schema: Any, *, exclude: Sequence[str] = ("transaction_date", "run_id")) -> list[dict[str, str]]:
    """Glue column definitions from a Spark schema (Hive type names: Spark's ``simpleString``)."""
    return [{"Name": f.name, "Type": f.dataType.simpleString()} for f in schema.fields if f.name not in exclude]


def list_partition_values(data: sio.Location, key: str = "transaction_date", session: Any = None) -> list[str]:
    """Values of ``<key>=<value>`` directories directly under ``data`` (sorted)."""
    prefix = f"{key}="
    if data.is_s3:
        client = sio._s3_client(session)
        paginator = client.get_paginator("list_objects_v2")
        values = set()
        for page in paginator.paginate(Bucket=data.bucket, Prefix=data.key.rstrip("/") + "/", Delimiter="/"):
            for cp in page.get("CommonPrefixes", []):
                part = cp["Prefix"].rstrip("/").rsplit("/", 1)[-1]
                if part.startswith(prefix):
                    values.add(part[len(prefix):])
        return sorted(values)
    if not os.path.isdir(data.key):
        return []
    return sorted(d[len(prefix):] for d in os.listdir(data.key) if d.startswith(prefix))


def _storage_descriptor(columns: Sequence[Mapping[str, str]], location: str) -> dict[str, Any]:
    return {"Columns": [dict(c) for c in columns], "Location": location, **_PARQUET_SD}


def _dir_uri(loc: sio.Location | str) -> str:
    uri = loc.uri if isinstance(loc, sio.Location) else str(loc)
    return uri.rstrip("/") + "/"


def register_in_catalog(session: Any, database: str, table: str, location: sio.Location | str,
                        schema_fields: Sequence[Mapping[str, str]], partition_keys: Sequence[Mapping[str, str]],
                        *, partitions: Sequence[tuple[Sequence[str], sio.Location | str]] = (),
                        description: str | None = None, parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Create or update a Parquet table and add partitions (existing ones are left as they are).

    ``partition_keys``: ``[{"Name": "run_id", "Type": "string"}, ...]``; ``partitions``: pairs
    of (values in key order, location). Returns what was done. The database is Terraform's.
    """
    if not schema_fields:
        raise ValueError("register_in_catalog: schema_fields is empty")
    glue = session.client("glue")
    table_input: dict[str, Any] = {
        "Name": table,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE", **dict(parameters or {})},
        "PartitionKeys": [dict(k) for k in partition_keys],
        "StorageDescriptor": _storage_descriptor(schema_fields, _dir_uri(location)),
    }
    if description:
        table_input["Description"] = description
    try:
        glue.get_table(DatabaseName=database, Name=table)
        glue.update_table(DatabaseName=database, TableInput=table_input)
        created = False
    except glue.exceptions.EntityNotFoundException:
        glue.create_table(DatabaseName=database, TableInput=table_input)
        created = True
    added = 0
    errors: list[dict[str, str]] = []
    items = [{"Values": [str(v) for v in values], "StorageDescriptor": _storage_descriptor(schema_fields, _dir_uri(loc))}
             for values, loc in partitions]
    for start in range(0, len(items), MAX_PARTITIONS_PER_CALL):
        chunk = items[start:start + MAX_PARTITIONS_PER_CALL]
        resp = glue.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=chunk)
        failed = resp.get("Errors", [])
        for err in failed:
            code = err.get("ErrorDetail", {}).get("ErrorCode", "")
            if code != "AlreadyExistsException":
                errors.append({"values": "/".join(err.get("PartitionValues", [])), "error": code})
        added += len(chunk) - len(failed)
    if errors:
        raise RuntimeError(f"catalog: {len(errors)} partition(s) of {database}.{table} could not be added "
                           f"({', '.join(sorted({e['error'] for e in errors}))})")
    return {"database": database, "table": table, "created": created, "partitions_added": added,
            "partitions_requested": len(items)}


def register_published_run(session: Any, database: str, table: str, target: sio.Location, run_id: str,
                           schema_fields: Sequence[Mapping[str, str]], *, date_key: str = "transaction_date",
                           s3_session: Any = None) -> dict[str, Any]:
    """Register one published run: table over ``<target>/runs/`` partitioned by ``run_id`` and
    ``date_key``, one partition per ``<run>/data/<date_key>=<value>/`` directory."""
    data = publish.data_location(target, run_id)
    values = list_partition_values(data, date_key, s3_session or session)
    partitions = [((run_id, v), data.child(f"{date_key}={v}")) for v in values]
    return register_in_catalog(
        session, database, table, target.child(publish.RUNS), schema_fields,
        [{"Name": "run_id", "Type": "string"}, {"Name": date_key, "Type": "date"}],
        partitions=partitions,
        description="Transformed (PII-free) card transactions; only runs published by the leak check",
        parameters={"secure_transform.latest_run_id": run_id},
    )
