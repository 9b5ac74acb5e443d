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
from .help import SPARK_START, add_command, epilog

_FORMATS = ("csv", "parquet", "jsonl", "json")


_BINS_EXAMPLE = epilog(("Fit quartile edges on generated data, then read them:", [
    "secure-transform generate --rows 1000 --output sample",
    "echo '{\"method\": \"percentile\", \"bins\": [0, 25, 50, 75, 100], \"labels\": [\"low\", \"mid\", \"high\", "
    "\"top\"]}' > binning.json",
    "secure-transform bins fit --input sample/transactions --binning-config @binning.json --output edges.json",
    "secure-transform bins show edges.json"]))
_MCC_EXAMPLE = epilog(("The shipped mapping: check it, then look up a grocery, a quasi-cash and a malformed code:", [
    "secure-transform mcc check", "secure-transform mcc lookup 5411 6051 ABCD"]))


def register(subparsers: Any) -> None:
    bins = add_command(
        subparsers, "bins", help="fit and inspect amount bin edges",
        description="Fit amount bin edges on a dataset and save the artifact main_etl reads with --run_mode apply "
                    "('fit'), or print saved edges as a table an analyst can read ('show'). Only counts and edges "
                    "are printed, never row values.", example=_BINS_EXAMPLE)
    bins_sub = bins.add_subparsers(dest="bins_command", metavar="ACTION")
    fit = add_command(
        bins_sub, "fit", help="fit bin edges on a dataset and save them as JSON",
        description="Fit bin edges on the amount column of a CSV, JSON Lines or Parquet dataset and save them as "
                    "JSON. The binning configuration is the same JSON main_etl's --binning_config takes: "
                    "method 'percentile' (bins: percentiles from 0 to 100), 'custom' (bins: amount edges), "
                    "'quantile' or 'fixed_width' (n_bins: how many); labels: one per bin. " + SPARK_START, example=_BINS_EXAMPLE)
    fit.add_argument("--input", required=True, help="dataset file or directory (local path)")
    fit.add_argument("--input-format", choices=_FORMATS, help="input format (default: from the file extension)")
    fit.add_argument("--binning-config", required=True,
                     help="binning configuration JSON, or @FILE to read it from a file, e.g. "
                          "'{\"method\": \"percentile\", \"bins\": [0, 25, 50, 75, 100], "
                          "\"labels\": [\"low\", \"mid\", \"high\", \"top\"]}'")
    fit.add_argument("--output", required=True, help="where to write the edges JSON (local path or s3:// URI)")
    fit.set_defaults(func=_bins_fit)
    show = add_command(
        bins_sub, "show", help="print saved bin edges as a table",
        description="Print which amounts land in which bin: each bin's label and its lower and upper edge, for all "
                    "currencies and for each currency with its own edges. No Spark.", example=_BINS_EXAMPLE)
    show.add_argument("edges", help="edges JSON written by 'bins fit' or main_etl (local path or s3:// URI)")
    show.set_defaults(func=_bins_show)
    bins.set_defaults(func=_help(bins))

    mcc = add_command(
        subparsers, "mcc", help="check and query merchant category mappings",
        description="Validate a merchant category code (MCC) mapping and look codes up in it: the category, "
                    "parent, risk level and risk score main_etl writes for each code. Without --mapping the "
                    "shipped mapping is used. No Spark.", example=_MCC_EXAMPLE)
    mcc_sub = mcc.add_subparsers(dest="mcc_command", metavar="ACTION")
    check = add_command(
        mcc_sub, "check", help="validate a mapping and print its version and coverage",
        description="Validate a mapping file (JSON or CSV) and print, as JSON, its version, entries, code ranges, "
                    "codes covered, categories, risk levels and the entry unknown codes get.",
        example=_MCC_EXAMPLE)
    check.add_argument("--mapping", help="mapping file (JSON or CSV, local or s3://); default: the shipped mapping")
    check.set_defaults(func=_mcc_check)
    lookup = add_command(
        mcc_sub, "lookup", help="show the encoding of one or more codes",
        description="Print, for each code, the category path, risk level and risk score the transform writes; "
                    "unknown or malformed codes are marked (unknown).", example=_MCC_EXAMPLE)
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
