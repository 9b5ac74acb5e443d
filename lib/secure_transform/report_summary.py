"""The report's first screen: what an analyst needs before anything else.

Status of the run, rows in / out / quarantined with the accounting check, anomaly quality
(flagged rate, ROC-AUC, precision and recall at the flagged rate when labels exist), the leak
check, and the safety figures other jobs add to the run summary when they have them:
``risk`` (re-identification risk), ``redaction`` (placeholders written per type) and
``fpe_fallbacks`` (format-preserving tokens that fell back, per column). Those three are looked
up in the run summary and in each job's summary, rendered generically (numbers as tiles, maps
as labelled lines) and simply left out when absent.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .report_html import e, fmt_num, fmt_pct, label, safe_text

__all__ = ["OPTIONAL_FIGURES", "summary_section", "optional_figures"]

#: run-summary keys rendered on the first screen when some job wrote them (each at most once,
#: the run summary's copy first): the risk gate's figures, placeholder counts, FPE fallbacks
OPTIONAL_FIGURES = ("reidentification_risk", "risk", "redaction", "placeholders", "placeholders_by_type",
                    "format_preserving_fallbacks", "fpe_fallbacks")
#: keys that carry the same figure (a short headline first): one tile per group, the first found
_SAME_FIGURE = (("risk", "reidentification_risk"), ("placeholders_by_type", "redaction", "placeholders"),
                ("format_preserving_fallbacks", "fpe_fallbacks"))
_ALERT_WHEN_NONZERO = ("format_preserving_fallbacks", "fpe_fallbacks")
_STATUS = {
    "published": ("ok", "Published", "The leak check passed; the run is visible to readers."),
    "pending": ("warn", "Written, not published", "The leak check has not passed this run (yet)."),
    "quarantined": ("alert", "Quarantined", "The leak check found personal data: the run is not published and no "
                                            "row-level data is shown in this report."),
    "missing": ("warn", "No output", "No transformed data was found for this run."),
}
_MAX_LINES = 6
_KEYED_BY_COLUMN = ("fpe_fallbacks", "format_preserving_fallbacks")  # keys are column names: shown verbatim
_STATUS_KEYS = ("status", "result", "decision", "action", "passed")


def _tile(title: str, value: str, sub: str = "", kind: str = "") -> str:
    return (f'<div class="tile {e(kind)}"><div class="t">{e(title)}</div><div class="v">{value}</div>'
            f'<div class="s">{sub}</div></div>')


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _leaves(value: Any, prefix: str = "", depth: int = 0) -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        if depth >= 3:
            return
        for k, v in value.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k), depth + 1)
    elif isinstance(value, (list, tuple)):
        if all(isinstance(v, (str, int, float)) for v in value) and value:
            yield prefix, ", ".join(map(str, value[:10])) + (" \u2026" if len(value) > 10 else "")
    elif value is None or isinstance(value, (bool, int, float, str)):
        yield prefix, value


def optional_figures(summary: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """``(key, where, value)`` for each optional figure found in the run or a job summary."""
    found = []
    jobs = summary.get("jobs") if isinstance(summary.get("jobs"), Mapping) else {}
    for group in _SAME_FIGURE:
        for key in group:
            hits = [("run", summary[key])] if summary.get(key) is not None else [
                (str(job), js[key]) for job, js in jobs.items() if isinstance(js, Mapping) and js.get(key) is not None]
            if hits:
                found.extend((key, where, value) for where, value in hits)
                break
    return found


def _figure_tile(key: str, where: str, value: Any) -> str:
    title = label(key) + ("" if where == "run" else f" ({where})")
    if _num(value) or isinstance(value, bool):
        return _tile(title, fmt_num(value), kind="alert" if key in _ALERT_WHEN_NONZERO and value else "")
    leaves = [(k, v) for k, v in _leaves(value)]
    numbers = [v for _k, v in leaves if _num(v)]
    passed = next((v for k, v in leaves if k == "passed" and isinstance(v, bool)), None)
    status = ("passed" if passed else "FAILED") if passed is not None else next(
        (str(v) for k, v in leaves if k.rsplit(".", 1)[-1] in _STATUS_KEYS and isinstance(v, str)), None)
    if status:
        big = safe_text(status, 40)
    elif leaves and len(numbers) == len(leaves):
        big = fmt_num(sum(numbers)) + ' <span class="unit">total</span>'
    else:
        big = ""
    kind = ""
    if key in _ALERT_WHEN_NONZERO and any(numbers):
        kind = "alert"
    elif status and status.lower() in ("fail", "failed", "block", "blocked"):
        kind = "alert"
    elif status == "passed":
        kind = "ok"
    name = (lambda k: k) if key in _KEYED_BY_COLUMN else label
    lines = [f"{e(name(k))}: <b>{fmt_num(v) if not isinstance(v, str) else safe_text(v, 60)}</b>"
             for k, v in leaves if k != "passed" and k.rsplit(".", 1)[-1] not in _STATUS_KEYS[:3]]
    more = f"<br>\u2026 {len(lines) - _MAX_LINES} more in the run summary" if len(lines) > _MAX_LINES else ""
    return _tile(title, big or "&nbsp;", "<br>".join(lines[:_MAX_LINES]) + more, kind)


def summary_section(summary: Mapping[str, Any], status: str, notes: Iterable[str] = ()) -> str:
    """The one-screen summary: status banner, then tiles."""
    kind, head, text = _STATUS.get(status, _STATUS["missing"])
    leak = summary.get("leak_findings")
    if status != "quarantined" and isinstance(leak, int) and leak > 0:
        kind, head, text = "alert", "Leak findings", f"{leak:,} leak finding(s); see the leak check below."
    run_status = summary.get("status")
    if isinstance(run_status, str) and run_status != "ok":  # e.g. all inputs quarantined: never a success
        kind, head, text = "alert", label(run_status), str(summary.get("status_detail") or "see the run summary")
    banner = f'<div class="banner {e(kind)}"><b>{e(head)}</b> &mdash; {safe_text(text, 400)}</div>'

    rin, rout, rq = (summary.get(k) for k in ("rows_in", "rows_out", "rows_quarantined"))
    balanced = all(isinstance(v, int) for v in (rin, rout, rq)) and rin == rout + rq
    reasons = summary.get("reject_reasons") if isinstance(summary.get("reject_reasons"), Mapping) else {}
    counted = sorted(((str(k), v) for k, v in reasons.items() if _num(v)), key=lambda kv: (-kv[1], kv[0]))
    reasons_text = "<br>".join(f"{e(label(k))}: {fmt_num(v)}" for k, v in counted[:3])
    if len(counted) > 3:
        reasons_text += f"<br>and {len(counted) - 3} more reason(s) under Rows per job"
    rows = [
        _tile("Rows in", fmt_num(rin)),
        _tile("Rows out (published)", fmt_num(rout), fmt_pct(rout, rin) + " of input" if rin else ""),
        _tile("Rows quarantined", fmt_num(rq), (fmt_pct(rq, rin) + " of input" if rin else "")
              + ("<br>" + reasons_text if reasons_text else ""), "warn" if rq else ""),
        _tile("Row accounting", "balanced" if balanced else "DOES NOT BALANCE",
              "rows in = rows out + rows quarantined", "ok" if balanced else "alert"),
    ]

    ev = summary.get("anomaly_evaluation") if isinstance(summary.get("anomaly_evaluation"), Mapping) else {}
    flagged, rate = summary.get("anomalies_flagged"), summary.get("anomaly_rate")
    rate_text = f"{100 * rate:.2f} % of rows out" if _num(rate) else ""
    quality = [_tile("Anomalies flagged", fmt_num(flagged), rate_text)]
    if ev:
        auc = ev.get("roc_auc")
        quality += [
            _tile("ROC-AUC", f"{auc:.3f}" if _num(auc) else "n/a",
                  f"against {fmt_num(ev.get('positives'))} labelled anomalies in {fmt_num(ev.get('rows_evaluated'))} rows"),
            _tile("Precision at the flagged rate", fmt_pct(ev.get("precision_at_flagged_rate"), 1, 1) or "n/a",
                  "share of flagged rows that are labelled anomalies"),
            _tile("Recall at the flagged rate", fmt_pct(ev.get("recall_at_flagged_rate"), 1, 1) or "n/a",
                  "share of labelled anomalies that were flagged"),
        ]
    else:
        quality.append(_tile("Model quality", "no labels",
                             "ROC-AUC, precision and recall need ground-truth labels (generated data has them)"))

    protected = [str(c) for c in (summary.get("pii_columns_protected") or [])]
    safety = [
        _tile("Leak check", "not run" if leak is None else ("clean" if leak == 0 else f"{leak:,} finding(s)"),
              "no personal data found in the transformed output" if leak == 0 else
              "the detector's scan of the transformed output", "ok" if leak == 0 else "alert"),
        _tile("Columns protected", fmt_num(len(protected)), safe_text(", ".join(protected), 300)),
    ]
    safety += [_figure_tile(k, where, v) for k, where, v in optional_figures(summary)]
    if _num(summary.get("seconds")):
        safety.append(_tile("Run time", f"{summary['seconds']:,.1f} s", _job_times(summary)))
    body = "".join(f'<div class="tiles">{"".join(group)}</div>' for group in (rows, quality, safety))
    return banner + body + "".join(f'<p class="note">{e(n)}</p>' for n in notes)


def _job_times(summary: Mapping[str, Any]) -> str:
    stages = [s for s in summary.get("stages") or [] if isinstance(s, Mapping) and _num(s.get("seconds"))]
    return "<br>".join(f"{e(label(s.get('name', '')))}: {s['seconds']:,.1f} s" for s in stages[:6])
