"""Leak check: scan every pending run of the transformed zone; publish it only if it is clean.

Publish protocol (``publish.py``): main_etl writes ``runs/run_id=<id>/data/`` + ``_manifest.json``
+ ``_SUCCESS``; a run is visible to readers only after ``_PUBLISHED``. For each pending run:

* the built-in detector runs over every column in **strict** mode (a separated SSN counts
  without a keyword; everything else as in discovery), atomic columns read as text so a card
  number stored as a number is found, structs/arrays as JSON;
* any finding -> ``publish.quarantine_run`` (the run moves to ``<quarantine>/transformed/``),
  a ``LeakFindings`` metric and an SNS alert, and the job fails with ``LeakDetectedError``
  after the summary is recorded; no finding -> ``publish.publish_run``.

Tokens. Deterministic tokens are 64 hex characters, AES-GCM tokens ``<version>:<base64>``,
hashes hex: every recogniser requires non-alphanumeric boundaries, so a digit run inside a token
never matches (tested). Format-preserving (FF3-1) tokens are the hard case: a tokenized card
number is a 16-digit, Luhn-valid, card-prefixed value by design, indistinguishable from a card.
The run manifest declares those columns (``format_preserving_columns``, written by main_etl from
``--pii_columns``); for exactly those columns -- and only for the number-shaped recognisers
(cards, bank accounts, IBANs, SSNs, routing and phone numbers) -- the leak check does not
report. Every other recogniser still runs on them, and every other column gets all recognisers.
So a column left untransformed (not in the manifest) is caught, a raw e-mail in a token column
is caught, and a column renamed to hide it is caught by the no-keyword card rule. What cannot be
caught is a raw card value inside a column the manifest *claims* is format-preserving; the
manifest is written by the same job that tokenizes, from the same configuration.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from . import detection as det
from . import io as sio
from . import feedback
from . import publish
from .errors import LeakDetectedError

__all__ = ["format_preserving_columns", "leak_check", "run_leak_check", "scan_dataframe"]

METRIC_NAME = "LeakFindings"


def format_preserving_columns(manifest: Mapping[str, Any] | None) -> frozenset[str]:
    """Columns a run manifest declares format-preserving (empty when there is no manifest)."""
    if not manifest:
        return frozenset()
    declared = manifest.get("format_preserving_columns")
    if isinstance(declared, list):
        return frozenset(c for c in declared if isinstance(c, str))
    return frozenset()


def scan_dataframe(df: Any, *, format_preserving: Sequence[str] = ()) -> dict:
    """Strict PII scan of a DataFrame: counts per type and column (one aggregation; no values)."""
    from pyspark.sql import functions as F

    config = det.DetectConfig(mode="strict", format_preserving_columns=frozenset(format_preserving))
    found = det.detect_pii(df, config=config)
    rows = found.groupBy("column_name", "type").agg(F.sum("count").alias("n")).collect()  # bounded: at most (scanned columns x PII types) rows, counts only
    by_type: dict[str, int] = {}
    by_column: dict[str, dict[str, int]] = {}
    for r in rows:
        n = int(r["n"])
        by_type[r["type"]] = by_type.get(r["type"], 0) + n
        by_column.setdefault(r["column_name"], {})[r["type"]] = n
    return {"leak_findings": sum(by_type.values()), "by_type": dict(sorted(by_type.items())),
            "by_column": {c: dict(sorted(t.items())) for c, t in sorted(by_column.items())}}


def put_metric(namespace: str, value: float, session: Any, *, run_id: str) -> dict:
    """``LeakFindings`` to CloudWatch (when a session is given) and the record of it."""
    record = {"namespace": namespace, "metric": METRIC_NAME, "value": value, "dimensions": {"Job": "leak_check"},
              "sent": False}
    if session is not None:
        session.client("cloudwatch").put_metric_data(Namespace=namespace, MetricData=[{
            "MetricName": METRIC_NAME, "Value": float(value), "Unit": "Count",
            "Dimensions": [{"Name": "Job", "Value": "leak_check"}]}])
        record["sent"] = True
    record["run_id"] = run_id
    return record


def leak_check(spark: Any, target: sio.Location, quarantine: sio.Location, *, session: Any = None,
               metrics_session: Any = None, alert_topic_arn: str | None = None,
               metrics_namespace: str = "SecureMLTransform", run_ids: Sequence[str] | None = None) -> dict:
    """Check every pending run (or ``run_ids``); publish clean runs, quarantine leaking ones.

    Returns the summary (counts only). Does not raise on a leak: :func:`run_leak_check` does,
    after the summary is recorded.
    """
    from .masking import notify

    pending = list(run_ids) if run_ids is not None else publish.pending_runs(target, session)
    summary: dict[str, Any] = {"runs_checked": [], "runs_published": [], "runs_quarantined": [],
                               "rows_in": 0, "rows_out": 0, "rows_quarantined": 0, "leak_findings": 0,
                               "leak_findings_by_type": {}, "leak_findings_by_column": {}, "runs": {},
                               "metrics": [], "notifications": []}
    for run_id in pending:
        run_loc = publish.run_location(target, run_id)
        manifest_loc = run_loc.child(publish.MANIFEST)
        manifest = sio.read_json(manifest_loc, session) if sio.exists(manifest_loc, session) else None
        fpe = format_preserving_columns(manifest)
        data = spark.read.parquet(publish.data_location(target, run_id).spark_path())
        rows = data.count()  # Parquet footers
        scan = scan_dataframe(data, format_preserving=sorted(fpe & set(data.columns)))
        summary["runs_checked"].append(run_id)
        summary["rows_in"] += rows
        summary["runs"][run_id] = {"rows": rows, "format_preserving_columns_skipped": sorted(fpe), **scan}
        if scan["leak_findings"]:
            summary["leak_findings"] += scan["leak_findings"]
            for t, n in scan["by_type"].items():
                summary["leak_findings_by_type"][t] = summary["leak_findings_by_type"].get(t, 0) + n
            for c, types in scan["by_column"].items():
                col = summary["leak_findings_by_column"].setdefault(c, {})
                for t, n in types.items():
                    col[t] = col.get(t, 0) + n
            reason = {"reason": "leak_detected", "leak_findings": scan["leak_findings"], "by_type": scan["by_type"],
                      "by_column": scan["by_column"], "rows": rows, "job": "leak_check"}
            where = publish.quarantine_run(target, run_id, quarantine, reason, session)
            # What the detector upstream missed, for `secure-transform feedback summarize` (no values).
            written = feedback.write_record_set(quarantine, "leak_check", feedback.leak_records(scan, where.uri),
                                                run_id=run_id, session=session)
            summary.setdefault("feedback_records", []).append(written.uri if written else None)
            summary["runs_quarantined"].append(run_id)
            summary["rows_quarantined"] += rows
            summary["runs"][run_id]["quarantined_to"] = where.uri
        else:
            publish.publish_run(target, run_id, session)
            summary["runs_published"].append(run_id)
            summary["rows_out"] += rows
    if summary["leak_findings"]:
        summary["metrics"].append(put_metric(metrics_namespace, summary["leak_findings"], metrics_session,
                                             run_id=",".join(summary["runs_quarantined"])))
        message = {"job": "leak_check", "leak_findings": summary["leak_findings"],
                   "by_type": summary["leak_findings_by_type"], "by_column": summary["leak_findings_by_column"],
                   "runs_quarantined": summary["runs_quarantined"], "quarantine": quarantine.uri}
        summary["notifications"].append(notify(alert_topic_arn, "secure-transform: leak check found personal data; "
                                                                "run not published", message, session))
    elif summary["runs_checked"]:
        summary["metrics"].append(put_metric(metrics_namespace, 0, metrics_session, run_id=",".join(pending)))
    summary["published"] = summary["leak_findings"] == 0
    summary["checked_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return summary


def run_leak_check(rt: Any) -> dict:
    """Entry point of ``glue_jobs/leak_check.py``; raises ``LeakDetectedError`` after recording."""
    with rt.stage("configure"):
        target = rt.location("source_bucket")
        quarantine = rt.location("quarantine_bucket")
    with rt.stage("scan") as st:
        summary = leak_check(rt.spark, target, quarantine, session=rt.aws_session, metrics_session=rt.aws_session,
                             alert_topic_arn=rt.args.get("alert_topic_arn"),
                             metrics_namespace=rt.args.get("metrics_namespace") or "SecureMLTransform")
        st.rows_in, st.rows_out, st.rows_quarantined = summary["rows_in"], summary["rows_out"], summary["rows_quarantined"]
    summary.update({"job": "leak_check", "run_id": rt.run_id})
    if summary["leak_findings"]:
        summary["stages"] = [s.as_dict() for s in rt.stages]
        location = rt.args.get("summary_location")
        if location:
            sio.write_json(sio.parse_location(location, "--summary_location"), summary, rt.aws_session)
        rt.logger.error("leak check: %d finding(s); runs quarantined: %s", summary["leak_findings"],
                        ", ".join(summary["runs_quarantined"]))
        error = LeakDetectedError(
            f"leak check found {summary['leak_findings']} value(s) of personal data "
            f"({', '.join(f'{t}: {n}' for t, n in summary['leak_findings_by_type'].items())}) in run(s) "
            f"{', '.join(summary['runs_quarantined'])}; nothing was published; the run(s) moved to "
            f"{quarantine.uri}/transformed/")
        error.summary = summary  # type: ignore[attr-defined]
        raise error
    rt.logger.info("leak check: %d run(s) clean and published", len(summary["runs_published"]))
    with rt.stage("catalog"):
        summary["catalog"] = register_published(rt, target, summary["runs_published"])
    return summary


def register_published(rt: Any, target: sio.Location, run_ids: Sequence[str]) -> list[dict]:
    """Register each published run in the Glue Data Catalog when ``--catalog_database`` is set.

    Only the leak check registers, and only after ``_PUBLISHED`` is written, so the catalog never
    shows a run that was not checked. Locally (no ``--catalog_database``) nothing is registered.
    The schema comes from the run's Parquet footers, not from a scan of the data.
    """
    from . import lineage

    database = rt.args.get("catalog_database")
    if not database or not run_ids:
        return []
    table = rt.args.get("catalog_table") or "transactions"
    session = rt.aws_session
    if session is None:
        import boto3
        session = boto3.session.Session()
    done = []
    for run_id in run_ids:
        schema = rt.spark.read.parquet(publish.data_location(target, run_id).spark_path()).schema
        result = lineage.register_published_run(session, database, table, target, run_id,
                                                lineage.schema_fields_from_spark(schema))
        rt.logger.info("catalog: run %s registered in %s.%s (%d partition(s) added)", run_id, database, table,
                       result["partitions_added"])
        done.append({"run_id": run_id, **result})
    return done
