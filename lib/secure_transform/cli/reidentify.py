"""``secure-transform reidentify``: reverse reversible tokens of selected rows, with the key.

Works on tokenized Parquet (a ``tokenize`` output, or a transformed zone, where the newest
published run is used). Only ``format_preserving`` and ``non_deterministic`` columns can be
reversed; naming a one-way column in ``--columns`` is an error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..errors import ConfigError
from .help import ExampleFormatter, epilog


def _progress(message: str) -> None:
    print(f"secure-transform: {message}", file=sys.stderr, flush=True)


def _reidentify(args: argparse.Namespace) -> int:
    from ..io import parse_location
    from ..keys import load_keyset
    from ..reidentify import manifest_key_checks, parse_row_filter, reidentify_dataset, resolve_source
    from ..session import build_spark_session
    from ..tokenization import parse_pii_columns

    config = parse_pii_columns(args.pii_columns)
    row_filter = parse_row_filter(args.row_filter, config)
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    if args.columns is not None and not columns:
        raise ConfigError("--columns", "names no column")
    keyset = load_keyset(secret_id=args.key_secret_id, key_file=args.key_file)  # before reading any data
    source = resolve_source(parse_location(args.input, "--input"))
    target = parse_location(args.output, "--output").spark_path()
    if not os.path.exists(source.spark_path()):
        raise ConfigError("--input", f"{source.spark_path()} does not exist")
    _require_parquet(source.spark_path())  # before Spark starts: a CSV here is a one-line error
    if os.path.exists(target):
        raise ConfigError("--output", f"{target} already exists; re-identified data is never overwritten")
    _progress(f"re-identifying rows of {source.spark_path()} (row filter: {row_filter[0]})")
    spark = build_spark_session("secure-transform-reidentify")
    result = reidentify_dataset(spark, source.spark_path(), target, config, keyset, row_filter, columns,
                                manifest_checks=manifest_key_checks(source),
                                allow_unverified_key=args.allow_unverified_key)
    failed = sum(result["values_not_reidentified"].values())
    note = f"; {failed} token(s) did not decrypt (null)" if failed else ""
    print(f"re-identified {', '.join(result['columns_reidentified'])} in {result['rows_selected']} of "
          f"{result['rows_scanned']} row(s) -> {target}{note}")
    return 0


def _require_parquet(path: str) -> None:
    """Every data file under a local ``--input`` must be Parquet (magic ``PAR1``); S3 is left to Spark."""
    if path.startswith("s3://"):
        return
    files = [path] if os.path.isfile(path) else [
        os.path.join(root, name) for root, dirs, names in os.walk(path)
        if not any(part.startswith(("_", ".")) for part in os.path.relpath(root, path).split(os.sep) if part != ".")
        for name in names if not name.startswith(("_", ".")) and not name.endswith(".crc")]
    if not files:
        raise ConfigError("--input", f"{path} holds no data files")
    for name in sorted(files):
        with open(name, "rb") as fh:
            magic = fh.read(4)
        if magic != b"PAR1":
            raise ConfigError("--input", f"{name} is not Parquet; reidentify reads tokenized Parquet (a `tokenize` "
                                         "output or a transformed zone)")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "reidentify", help="reverse format_preserving/non_deterministic tokens for selected rows",
        description="Restore the original values of reversible tokens (format_preserving, non_deterministic) "
                    "for the selected rows, using the key set. Writes Parquet to a new --output directory. "
                    "Restricted: every run is audited. Starts a local Spark session first (about 5-30 s).",
        epilog=epilog(("Tokenize card numbers reversibly, then restore them for every row:", [
            "secure-transform generate --rows 1000 --output sample",
            "secure-transform keys create --key-file dev-keys.json",
            "echo '{\"customer_id\": {\"method\": \"deterministic\"}, \"card_number\": {\"method\": "
            "\"format_preserving\"}}' > pii.json",
            "secure-transform tokenize --input sample/transactions --output tokenized --key-file dev-keys.json "
            "--pii-columns @pii.json",
            "secure-transform reidentify --input tokenized --output restored --key-file dev-keys.json "
            "--pii-columns @pii.json --columns card_number --row-filter all"])),
        formatter_class=ExampleFormatter)
    parser.add_argument("--input", required=True, help="tokenized Parquet (file, directory or transformed zone)")
    parser.add_argument("--output", required=True, help="new output directory (restricted location)")
    parser.add_argument("--pii-columns", required=True,
                        help="the JSON configuration the data was tokenized with, or @FILE")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--key-file", help="local key-set file (or set SECURE_TRANSFORM_KEY_FILE)")
    group.add_argument("--key-secret-id", help="Secrets Manager secret id/ARN holding the key set (AWS)")
    parser.add_argument("--columns", help="comma-separated columns to reverse (default: every reversible column)")
    parser.add_argument("--row-filter", default="anomalies",
                        help="'anomalies' (is_anomaly true; default), 'all', or COLUMN=V1,V2 on a non-PII key column")
    parser.add_argument("--allow-unverified-key", action="store_true",
                        help="accept data that records no key-check value (tokenized before check values existed); "
                             "a wrong key set then yields wrong values instead of an error")
    parser.set_defaults(func=_reidentify)
