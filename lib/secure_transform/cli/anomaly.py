"""``secure-transform anomaly fit|score``: Isolation Forest on any Parquet or CSV file.

``fit`` trains on a bounded random sample of the input's non-identifying numeric columns (and,
when asked for, the derived customer features) and saves a versioned model directory; ``score``
reuses it and writes the input's columns except personal ones (unless ``--keep-columns``) plus
``anomaly_score``, ``is_anomaly`` and ``anomaly_reasons``, and lists the columns it wrote.
A summary goes to stdout as JSON; progress goes to stderr. Nothing prints row values.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable

from .. import io as sio
from ..anomaly import (
    AnomalyModel,
    evaluate_against_labels,
    fit_anomaly_model,
    parse_anomaly_config,
    score_anomalies,
    validate_features,
)
from ..errors import ConfigError, SchemaError
from ..features import customer_feature_names, derived_feature_columns, with_customer_features
from ..filesizing import sized_for_write, write_single_csv
from ..progress import SparkProgress
from .help import SPARK_START, ExampleFormatter, epilog

__all__ = ["register"]

# --anomaly_config option -> this command's flag, so errors name the flag the user typed
_FLAGS = {"--anomaly_threshold": "--contamination", "features": "--features", "n_estimators": "--n-estimators",
          "max_samples": "--max-samples", "max_features": "--max-features", "random_state": "--seed",
          "sample_size": "--sample-size", "velocity_windows": "--velocity-windows",
          "velocity_window": "--velocity-windows", "velocity": "--velocity-windows"}


_DESCRIPTION = ("Isolation Forest on any Parquet or CSV file. 'fit' trains on a bounded random sample of the "
                "input's numeric columns (and, when asked for, the derived customer features) and saves a "
                "versioned model directory; 'score' reuses it and writes the input's non-personal columns plus "
                "anomaly_score, is_anomaly and anomaly_reasons. A summary goes to stdout as JSON; progress goes "
                "to stderr. Nothing prints row values.")
_FIT = ("Fit on generated transactions (1,000 rows):", ['secure-transform generate --rows 1000 --output sample', 'secure-transform anomaly fit --input sample/transactions --features amount,time_delta,velocity --model model'])
_SCORE = ("Score them and evaluate against the generator's labels:", [
    "secure-transform anomaly score --input sample/transactions --model model --output scored --labels sample/labels"])


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("anomaly", help="Isolation Forest anomaly flagging: fit a model, score data.",
                                   description=_DESCRIPTION + " " + SPARK_START, epilog=epilog(_FIT, _SCORE),
                                   formatter_class=ExampleFormatter)
    commands = parser.add_subparsers(dest="anomaly_command", metavar="{fit,score}")
    commands.required = True

    fit = commands.add_parser("fit", help="Fit a model on a Parquet/CSV file and save it to a directory.",
                              description="Train an Isolation Forest on a bounded random sample of the input's "
                                          "non-identifying numeric columns and/or the derived customer features, "
                                          "and save a versioned model directory. Prints a JSON summary. "
                                          + SPARK_START, epilog=epilog(_FIT),
                              formatter_class=ExampleFormatter)
    _add_input(fit)
    fit.add_argument("--features", required=True,
                     help="Comma-separated feature columns: numeric columns of the input and/or derived "
                          "customer features (time_delta, velocity, velocity_1h, velocity_24h).")
    fit.add_argument("--model", required=True, help="Model directory (local path or s3:// URI).")
    fit.add_argument("--contamination", default="0.01", help="Share of rows to flag, in (0, 0.5]. Default 0.01.")
    fit.add_argument("--n-estimators", type=int, default=100, help="Number of trees. Default 100.")
    fit.add_argument("--max-samples", default="auto", help="Rows per tree: 'auto' (min(256, n)) or an integer.")
    fit.add_argument("--max-features", default="1.0", help="Features per tree: fraction in (0, 1] or integer.")
    fit.add_argument("--sample-size", type=int, default=200_000,
                     help="At most this many rows are sampled for training. Default 200000.")
    fit.add_argument("--seed", type=int, default=42, help="Random seed for sampling and the forest. Default 42.")
    fit.add_argument("--velocity-windows", default="1h,24h",
                     help="Trailing windows for velocity_<w> (e.g. 30m,1h,24h); velocity = the 1h one or the first.")
    fit.set_defaults(func=_fit)

    score = commands.add_parser("score", help="Score a Parquet/CSV file with a saved model.",
                                description="Score every row with a model from 'anomaly fit'. The output carries "
                                            "the input's columns except those that hold personal data (the "
                                            "built-in PII column names and any you list in --drop-columns; keep "
                                            "them with --keep-columns), plus anomaly_score, is_anomaly and "
                                            "anomaly_reasons; the summary lists the columns written. "
                                            + SPARK_START, epilog=epilog(_FIT, _SCORE),
                                formatter_class=ExampleFormatter)
    _add_input(score)
    score.add_argument("--model", required=True, help="Model directory written by `anomaly fit`.")
    score.add_argument("--output", required=True, help="Output directory (must not exist unless --overwrite).")
    score.add_argument("--output-format", choices=("parquet", "csv"), default="parquet",
                       help="Default parquet. In CSV, anomaly_reasons is joined with '; '.")
    score.add_argument("--overwrite", action="store_true", help="Replace an existing output directory.")
    score.add_argument("--single-file", action="store_true",
                       help="With --output-format csv: write --output as one CSV file (a local path such as "
                            "scores.csv) instead of a folder of part files. Otherwise files of about 128 MB.")
    score.add_argument("--labels", help="Optional labels file/directory (Parquet or CSV) to evaluate against.")
    score.add_argument("--id-column", default="transaction_id", help="Join key between input and labels.")
    score.add_argument("--label-column", default="is_anomaly", help="0/1 label column in the labels file.")
    score.add_argument("--keep-columns", default=None, metavar="COLS",
                       help="Comma-separated personal-data columns to keep in the output anyway, or 'all'. "
                            "Default: none (columns named like personal data, e.g. customer_id, card_number, "
                            "email, are left out).")
    score.add_argument("--drop-columns", default=None, metavar="COLS",
                       help="Comma-separated further columns to leave out of the output.")
    score.set_defaults(func=_score)


def _add_input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, help="Parquet or CSV file or directory (local path).")
    parser.add_argument("--format", choices=("parquet", "csv"),
                        help="Input format; inferred from the file extension(s) when absent.")
    parser.add_argument("--customer-column", default="customer_id", help="For derived features. Default customer_id.")
    parser.add_argument("--timestamp-column", default="transaction_ts",
                        help="For derived features. Default transaction_ts.")


# ----------------------------------------------------------------------------------- helpers


def _spark() -> Any:
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    from ..session import build_spark_session

    # 100k-row Arrow batches amortise the per-batch cost of scoring (docs/ANOMALY.md, Performance)
    return build_spark_session("secure-transform-anomaly",
                               extra_conf={"spark.sql.execution.arrow.maxRecordsPerBatch": "100000"})


def _infer_format(loc: sio.Location, parameter: str) -> str:
    names = [loc.key] if os.path.isfile(loc.key) else [o.location.key for o in sio.list_objects(loc)]
    kinds = {"csv" if n.endswith((".csv", ".csv.gz")) else "parquet" if n.endswith(".parquet") else None for n in names}
    kinds.discard(None)
    if len(kinds) != 1:
        raise ConfigError("--format", f"cannot infer the format of {parameter} from its file names; "
                          "pass --format parquet or --format csv")
    return kinds.pop()


def _read(spark: Any, value: str, fmt: str | None, parameter: str) -> Any:
    loc = sio.parse_location(value, parameter)
    if not loc.is_s3 and not os.path.exists(loc.key):
        raise ConfigError(parameter, f"{loc.uri} does not exist")
    fmt = fmt or (_infer_format(loc, parameter) if not loc.is_s3 else "parquet")
    if fmt == "csv":
        return spark.read.option("header", "true").option("inferSchema", "true").csv(loc.spark_path())
    return spark.read.parquet(loc.spark_path())


def _input_bytes(value: str) -> int:
    """Bytes of the input (the estimate of the output's size for file sizing)."""
    return sum(o.size for o in sio.list_objects(sio.parse_location(value, "--input")))


def _with_derived(df: Any, config: Any, args: argparse.Namespace) -> Any:
    """Compute the derived customer features the model needs and the input lacks."""
    needed = [f for f in derived_feature_columns(config.features, config) if f not in df.columns]
    if not needed:
        return df
    validate_features(df.schema, config, customer_column=args.customer_column,
                      timestamp_column=args.timestamp_column, parameter="--features")
    clash = [c for c in customer_feature_names(config) if c in df.columns]
    if clash:
        raise SchemaError("input", clash[0], "already exists and would be replaced by the derived customer "
                          "features; rename it or use it as a feature instead of the derived ones")
    return with_customer_features(df, config, args.customer_column, args.timestamp_column)


def output_columns(columns: list[str], keep: str | None, drop: str | None) -> tuple[list[str], list[str]]:
    """The input columns ``anomaly score`` writes, and those it leaves out (personal by name, or asked).

    A careful user does not expect raw card numbers or e-mail addresses to be copied into a scores
    file: columns :func:`secure_transform.identifiers.is_personal` names are left out unless kept.
    """
    from ..identifiers import is_personal

    def names(value: str | None, flag: str) -> list[str]:
        listed = [c.strip() for c in (value or "").split(",") if c.strip()]
        unknown = [c for c in listed if c not in columns and not (flag == "--keep-columns" and c == "all")]
        if unknown:
            raise ConfigError(flag, f"{unknown[0]!r} is not a column of the input; columns: {', '.join(columns)}")
        return listed

    kept, dropped_asked = names(keep, "--keep-columns"), names(drop, "--drop-columns")
    keep_all = "all" in kept
    both = [c for c in kept if c in dropped_asked]
    if both:
        raise ConfigError("--keep-columns", f"{both[0]!r} is also in --drop-columns")
    out, left = [], []
    for c in columns:
        if c in dropped_asked or (is_personal(c) and not keep_all and c not in kept):
            left.append(c)
        else:
            out.append(c)
    return out, left


def _remap_config_error(build: Callable[[], Any]) -> Any:
    try:
        return build()
    except ConfigError as exc:
        if exc.parameter == "--anomaly_config":
            raise ConfigError(_FLAGS.get(exc.problem.split()[0], "--features"), exc.problem) from None
        if exc.parameter in _FLAGS:
            raise ConfigError(_FLAGS[exc.parameter], exc.problem) from None
        raise


def _number(text: str) -> Any:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


# ---------------------------------------------------------------------------------- commands


def _fit(args: argparse.Namespace) -> int:
    options = {"features": [f.strip() for f in args.features.split(",") if f.strip()],
               "n_estimators": args.n_estimators, "max_samples": _number(args.max_samples),
               "max_features": _number(args.max_features), "sample_size": args.sample_size,
               "random_state": args.seed,
               "velocity_windows": [w.strip() for w in args.velocity_windows.split(",") if w.strip()]}
    config = _remap_config_error(lambda: parse_anomaly_config(options, args.contamination))
    model_loc = sio.parse_location(args.model, "--model")
    spark = _spark()
    df = _read(spark, args.input, args.format, "--input")
    # Fails before any row is read (CSV schema inference aside) when a feature is unusable.
    validate_features(df.schema, config, customer_column=args.customer_column,
                      timestamp_column=args.timestamp_column, parameter="--features")
    df = _with_derived(df, config, args)
    with SparkProgress(spark, "anomaly fit") as progress:
        model = fit_anomaly_model(df, config)
        progress.note(f"fitted {config.n_estimators} trees on {model.training['rows']} sampled rows")
        doc_loc = model.save(model_loc)
    doc = sio.read_json(doc_loc)
    summary = {"model": model_loc.uri, "model_id": doc["model_id"], "features": list(config.features),
               "training_rows": model.training["rows"], "contamination": config.contamination,
               "training_flagged_share": model.training["flagged_share"], "threshold": model.threshold,
               "sklearn_version": model.sklearn_version}
    print(json.dumps(summary, indent=2))
    return 0


def _score(args: argparse.Namespace) -> int:
    from pyspark.sql import functions as F

    if args.single_file and args.output_format != "csv":
        raise ConfigError("--single-file", "writes one CSV file; add --output-format csv")
    model_loc = sio.parse_location(args.model, "--model")
    out_loc = sio.parse_location(args.output, "--output")
    if sio.exists(out_loc) and not args.overwrite:
        raise ConfigError("--output", f"{out_loc.uri} already exists; choose a new path or pass --overwrite")
    model = AnomalyModel.load(model_loc, parameter="--model")
    spark = _spark()
    df = _read(spark, args.input, args.format, "--input")
    validate_features(df.schema, model.config, customer_column=args.customer_column,
                      timestamp_column=args.timestamp_column, parameter="--model")
    labels_df = _read(spark, args.labels, None, "--labels") if args.labels else None
    keep, dropped = output_columns(df.columns, args.keep_columns, args.drop_columns)
    if args.labels and args.id_column not in keep:
        raise ConfigError("--id-column", f"{args.id_column!r} is left out of the output as personal data; name it "
                                         "in --keep-columns to evaluate against --labels")
    scored_df = score_anomalies(_with_derived(df, model.config, args), model)
    derived = [c for c in scored_df.columns if c not in df.columns]
    written_df = scored_df.select(*[F.col(f"`{c}`") for c in keep + derived])
    if args.output_format == "csv":
        written_df = written_df.withColumn("anomaly_reasons", F.array_join("anomaly_reasons", "; "))
    with SparkProgress(spark, "anomaly score") as progress:
        if args.single_file:
            write_single_csv(written_df, out_loc.key)
        else:
            sized_df, _ = sized_for_write(written_df, _input_bytes(args.input), 0)  # files of about 128 MB
            sized_df.write.mode("overwrite").format(args.output_format).option("header", "true").save(
                out_loc.spark_path())
        progress.note("written; summarising")
        result_df = _read(spark, out_loc.uri, args.output_format, "--output")
        stats = result_df.agg(F.count(F.lit(1)).alias("rows"),
                              F.sum(F.col("is_anomaly").cast("long")).alias("flagged")).first()  # one aggregate row
        evaluation = None
        if labels_df is not None:
            evaluation = evaluate_against_labels(result_df.select(args.id_column, "anomaly_score", "is_anomaly"),
                                                 labels_df, id_column=args.id_column, label_column=args.label_column)
    rows, flagged = int(stats["rows"]), int(stats["flagged"] or 0)
    summary = {"output": out_loc.uri, "columns": list(written_df.columns), "columns_left_out": dropped,
               "model_id": model.model_id, "rows": rows, "anomalies_flagged": flagged,
               "flagged_rate": flagged / rows if rows else None, "contamination": model.config.contamination}
    if evaluation is not None:
        summary["evaluation"] = evaluation
    print(json.dumps(summary, indent=2))
    return 0
