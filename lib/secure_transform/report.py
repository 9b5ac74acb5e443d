"""The run report: one self-contained HTML page a fraud analyst can read at a glance.

``write_report(output_dir, summary, spark)`` writes ``<output_dir>/report.html`` after a local
run (``scripts/run_local.sh`` prints its path). Sections: run overview, row accounting per
stage, masking and leak-check results, amount distribution with the bin edges, rows per bin,
merchant categories and risk levels, anomaly scores with the threshold, flagged transactions
over time and the top flagged transactions with their contributing features.

How it stays safe and cheap:

* Data comes from the run's transformed output only (never the raw or masked zones), read
  with an allow-list of columns. Every figure is a Spark aggregation whose result is a few
  hundred rows at most; the only rows brought to the driver are the top ``top_n`` flagged
  transactions (a bounded ``limit``). Nothing collects the whole data.
* Identifiers shown are tokens: the customer column only when the run tokenized it, displayed
  when it has a token's shape (hex digest, ciphertext) and otherwise redacted; every other
  string goes through :func:`secure_transform.logs.redact`. When the leak check quarantined the
  run, no row-level table is shown at all, only aggregates.
* Everything written into the page is HTML-escaped; images are PNGs rendered by matplotlib's
  Agg canvas (no pyplot, no global backend switch) and embedded as ``data:`` URIs. The page
  loads no external asset.
* Missing pieces (no data, no bin edges, no model, a failed job) leave their section in place
  with a note saying what is missing.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from . import io as sio
from .logs import redact
from .report_html import (details, e, fmt_num, identifier_text, is_identifier_key, label, note, safe_text,
                          table)
from .report_summary import summary_section

__all__ = ["REPORT_FILE", "SECTIONS", "write_report", "render_report"]

REPORT_FILE = "report.html"
#: (section id, title) in page order; every section is always present.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("anomaly-scores", "Anomaly scores and the threshold"),
    ("top-flagged", "Top flagged transactions"),
    ("flagged-over-time", "Flagged transactions over time"),
    ("row-accounting", "Rows per job"),
    ("amount-distribution", "Amount distribution and bin edges"),
    ("rows-per-bin", "Rows per amount bin"),
    ("merchant-categories", "Merchant categories and risk levels"),
    ("masking-leak-check", "Detection, masking and leak check"),
    ("reidentification-risk", "Re-identification risk (k-anonymity, l-diversity)"),
    ("safety-rails", "Refusals, fallbacks and rows of unknown count"),
    ("run-details", "Run details"),
)
# Columns of the transformed output the report may read; nothing else is selected.
_DATA_COLUMNS = ("transaction_id", "customer_id", "transaction_ts", "amount", "currency", "amount_bin",
                 "amount_bin_label", "merchant_category", "merchant_risk_level", "merchant_risk",
                 "anomaly_score", "is_anomaly", "anomaly_reasons")
_FEATURE_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_NUMERIC_TYPES = ("double", "float", "int", "bigint", "smallint", "tinyint", "decimal", "boolean")
# Shapes of tokens produced by tokenization (hex HMAC/SHA digests, "<version>:<base64>" AES).
_TOKEN_SHAPES = (re.compile(r"^[0-9a-f]{32,128}$"), re.compile(r"^[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/]{16,}={0,2}$"))
_RISK_COLORS = {"low": "#4c9a2a", "medium": "#e69f00", "high": "#c0392b"}
_AMOUNT_BINS = 60
_SCORE_BINS = 50
_TOP_CATEGORIES = 15


# ------------------------------------------------------------------------------- html helpers

_e, _safe_text, _fmt_num, _table, _note = e, safe_text, fmt_num, table, note


def _token_cell(value: Any) -> str:
    """A tokenized identifier: shown (shortened) when it has a token's shape, redacted otherwise."""
    if value is None:
        return ""
    text = str(value)
    if any(p.match(text) for p in _TOKEN_SHAPES):
        return f'<span class="token" title="{_e(text)}">{_e(text[:16])}\u2026</span>' if len(text) > 20 else _e(text)
    return _safe_text(text)


def _value_cell(key: str, value: Any) -> str:
    """A value from a job summary: numbers formatted, pipeline-made identifiers shown, text redacted."""
    if isinstance(value, str):
        return identifier_text(value) if is_identifier_key(key) else _safe_text(value)
    return _fmt_num(value)


def _png(fig: Any, alt: str) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _figure(width: float = 9.0, height: float = 4.0) -> Any:
    from matplotlib.figure import Figure  # object API: no pyplot state, Agg canvas per figure

    return Figure(figsize=(width, height), layout="constrained")


# ---------------------------------------------------------------------------------- the run


@dataclass
class _Run:
    output_dir: str
    summary: Mapping[str, Any]
    run_id: str | None = None
    status: str = "missing"  # published | pending | quarantined | missing
    data_path: str | None = None
    edges: dict[str, Any] | None = None
    model: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def jobs(self) -> Mapping[str, Any]:
        jobs = self.summary.get("jobs")
        return jobs if isinstance(jobs, Mapping) else {}

    @property
    def etl(self) -> Mapping[str, Any]:
        etl = self.jobs.get("main_etl")
        if isinstance(etl, Mapping):
            return etl
        return self.summary if self.summary.get("job") == "main_etl" else {}


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _has_parquet(path: str | None) -> bool:
    if not path or not os.path.isdir(path):
        return False
    for _dirpath, _dirs, files in os.walk(path):
        if any(f.endswith(".parquet") for f in files):
            return True
    return False


