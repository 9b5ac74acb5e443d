"""The detector job: scan a prefix, write Macie-format discovery results, summarise counts (never
values). ``run_detect_pii`` is the entry point of ``glue_jobs/detect_pii.py``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from ..errors import ConfigError
from .files import FORMATS, MIME_TYPES
from .registry import DetectConfig
from .scan import scan_objects

__all__ = ["detect_objects", "format_summary", "run_detect_pii"]


def detect_objects(spark: Any, source: Any, results: Any, *, config: DetectConfig | None = None,
                   input_format: str | None = None, account: str = "000000000000", region: str = "local",
                   job_id: str | None = None, session: Any = None, progress: Callable[[str], None] | None = None,
                   exclude: Sequence[Any] = ()) -> dict:
    """Scan every object under ``source`` and write Macie-format discovery results to ``results``.

    Returns a summary (counts only, never values): objects, records, detections per type and
    per column, the results prefix written.
    """
    import hashlib

    from .. import io as sio
    from ..macie import ObjectRef, job_prefix, write_results

    config = config or DetectConfig()
    skip = [e.uri.rstrip("/") + "/" for e in exclude]
    objects = [o for o in sio.list_objects(source, session)
               if not any((o.location.uri + "/").startswith(s) for s in skip)]
    if progress:
        progress(f"detect: scanning {len(objects)} object(s)")
    job_id = job_id or hashlib.md5(source.uri.encode("utf-8"), usedforsecurity=False).hexdigest()
    scans, by_column = scan_objects(spark, source, objects, config=config, input_format=input_format, session=session)
    bucket = source.bucket if source.is_s3 else "local"
    written = write_results(results, [
        (ObjectRef(bucket=bucket, key=s.key, etag=s.etag, version_id=s.version_id, size=s.info.size),
         tuple(s.detections) if s.status != "SKIPPED" else (),
         {"status": s.status, "reason": s.reason, "mime_type": MIME_TYPES.get(s.fmt or "")})
        for s in scans], account=account, region=region, job_id=job_id, session=session)
    by_type: dict[str, int] = {}
    for s in scans:
        for d in s.detections:
            by_type[d.type] = by_type.get(d.type, 0) + d.count
    records = sum(s.records for s in scans)
    return {
        "objects": len(scans),
        "objects_with_findings": sum(1 for s in scans if s.detections),
        "objects_skipped": {s.key: s.reason for s in scans if s.status == "SKIPPED"},
        "records": records,
        "detections_by_type": dict(sorted(by_type.items())),
        "detections_by_column": {t: dict(sorted(c.items())) for t, c in sorted(by_column.items())},
        "results_location": job_prefix(results, account, region, job_id).uri,
        "result_files": len(written),
        "job_id": job_id,
    }


def format_summary(summary: Mapping[str, Any]) -> str:
    """A short human summary: counts per type and column, never values."""
    lines = [f"objects scanned: {summary['objects']} ({summary['objects_with_findings']} with findings, "
             f"{len(summary['objects_skipped'])} skipped); records: {summary['records']:,}"]
    for key, reason in sorted(summary["objects_skipped"].items()):
        lines.append(f"  skipped {key}: {reason}")
    if not summary["detections_by_type"]:
        lines.append("no sensitive data found")
    for type_name, count in summary["detections_by_type"].items():
        lines.append(f"{type_name}: {count:,}")
        for column, n in summary["detections_by_column"].get(type_name, {}).items():
            lines.append(f"    {column}: {n:,}")
    lines.append(f"results: {summary['results_location']}")
    return "\n".join(lines)


def _aws_identity(rt: Any) -> tuple[str, str]:
    if rt.aws_session is None:
        return "000000000000", "local"
    ident = rt.aws_session.client("sts").get_caller_identity()
    return ident["Account"], rt.aws_session.region_name or "us-east-1"


def run_detect_pii(rt: Any) -> dict:
    """Entry point of ``glue_jobs/detect_pii.py``: raw zone -> Macie-format discovery results."""
    import hashlib

    with rt.stage("configure"):
        source = rt.location("source_bucket")
        results = rt.location("results_bucket")
        fmt = rt.args.get("input_format") or None
        if fmt is not None and fmt not in FORMATS:
            raise ConfigError("--input_format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
        account, region = _aws_identity(rt)
    with rt.stage("detect") as st:
        job_id = hashlib.md5(f"{source.uri}/{rt.run_id}".encode("utf-8"), usedforsecurity=False).hexdigest()
        summary = detect_objects(rt.spark, source, results, input_format=fmt, account=account, region=region,
                                 job_id=job_id, session=rt.aws_session, exclude=[results], progress=rt.logger.info)
        st.rows_in = st.rows_out = summary["records"]
        st.rows_quarantined = 0
    rt.logger.info("detect_pii: %d objects, detections by type %s", summary["objects"],
                   summary["detections_by_type"])
    summary.update({"job": "detect_pii", "rows_in": summary["records"], "rows_out": summary["records"],
                    "rows_quarantined": 0})
    return summary

