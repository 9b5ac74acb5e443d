"""CloudWatch custom metrics for every job run, derived from the job's summary.

A job's summary (what :func:`secure_transform.runtime.execute` returns) already holds every
count; this module turns it into CloudWatch datapoints and sends them with ``PutMetricData``
(on AWS through the CloudWatch monitoring VPC endpoint). Locally there is no session and the
same values are returned as a dict that the runtime embeds in the summary under ``metrics``.

Metrics (namespace from ``--metrics_namespace``, default ``SecureMLTransform``), each with the
dimensions ``Job`` and ``Environment`` so that alarms and the dashboard can address them:

=====================  ========  ==============================================================
name                   unit      from the summary key
=====================  ========  ==============================================================
RowsIn                 Count     ``rows_in``
RowsOut                Count     ``rows_out``
RowsQuarantined        Count     ``rows_quarantined``
AnomaliesFlagged       Count     ``anomalies_flagged`` (main_etl)
AnomalyRate            Percent   ``anomaly_rate`` x 100 (main_etl)
LeakFindings           Count     ``leak_findings`` (leak_check)
MacieFindingsMasked    Count     ``findings_masked`` (macie_masking)
ObjectsQuarantined     Count     ``objects_quarantined`` (macie_masking)
InputBytes             Bytes     ``input_bytes``
JobDuration            Seconds   ``seconds``
JobFailed              Count     1 for a failed run, 0 for a successful one (``job_failed``, set by
                                 :func:`secure_transform.audit.record_job_run`)
StageDuration          Seconds   ``stages[].seconds``, with the extra dimension ``Stage``
=====================  ========  ==============================================================

A metric is sent only when its key is in the summary (a job that does not mask sends no
``MacieFindingsMasked``). Values are counts and durations only: no identifier or row value can
reach CloudWatch. The run id is *not* a dimension by default: every distinct dimension set is a
separate billed metric and alarms cannot follow a changing dimension; ``include_run_dimension``
adds it for ad-hoc investigation (the audit event carries the run id in any case).
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .errors import ConfigError

__all__ = [
    "DEFAULT_NAMESPACE",
    "MAX_DATUMS_PER_REQUEST",
    "MetricDatum",
    "metrics_from_summary",
    "batch_datums",
    "publish_metrics",
    "metrics_as_dict",
    "emit_metrics",
]

DEFAULT_NAMESPACE = "SecureMLTransform"
# PutMetricData accepts at most 1,000 metrics and 1 MB per request (CloudWatch API reference,
# PutMetricData). Our requests are far smaller; the byte budget keeps a margin below 1 MB.
MAX_DATUMS_PER_REQUEST = 1000
MAX_REQUEST_BYTES = 900_000
MAX_DIMENSIONS = 30

_NAMESPACE = re.compile(r"[A-Za-z0-9._/#:\- ]{1,255}")
_DIMENSION_VALUE = re.compile(r"[A-Za-z0-9._/#:+=\- ]{1,255}")
_UNITS = frozenset({"Count", "Percent", "Seconds", "Bytes", "None"})

# summary key -> (metric name, unit, scale)
_SUMMARY_METRICS: tuple[tuple[str, str, str, float], ...] = (
    ("rows_in", "RowsIn", "Count", 1.0),
    ("rows_out", "RowsOut", "Count", 1.0),
    ("rows_quarantined", "RowsQuarantined", "Count", 1.0),
    ("anomalies_flagged", "AnomaliesFlagged", "Count", 1.0),
    ("anomaly_rate", "AnomalyRate", "Percent", 100.0),
    ("leak_findings", "LeakFindings", "Count", 1.0),
    ("findings_masked", "MacieFindingsMasked", "Count", 1.0),
    ("objects_quarantined", "ObjectsQuarantined", "Count", 1.0),
    ("input_bytes", "InputBytes", "Bytes", 1.0),
    ("seconds", "JobDuration", "Seconds", 1.0),
    ("job_failed", "JobFailed", "Count", 1.0),
)
STAGE_METRIC = "StageDuration"

log = logging.getLogger("secure_transform.metrics")


@dataclass(frozen=True)
class MetricDatum:
    """One datapoint: a name, a finite value, a CloudWatch unit and its dimensions."""

    name: str
    value: float
    unit: str
    dimensions: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if not isinstance(self.value, (int, float)) or isinstance(self.value, bool) or not math.isfinite(self.value):
            raise ValueError(f"metric {self.name}: value must be a finite number")
        if self.unit not in _UNITS:
            raise ValueError(f"metric {self.name}: unit {self.unit!r} is not one of {', '.join(sorted(_UNITS))}")
        if len(self.dimensions) > MAX_DIMENSIONS:
            raise ValueError(f"metric {self.name}: at most {MAX_DIMENSIONS} dimensions")

    def to_cloudwatch(self, timestamp: datetime) -> dict[str, Any]:
        return {
            "MetricName": self.name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions],
            "Timestamp": timestamp,
            "Value": float(self.value),
            "Unit": self.unit,
        }


def _check_namespace(namespace: str) -> str:
    if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace) or namespace.startswith("AWS/"):
        raise ConfigError("--metrics_namespace", "must be 1-255 letters, digits or . _ / # : - and not start with "
                          "'AWS/' (reserved for AWS services)")
    return namespace


def _dimension_value(value: Any, name: str) -> str:
    text = str(value)
    if not _DIMENSION_VALUE.fullmatch(text):
        # Dimension values are names we choose (job, environment, stage, run id); anything else
        # is a bug, and a value that does not match the pattern is never sent.
        raise ValueError(f"dimension {name}: value has characters outside [A-Za-z0-9._/#:+=- ] or is empty/too long")
    return text


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def metrics_from_summary(summary: Mapping[str, Any], *, job: str | None = None, environment: str = "local",
                         run_id: str | None = None, include_run_dimension: bool = False) -> list[MetricDatum]:
    """The datapoints of one job run (see the module docstring for the list)."""
    job_name = job or summary.get("job")
    if not job_name:
        raise ValueError("metrics: the job name is missing (pass job= or put 'job' in the summary)")
    dims: list[tuple[str, str]] = [("Job", _dimension_value(job_name, "Job")),
                                   ("Environment", _dimension_value(environment, "Environment"))]
    if include_run_dimension:
        rid = run_id or summary.get("run_id")
        if rid:
            dims.append(("RunId", _dimension_value(rid, "RunId")))
    base = tuple(dims)
    out: list[MetricDatum] = []
    for key, name, unit, scale in _SUMMARY_METRICS:
        value = _number(summary.get(key))
        if value is not None:
            out.append(MetricDatum(name, round(value * scale, 6), unit, base))
    seen: set[str] = set()
    for stage in summary.get("stages") or []:
        if not isinstance(stage, Mapping):
            continue
        seconds = _number(stage.get("seconds"))
        name = stage.get("name")
        if seconds is None or not name or name in seen:
            continue
        seen.add(name)
        out.append(MetricDatum(STAGE_METRIC, seconds, "Seconds", base + (("Stage", _dimension_value(name, "Stage")),)))
    return out


def _datum_bytes(datum: MetricDatum) -> int:
    # Rough size of the datum in the query-string encoded request (names, dimensions, value).
    return 200 + len(json.dumps([datum.name, datum.dimensions, datum.value, datum.unit]))


def batch_datums(datums: Sequence[MetricDatum], *, max_datums: int = MAX_DATUMS_PER_REQUEST,
                 max_bytes: int = MAX_REQUEST_BYTES) -> Iterator[list[MetricDatum]]:
    """Split datapoints into PutMetricData requests within the per-request limits."""
    if max_datums < 1 or max_datums > MAX_DATUMS_PER_REQUEST:
        raise ValueError(f"max_datums must be in 1..{MAX_DATUMS_PER_REQUEST}")
    batch: list[MetricDatum] = []
    size = 0
    for datum in datums:
        n = _datum_bytes(datum)
        if batch and (len(batch) >= max_datums or size + n > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(datum)
        size += n
    if batch:
        yield batch


def publish_metrics(datums: Iterable[MetricDatum], *, namespace: str = DEFAULT_NAMESPACE, session: Any,
                    timestamp: datetime | None = None, max_datums: int = MAX_DATUMS_PER_REQUEST) -> int:
    """Send datapoints with ``PutMetricData``; returns the number of requests made."""
    _check_namespace(namespace)
    client = session.client("cloudwatch")
    when = timestamp or datetime.now(timezone.utc)
    requests = 0
    for batch in batch_datums(list(datums), max_datums=max_datums):
        client.put_metric_data(Namespace=namespace, MetricData=[d.to_cloudwatch(when) for d in batch])
        requests += 1
    return requests


def metrics_as_dict(datums: Sequence[MetricDatum], *, namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any]:
    """A readable form for the run summary: shared dimensions, values and stage durations."""
    shared = dict(datums[0].dimensions) if datums else {}
    values: dict[str, float] = {}
    units: dict[str, str] = {}
    stages: dict[str, float] = {}
    for d in datums:
        extra = {k: v for k, v in d.dimensions if shared.get(k) != v}
        if d.name == STAGE_METRIC and set(extra) == {"Stage"}:
            stages[extra["Stage"]] = d.value
            units[d.name] = d.unit
        else:
            values[d.name] = d.value
            units[d.name] = d.unit
    return {"namespace": namespace, "dimensions": shared, "values": values, "stage_seconds": stages, "units": units}


def emit_metrics(summary: Mapping[str, Any], *, job: str | None = None, namespace: str | None = None,
                 environment: str | None = None, session: Any = None, run_id: str | None = None,
                 include_run_dimension: bool = False, strict: bool = False,
                 timestamp: datetime | None = None) -> dict[str, Any]:
    """Derive a run's metrics and, with a boto3 ``session`` (AWS), publish them.

    Returns the dict to embed in the summary under ``metrics``; ``published`` tells whether
    they went to CloudWatch. A CloudWatch failure is logged (error code only) and reported in
    ``publish_error`` unless ``strict``, so a run whose data is written and checked does not
    fail on a throttled metrics call; the Glue job-state alarm and the audit event still fire.
    """
    ns = _check_namespace(DEFAULT_NAMESPACE if namespace is None else namespace)
    env = environment or ("aws" if session is not None else "local")
    datums = metrics_from_summary(summary, job=job, environment=env, run_id=run_id,
                                  include_run_dimension=include_run_dimension)
    result = metrics_as_dict(datums, namespace=ns)
    result["published"] = False
    if session is None:
        return result
    try:
        result["requests"] = publish_metrics(datums, namespace=ns, session=session, timestamp=timestamp)
        result["published"] = True
    except Exception as exc:  # noqa: BLE001 - reported, never silently dropped
        if strict:
            raise
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
        result["publish_error"] = code or type(exc).__name__
        log.warning("metrics: PutMetricData failed (%s); values kept in the summary", result["publish_error"])
    return result