def _locate(output_dir: str, summary: Mapping[str, Any]) -> _Run:
    run = _Run(output_dir=os.path.abspath(output_dir), summary=summary)
    etl = run.etl
    run.run_id = str(etl.get("run_id") or summary.get("run_id") or "") or None
    out = run.output_dir
    candidates: list[str] = []
    if isinstance(etl.get("output"), str) and not str(etl["output"]).startswith("s3://"):
        candidates.append(etl["output"])
    if run.run_id:
        candidates.append(os.path.join(out, "transformed", "runs", f"run_id={run.run_id}", "data"))
    for path in candidates:
        if _has_parquet(path):
            run.data_path = path
            published = os.path.exists(os.path.join(os.path.dirname(path), "_PUBLISHED"))
            run.status = "published" if published else "pending"
            break
    if run.data_path is None and run.run_id:
        q = os.path.join(out, "quarantine", "transformed", f"run_id={run.run_id}", "data")
        if _has_parquet(q):
            run.data_path, run.status = q, "quarantined"
    if run.data_path is None:
        run.notes.append("No transformed data was found for this run; data sections are empty.")
    artifacts = os.path.join(out, "artifacts")
    version = etl.get("bin_edges_version")
    for path in ([os.path.join(artifacts, "bin_edges", f"{version}.json")] if version else []) + [
            os.path.join(artifacts, "bin_edges", "current.json")]:
        doc = _read_json(path)
        if isinstance(doc, Mapping) and isinstance(doc.get("edges"), Mapping):
            run.edges = dict(doc)
            break
    model_version = etl.get("anomaly_model_version")
    for path in ([os.path.join(artifacts, "anomaly_model", str(model_version), "model.json")] if model_version else []) + [
            os.path.join(artifacts, "anomaly_model", "current", "model.json")]:
        doc = _read_json(path)
        if isinstance(doc, Mapping) and "threshold" in doc:
            run.model = dict(doc)
            break
    return run


# ----------------------------------------------------------------------------------- sections


def _summary(run: _Run) -> str:
    return summary_section(run.summary, run.status, run.notes)


def _run_details(run: _Run) -> str:
    """Identifiers and versions: needed to find or reproduce the run, not to read it."""
    s = run.summary
    rows = [["Run id", identifier_text(run.run_id or "unknown")],
            ["Output directory", identifier_text(run.output_dir)]]
    for key in ("config_hash", "bin_edges_version", "anomaly_model_version", "merchant_mapping_version", "key_version"):
        value = run.etl.get(key)
        if value:
            rows.append([_e(label(key)), _token_cell(value) if key == "config_hash" else identifier_text(value)])
    for key in ("input", "input_format", "column_map"):
        value = s.get(key)
        if isinstance(value, Mapping):
            value = ", ".join(f"{a} \u2192 {b}" for a, b in value.items())
        if value:
            rows.append([_e(label(key)), _safe_text(value, 400) if key == "column_map" else identifier_text(value)])
    rows.append(["Columns protected", _safe_text(", ".join(map(str, s.get("pii_columns_protected") or [])), 500)])
    if isinstance(s.get("seconds"), (int, float)):
        rows.append(["Pipeline seconds", _fmt_num(float(s["seconds"]), 1)])
    return _table(["", ""], rows, css="kv")


def _stage_rows(run: _Run) -> list[tuple[str, str, Mapping[str, Any]]]:
    rows = []
    for job, js in run.jobs.items():
        if not isinstance(js, Mapping):
            continue
        rows.append((str(job), "(whole job)", js))
        for st in js.get("stages") or []:
            if isinstance(st, Mapping):
                rows.append((str(job), str(st.get("name", "")), st))
    return rows


def _rows_chart(jobs: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """Rows in/out/quarantined per job on a log axis, each bar labelled with its exact count, so
    99 quarantined rows stay visible beside 100,000 rows out (a zero is written as 0)."""
    fig = _figure(9.5, 0.9 + 0.75 * len(jobs))
    ax = fig.subplots()
    names = [label(j) for j, _ in jobs][::-1]
    series = (("rows_in", "rows in", "#5b8def"), ("rows_out", "rows out", "#4c9a2a"),
              ("rows_quarantined", "rows quarantined", "#c0392b"))
    h = 0.26
    top = 1.0
    for k, (key, name, color) in enumerate(series):
        values = [js.get(key) for _, js in jobs][::-1]
        ys = [i + (1 - k) * h for i in range(len(names))]
        widths = [float(v) if isinstance(v, (int, float)) and v > 0 else 0.0 for v in values]
        ax.barh(ys, [max(w - 0.8, 0.0) for w in widths], h, left=0.8, label=name, color=color)
        for y, v, w in zip(ys, values, widths):
            if isinstance(v, (int, float)):
                ax.annotate(f"{int(v):,}", (max(w, 1.0), y), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=9, color="#333")
        top = max([top] + widths)
    ax.set_xscale("log")
    ax.set_xlim(0.8, top * 8)
    ax.set_yticks(list(range(len(names))), names, fontsize=10)
    ax.set_xlabel("rows (log scale: small counts stay visible)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=9, frameon=False)
    return _png(fig, "Rows in, out and quarantined per job (log scale, counts written at each bar)")


def _row_accounting(run: _Run) -> str:
    parts = []
    jobs = [(j, js) for j, js in run.jobs.items() if isinstance(js, Mapping)]
    if jobs:
        parts.append(_rows_chart(jobs))
    reasons = run.summary.get("reject_reasons") or run.etl.get("reject_reasons") or {}
    if isinstance(reasons, Mapping) and reasons:
        parts.append("<h3>Quarantined rows by reason</h3>" + _table(
            ["Reason", "Rows"], [[_safe_text(k), _fmt_num(v)] for k, v in sorted(reasons.items(), key=lambda kv: str(kv[0]))]))
    rows = []
    for job, stage, st in _stage_rows(run):
        rin, rout, rq = st.get("rows_in"), st.get("rows_out"), st.get("rows_quarantined")
        balanced = ""
        if all(isinstance(v, int) for v in (rin, rout, rq)):
            balanced = "yes" if rin == rout + rq else "NO"
        rows.append([_e(label(job)), _safe_text(stage), _fmt_num(st.get("seconds"), 1), _fmt_num(rin),
                     _fmt_num(rout), _fmt_num(rq), _e(balanced)])
    if rows:
        parts.append(details("Per-stage table (seconds and rows of every stage)", _table(
            ["Job", "Stage", "Seconds", "Rows in", "Rows out", "Rows quarantined", "Balanced"], rows)))
    else:
        parts.append(_note("No job summaries in the run summary."))
    return "".join(parts)


def _flatten(prefix: str, value: Any, depth: int = 0) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        if depth >= 2:
            return
        for k, v in value.items():
            yield from _flatten(f"{prefix}.{k}" if prefix else str(k), v, depth + 1)
    elif isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 200):
        yield prefix, value


def _count_maps(js: Mapping[str, Any]) -> list[tuple[str, dict[str, float]]]:
    found = []
    for k, v in js.items():
        if isinstance(v, Mapping) and 0 < len(v) <= 30 and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values()):
            found.append((str(k), {str(a): float(b) for a, b in v.items()}))
    return found


