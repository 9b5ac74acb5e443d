"""Structured JSON audit events: one per job run, success or failure.

An audit event says who ran what on which data with which configuration, code and key
*version*, when, and how it ended. It never carries a key, a secret, a row value or an
exception message that could quote one:

* :func:`build_audit_event` is the guard. Only the fields in :data:`AUDIT_FIELDS` are accepted,
  each with its type; anything else raises :class:`AuditFieldError` before anything is written.
  Every string (also inside lists and maps) goes through :func:`secure_transform.logs.redact`.
* A failure is recorded by its exception *class*; the message is kept only for the project's own
  :class:`~secure_transform.errors.SecureTransformError`, whose messages name parameters, files
  and columns, never values (and it is redacted too).

Where events go: on AWS to the job's CloudWatch Logs group (``put_log_events``, one stream per
job and day, created when missing; the group itself comes from Terraform with its KMS key and
retention), locally appended to a JSON Lines file in the output directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Mapping

from . import __version__
from .errors import SecureTransformError
from .logs import redact

__all__ = [
    "AUDIT_FIELDS",
    "AUDIT_SCHEMA_VERSION",
    "AuditFieldError",
    "GIT_COMMIT_ENV",
    "args_config_hash",
    "audit_event_for_run",
    "build_audit_event",
    "code_version",
    "audit_destination",
    "emit_audit_event",
    "record_job_run",
    "write_audit_event_cloudwatch",
    "write_audit_event_file",
]

AUDIT_SCHEMA_VERSION = 1
GIT_COMMIT_ENV = "SECURE_TRANSFORM_GIT_COMMIT"
OUTCOMES = ("succeeded", "failed")
_STR, _INT, _FLOAT, _BOOL, _STRLIST, _STRMAP = "str", "int", "float", "bool", "list[str]", "dict[str,str]"

#: The allow-list: field -> type. Nothing else can be emitted.
AUDIT_FIELDS: dict[str, str] = {
    "schema_version": _INT,
    "event_type": _STR,
    "event_id": _STR,
    "emitted_at": _STR,
    "job": _STR,
    "run_id": _STR,
    "environment": _STR,
    "platform": _STR,  # "glue" or "local"
    "glue_job_run_id": _STR,
    "outcome": _STR,
    "failure_class": _STR,
    "failure_message": _STR,
    "exit_code": _INT,
    "started_at": _STR,
    "ended_at": _STR,
    "duration_seconds": _FLOAT,
    "inputs": _STRLIST,
    "outputs": _STRLIST,
    "rows_in": _INT,
    "rows_out": _INT,
    "rows_quarantined": _INT,
    "anomalies_flagged": _INT,
    "leak_findings": _INT,
    "findings_masked": _INT,
    "published": _BOOL,
    "config_hash": _STR,
    "code_version": _STR,
    "git_commit": _STR,
    "key_version": _STR,
    "artifacts": _STRMAP,
}
_MAX_STRING = 2048
_MAX_LIST = 200
_KEY_VERSION = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_GIT_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_LOG_GROUP = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
# Fields whose value is kept verbatim when it has exactly this shape (hashes and ids that the
# redactor would otherwise turn into [HEX]/[SECRET]); any other value is redacted like the rest.
_VERBATIM: dict[str, re.Pattern[str]] = {
    "event_id": re.compile(r"^[0-9a-f]{32}$"),
    "config_hash": _SHA256,
    "git_commit": _GIT_COMMIT,
    "run_id": re.compile(r"^(?:\d{8}T\d{6}Z(?:-[0-9a-f]{8})?|jr_[0-9a-f]{64})$"),
    "glue_job_run_id": re.compile(r"^jr_[0-9a-f]{64}$"),
}
# Job arguments that name locations: which are read and which are written.
_INPUT_ARGS = ("source_bucket", "results_bucket", "merchant_mapping")
_OUTPUT_ARGS = ("target_bucket", "quarantine_bucket", "artifacts_location")
# Arguments that do not change what a run produces.
_UNHASHED_ARGS = ("run_id", "summary_location", "log_level", "metrics_namespace", "alert_topic_arn",
                  "audit_log_group", "audit_file", "environment", "JOB_NAME")


class AuditFieldError(SecureTransformError, ValueError):
    """An audit event was given a field outside the allow-list or of the wrong type."""


def _clean_str(value: str, field: str) -> str:
    text = redact(value)
    return text if len(text) <= _MAX_STRING else text[: _MAX_STRING - 1] + "\u2026"


def _check(field: str, value: Any) -> Any:
    kind = AUDIT_FIELDS.get(field)
    if kind is None:
        raise AuditFieldError(f"audit event: field {field!r} is not in the allow-list")
    if value is None:
        return None
    if kind == _STR and isinstance(value, str):
        verbatim = _VERBATIM.get(field)
        if verbatim is not None and verbatim.match(value):
            return value
        return _clean_str(value, field)
    if kind == _INT and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == _FLOAT and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind == _BOOL and isinstance(value, bool):
        return value
    if kind == _STRLIST and isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        if len(value) > _MAX_LIST:
            raise AuditFieldError(f"audit event: field {field!r} has more than {_MAX_LIST} entries")
        return [_clean_str(v, field) for v in value]
    if kind == _STRMAP and isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        if len(value) > _MAX_LIST:
            raise AuditFieldError(f"audit event: field {field!r} has more than {_MAX_LIST} entries")
        return {_clean_str(k, field): _clean_str(v, field) for k, v in sorted(value.items())}
    raise AuditFieldError(f"audit event: field {field!r} must be {kind}, got {type(value).__name__}")


def build_audit_event(**fields: Any) -> dict[str, Any]:
    """Validate and redact an audit event; fills ``schema_version``, ``event_id``, ``emitted_at``."""
    fields.setdefault("schema_version", AUDIT_SCHEMA_VERSION)
    fields.setdefault("event_type", "job_run")
    fields.setdefault("event_id", uuid.uuid4().hex)
    fields.setdefault("emitted_at", datetime.now(timezone.utc).isoformat(timespec="milliseconds"))
    event = {}
    for field in sorted(fields):
        value = _check(field, fields[field])
        if value is not None:
            event[field] = value
    for required in ("job", "run_id", "outcome"):
        if required not in event:
            raise AuditFieldError(f"audit event: field {required!r} is required")
    if event["outcome"] not in OUTCOMES:
        raise AuditFieldError(f"audit event: outcome must be one of {', '.join(OUTCOMES)}")
    if "key_version" in event and not _KEY_VERSION.match(event["key_version"]):
        # A key *version* is a short label; anything else might be material and is refused.
        raise AuditFieldError("audit event: key_version must be a short version label ([A-Za-z0-9_.-]{1,32})")
    return event


def code_version() -> dict[str, str | None]:
    """The package version and, when the build recorded it, the git commit.

    The commit comes from ``$SECURE_TRANSFORM_GIT_COMMIT`` (set by the build or the operator);
    this never runs git, which does not exist on Glue.
    """
    commit = (os.environ.get(GIT_COMMIT_ENV) or "").strip().lower()
    return {"code_version": __version__, "git_commit": commit if _GIT_COMMIT.match(commit) else None}


def args_config_hash(args: Mapping[str, Any]) -> str:
    """SHA-256 over the job arguments that shape the output (run id, logging and sinks excluded)."""
    material = {k: str(v) for k, v in sorted(args.items()) if v is not None and k not in _UNHASHED_ARGS}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _iso(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="seconds")
    return str(value)


def _locations(args: Mapping[str, Any], names: tuple[str, ...], extra: list[Any]) -> list[str]:
    out: list[str] = []
    for value in [args.get(n) for n in names] + extra:
        if value and str(value) not in out:
            out.append(str(value))
    return out


def audit_event_for_run(*, job: str, run_id: str, args: Mapping[str, Any], summary: Mapping[str, Any] | None,
                        started_at: datetime | str, ended_at: datetime | str | None = None,
                        error: BaseException | None = None, exit_code: int | None = None,
                        environment: str | None = None, is_glue: bool = False) -> dict[str, Any]:
    """The audit event of one job run, from its arguments, its summary (None when it failed
    before producing one) and the exception that ended it, if any."""
    summary = summary or {}
    ended = ended_at or datetime.now(timezone.utc)
    duration = None
    if isinstance(started_at, datetime) and isinstance(ended, datetime):
        duration = round((ended - started_at).total_seconds(), 3)
    fields: dict[str, Any] = {
        "job": job, "run_id": run_id,
        "environment": environment or ("aws" if is_glue else "local"),
        "platform": "glue" if is_glue else "local",
        "glue_job_run_id": os.environ.get("GLUE_JOB_RUN_ID") if is_glue else None,
        "outcome": "failed" if error is not None else "succeeded",
        "started_at": _iso(started_at), "ended_at": _iso(ended), "duration_seconds": duration,
        "inputs": _locations(args, _INPUT_ARGS, [summary.get("source")]),
        "outputs": _locations(args, _OUTPUT_ARGS, [summary.get("target"), summary.get("output"),
                                                   summary.get("quarantine")]),
        "config_hash": summary.get("config_hash") if isinstance(summary.get("config_hash"), str)
        and _SHA256.match(summary["config_hash"]) else args_config_hash(args),
        "key_version": summary.get("key_version") if isinstance(summary.get("key_version"), str) else None,
        **code_version(),
    }
    for key in ("rows_in", "rows_out", "rows_quarantined", "anomalies_flagged", "leak_findings", "findings_masked"):
        fields[key] = _int_or_none(summary.get(key))
    if isinstance(summary.get("published"), bool):
        fields["published"] = summary["published"]
    artifacts = {name: str(summary[key]) for name, key in (("bin_edges", "bin_edges_version"),
                                                            ("anomaly_model", "anomaly_model_version"),
                                                            ("merchant_mapping", "merchant_mapping_version"))
                 if summary.get(key)}
    fields["artifacts"] = artifacts or None
    if error is not None:
        fields["failure_class"] = type(error).__name__
        if isinstance(error, SecureTransformError):
            fields["failure_message"] = str(error)  # own messages never quote values; redacted anyway
            fields["exit_code"] = exit_code if exit_code is not None else error.exit_code
        else:
            fields["exit_code"] = exit_code if exit_code is not None else 1
    elif exit_code is not None:
        fields["exit_code"] = exit_code
    return build_audit_event(**fields)


def _stream_name(event: Mapping[str, Any]) -> str:
    day = str(event.get("emitted_at", ""))[:10] or time.strftime("%Y-%m-%d", time.gmtime())
    job = re.sub(r"[^A-Za-z0-9_.-]", "_", str(event["job"]))
    return f"audit/{job}/{day}"  # log stream names exclude ':' and '*'


def write_audit_event_cloudwatch(event: Mapping[str, Any], *, session: Any, log_group: str,
                                 log_stream: str | None = None) -> str:
    """Append the event to ``log_group`` (stream ``audit/<job>/<yyyy-mm-dd>``); returns the stream."""
    if not log_group or not _LOG_GROUP.fullmatch(log_group):
        raise AuditFieldError("--audit_log_group: must be a CloudWatch Logs group name (letters, digits, . - _ / #)")
    client = session.client("logs")
    stream = log_stream or _stream_name(event)
    try:
        client.create_log_stream(logGroupName=log_group, logStreamName=stream)
    except client.exceptions.ResourceAlreadyExistsException:
        pass
    except client.exceptions.ResourceNotFoundException:
        raise AuditFieldError(f"--audit_log_group: log group {log_group} does not exist "
                              "(Terraform creates it with its KMS key and retention)") from None
    client.put_log_events(logGroupName=log_group, logStreamName=stream,
                          logEvents=[{"timestamp": int(time.time() * 1000),
                                      "message": json.dumps(dict(event), sort_keys=True)}])
    return stream


def write_audit_event_file(event: Mapping[str, Any], path: str) -> str:
    """Append the event as one JSON line to a local file (created with its directory)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    line = json.dumps(dict(event), sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
    return os.path.abspath(path)


def emit_audit_event(event: Mapping[str, Any], *, session: Any = None, log_group: str | None = None,
                     local_path: str | None = None) -> str:
    """Send an event built by :func:`build_audit_event` to CloudWatch Logs (with a ``session``
    and ``log_group``) or to a local JSON Lines file; returns where it went."""
    checked = build_audit_event(**dict(event))  # the guard runs again on whatever is emitted
    if session is not None and log_group:
        return f"{log_group}:{write_audit_event_cloudwatch(checked, session=session, log_group=log_group)}"
    if local_path:
        return write_audit_event_file(checked, local_path)
    raise AuditFieldError("audit event: no destination (give --audit_log_group on AWS or a local audit file)")


# ------------------------------------------------------------------------- runtime integration

AUDIT_FILE_NAME = "audit.jsonl"


def audit_destination(rt: Any) -> dict[str, Any]:
    """Where this job's audit events go; call before the job reads anything (fails closed).

    On Glue ``--audit_log_group`` is required (a production run without an audit trail is a
    configuration error). Locally ``--audit_file`` if given, else ``audit.jsonl`` beside
    ``--summary_location``, else nowhere (library/CLI use without an output directory).
    """
    args = rt.args
    group = args.get("audit_log_group")
    if rt.is_glue:
        if not group:
            from .errors import ConfigError

            raise ConfigError("--audit_log_group", "is required on AWS: every run writes an audit event "
                                                   "to the job's CloudWatch Logs group")
        if not _LOG_GROUP.fullmatch(group):
            raise AuditFieldError("--audit_log_group: must be a CloudWatch Logs group name (letters, digits, . - _ / #)")
        return {"session": rt.aws_session, "log_group": group, "local_path": None}
    path = args.get("audit_file")
    if not path and args.get("summary_location") and "://" not in str(args["summary_location"]):
        path = os.path.join(os.path.dirname(os.path.abspath(str(args["summary_location"]))), AUDIT_FILE_NAME)
    return {"session": None, "log_group": None, "local_path": path or None}


def record_job_run(rt: Any, summary: dict[str, Any] | None, *, started_at: datetime,
                   error: BaseException | None = None, exit_code: int | None = None,
                   strict_metrics: bool = False) -> dict[str, Any]:
    """Metrics and the audit event of one job run (success: ``summary``; failure: ``error``).

    On success the metrics dict is also stored in ``summary["metrics"]``. Returns
    ``{"metrics": ..., "audit": <where the event went or None>}``. Audit failures raise: a run
    whose audit event cannot be written is reported as failed.
    """
    from .metrics import emit_metrics

    environment = rt.args.get("environment") or ("aws" if rt.is_glue else "local")
    basis = dict(summary) if summary else {"job": rt.job_name, "run_id": rt.run_id}
    basis["job_failed"] = 1 if error is not None else 0
    metrics = emit_metrics(basis, job=rt.job_name, namespace=rt.args.get("metrics_namespace"),
                           environment=environment, session=rt.aws_session if rt.is_glue else None,
                           strict=strict_metrics)
    if summary is not None:
        summary["metrics"] = metrics
    event = audit_event_for_run(job=rt.job_name, run_id=rt.run_id, args=rt.args, summary=summary,
                                started_at=started_at, ended_at=datetime.now(timezone.utc), error=error,
                                exit_code=exit_code, environment=environment, is_glue=rt.is_glue)
    dest = audit_destination(rt)
    where = None
    if dest["log_group"] or dest["local_path"]:
        where = emit_audit_event(event, session=dest["session"], log_group=dest["log_group"],
                                 local_path=dest["local_path"])
    return {"metrics": metrics, "audit": where}
