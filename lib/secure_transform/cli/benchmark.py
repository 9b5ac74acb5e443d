"""``secure-transform benchmark``: the performance harness (``scripts/benchmark.py`` runs the same)."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Sequence

from .help import SPARK_START, ExampleFormatter, epilog


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..benchmark import STAGE_ORDER

    p.add_argument("--rows", type=int, default=5_000_000, help="rows of generated data (default 5,000,000)")
    p.add_argument("--json", metavar="FILE", help="also write the full report as JSON to FILE")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per stage; the median is reported (default 3)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs before the timed ones (default 1)")
    p.add_argument("--masking-rows", type=int, default=1_000_000,
                   help="rows of the CSV the masking stage masks (default 1,000,000)")
    p.add_argument("--masking-findings", type=int, default=10_000,
                   help="cell findings in the masking stage's discovery results (default 10,000)")
    p.add_argument("--stages", default="", help=f"comma-separated subset of: {', '.join(STAGE_ORDER)} (default all)")
    p.add_argument("--workdir", help="keep generated data and outputs here (default: a temporary directory, removed)")
    p.add_argument("--master", default="local[*]", help="Spark master (default local[*]: every core)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("benchmark", help="measure each stage's throughput against the Parquet/CSV floor",
                       description="Generate data once, then time the floor (plain read + write), each transform, "
                                   "main_etl, masking and the leak check: median of --repeats runs after --warmup, "
                                   "rows/s, ratio to the floor, peak driver memory. Prints a table. The default "
                                   "5,000,000 rows take about 45 minutes on 2 cores; keep the machine otherwise idle. "
                                   + SPARK_START,
                       epilog=epilog(("A seconds-long smoke run of the floor and the tokenization stage:", [
                           "secure-transform benchmark --rows 1000 --stages floor_parquet,tokenize_fpe_1 "
                           "--repeats 1 --warmup 0"])),
                       formatter_class=ExampleFormatter)
    add_arguments(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, argv: Sequence[str] | None = None,
           prog: str = "secure-transform benchmark") -> int:
    from ..benchmark import BenchmarkConfig, format_table, run_benchmark, write_json
    from ..session import build_spark_session

    stages = tuple(s.strip() for s in args.stages.split(",") if s.strip())
    cfg = BenchmarkConfig(rows=args.rows, repeats=args.repeats, warmup=args.warmup, masking_rows=args.masking_rows,
                          masking_findings=args.masking_findings, workdir=args.workdir, stages=stages)  # validates first
    command = prog + " " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[2:]))
    spark = build_spark_session("secure-transform-benchmark", master=args.master)
    checkpoint = (lambda partial: write_json(partial, args.json)) if args.json else None
    report = run_benchmark(cfg, spark=spark, command=command.strip(), checkpoint=checkpoint,
                           progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(format_table(report))
    if args.json:
        write_json(report, args.json)
        print(f"report written to {args.json}", file=sys.stderr)
    return 0
