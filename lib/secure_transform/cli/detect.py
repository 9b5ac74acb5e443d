"""``secure-transform detect``: the built-in PII detector, writing Macie-format discovery results."""

from __future__ import annotations

import argparse
import os
import sys

from .help import SPARK_START, ExampleFormatter, epilog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detect", help="find personal data in CSV/TSV/JSON Lines/JSON/Parquet files (Macie format)",
                       description="Scan a file or folder with the built-in Spark-native detector and write "
                                   "Amazon Macie-format sensitive data discovery results (gzip JSON Lines under "
                                   "OUTPUT/AWSLogs/<account>/Macie/<region>/<jobId>/) plus a summary of counts per "
                                   "type and column. Values are never printed. " + SPARK_START,
                       epilog=epilog(("Scan generated transactions:", [
                           "secure-transform generate --rows 1000 --output sample",
                           "secure-transform detect --input sample/transactions --output results"])),
                       formatter_class=ExampleFormatter)
    p.add_argument("--input", required=True, help="file or folder to scan (local path or s3:// URI)")
    p.add_argument("--output", required=True, help="results directory (the Macie results 'bucket')")
    p.add_argument("--format", default=None, choices=("csv", "tsv", "jsonl", "json", "parquet", "avro"),
                   help="input format (default: from each file's extension; .json is sniffed)")
    p.add_argument("--header", default="auto", choices=("auto", "true", "false"),
                   help="CSV/TSV header line (default auto: a first line of identifier-like names)")
    p.add_argument("--allow-empty", action="store_true",
                   help="exit 0 when there are no records to scan (default: an empty file or folder is an error)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from .. import io as sio
    from ..detection import DetectConfig, detect_objects, format_summary
    from ..errors import ConfigError
    from ..session import build_spark_session

    source = sio.parse_location(args.input, "--input")
    results = sio.parse_location(args.output, "--output")
    if not source.is_s3 and not os.path.exists(source.key):
        raise ConfigError("--input", "does not exist")
    config = DetectConfig(header=args.header)
    print("detect: starting Spark ...", file=sys.stderr)
    spark = build_spark_session("secure-transform-detect")
    summary = detect_objects(spark, source, results, config=config, input_format=args.format,
                             progress=lambda m: print(m, file=sys.stderr), exclude=[results])
    text = format_summary(summary)
    print(text)
    if not results.is_s3:
        sio.write_text(results.child("detection_summary.txt"), text + "\n")
    if not summary["records"] and not args.allow_empty:
        from ..errors import SecureTransformError

        raise SecureTransformError(f"--input: {source.uri} has no records to scan ({summary['objects']} object(s), "
                                   "all empty or header-only), so nothing was checked for personal data; pass "
                                   "--allow-empty if an empty input is expected")
    return 0
