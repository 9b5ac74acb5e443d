"""``secure-transform risk``: k-anonymity and l-diversity of any Parquet/CSV/JSON dataset.

The same computation as main_etl's risk gate (``--risk_config``): one groupBy over the
quasi-identifiers, a bounded histogram of class sizes. Only counts are printed, never a value.
Exit status: 0 when the thresholds hold (or the action is ``report``), 5 when they fail.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .help import SPARK_START, ExampleFormatter, epilog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("risk", help="re-identification risk (k-anonymity, l-diversity) of a dataset",
                       description="Measure k (the smallest equivalence class over the quasi-identifiers), the "
                                   "share of rows in classes below min_k, the class-size histogram and, with a "
                                   "sensitive column, l (distinct sensitive values per class; a null counts as "
                                   "one value). Exit 5 when a threshold fails and the action is not 'report'. "
                                   + SPARK_START,
                       epilog=epilog(("k-anonymity of generated transactions over currency and merchant code:", [
                           "secure-transform generate --rows 1000 --output sample",
                           "secure-transform risk --input sample/transactions --risk-config '{\"quasi_identifiers\": "
                           "[\"currency\", \"merchant_category_code\"], \"min_k\": 2, \"action\": \"report\"}'"])),
                       formatter_class=ExampleFormatter)
    p.add_argument("--input", required=True, help="Parquet/CSV/TSV/JSON Lines file or folder (local path or s3:// URI)")
    p.add_argument("--risk-config", required=True,
                   help='JSON or @FILE, e.g. \'{"quasi_identifiers": ["amount_bin", "merchant_category"], '
                        '"min_k": 5, "sensitive_column": "is_anomaly", "min_l": 2, "action": "report"}\'')
    p.add_argument("--format", default=None, choices=("csv", "tsv", "jsonl", "json", "parquet"),
                   help="input format (default: from the file extensions)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--output", default=None, help="also write the figures as JSON to this file")
    p.set_defaults(func=handle)


def _read(spark: Any, loc: Any, fmt: str) -> Any:
    if fmt in ("csv", "tsv"):  # values stay text: classes are compared as written
        return (spark.read.option("header", "true").option("sep", "\t" if fmt == "tsv" else ",")
                .option("recursiveFileLookup", "true").csv(loc.spark_path()))
    if fmt in ("jsonl", "json"):
        return spark.read.option("multiLine", fmt == "json").option("recursiveFileLookup", "true").json(loc.spark_path())
    return spark.read.parquet(loc.spark_path())  # partition discovery keeps e.g. transaction_date


def handle(args: argparse.Namespace) -> int:
    from .. import io as sio
    from ..errors import ConfigError, SchemaError
    from ..pipeline import infer_format
    from ..risk import PARAM, ReidentificationRiskError, assess_risk, format_risk, parse_risk_config, \
        with_quasi_identifier_features
    from ..session import build_spark_session

    try:
        config = parse_risk_config(args.risk_config)  # fail before starting Spark
    except ConfigError as exc:
        raise ConfigError("--risk-config", exc.problem) from None
    if config is None:
        raise ConfigError("--risk-config", "is empty; give the quasi_identifiers at least")
    source = sio.parse_location(args.input, "--input")
    if not source.is_s3 and not os.path.exists(source.key):
        raise ConfigError("--input", "does not exist")
    files = [f for f in sio.list_objects(source) if f.size > 0]
    if not files:
        raise SchemaError(source.uri, None, "holds no non-empty data files")
    fmt = args.format or infer_format(files, source.uri)
    print(f"risk: reading {len(files)} {fmt} file(s) ...", file=sys.stderr)
    spark = build_spark_session("secure-transform-risk")
    df = with_quasi_identifier_features(_read(spark, source, fmt), config)
    figures = assess_risk(df, config)
    if args.output:
        sio.write_json(sio.parse_location(args.output, "--output"), figures)
    print(json.dumps(figures, indent=2) if args.json else "\n".join(format_risk(figures)))
    if not figures["passed"] and config.action != "report":
        raise ReidentificationRiskError(f"{PARAM}: k={figures['k']} below min_k {config.min_k} or l below min_l "
                                        f"({figures['rows_failing']} row(s) in failing classes)")
    return 0
