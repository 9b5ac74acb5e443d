"""``secure-transform run``: the whole pipeline locally, on generated sample data or your own."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .help import SPARK_START, ExampleFormatter, epilog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run", help="run detect -> mask -> transform -> leak check locally (sample data or --input)",
        description="Run every job of the suite locally: detect PII, mask, transform (validate, tokenize, bin, "
                    "encode, flag anomalies), leak check. Without --input it generates sample data (with "
                    "ground-truth labels, so the report shows ROC-AUC, precision and recall); with --input it "
                    "runs on your own extract. Writes OUTPUT/run_summary.json and OUTPUT/report.html and prints "
                    "a summary (--json for JSON). " + SPARK_START,
        epilog=epilog(("The whole pipeline on 1,000 generated rows, then on your own file (here: the generated one):", [
            "secure-transform run --rows 1000 --output demo_run",
            "secure-transform run --input demo_run/sample/transactions --output my_run"])),
        formatter_class=ExampleFormatter)
    p.add_argument("--output", default="local_run", help="output directory (default local_run/)")
    src = p.add_argument_group("input (one of)")
    src.add_argument("--input", default=None, metavar="PATH",
                     help="your own data: a file or folder of CSV, TSV, JSON Lines or Parquet (gzip/bzip2 text "
                          "allowed); it needs the columns transaction_id, customer_id, amount, currency, "
                          "transaction_ts, merchant_category_code (rename yours with --column-map)")
    src.add_argument("--rows", type=int, default=None, help="generated sample rows (default 100,000; not with --input)")
    p.add_argument("--column-map", default=None, metavar="MAP",
                   help="with --input: YOUR_COLUMN=PIPELINE_COLUMN pairs, comma-separated (e.g. "
                        "txn=transaction_id,cust=customer_id), or a JSON object, or @FILE")
    p.add_argument("--pii-columns", default=None, metavar="COLUMNS",
                   help="columns to tokenize: a comma list (each gets the sample data's method for that name, else "
                        "a deterministic keyed token) or main_etl's JSON ({\"email\": {\"method\": \"hash\"}}) or "
                        "@FILE. Default: the sample configuration for the columns your data has. Every other "
                        "column is still scanned: detected personal data is masked, and the leak check blocks "
                        "publication of anything left")
    p.add_argument("--input-format", default=None, choices=("csv", "tsv", "jsonl", "parquet"),
                   help="with --input: the format (default: from the file extensions)")
    p.add_argument("--seed", type=int, default=42, help="sample data seed (default 42)")
    p.add_argument("--format", default="csv", choices=("csv", "parquet", "jsonl"), help="sample data format")
    p.add_argument("--anomaly-threshold", type=float, default=0.01, help="Isolation Forest contamination (0, 0.5]")
    p.add_argument("--spark-submit", action="store_true",
                   help="run each glue_jobs/<job>.py with spark-submit (as scripts/run_local.sh does; adds a "
                        "Spark start-up per job)")
    p.add_argument("--jobs-dir", default=None, help="directory of the Glue job scripts (default ./glue_jobs)")
    p.add_argument("--master", default="local[*]", help="Spark master (default local[*])")
    p.add_argument("--regenerate", action="store_true", help="regenerate the sample data even if present")
    p.add_argument("--json", action="store_true", help="print the run's headline figures as JSON instead of text")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from ..config import parse_threshold
    from ..errors import ConfigError
    from ..localrun import LocalRunConfig, run_local_pipeline

    parse_threshold(args.anomaly_threshold)
    own, pii = None, None
    if args.input is not None:
        from ..intake import inspect_input, parse_column_map, select_pii_columns

        if args.rows is not None:
            raise ConfigError("--rows", "sets the size of generated sample data; leave it out with --input")
        own = inspect_input(args.input, parse_column_map(args.column_map), args.input_format)  # before Spark starts
        pii = select_pii_columns(own, args.pii_columns)
    else:
        for flag, value in (("--column-map", args.column_map), ("--pii-columns", args.pii_columns),
                            ("--input-format", args.input_format)):
            if value is not None:
                raise ConfigError(flag, "applies to your own data only; give --input PATH too")
    cfg = LocalRunConfig(output=args.output, rows=args.rows or 100_000, seed=args.seed, input_format=args.format,
                         anomaly_threshold=args.anomaly_threshold, spark_submit=args.spark_submit,
                         jobs_dir=args.jobs_dir, master=args.master, regenerate=args.regenerate,
                         own_input=own, pii_columns=pii)
    summary = run_local_pipeline(cfg, log=lambda m: print(m, file=sys.stderr))
    if args.json:
        brief = {k: summary.get(k) for k in ("rows_in", "rows_out", "rows_quarantined", "anomalies_flagged",
                                             "leak_findings", "published", "seconds", "report")}
        brief["summary"] = _summary_path(args.output)
        print(json.dumps(brief))
    else:
        print("\n".join(human_summary(summary, _summary_path(args.output))))
    return 0


def _summary_path(output: str) -> str:
    import os

    return os.path.join(os.path.abspath(output), "run_summary.json")


def human_summary(s: dict[str, Any], summary_path: str) -> list[str]:
    """The lines printed after a run; the per-job seconds are the ones the progress lines showed."""
    balanced = s["rows_in"] == s["rows_out"] + s["rows_quarantined"]
    reasons = ", ".join(f"{k}: {v:,}" for k, v in sorted((s.get("reject_reasons") or {}).items()))
    ev = s.get("anomaly_evaluation") or {}
    lines = ["", "secure-ml-transform local run",
             f"  status             {'published' if s.get('published') else 'NOT published (see the report)'}",
             f"  rows in            {s['rows_in']:>12,}",
             f"  rows out           {s['rows_out']:>12,}",
             f"  rows quarantined   {s['rows_quarantined']:>12,}" + (f"   ({reasons})" if reasons else ""),
             f"  anomalies flagged  {s.get('anomalies_flagged', 0):>12,}"]
    if ev.get("roc_auc") is not None:
        lines.append(f"  ROC-AUC            {ev['roc_auc']:>12.3f}   precision {ev.get('precision_at_flagged_rate') or 0:.1%}"
                     f", recall {ev.get('recall_at_flagged_rate') or 0:.1%} at the flagged rate")
    lines += [f"  leak findings      {s.get('leak_findings', 0):>12,}",
              f"  columns protected  {', '.join(s.get('pii_columns_protected') or [])}"]
    r = s.get("reidentification_risk")
    if r:  # the risk gate's figures (main_etl --risk_config)
        b = r.get("before_suppression") or r
        lines += [f"  re-identification risk over {', '.join(r['quasi_identifiers'])} (min_k {r['min_k']}, {r['action']}):",
                  f"    before: k={b['k']}, {b['rows_below_min_k']:,} rows ({100 * b['share_rows_below_min_k']:.2f}%) "
                  f"in {b['classes_below_min_k']:,} classes below min_k",
                  f"    published: k={r['k']}, l({r.get('sensitive_column')})={r.get('l')}, suppressed "
                  f"{sum((r.get('rows_suppressed') or {}).values()):,} rows, gate {'passed' if r['passed'] else 'FAILED'}"]
    if s.get("status") not in (None, "ok"):
        lines.append(f"  status             {s['status']}: {s.get('status_detail') or ''}")
    for st in s.get("stages") or []:
        lines.append(f"  {st['name']:<18} {st.get('seconds') or 0:>10.1f}s")
    lines += [f"  total              {s.get('seconds') or 0:>10.1f}s",
              f"  rows in = rows out + rows quarantined: {'yes' if balanced else 'NO'}",
              f"  summary: {summary_path}"]
    if s.get("report"):
        lines.append(f"  report:  {s['report']}")
    return lines
