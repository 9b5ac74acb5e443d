"""``secure-transform tokenize`` and ``secure-transform keys``.

``tokenize`` applies a ``--pii-columns`` configuration to any CSV, JSON-lines or Parquet file
(or directory) and writes Parquet (or CSV). ``keys`` creates, rotates and describes key sets
(a local key file, or the Secrets Manager secret Terraform created without a value); it never
prints key material.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..errors import ConfigError
from .help import SPARK_START, ExampleFormatter, add_command, epilog

FORMATS = ("csv", "json", "parquet")


def _progress(message: str) -> None:
    print(f"secure-transform: {message}", file=sys.stderr, flush=True)


def _add_key_source(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--key-file", help="local key-set file (or set SECURE_TRANSFORM_KEY_FILE)")
    group.add_argument("--key-secret-id", help="Secrets Manager secret id/ARN holding the key set (AWS)")


def infer_format(path: str, given: str | None, parameter: str = "--input") -> str:
    """The input format: ``--format`` when given, else from the file (or first data file) name."""
    if given:
        return given
    name = path
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
            data = sorted(f for f in files if not f.startswith(("_", ".")) and not f.endswith(".crc"))
            if data:
                name = data[0]
                break
    lowered = name.lower().removesuffix(".gz")
    for ext, fmt in ((".csv", "csv"), (".jsonl", "json"), (".json", "json"), (".parquet", "parquet")):
        if lowered.endswith(ext):
            return fmt
    raise ConfigError(parameter, f"cannot tell the format of {path}; pass --format ({', '.join(FORMATS)})")


def read_table(spark: Any, path: str, fmt: str) -> Any:
    reader = spark.read
    if fmt == "csv":
        reader = reader.option("header", "true").option("inferSchema", "false")
    return reader.format(fmt).load(path)


def _check_output(path: str, overwrite: bool) -> None:
    if os.path.exists(path) and not overwrite:
        raise ConfigError("--output", f"{path} already exists; pass --overwrite to replace it")


def _tokenize(args: argparse.Namespace) -> int:
    from ..filesizing import sized_for_write, write_single_csv
    from ..io import list_objects, parse_location
    from ..keys import load_keyset
    from ..session import build_spark_session
    from ..tokenization import parse_pii_columns, tokenize_columns

    if args.single_file and args.output_format != "csv":
        raise ConfigError("--single-file", "writes one CSV file; add --output-format csv")
    config = parse_pii_columns(args.pii_columns)  # validated before anything is read
    keyset = load_keyset(secret_id=args.key_secret_id, key_file=args.key_file) if config.needs_key else None
    source = parse_location(args.input, "--input").spark_path()
    target = parse_location(args.output, "--output").spark_path()
    if not os.path.exists(source):
        raise ConfigError("--input", f"{source} does not exist")
    _check_output(target, args.overwrite)
    fmt = infer_format(source, args.format)
    _progress(f"tokenizing {len(config.columns)} column(s) of {source} ({fmt})"
              + (f" with key version {keyset.active_version}" if keyset else ""))
    spark = build_spark_session("secure-transform-tokenize")
    in_df = read_table(spark, source, fmt)
    fallbacks = _format_preserving_fallbacks(in_df, config, source)  # refused before anything is written
    out_df = tokenize_columns(in_df, config, keyset)
    methods = ", ".join(f"{c.name}={c.method}" for c in config.columns)
    if args.single_file:
        write_single_csv(out_df, target)
    else:
        in_bytes = sum(o.size for o in list_objects(parse_location(args.input, "--input")))
        out_df, _ = sized_for_write(out_df, in_bytes, 0)  # files of about 128 MB, not one per input split
        writer = out_df.write.mode("overwrite" if args.overwrite else "errorifexists")
        if args.output_format == "csv":
            writer.option("header", "true").csv(target)
        else:
            writer.parquet(target)
    print(f"tokenized {methods} -> {target}")
    _print_fallbacks(fallbacks)
    return 0


def _print_fallbacks(fallbacks: dict[str, int]) -> None:
    for column, n in fallbacks.items():
        if n:
            print(f"  {column}: {n:,} value(s) did not fit format_preserving and got '§' fallback tokens "
                  "(on_unsupported: tokenize)")


def _format_preserving_fallbacks(df: Any, config: Any, source: str) -> dict[str, int]:
    """Count (one aggregate row) the values each format_preserving column cannot take; refuse unless allowed."""
    from pyspark.sql import functions as F

    from ..fpe_domain import check_fallbacks, counts_from_row, fallback_aggregates

    aggs = fallback_aggregates(df, config)
    if not aggs:
        return {}
    row = df.agg(F.count(F.lit(1)).alias("__rows"), *aggs).first()  # one aggregate row
    return check_fallbacks(counts_from_row(row, config), config, source, rows=int(row["__rows"]))


def _keys(args: argparse.Namespace) -> int:
    from ..keys import create_dev_keyset, describe_key_checks, init_keyset_secret, load_keyset, rotate_keyset

    if args.keys_action == "create":
        if args.key_file:
            keyset = create_dev_keyset(args.key_file)
            print(f"created key set {args.key_file} (mode 0600), active version {keyset.active_version}")
        else:
            keyset = init_keyset_secret(args.key_secret_id)
            print(f"initialised key secret {args.key_secret_id}, active version {keyset.active_version}")
    elif args.keys_action == "rotate":
        keyset = rotate_keyset(secret_id=args.key_secret_id, key_file=args.key_file)
        print(f"rotated {keyset.source}: active version {keyset.active_version}; "
              f"kept {', '.join(v for v in keyset.versions if v != keyset.active_version)} for decryption")
    elif args.keys_action == "upgrade":
        from ..keys import upgrade_keyset

        keyset = upgrade_keyset(secret_id=args.key_secret_id, key_file=args.key_file)
        print(f"stored the key-check values of {keyset.source} ({', '.join(keyset.versions)}); key material unchanged")
    else:
        keyset = load_keyset(secret_id=args.key_secret_id, key_file=args.key_file)
        print(f"{keyset.source}: active version {keyset.active_version}; versions {', '.join(keyset.versions)}")
    for line in describe_key_checks(keyset):
        print(f"  {line}")
    return 0


_KEYS_EXAMPLE = epilog(("A development key set, rotated once:", [
    "secure-transform keys create --key-file dev-keys.json",
    "secure-transform keys rotate --key-file dev-keys.json",
    "secure-transform keys show --key-file dev-keys.json"]))


_KEYS_UPGRADE_EXAMPLE = epilog(("Upgrade a key set in place (a no-op for one made today):", [
    "secure-transform keys create --key-file dev-keys.json",
    "secure-transform keys upgrade --key-file dev-keys.json"]))


#: ``keys`` actions: (name, one-line help, description, worked example); all take a key source.
_KEY_ACTIONS = (
    ("create", "write a new random key set (refuses to overwrite one)",
     "Write a new random key set with one active version to --key-file (created with mode 0600), "
     "or store it as the first value of the --key-secret-id secret. Refuses to overwrite.", _KEYS_EXAMPLE),
    ("rotate", "add a new active key version; old versions stay for decryption",
     "Add a new key version and make it active. Earlier versions stay in the set so data "
     "tokenized with them can still be re-identified; new tokens use the new version.", _KEYS_EXAMPLE),
    ("show", "print the key set's versions, active version and key-check values",
     "Print where the key set lives, its versions, which one is active and each version's "
     "key-check value (never key material).", _KEYS_EXAMPLE),
    ("upgrade", "store key-check values in a key set made before they existed (key material unchanged)",
     "Add the key-check value of every version to a key set written before key-check values "
     "existed; key material and versions stay as they are.", _KEYS_UPGRADE_EXAMPLE),
)


def register_keys(subparsers: Any) -> None:
    """``keys create|rotate|show`` (skipped if another module registered ``keys``)."""
    if "keys" in getattr(subparsers, "choices", {}):
        return
    keys = subparsers.add_parser("keys", help="create, rotate or describe tokenization key sets",
                                 description="Manage the versioned key set used by keyed tokenization methods "
                                             "(deterministic, non_deterministic, format_preserving). Locally a key "
                                             "file (mode 0600, for development only); on AWS the Secrets Manager "
                                             "secret Terraform created. Key material is never printed. No Spark.",
                                 epilog=_KEYS_EXAMPLE, formatter_class=ExampleFormatter)
    actions = keys.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    for name, summary, description, example in _KEY_ACTIONS:
        action = add_command(actions, name, help=summary, description=description, example=example)
        _add_key_source(action, required=True)
        action.set_defaults(func=_keys)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tokenize", help="tokenize PII columns of a CSV/JSON/Parquet file",
        description="Replace personal data columns by tokens as configured by --pii-columns "
                    "(methods: deterministic, hash, non_deterministic, format_preserving, mask, redact, drop). "
                    "Keyed methods (deterministic, non_deterministic, format_preserving) need a key set: "
                    "--key-file locally, --key-secret-id on AWS. " + SPARK_START,
        epilog=epilog(("Tokenize generated transactions with a development key set:", [
            "secure-transform generate --rows 1000 --output sample",
            "secure-transform keys create --key-file dev-keys.json",
            "secure-transform tokenize --input sample/transactions --output tokenized --key-file dev-keys.json "
            "--pii-columns '{\"customer_id\": {\"method\": \"deterministic\"}, \"email\": {\"method\": \"hash\"}, "
            "\"card_number\": {\"method\": \"format_preserving\"}, \"ssn\": {\"method\": \"drop\"}}'"])),
        formatter_class=ExampleFormatter)
    parser.add_argument("--input", required=True, help="input file or directory")
    parser.add_argument("--output", required=True, help="output directory")
    parser.add_argument("--pii-columns", required=True,
                        help='JSON per-column methods, e.g. \'{"email": {"method": "hash"}}\', or @FILE')
    _add_key_source(parser)
    parser.add_argument("--format", choices=FORMATS, help="input format (default: from the file name)")
    parser.add_argument("--output-format", choices=("parquet", "csv"), default="parquet", help="default: parquet")
    parser.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
    parser.add_argument("--single-file", action="store_true",
                        help="with --output-format csv: write --output as one CSV file (a local path such as "
                             "tokenized.csv) instead of a folder of part files; otherwise files of about 128 MB")
    parser.set_defaults(func=_tokenize)
    register_keys(subparsers)
