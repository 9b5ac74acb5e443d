"""``secure-transform mask``: mask raw files from Macie (or built-in) discovery results."""

from __future__ import annotations

import argparse
import json
import sys

from .help import SPARK_START, ExampleFormatter, epilog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mask", help="mask files from Macie-format discovery results (quarantine what cannot be)",
                       description="Mask every file under INPUT in its own format using the discovery results "
                                   "under RESULTS (written by `secure-transform detect` or copied from Macie's "
                                   "results bucket). Objects that cannot be masked safely go to QUARANTINE with a "
                                   "reason record. Values are never printed. " + SPARK_START,
                       epilog=epilog(("Detect, then mask (nothing is quarantined here):", [
                           "secure-transform generate --rows 1000 --output sample",
                           "secure-transform detect --input sample/transactions --output results",
                           "secure-transform mask --input sample/transactions --results results --output masked "
                           "--quarantine quarantine"])),
                       formatter_class=ExampleFormatter)
    p.add_argument("--input", required=True, help="raw file or folder")
    p.add_argument("--results", required=True, help="discovery results (searched recursively)")
    p.add_argument("--output", required=True, help="masked zone (folder)")
    p.add_argument("--quarantine", required=True, help="quarantine zone (folder)")
    p.add_argument("--policy", default=None, help="masking policy JSON (or @file) overriding the defaults")
    p.add_argument("--key-file", default=None, help="tokenization key set file (default: redact instead of tokenize)")
    p.add_argument("--etag-check", default="strict", choices=("strict", "size", "none"),
                   help="how to verify the file is the one analysed: strict (eTag = MD5 of a local file), size "
                        "(for local copies of S3 objects whose eTag is not an MD5), none")
    p.add_argument("--format", default=None, choices=("csv", "tsv", "jsonl", "json", "parquet", "avro"),
                   help="input format (default: from each file's extension)")
    p.add_argument("--pii-columns", default=None, metavar="JSON",
                   help="main_etl's --pii_columns (JSON or @file): detections in these columns are left unmasked "
                        "for main_etl to tokenize (one consistent token per value) and counted as deferred")
    p.add_argument("--summary", default=None, help="write the JSON summary here")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from .. import io as sio
    from ..masking import ALL_INPUTS_QUARANTINED, all_inputs_quarantined_error, mask_objects, parse_masking_policy
    from ..session import build_spark_session

    policy_text = args.policy
    if policy_text and policy_text.startswith("@"):
        policy_text = sio.read_text(sio.parse_location(policy_text[1:], "--policy"))
    policy = parse_masking_policy(policy_text)
    pii_columns = None
    if args.pii_columns is not None:
        from ..errors import ConfigError
        from ..tokenization import parse_pii_columns

        try:
            pii_columns = parse_pii_columns(args.pii_columns)  # before Spark starts or anything is written
        except ConfigError as exc:
            raise ConfigError("--pii-columns", exc.problem) from None
    keyset = None
    if args.key_file:
        from ..keys import load_keyset

        keyset = load_keyset(key_file=args.key_file)
    locs = {name: sio.parse_location(getattr(args, name), f"--{name}")
            for name in ("input", "results", "output", "quarantine")}
    for name in ("input", "results"):
        sio.require_existing(locs[name], f"--{name}")  # a missing path is an error, not "nothing to do"
    print("mask: starting Spark ...", file=sys.stderr)
    spark = build_spark_session("secure-transform-mask")
    outcome = mask_objects(spark, locs["input"], locs["results"], locs["output"], locs["quarantine"], policy=policy,
                           keyset=keyset, etag_check=args.etag_check, input_format=args.format,
                           progress=lambda m: print(m, file=sys.stderr), pii_columns=pii_columns)
    summary = outcome.summary()
    print(f"{summary['objects']} object(s): {summary['objects_masked']} masked, {summary['objects_passed_through']} "
          f"passed through, {summary['objects_quarantined']} quarantined; {summary['rows_out']:,} records out, "
          f"{summary['rows_quarantined']:,} quarantined")
    for item in summary["quarantined"]:
        print(f"  quarantined {item['object']}: {item['reason']}")
    for w in summary["whole_columns_masked"]:
        where = w.get("column") or w.get("json_path")
        print(f"  whole column masked ({w['type']}: {w['count']} found, {w['listed']} listed): {where}")
    if summary["pii_columns_deferred"]:
        by_type = ", ".join(f"{t}: {n:,}" for t, n in summary["cells_deferred_to_tokenization_by_type"].items())
        print(f"left for main_etl's tokenization: {summary['cells_deferred_to_tokenization']:,} listed cell(s)"
              + (f" ({by_type})" if by_type else ""))
        for t, cols in summary["columns_deferred_to_tokenization"].items():
            print(f"  {t}: {', '.join(cols)}")
    print(f"tokenization: {summary['tokenization']}")
    if summary["objects_with_unknown_rows"]:
        print(f"{summary['objects_with_unknown_rows']} object(s) with unknown row counts (damaged or unreadable)")
    summary["quarantine_location"] = locs["quarantine"].uri
    if args.summary:
        sio.write_text(sio.parse_location(args.summary, "--summary"), json.dumps(summary, indent=2, default=str) + "\n")
    if summary["status"] == ALL_INPUTS_QUARANTINED:
        raise all_inputs_quarantined_error(summary, "mask")
    return 0
