"""``secure-transform run``: the whole pipeline locally on generated sample data."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run detect -> mask -> transform -> leak check locally",
                       description="Generate sample data if absent, then run every job of the suite on it and "
                                   "write OUTPUT/run_summary.json.")
    p.add_argument("--output", default="local_run", help="output directory (default local_run/)")
    p.add_argument("--rows", type=int, default=100_000, help="sample rows (default 100,000)")
    p.add_argument("--seed", type=int, default=42, help="sample data seed (default 42)")
    p.add_argument("--format", default="csv", choices=("csv", "parquet", "jsonl"), help="raw data format")
    p.add_argument("--anomaly-threshold", type=float, default=0.01, help="Isolation Forest contamination (0, 0.5]")
    p.add_argument("--spark-submit", action="store_true",
                   help="run each glue_jobs/<job>.py with spark-submit (as scripts/run_local.sh does)")
    p.add_argument("--jobs-dir", default=None, help="directory of the Glue job scripts (default ./glue_jobs)")
    p.add_argument("--master", default="local[*]", help="Spark master (default local[*])")
    p.add_argument("--regenerate", action="store_true", help="regenerate the sample data even if present")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from ..config import parse_threshold
    from ..localrun import LocalRunConfig, run_local_pipeline

    parse_threshold(args.anomaly_threshold)
    cfg = LocalRunConfig(output=args.output, rows=args.rows, seed=args.seed, input_format=args.format,
                         anomaly_threshold=args.anomaly_threshold, spark_submit=args.spark_submit,
                         jobs_dir=args.jobs_dir, master=args.master, regenerate=args.regenerate)
    summary = run_local_pipeline(cfg, log=lambda m: print(m, file=sys.stderr))
    brief = {k: summary[k] for k in ("rows_in", "rows_out", "rows_quarantined", "anomalies_flagged",
                                     "leak_findings", "published")}
    print(json.dumps(brief))
    return 0
