"""``secure-transform bins ...`` and ``secure-transform mcc ...``: fit and inspect bin edges, check
and query merchant category mappings.

* ``bins fit``   fits edges on a local dataset and saves the artifact ``main_etl --run_mode apply`` reads.
* ``bins show``  prints saved edges as a table an analyst can read (bin, label, lower, upper).
* ``mcc check``  validates a mapping file (or the shipped default) and prints its version and coverage.
* ``mcc lookup`` shows what the transform outputs for given codes.

Nothing here prints row values: ``bins fit`` reports counts and edges (aggregates of the fit data).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from ..errors import ConfigError
from ..io import parse_location
from ..session import build_spark_session

_FORMATS = ("csv", "parquet", "jsonl", "json")


def register(subparsers: Any) -> None:
    bins = subparsers.add_parser("bins", help="fit and inspect amount bin edges", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    bins_sub = bins.add_subparsers(dest="bins_command", metavar="ACTION")
    fit = bins_sub.add_parser("fit", help="fit bin edges on a dataset and save them as JSON")
    fit.add_argument("--input", required=True, help="dataset file or directory (local path)")
    fit.add_argument("--input-format", choices=_FORMATS, help="input format (default: from the file extension)")
    fit.add_argument("--binning-config", required=True,
                     help="binning configuration JSON, or @FILE to read it from a file")
    fit.add_argument("--output", required=True, help="where to write the edges JSON (local path or s3:// URI)")
    fit.set_defaults(func=_bins_fit)
    show = bins_sub.add_parser("show", help="print saved bin edges as a table")
    show.add_argument("edges", help="edges JSON written by 'bins fit' or main_etl (local path or s3:// URI)")
    show.set_defaults(func=_bins_show)
    bins.set_defaults(func=_help(bins))

    mcc = subparsers.add_parser("mcc", help="check and query merchant category mappings",
                                description="Validate a merchant category mapping and look codes up in it.")
    mcc_sub = mcc.add_subparsers(dest="mcc_command", metavar="ACTION")
    check = mcc_sub.add_parser("check", help="validate a mapping and print its version and coverage")
    check.add_argument("--mapping", help="mapping file (JSON or CSV, local or s3://); default: the shipped mapping")
    check.set_defaults(func=_mcc_check)
    lookup = mcc_sub.add_parser("lookup", help="show the encoding of one or more codes")
    lookup.add_argument("codes", nargs="+", help="merchant category codes, e.g. 5411 6051 ABCD")
    lookup.add_argument("--mapping", help="mapping file (JSON or CSV, local or s3://); default: the shipped mapping")
    lookup.set_defaults(func=_mcc_lookup)
    mcc.set_defaults(func=_help(mcc))


def _help(parser: argparse.ArgumentParser):
    def handler(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return handler


def _read_config(value: str) -> str:
    if value.startswith("@"):
        try:
            with open(value[1:], encoding="utf-8") as fh:
                return fh.read()
        except OSError as exc:
            raise ConfigError("--binning-config", f"cannot read {value[1:]} ({type(exc).__name__})") from None
    return value


def _infer_format(path: str) -> str:
    import os

    name = path.lower().rstrip("/")
    for fmt, ends in (("parquet", (".parquet",)), ("csv", (".csv", ".csv.gz")), ("jsonl", (".jsonl", ".jsonl.gz")),
                      ("json", (".json", ".json.gz"))):
        if name.endswith(ends):
            return fmt
    if os.path.isdir(path):
        for _root, _dirs, files in os.walk(path):
            for f in files:
                if not f.startswith(("_", ".")):
                    return _infer_format(f)
    raise ConfigError("--input-format", "cannot tell the input format from the file name; give --input-format")


def _bins_fit(args: argparse.Namespace) -> int:
    from ..binning import fit_bins, parse_binning_config

    config = parse_binning_config(_read_config(args.binning_config))  # fail before starting Spark
    output = parse_location(args.output, "--output")
    source = parse_location(args.input, "--input")
    fmt = args.input_format or _infer_format(source.uri)
    print(f"fitting {config.method} bin edges on {source.uri} ...", file=sys.stderr)
    spark = build_spark_session("secure-transform-bins")
    reader = spark.read
    if fmt == "csv":
        df = reader.option("header", "true").csv(source.spark_path())  # amounts stay strings; the fit parses them
    elif fmt in ("json", "jsonl"):
        df = reader.option("multiLine", fmt == "json").json(source.spark_path())
    else:
        df = reader.parquet(source.spark_path())
    edges = fit_bins(df, config)
    edges.save(output)
    print(f"saved bin edges {edges.version} ({edges.source_rows} rows read, {edges.valid_rows} with a numeric amount, "
          f"{len(edges.currency_edges)} currencies with their own edges) to {output.uri}")
    return 0


def _fmt(value: float) -> str:
    return "-inf" if value == -math.inf else "+inf" if value == math.inf else f"{value:g}"


def edges_table(edges: Any) -> list[str]:
    """Lines describing which amounts land in which bin (global edges, then each currency)."""
    lines = [f"bin edges {edges.version}: method {edges.method}, fitted {edges.fitted_at or 'n/a'}, "
             f"{edges.source_rows} source rows, amount column '{edges.amount_column}'"]
    groups = [("all currencies (fallback)", edges.edges)] + [(c, es) for c, es in edges.currency_edges]
    for name, es in groups:
        lines.append(f"  {name}:")
        k = len(edges.labels)
        for i, label in enumerate(edges.labels):
            lower = -math.inf if i == 0 else es[i]
            upper = math.inf if i == k - 1 else es[i + 1]
            empty = "  (empty: merged edge)" if 0 < i < k - 1 and es[i] == es[i + 1] else ""
            lines.append(f"    {i:>3}  {label:<16} {_fmt(lower):>14} <= amount < {_fmt(upper):<14}{empty}")
        lines.append(f"    {-1:>3}  {'unknown':<16} null, NaN, infinite or non-numeric amount")
    return lines


def _bins_show(args: argparse.Namespace) -> int:
    from ..binning import BinEdges

    edges = BinEdges.load(parse_location(args.edges, "edges"), parameter="edges")
    print("\n".join(edges_table(edges)))
    return 0


def _mcc_check(args: argparse.Namespace) -> int:
    from ..merchant import load_merchant_mapping

    mapping = load_merchant_mapping(args.mapping)
    rows = mapping.code_rows()
    levels: dict[str, int] = {}
    for rule in (*mapping.rules, mapping.unknown):
        levels[rule.risk_level] = levels.get(rule.risk_level, 0) + 1
    ranges = sum(1 for r in mapping.rules if r.start != r.end)
    print(json.dumps({
        "source": mapping.source,
        "version": mapping.version,
        "entries": len(mapping.rules) + 1,
        "ranges": ranges,
        "codes_covered": len(rows),
        "categories": len({r.category for r in mapping.rules}),
        "risk_levels": dict(sorted(levels.items())),
        "risk_scores": mapping.scores,
        "unknown": {"category": mapping.unknown.category, "parent": mapping.unknown.parent,
                    "risk_level": mapping.unknown.risk_level},
    }, indent=2))
    return 0


def _mcc_lookup(args: argparse.Namespace) -> int:
    from ..merchant import load_merchant_mapping

    mapping = load_merchant_mapping(args.mapping)
    for code in args.codes:
        r = mapping.resolve(code)
        flag = "  (unknown)" if r.is_unknown else ""
        print(f"{code!r:>8}  {r.path:<48} {r.risk_level:<8} {r.risk:.2f}{flag}")
    return 0
