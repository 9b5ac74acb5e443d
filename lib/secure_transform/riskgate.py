"""The re-identification risk gate inside ``main_etl``: the I/O side of :mod:`secure_transform.risk`.

Where it runs (see docs/RISK.md): after anomaly scoring, on exactly the rows main_etl is about to
write to the transformed zone.

1. ``configure``: ``--risk_config`` is parsed and validated (``risk.parse_risk_config``);
2. ``tokenize``: the derived coarse quasi-identifiers are added before tokenization, and the
   quasi-identifiers are checked against the output's column names (:func:`check_output_columns`)
   before any artifact or row is written;
3. ``write``: with ``suppress``, the rows of too-small classes go to
   ``<quarantine>/risk/run_id=<id>/`` with ``reject_reason`` (``k_anonymity``/``l_diversity``);
4. ``risk``: the figures are computed from the written output (one groupBy; bounded histogram)
   and go into the job summary and the run manifest; with ``block`` and a failed threshold the
   run is moved to ``<quarantine>/transformed/run_id=<id>/`` like a leaking run, an alert is sent
   and the job fails with :class:`~secure_transform.risk.ReidentificationRiskError` (exit 5)
   after recording its summary.
"""

from __future__ import annotations

from typing import Any, Iterable

from . import io as sio
from . import publish
from .risk import REASON_COLUMN, ReidentificationRiskError, RiskConfig, check_risk_columns

__all__ = ["block_run", "check_output_columns", "risk_quarantine_location", "suppressed_counts"]


def risk_quarantine_location(quarantine: sio.Location, run_id: str) -> sio.Location:
    return quarantine.child("risk", f"run_id={run_id}")


def check_output_columns(tokenized_columns: Iterable[str], anomaly_config: Any, config: RiskConfig | None) -> None:
    """Fail closed before anything is written: the quasi-identifiers and the sensitive column must
    be columns of main_etl's output (the tokenized columns plus what binning, merchant encoding,
    customer features, scoring and partitioning add)."""
    if config is None:
        return
    from . import anomaly, merchant
    from .binning import AMOUNT_BIN, AMOUNT_BIN_LABEL
    from .features import customer_feature_names

    columns = set(tokenized_columns) | {AMOUNT_BIN, AMOUNT_BIN_LABEL, "transaction_date"}
    columns |= set(merchant.OUTPUT_COLUMNS) | set(anomaly.OUTPUT_COLUMNS) | set(customer_feature_names(anomaly_config))
    check_risk_columns(sorted(columns), config, "main_etl output")


def suppressed_counts(spark: Any, location: sio.Location) -> dict[str, int]:
    """Rows written to the risk quarantine, by reason (at most two groups reach the driver)."""
    from pyspark.sql import functions as F

    df = spark.read.parquet(location.spark_path())
    return {r[REASON_COLUMN]: int(r["n"]) for r in
            df.groupBy(REASON_COLUMN).agg(F.count(F.lit(1)).alias("n")).collect()}  # bounded: <= 2 reasons


def block_run(rt: Any, target: sio.Location, quarantine: sio.Location, summary: dict, figures: dict) -> None:
    """Quarantine the whole run, alert, record the summary and raise (``action: block``)."""
    from .masking import notify

    run_id = rt.run_id
    rows = int(summary["rows_out"])
    reason = {"reason": "reidentification_risk", "job": "main_etl", "rows": rows,
              "k": figures.get("k"), "min_k": figures.get("min_k"), "l": figures.get("l"),
              "min_l": figures.get("min_l"), "quasi_identifiers": figures.get("quasi_identifiers"),
              "rows_below_min_k": figures.get("rows_below_min_k"),
              "share_rows_below_min_k": figures.get("share_rows_below_min_k")}
    where = publish.quarantine_run(target, run_id, quarantine, reason, rt.aws_session)
    message = {**reason, "run_id": run_id, "quarantined_to": where.uri}
    summary["notifications"] = [notify(rt.args.get("alert_topic_arn"), "secure-transform: re-identification risk "
                                       "gate blocked a run; not published", message, rt.aws_session)]
    summary.update({"rows_out": 0, "rows_quarantined": int(summary["rows_quarantined"]) + rows,
                    "risk_blocked": True, "risk_quarantined_to": where.uri, "published": False})
    summary["reject_reasons"] = {**summary.get("reject_reasons", {}), "reidentification_risk_run": rows}
    summary["stages"] = [s.as_dict() for s in rt.stages]
    location = rt.args.get("summary_location")
    if location:
        sio.write_json(sio.parse_location(location, "--summary_location"), summary, rt.aws_session)
    rt.logger.error("risk gate: k=%s < min_k=%s or l below min_l; run %s quarantined", figures.get("k"),
                    figures.get("min_k"), run_id)
    error = ReidentificationRiskError(
        f"re-identification risk gate blocked run {run_id}: k={figures.get('k')} (min_k {figures.get('min_k')}), "
        f"{figures.get('rows_below_min_k')} row(s) in classes below min_k"
        + (f", l={figures.get('l')} (min_l {figures.get('min_l')})" if figures.get("sensitive_column") else "")
        + f"; nothing was published; the run moved to {where.uri}")
    error.summary = summary  # type: ignore[attr-defined]
    raise error
