"""``secure-transform generate``: synthetic card transactions with planted anomalies."""

from __future__ import annotations

import argparse
import os
import sys

from .help import SPARK_START, ExampleFormatter, epilog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="write synthetic card transactions (CSV, Parquet or JSON Lines)",
                       description="Write OUTPUT/transactions/ (data) and OUTPUT/labels/ (ground truth, kept "
                                   "beside the data). Deterministic by seed. " + SPARK_START,
                       epilog=epilog(("1,000 rows of CSV with planted anomalies and bad rows:",
                                      ["secure-transform generate --rows 1000 --output sample"])),
                       formatter_class=ExampleFormatter)
    p.add_argument("--output", required=True, help="output directory")
    p.add_argument("--rows", type=int, default=100_000, help="rows to write, 1,000 to 10,000,000 (default 100,000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--days", type=int, default=7, help="days of transactions (default 7)")
    p.add_argument("--format", default="csv", choices=("csv", "parquet", "jsonl"), help="output format (default csv)")
    p.add_argument("--anomaly-rate", type=float, default=0.01, help="share of planted anomalies (default 0.01)")
    p.add_argument("--bad-row-rate", type=float, default=0.001, help="share of planted bad rows (default 0.001)")
    p.add_argument("--files", type=int, default=None, help="number of output files (default rows/250,000)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from ..generator import GeneratorConfig, write_sample_data
    from ..session import build_spark_session

    cfg = GeneratorConfig(rows=args.rows, seed=args.seed, days=args.days, anomaly_rate=args.anomaly_rate,
                          bad_row_rate=args.bad_row_rate)  # validates before Spark starts
    print(f"generating {cfg.rows:,} rows ...", file=sys.stderr)
    spark = build_spark_session("secure-transform-generate", master="local[*]")
    # absolute: Spark resolves a relative path against the JVM's start directory, not this one's
    info = write_sample_data(spark, cfg, os.path.abspath(args.output), args.format, files=args.files)
    print(f"wrote {info['rows']:,} rows ({info['anomalies_planted']:,} planted anomalies, "
          f"{info['bad_rows_planted']:,} planted bad rows) to {info['path']}; labels in {info['labels']}")
    return 0