_LEAK_JOBS = ("detect_pii", "macie_masking", "leak_check")


def _masking_leak(run: _Run) -> str:
    parts = []
    leak = run.jobs.get("leak_check")
    findings = run.summary.get("leak_findings")
    if isinstance(leak, Mapping) or findings is not None:
        n = int(findings or (leak or {}).get("leak_findings") or 0)
        if n == 0 and run.status != "quarantined":
            parts.append(_note("Leak check: no personal data found in the transformed output; the run was published.", "ok"))
        else:
            parts.append(_note(f"Leak check: {n:,} finding(s); the run was quarantined and not published.", "alert"))
    else:
        parts.append(_note("The leak check did not run (or its summary is missing)."))
    charts, folded = [], []
    for job in _LEAK_JOBS:
        js = run.jobs.get(job)
        if not isinstance(js, Mapping):
            parts.append(_note(f"{label(job)}: no summary."))
            continue
        maps = _count_maps(js)
        charts += [(f"{label(job)}: {label(name)}", counts) for name, counts in maps]
        map_names = {name for name, _ in maps}
        rows = [[_e(label(k)), _value_cell(k, v)] for k, v in _flatten("", js)
                if k not in ("job", "run_id", "started_at") and k.split(".")[0] not in map_names]
        count_rows = [[_e(label(name)), _e(label(k) if k.isupper() else k), _fmt_num(int(v) if v.is_integer() else v)]
                      for name, counts in maps for k, v in sorted(counts.items(), key=lambda kv: -kv[1])]
        body = (_table(["Measure", "Value"], rows, css="kv") if rows else "") + (
            _table(["Count", "Of", "Value"], count_rows) if count_rows else "")
        folded.append(details(f"{label(job)}: every figure the job reported", body or _note("empty")))
    if charts:
        charts = charts[:4]
        fig = _figure(9.5, 0.8 + sum(0.45 + 0.24 * min(len(c), 12) for _, c in charts))
        axes = fig.subplots(len(charts), 1, squeeze=False,
                            height_ratios=[0.45 + 0.24 * min(len(c), 12) for _, c in charts])
        for ax, (title, counts) in zip(axes[:, 0], charts):
            items = sorted(counts.items(), key=lambda kv: kv[1])[-12:]
            names = [redact(label(k) if k.isupper() else k)[:40] for k, _ in items]
            bars = ax.barh(names, [v for _, v in items], color="#8e44ad")
            for bar, (_k, v) in zip(bars, items):
                ax.annotate(f"{int(v):,}", (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(3, 0),
                            textcoords="offset points", va="center", fontsize=9)
            ax.set_title(redact(title)[:80], fontsize=11, loc="left")
            ax.tick_params(labelsize=9)
            ax.margins(x=0.15)
        parts.append(_png(fig, "Counts reported by the detection, masking and leak-check jobs"))
    return "".join(parts + folded)


class _Data:
    """The run's transformed data restricted to the allow-listed columns, plus one stats row."""

    def __init__(self, spark: Any, path: str, feature_names: Sequence[str]):
        from pyspark.sql import functions as F

        df = spark.read.parquet(path)
        types = dict(df.dtypes)
        wanted = list(_DATA_COLUMNS) + [f for f in feature_names if _FEATURE_COLUMN.match(f)]
        self.columns = [c for c in dict.fromkeys(wanted) if c in types]
        self.types = {c: types[c] for c in self.columns}
        self.features = [f for f in feature_names if f in self.types and self.types[f].split("(")[0] in _NUMERIC_TYPES]
        self.df = df.select(*[F.col(f"`{c}`") for c in self.columns])
        aggs = [F.count(F.lit(1)).alias("rows")]
        if "amount" in self.types:
            amount = F.col("amount").cast("double")
            aggs += [F.min(F.when(amount > 0, amount)).alias("min_pos"), F.max(amount).alias("max_amount"),
                     F.sum(F.when(amount <= 0, 1).otherwise(0)).alias("non_positive"),
                     F.count(amount).alias("amounts")]
        if "transaction_ts" in self.types:
            ts = F.col("transaction_ts").cast("timestamp")
            aggs += [F.min(ts).alias("ts_min"), F.max(ts).alias("ts_max")]
        if "is_anomaly" in self.types:
            aggs.append(F.sum(F.col("is_anomaly").cast("int")).alias("flagged"))
        self.stats = self.df.agg(*aggs).first().asDict()  # one aggregate row

    def has(self, *cols: str) -> bool:
        return all(c in self.types for c in cols)


def _missing(data: _Data | None, *cols: str) -> str | None:
    if data is None:
        return "No data for this run."
    absent = [c for c in cols if not data.has(c)]
    if absent:
        return f"Not available: the output has no column {', '.join(absent)}."
    return None


def _amount_distribution(run: _Run, data: _Data | None) -> str:
    from pyspark.sql import functions as F

    missing = _missing(data, "amount")
    if missing:
        return _note(missing)
    st = data.stats
    if not st.get("min_pos") or not st.get("max_amount"):
        return _note("No positive amounts in this run.")
    lo = math.log10(st["min_pos"])
    hi = math.log10(st["max_amount"])
    if hi - lo < 1e-9:
        hi = lo + 1.0
    width = (hi - lo) / _AMOUNT_BINS
    idx = F.least(F.greatest(F.floor((F.log10(F.col("amount").cast("double")) - F.lit(lo)) / F.lit(width)), F.lit(0)),
                  F.lit(_AMOUNT_BINS - 1)).cast("int")
    counts = {int(r["b"]): int(r["n"]) for r in data.df.where(F.col("amount").cast("double") > 0)
              .groupBy(idx.alias("b")).agg(F.count(F.lit(1)).alias("n")).collect()}  # bounded: <= _AMOUNT_BINS rows of counts
    lefts = [10 ** (lo + i * width) for i in range(_AMOUNT_BINS)]
    widths = [10 ** (lo + (i + 1) * width) - lefts[i] for i in range(_AMOUNT_BINS)]
    fig = _figure(9, 4)
    ax = fig.subplots()
    ax.bar(lefts, [counts.get(i, 0) for i in range(_AMOUNT_BINS)], width=widths, align="edge", color="#5b8def",
           edgecolor="white", linewidth=0.3)
    ax.set_xscale("log")
    ax.set_xlabel("amount (log scale)")
    ax.set_ylabel("transactions")
    notes = []
    if run.edges:
        edges = [float(e) for e in (run.edges.get("edges", {}).get("global") or []) if isinstance(e, (int, float))]
        labels = list(run.edges.get("labels") or [])
        interior = [e for e in edges[1:-1] if e > 0 and math.isfinite(e)]
        for e in interior:
            ax.axvline(e, color="#c0392b", linestyle="--", linewidth=1)
        # Bin names written horizontally inside their bins (alternating heights so neighbours do not
        # collide); the exact edges are in the table below, not in tiny rotated text.
        x_lo, x_hi = 10 ** lo, 10 ** (lo + _AMOUNT_BINS * width)
        bounds = [x_lo] + interior + [x_hi]
        for i in range(len(bounds) - 1):
            a, b = max(bounds[i], x_lo), min(bounds[i + 1], x_hi)
            if b <= a:
                continue
            name = str(labels[i]) if i < len(labels) else str(i)
            ax.annotate(redact(name)[:14], (math.sqrt(a * b), 0.97 - 0.07 * (i % 2)), xycoords=("data", "axes fraction"),
                        ha="center", va="top", fontsize=9, color="#7b241c",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
        ax.set_title(f"Amount distribution with the {len(interior)} interior bin edges "
                     f"({run.edges.get('method', '?')} method)")
        edge_rows = [[_safe_text(labels[i] if i < len(labels) else i), _fmt_num(edges[i]), _fmt_num(edges[i + 1])]
                     for i in range(len(edges) - 1)]
        per_currency = run.edges.get("edges", {}).get("per_currency") or {}
        if per_currency:
            notes.append(f"Per-currency edges exist for {len(per_currency)} currencies; the global edges are drawn.")
        body = _png(fig, "Histogram of amounts with bin edges") + details(
            "Bin edges table", _table(["Bin", "From", "To"], edge_rows))
    else:
        ax.set_title("Amount distribution")
        body = _png(fig, "Histogram of amounts")
        notes.append("Bin edges artifact not found: edges are not drawn.")
    if st.get("non_positive"):
        notes.append(f"{int(st['non_positive']):,} non-positive amount(s) are not on the log scale.")
    return body + "".join(_note(n) for n in notes)


def _rows_per_bin(run: _Run, data: _Data | None) -> str:
    from pyspark.sql import functions as F

    missing = _missing(data, "amount_bin")
    if missing:
        return _note(missing)
    label = F.col("amount_bin_label") if data.has("amount_bin_label") else F.col("amount_bin").cast("string")
    flagged = F.sum(F.col("is_anomaly").cast("int")) if data.has("is_anomaly") else F.lit(0)
    rows = sorted(data.df.groupBy(F.col("amount_bin").alias("b"), label.alias("l"))
                  .agg(F.count(F.lit(1)).alias("n"), flagged.alias("f")).collect(),  # bounded: one row of counts per bin
                  key=lambda r: (r["b"] is None, r["b"] if r["b"] is not None else 0))
    names = [redact(str(r["l"] if r["l"] is not None else r["b"]))[:30] for r in rows]
    counts = [int(r["n"]) for r in rows]
    fig = _figure(9.5, 0.9 + 0.38 * len(rows))
    ax = fig.subplots()
    ys = list(range(len(rows)))[::-1]  # first bin on top
    bars = ax.barh(ys, counts, color="#5b8def")
    for bar, r in zip(bars, rows):
        rate = (int(r["f"] or 0) / int(r["n"])) if r["n"] else 0
        ax.annotate(f"{int(r['n']):,}  ({rate:.1%} flagged)", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(ys, names, fontsize=10)
    ax.margins(x=0.25)
    ax.set_xlabel("transactions")
    ax.set_title("Rows per amount bin (share flagged as anomalous in brackets)")
    table = details("Rows per bin table", _table(
        ["Bin", "Label", "Rows", "Flagged"],
        [[_fmt_num(r["b"]), _safe_text(r["l"]), _fmt_num(int(r["n"])), _fmt_num(int(r["f"] or 0))] for r in rows]))
    return _png(fig, "Bar chart of rows per amount bin") + table


def _merchants(run: _Run, data: _Data | None) -> str:
    from pyspark.sql import functions as F

    missing = _missing(data, "merchant_category")
    if missing:
        return _note(missing)
    level = F.col("merchant_risk_level") if data.has("merchant_risk_level") else F.lit("unknown")
    flagged = F.sum(F.col("is_anomaly").cast("int")) if data.has("is_anomaly") else F.lit(0)
    grouped = data.df.groupBy(F.col("merchant_category").alias("c"), level.alias("r")).agg(
        F.count(F.lit(1)).alias("n"), flagged.alias("f"))
    top = grouped.orderBy(F.desc("n")).limit(_TOP_CATEGORIES).collect()  # bounded: top categories only
    levels = data.df.groupBy(level.alias("r")).agg(F.count(F.lit(1)).alias("n"), flagged.alias("f")).collect()  # few rows
    fig = _figure(10, 4.6)
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[2.2, 1])
    items = list(reversed(top))
    ax1.barh([redact(str(r["c"]))[:32] for r in items], [int(r["n"]) for r in items],
             color=[_RISK_COLORS.get(str(r["r"]).lower(), "#7f8c8d") for r in items])
    ax1.set_title(f"Top {len(items)} merchant categories (colour = risk level)", fontsize=11)
    ax1.tick_params(labelsize=9.5)
    order = sorted(levels, key=lambda r: ["low", "medium", "high"].index(str(r["r"]).lower())
                   if str(r["r"]).lower() in ("low", "medium", "high") else 3)
    names = [redact(str(r["r"]))[:16] for r in order]
    rates = [100 * int(r["f"] or 0) / int(r["n"]) if r["n"] else 0 for r in order]
    ax2.bar(names, [int(r["n"]) for r in order], color=[_RISK_COLORS.get(n.lower(), "#7f8c8d") for n in names])
    ax2.set_title("Rows per risk level (line: % flagged)", fontsize=11)
    ax2.tick_params(labelsize=10)
    twin = ax2.twinx()
    twin.plot(names, rates, "ko-", markersize=4)
    twin.set_ylabel("% flagged", fontsize=10)
    table = _table(["Risk level", "Rows", "Flagged", "% flagged"],
                   [[_safe_text(r["r"]), _fmt_num(int(r["n"])), _fmt_num(int(r["f"] or 0)), _fmt_num(rate, 2)]
                    for r, rate in zip(order, rates)])
    return _png(fig, "Merchant categories and risk levels") + table


def _scores(run: _Run, data: _Data | None) -> str:
    from pyspark.sql import functions as F

    missing = _missing(data, "anomaly_score")
    if missing:
        return _note(missing)
    score = F.col("anomaly_score").cast("double")
    b = F.least(F.greatest(F.floor(score * _SCORE_BINS), F.lit(0)), F.lit(_SCORE_BINS - 1)).cast("int")
    flag = F.col("is_anomaly").cast("boolean") if data.has("is_anomaly") else F.lit(False)
    rows = data.df.where(score.isNotNull()).groupBy(b.alias("b"), flag.alias("a")).agg(
        F.count(F.lit(1)).alias("n")).collect()  # <= 100 rows
    normal = [0] * _SCORE_BINS
    flagged = [0] * _SCORE_BINS
    for r in rows:
        (flagged if r["a"] else normal)[int(r["b"])] += int(r["n"])
    lefts = [i / _SCORE_BINS for i in range(_SCORE_BINS)]
    fig = _figure(9, 3.8)
    ax = fig.subplots()
    ax.bar(lefts, normal, width=1 / _SCORE_BINS, align="edge", color="#5b8def", label="not flagged")
    ax.bar(lefts, flagged, width=1 / _SCORE_BINS, align="edge", bottom=normal, color="#c0392b", label="flagged")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlim(0, 1)
    ax.set_xlabel("anomaly score (higher = more anomalous)")
    ax.set_ylabel("transactions (symlog)")
    notes = []
    threshold = run.model.get("threshold") if run.model else None
    if isinstance(threshold, (int, float)):
        ax.axvline(float(threshold), color="black", linestyle="--", linewidth=1.2)
        ax.annotate(f"threshold {threshold:.4f}", (float(threshold), 1), xycoords=("data", "axes fraction"),
                    fontsize=8, ha="right", va="top", rotation=90)
        contamination = (run.model.get("config") or {}).get("contamination")
        if contamination is not None:
            notes.append(f"Threshold set from the model's contamination {contamination}: "
                         "rows with a score above it are flagged.")
    else:
        notes.append("Anomaly model artifact not found: the threshold line is not drawn.")
    ax.legend(fontsize=8)
    ax.set_title("Anomaly score histogram with the threshold")
    return _png(fig, "Histogram of anomaly scores with the threshold line") + "".join(_note(n) for n in notes)


def _over_time(run: _Run, data: _Data | None) -> str:
    from pyspark.sql import functions as F

    missing = _missing(data, "transaction_ts", "is_anomaly")
    if missing:
        return _note(missing)
    t0, t1 = data.stats.get("ts_min"), data.stats.get("ts_max")
    if t0 is None or t1 is None:
        return _note("No timestamps in this run.")
    span_days = (t1 - t0).total_seconds() / 86400
    unit = "hour" if span_days <= 3 else "day" if span_days <= 400 else "month"
    rows = sorted(data.df.where(F.col("transaction_ts").isNotNull())
                  .groupBy(F.date_trunc(unit, F.col("transaction_ts").cast("timestamp")).alias("t"))
                  .agg(F.count(F.lit(1)).alias("n"), F.sum(F.col("is_anomaly").cast("int")).alias("f"))
                  .collect(), key=lambda r: r["t"])  # one row per hour/day/month: at most ~400
    times = [r["t"] for r in rows]
    flagged = [int(r["f"] or 0) for r in rows]
    rates = [100 * f / int(r["n"]) if r["n"] else 0 for f, r in zip(flagged, rows)]
    fig = _figure(9, 3.8)
    ax = fig.subplots()
    span = {"hour": 1 / 24, "day": 1.0, "month": 28.0}[unit]
    ax.bar(times, flagged, width=span * 0.8, color="#c0392b", label=f"flagged per {unit}")
    ax.set_ylabel(f"flagged transactions per {unit}")
    twin = ax.twinx()
    twin.plot(times, rates, color="black", linewidth=1, label="% flagged")
    twin.set_ylabel("% of transactions flagged")
    ax.set_title(f"Flagged transactions per {unit} (UTC)")
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    total = sum(flagged)
    peak = max(range(len(rows)), key=lambda i: flagged[i]) if rows else None
    note = f"{total:,} flagged transaction(s) between {t0:%Y-%m-%d %H:%M} and {t1:%Y-%m-%d %H:%M} UTC."
    if peak is not None and flagged[peak]:
        note += f" Busiest {unit}: {times[peak]:%Y-%m-%d %H:%M} with {flagged[peak]:,}."
    return _png(fig, "Flagged transactions over time") + _note(note)


def _top_flagged(run: _Run, data: _Data | None, top_n: int) -> str:
    from pyspark.sql import functions as F

    if run.status == "quarantined":
        return _note("Not shown: the leak check quarantined this run, so no row-level data is displayed.", "alert")
    missing = _missing(data, "anomaly_score", "is_anomaly")
    if missing:
        return _note(missing)
    protected = {str(c) for c in (run.summary.get("pii_columns_protected") or run.etl.get("pii_columns_protected") or [])}
    show = [c for c in ("transaction_id", "customer_id", "transaction_ts", "amount", "currency", "amount_bin_label",
                        "merchant_category", "merchant_risk_level", "anomaly_score", "anomaly_reasons")
            if data.has(c) and (c != "customer_id" or "customer_id" in protected)]
    features = [f for f in data.features if f not in show and f not in ("is_anomaly",)]
    cols = show + features
    rows = (data.df.where(F.col("is_anomaly").cast("boolean")).orderBy(F.desc("anomaly_score"))
            .limit(top_n).select(*[F.col(f"`{c}`") for c in cols]).collect())  # bounded: top_n rows
    if not rows:
        return _note("No transaction was flagged in this run.")

    def cell(col: str, value: Any) -> str:
        if value is None:
            return ""
        if col == "customer_id":
            return _token_cell(value)
        if col == "anomaly_reasons":
            return "<br>".join(_safe_text(v, 60) for v in value) if isinstance(value, (list, tuple)) else _safe_text(value)
        if col == "transaction_ts" and isinstance(value, datetime):
            return _e(value.strftime("%Y-%m-%d %H:%M:%S"))
        if col == "anomaly_score":
            return _e(f"{float(value):.4f}")
        if isinstance(value, (int, float, bool)):
            return _fmt_num(value, 2)
        return _safe_text(value, 80)

    # One column per idea, so the table fits the page: amount with its currency, and the model's
    # feature values stacked in one cell beside its reasons.
    shown = [c for c in show if c != "currency"]
    headers = ["#"] + [_TOP_HEADERS.get(c, label(c)) for c in shown] + (["Feature values"] if features else [])

    def amount_cell(r: Any) -> str:
        text = cell("amount", r["amount"])
        return text + (f" {_safe_text(r['currency'], 8)}" if "currency" in cols and r["currency"] else "")

    def features_cell(r: Any) -> str:
        return "<br>".join(f"{_e(f)} = {cell(f, r[f])}" for f in features if r[f] is not None)

    body = [[_e(i + 1)] + [amount_cell(r) if c == "amount" else cell(c, r[c]) for c in shown]
            + ([features_cell(r)] if features else []) for i, r in enumerate(rows)]
    notes = [f"The {len(rows)} highest-scoring flagged transactions. Contributing features are the model's "
             "explanation (anomaly reasons) and the feature values the model saw."]
    if "customer_id" in data.types and "customer_id" not in show:
        notes.append("The customer column is hidden: this run did not tokenize it.")
    notes.append("Identifiers are tokens; re-identify a transaction with `secure-transform reidentify` "
                 "(restricted, audited).")
    return _table(headers, body, css="rows") + "".join(_note(n) for n in notes)


_TOP_HEADERS = {"transaction_id": "Transaction", "customer_id": "Customer (token)", "transaction_ts": "Time (UTC)",
                "amount": "Amount", "amount_bin_label": "Amount bin", "merchant_category": "Merchant category",
                "merchant_risk_level": "Risk", "anomaly_score": "Score", "anomaly_reasons": "Why flagged"}


# ----------------------------------------------------------------------------------- the page

def _reidentification_risk(run: _Run) -> str:
    """The risk gate's figures from the summary (no data read): headline table and the
    class-size histogram (before suppression too, when the gate suppressed rows)."""
    figures = run.etl.get("reidentification_risk") or run.summary.get("reidentification_risk")
    if not isinstance(figures, Mapping):
        return _note("No re-identification risk gate ran (main_etl had no --risk_config).")
    before = figures.get("before_suppression") if isinstance(figures.get("before_suppression"), Mapping) else None
    suppressed = sum(int(v) for v in (figures.get("rows_suppressed") or {}).values())
    status = "passed" if figures.get("passed") else "FAILED"
    head = [("Quasi-identifiers", ", ".join(str(q) for q in figures.get("quasi_identifiers") or [])),
            ("Action", f"{figures.get('action')} (min_k {figures.get('min_k')}, min_l {figures.get('min_l')})"),
            ("Published rows / classes", f"{_fmt_num(figures.get('rows'))} / {_fmt_num(figures.get('equivalence_classes'))}"),
            ("k (smallest class)", _fmt_num(figures.get("k"))),
            ("Rows in classes below min_k", f"{_fmt_num(figures.get('rows_below_min_k'))} "
                                            f"({100 * float(figures.get('share_rows_below_min_k') or 0):.2f}%)")]
    if figures.get("sensitive_column"):
        head.append((f"l ({figures.get('sensitive_column')})", _fmt_num(figures.get("l"))))
    if before is not None:
        head.append(("Before suppression: k / rows below min_k",
                     f"{_fmt_num(before.get('k'))} / {_fmt_num(before.get('rows_below_min_k'))} "
                     f"({100 * float(before.get('share_rows_below_min_k') or 0):.2f}%)"))
        head.append(("Rows suppressed to quarantine", ", ".join(f"{k}: {_fmt_num(v)}" for k, v in
                                                              sorted((figures.get("rows_suppressed") or {}).items()))
                     or "0"))
    rows = [[_e(k), _safe_text(v)] for k, v in head]
    fig = _figure(9, 3.6)
    ax = fig.subplots()
    shown = [(before, "before suppression", "#c0392b")] if before is not None and suppressed else []
    shown.append((figures, "published", "#5b8def"))
    width = 0.8 / len(shown)
    for i, (fs, label, color) in enumerate(shown):
        hist = fs.get("class_size_histogram") or []
        ax.bar([j + i * width for j in range(len(hist))], [int(h.get("classes", 0)) for h in hist], width=width,
               color=color, label=label)
        ax.set_xticks([j + width * (len(shown) - 1) / 2 for j in range(len(hist))],
                      [str(h.get("class_size")) for h in hist], rotation=30, fontsize=8)
    ax.set_yscale("symlog")
    ax.set_xlabel("equivalence-class size (rows sharing every quasi-identifier)")
    ax.set_ylabel("classes")
    ax.set_title(f"Equivalence-class sizes (min_k = {figures.get('min_k')}): {status}")
    ax.legend()
    verdict = _note(f"Risk gate {status}.", "ok" if figures.get("passed") else "alert")
    return verdict + _table(["Figure", "Value"], rows, css="kv") + _png(fig, "Histogram of equivalence-class sizes")


_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.2em auto;max-width:1180px;color:#222;padding:0 1.2em;font-size:15px}
h1{font-size:1.45em;margin:.1em 0}h2{border-bottom:2px solid #5b8def;padding-bottom:.2em;margin-top:1.8em;font-size:1.25em}
h3{margin-bottom:.3em;font-size:1.05em}div.scroll{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f5fa}
table.rows{font-size:.8em}table.rows td{max-width:22em;overflow-wrap:anywhere}
table.kv td:first-child{font-weight:600;white-space:nowrap}img{max-width:100%;height:auto;display:block;margin:.5em 0}
p.note{color:#555}p.ok{color:#1e7b34;font-weight:600}p.alert{color:#b03a2e;font-weight:600}
p.sub{color:#555;margin:.1em 0 .6em;font-size:.9em}
nav{font-size:.88em;margin:.4em 0 .8em}nav a{margin-right:.9em;color:#2c5fc9;text-decoration:none}
.token{font-family:monospace}footer{margin-top:3em;color:#777;font-size:.8em}
details{margin:.5em 0}summary{cursor:pointer;color:#2c5fc9}
.banner{padding:.6em 1em;border-radius:6px;font-size:1.08em;margin:.4em 0 .8em}
.banner.ok{background:#e6f4ea;border-left:6px solid #1e7b34}.banner.warn{background:#fff4e0;border-left:6px solid #e69f00}
.banner.alert{background:#fdecea;border-left:6px solid #b03a2e}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:.6em;margin:.6em 0}
.tile{border:1px solid #dde3ee;border-radius:6px;padding:.5em .8em;background:#fafbfd}
.tile .t{font-size:.8em;color:#555;text-transform:uppercase;letter-spacing:.03em}
.tile .v{font-size:1.6em;font-weight:650;margin:.1em 0}.tile .s{font-size:.82em;color:#444}
.tile .unit{font-size:.55em;color:#666;font-weight:400}
.tile.ok .v{color:#1e7b34}.tile.warn .v{color:#a66a00}.tile.alert .v{color:#b03a2e}.tile.alert{border-color:#e3a39c}
"""


def _safety_rails(run: _Run) -> str:
    """Run status, quarantined objects, objects whose rows could not be counted, format-preserving
    fallbacks per column, malformed records and key-check values (counts and names, never values)."""
    summary, mask, etl = run.summary, run.jobs.get("macie_masking") or {}, run.etl
    parts = []
    status = summary.get("status")
    if status and status != "ok":
        parts.append(_note(f"Run status: {status}. {summary.get('status_detail') or ''}", "alert"))
    quarantined = summary.get("quarantined_objects") or mask.get("quarantined") or []
    if quarantined:
        rows = [[_safe_text(q.get("object")), _safe_text(q.get("reason")), _safe_text(q.get("detail"), 300),
                 "unknown" if q.get("records") is None else _fmt_num(q.get("records"))] for q in quarantined[:200]]
        parts.append(_table(["Quarantined object", "Reason", "Detail", "Rows"], rows))
    unknown = mask.get("objects_with_unknown_rows", summary.get("objects_with_unknown_rows"))
    if unknown:
        parts.append(_note(f"{int(unknown):,} object(s) could not be counted in rows (damaged or unreadable); their "
                           "rows are outside rows_in until the object is repaired and re-run.", "alert"))
    malformed = mask.get("malformed_records_quarantined")
    if malformed:
        parts.append(_note(f"{int(malformed):,} malformed record(s) were quarantined as rows (reason "
                           "malformed_record, with their line numbers); the rest of their objects was processed."))
    fallbacks = etl.get("format_preserving_fallbacks") or {}
    if fallbacks:
        rows = [[_safe_text(c), _fmt_num(n)] for c, n in sorted(fallbacks.items())]
        parts.append("<h3>format_preserving fallback tokens per column</h3>"
                     + _table(["Column", "Values tokenized with the '§' fallback"], rows))
    checks = etl.get("key_check_values") or {}
    if checks:
        parts.append(_note("Key-check values of the key versions used: "
                           + ", ".join(f"{_safe_text(v)}={_safe_text(c)}" for v, c in sorted(checks.items()))))
    return "".join(parts) or _note("Nothing was refused, counted as unknown or tokenized with a fallback.", "ok")


def render_report(output_dir: str, summary: Mapping[str, Any], spark: Any = None, *, top_n: int = 20) -> str:
    """The report's HTML (see :func:`write_report`)."""
    run = _locate(output_dir, summary)
    data: _Data | None = None
    features = [str(f) for f in (run.model or {}).get("features", []) if isinstance(f, str)]
    if run.data_path is not None:
        if spark is None:
            from pyspark.sql import SparkSession

            spark = SparkSession.getActiveSession()
        if spark is None:
            from .session import build_spark_session

            spark = build_spark_session("secure-transform-report")
        try:
            data = _Data(spark, run.data_path, features)
        except Exception as exc:  # noqa: BLE001 - unreadable data: the summary sections still render
            run.notes.append(f"The run's data could not be read ({type(exc).__name__}); data sections are empty.")
    builders = {
        "summary": lambda: _summary(run),
        "run-details": lambda: _run_details(run),
        "row-accounting": lambda: _row_accounting(run),
        "masking-leak-check": lambda: _masking_leak(run),
        "amount-distribution": lambda: _amount_distribution(run, data),
        "rows-per-bin": lambda: _rows_per_bin(run, data),
        "merchant-categories": lambda: _merchants(run, data),
        "anomaly-scores": lambda: _scores(run, data),
        "flagged-over-time": lambda: _over_time(run, data),
        "top-flagged": lambda: _top_flagged(run, data, top_n),
        "safety-rails": lambda: _safety_rails(run),
        "reidentification-risk": lambda: _reidentification_risk(run),
    }
    sections = []
    for sid, title in SECTIONS:
        try:
            body = builders[sid]()
        except Exception as exc:  # noqa: BLE001 - one broken figure must not lose the report
            body = _note(f"This section could not be produced ({type(exc).__name__}).", "alert")
        sections.append(f'<section id="{_e(sid)}"><h2>{_e(title)}</h2>{body}</section>')
    nav = "".join(f'<a href="#{_e(sid)}">{_e(title)}</a>' for sid, title in SECTIONS)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = f"secure-ml-transform run report: {run.run_id or 'unknown run'}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{_safe_text(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{_safe_text(title)}</h1>"
            f"<p class=\"sub\">Generated {_e(now)} from {identifier_text(run.output_dir)}. "
            "Only transformed (tokenized) data is used; no raw personal data is shown.</p>"
            f"<nav>{nav}</nav>{''.join(sections)}"
            "<footer>secure-ml-transform &middot; self-contained report (no external assets)</footer></body></html>\n")


def write_report(output_dir: str, summary: Mapping[str, Any], spark: Any = None, *, top_n: int = 20) -> str:
    """Write ``<output_dir>/report.html`` and return its absolute path."""
    page = render_report(output_dir, summary, spark, top_n=top_n)
    path = os.path.join(os.path.abspath(output_dir), REPORT_FILE)
    sio.write_text(sio.parse_location(path, "report"), page)
    return path
