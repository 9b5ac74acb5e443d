"""The transformation job (``main_etl``): masked zone -> transformed zone.

Stages: read (fail closed on schema) -> validate (bad rows to quarantine with a reason) ->
tokenize -> bin amounts -> encode merchant categories -> customer features -> Isolation Forest
-> write the run under ``runs/run_id=<id>/`` (unpublished until the leak check passes).

Transforms are pure DataFrame -> DataFrame functions from the domain modules; this module only
reads, writes, counts and records. The validated rows are persisted once so that the fitting
steps and the two writes do not parse the source again.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from . import compression
from . import io as sio
from . import publish
from . import lineage
from . import multiline
from . import riskgate
from .filesizing import sized_for_write
from .config import PipelineConfig, pipeline_config_from_args
from .errors import SchemaError
from .fpe_domain import check_fallbacks, counts_from_row, fallback_aggregates
from .validation import CORRUPT, REJECT_REASON, SOURCE_FILE, ValidationConfig, check_required_columns, split_valid, with_reject_reason

_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".json": "jsonl", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".parquet": "parquet", ".snappy.parquet": "parquet"}


def infer_format(files: list[sio.ObjectInfo], source: str) -> str:
    found = set()
    for info in files:
        name = info.location.key.rsplit("/", 1)[-1].lower()
        for suffix in (".gz", ".bz2", ".snappy", ".zst"):
            if name.endswith(suffix) and not name.endswith(".snappy.parquet"):
                name = name[: -len(suffix)]
        ext = next((fmt for e, fmt in _EXTENSIONS.items() if name.endswith(e)), None)
        if ext is None:
            raise SchemaError(info.location.uri, None, "unsupported file format; give --input_format "
                              "(csv, tsv, jsonl, json, parquet) or use a known extension")
        found.add(ext)
    if len(found) > 1:
        raise SchemaError(source, None, f"mixed formats in one source ({', '.join(sorted(found))}); one run reads one format")
    return found.pop()


PROCESSED_MANIFEST = ("_state", "processed_inputs.json")


def _fingerprint(info: sio.ObjectInfo) -> str:
    if info.location.is_s3:
        return f"{info.size}:{info.etag}"
    return f"{info.size}:{os.stat(info.location.key).st_mtime_ns}"


def load_processed(cfg: PipelineConfig, session: Any = None) -> dict[str, str]:
    loc = cfg.target.child(*PROCESSED_MANIFEST)
    if not sio.exists(loc, session):
        return {}
    return dict(sio.read_json(loc, session).get("inputs", {}))


def record_processed(cfg: PipelineConfig, files: list[sio.ObjectInfo], run_id: str, session: Any = None) -> None:
    """Remember the inputs of a finished run (local incremental runs; Glue uses job bookmarks)."""
    done = load_processed(cfg, session)
    done.update({f.location.uri: _fingerprint(f) for f in files})
    sio.write_json(cfg.target.child(*PROCESSED_MANIFEST), {"last_run_id": run_id, "inputs": done}, session)


def _csv_header(info: sio.ObjectInfo, sep: str, session: Any = None) -> list[str]:
    """The header line of a CSV object: a bounded read of its first 64 KiB of text, decompressed
    for ``.gz``/``.bz2`` (no data rows parsed)."""
    import csv

    body = compression.read_head(info, session)
    first = body.decode("utf-8", "replace").lstrip("\ufeff").splitlines()[:1]
    return next(csv.reader(first, delimiter=sep), []) if first else []


def check_csv_headers(files: list[sio.ObjectInfo], sep: str, session: Any = None) -> list[str]:
    """Every CSV file must have the same header: Spark maps CSV columns by position, so a file
    with its columns in another order would put, say, SSNs into an untokenized column."""
    expected: list[str] | None = None
    for info in files:
        header = [h.strip() for h in _csv_header(info, sep, session)]
        if not header:
            continue
        # required columns first: a file without a header has a data line there, and that line's
        # values must not be named as duplicate column names
        check_required_columns(header, info.location.uri)
        duplicate = next((h for i, h in enumerate(header) if h in header[:i]), None)
        if duplicate is not None:
            raise SchemaError(info.location.uri, duplicate, "appears more than once in the header; every column "
                              "needs its own name (nothing was read or written)")
        if expected is None:
            expected = header
        elif header != expected:
            extra = [h for h in header if h not in expected]
            missing = [e for e in expected if e not in header]
            if extra:
                column, problem = extra[0], "is not in the first file's header; one run reads one layout"
            elif missing:
                column, problem = missing[0], "is missing here but present in the first file's header"
            else:
                i = next(i for i, (e, h) in enumerate(zip(expected, header)) if e != h)
                column, problem = header[i], (f"is at position {i + 1} where the first file has {expected[i]!r}; "
                                              "columns are matched by position, so every file needs the same order")
            raise SchemaError(info.location.uri, column, problem)
    return expected or []


def read_source(rt: Any, cfg: PipelineConfig) -> tuple[Any, list[sio.ObjectInfo], str]:
    """Read the source with every column as it is in the files, plus ``source_file``.

    CSV columns are read as strings (types are checked row by row in validation, so a bad
    value quarantines its row instead of failing the job); malformed lines keep their raw text
    in ``_corrupt_record`` until validation replaces it by a digest.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    files = [f for f in sio.list_objects(cfg.source, rt.aws_session)]
    if not files:  # fail closed: most likely a wrong --source_bucket (an incremental re-run still lists its files)
        raise SchemaError(cfg.source.uri, None, "no input files under this source; check --source_bucket "
                                                "(nothing was read or written)")
    fmt = cfg.input_format or infer_format(files, cfg.source.uri)
    paths = None
    if not rt.is_glue and str(rt.args.get("incremental", "true")).lower() == "true":
        done = load_processed(cfg, rt.aws_session)
        new = [f for f in files if done.get(f.location.uri) != _fingerprint(f)]
        if len(new) < len(files):
            rt.logger.info("incremental: %d of %d input files already processed", len(files) - len(new), len(files))
            files = new
            paths = [f.location.spark_path() for f in files]
        if not files:
            return None, [], fmt
    spark = rt.spark
    non_empty = [f for f in files if f.size > 0]
    if not non_empty:
        return None, files, fmt
    if paths is not None or len(non_empty) < len(files):
        paths = [f.location.spark_path() for f in non_empty]  # empty files hold no rows (and break Parquet)
    if fmt != "parquet":
        for info in non_empty:
            suffix = compression.unsupported_suffix(info.location.key)
            if suffix:
                raise SchemaError(info.location.uri, None, f"is compressed as {suffix}, which text inputs cannot be; "
                                  "use gzip (.gz), bzip2 (.bz2) or no compression")
    if fmt in ("csv", "tsv"):
        sep = "\t" if fmt == "tsv" else ","
        columns = check_csv_headers(non_empty, sep, rt.aws_session)
        schema = StructType([StructField(c, StringType()) for c in columns] + [StructField(CORRUPT, StringType())])
        options = {"header": "true", "sep": sep, "mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT,
                   "recursiveFileLookup": "true", "encoding": "UTF-8", **multiline.READ_OPTIONS}
        spanning = multiline.marked_objects(cfg.source, non_empty, rt.aws_session)
        if spanning:
            # records spanning lines (marked by masking): Spark's multiLine reader parses them as one
            # row, but reads each file in one task, so only runs that have such inputs pay for it
            options["multiLine"] = "true"
            rt.logger.info("main_etl: %d of %d input file(s) hold records spanning lines; reading CSV with multiLine",
                           len(spanning), len(non_empty))
        df = rt.read(cfg.source, fmt, ctx="main_etl_source", schema=schema, options=options, paths=paths)
    elif fmt in ("jsonl", "json"):
        options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT, "recursiveFileLookup": "true",
                   "primitivesAsString": "true", "multiLine": "true" if fmt == "json" else "false"}
        with compression.name_unreadable_inputs(non_empty, rt.aws_session):  # schema inference reads the data
            df = rt.read(cfg.source, "json", ctx="main_etl_source", options=options, paths=paths)
        check_required_columns(df.columns, cfg.source.uri)
    else:
        df = rt.read(cfg.source, "parquet", ctx="main_etl_source", options={"recursiveFileLookup": "true"},
                     paths=paths)
        check_required_columns(df.columns, cfg.source.uri)
    df = df.withColumn(SOURCE_FILE, F.input_file_name())
    return df, files, fmt


_CACHE_COMPRESSED = "spark.sql.inMemoryColumnarStorage.compressed"


def _persist_uncompressed_on_disk(spark: Any, df: Any) -> Any:
    """Persist the validated rows as uncompressed columnar blocks on local disk.

    Measured on main_etl at 5M rows (docs/PERFORMANCE.md): the compressed in-memory cache cost
    100 core-seconds to build (Spark tries each columnar compression scheme per column and batch,
    and saved 9%), and holding it on the heap starved the later sorts into spilling. Uncompressed
    blocks on disk (the OS page cache keeps them warm) took the job from 253 s to 183 s. The
    setting is read when the cache is declared, so it is restored right after.
    """
    from pyspark import StorageLevel

    previous = spark.conf.get(_CACHE_COMPRESSED, None)
    spark.conf.set(_CACHE_COMPRESSED, "false")
    try:
        return df.persist(StorageLevel.DISK_ONLY)
    finally:
        if previous is None:
            spark.conf.unset(_CACHE_COMPRESSED)
        else:
            spark.conf.set(_CACHE_COMPRESSED, previous)


def _load_keyset(cfg: PipelineConfig, rt: Any) -> Any:
    if not getattr(cfg.pii, "needs_key", False):
        return None
    from .keys import load_keyset

    return load_keyset(secret_id=cfg.key_secret_id, key_file=cfg.key_file, session=rt.aws_session)


def _key_checks(cfg: PipelineConfig, keyset: Any) -> dict[str, str]:
    """Key-check values of the key versions this run tokenized with (not secret; see keys.py)."""
    if keyset is None:
        return {}
    versions = {c.key_version or keyset.active_version for c in cfg.pii.columns if c.is_keyed}
    return {v: keyset.check_value(v) for v in sorted(versions) if v in keyset}


def _with_null_columns(df: Any, columns: dict[str, str]) -> Any:
    """``df`` with typed all-null columns: the output layout of a step skipped for a 0-row input."""
    from pyspark.sql import functions as F

    return df.select("*", *[F.lit(None).cast(t).alias(c) for c, t in columns.items()])


def _protect_rejected(rejected: Any) -> Any:
    """Quarantined rows never hold a raw malformed line: keep its digest and length only."""
    from pyspark.sql import functions as F

    if CORRUPT not in rejected.columns:
        return rejected
    return (rejected.withColumn("raw_record_sha256", F.sha2(F.col(CORRUPT), 256))
            .withColumn("raw_record_chars", F.length(CORRUPT)).drop(CORRUPT))


def run_main_etl(rt: Any) -> dict:
    """Library entry point of ``glue_jobs/main_etl.py`` (and ``secure-transform run``)."""
    from pyspark.sql import functions as F

    from .anomaly import PIPELINE_FEATURES, AnomalyModel, fit_anomaly_model, score_anomalies, validate_features
    from .features import with_customer_features
    from .binning import (AMOUNT_BIN, AMOUNT_BIN_LABEL, BinEdges, binning_metrics, ensure_compatible, fit_bins,
                          with_amount_bin)
    from .merchant import merchant_mapping_version, merchant_metrics, with_merchant_category
    from .risk import (REASON_COLUMN, assess_risk, check_risk_columns, risk_headline, split_by_risk,
                       with_quasi_identifier_features, with_risk_reason)
    from .redaction import placeholder_counts, placeholder_metrics, redacted_span_columns
    from .tokenization import tokenize_columns

    with rt.stage("configure"):
        cfg = pipeline_config_from_args(rt.args, is_glue=rt.is_glue, session=rt.aws_session)
        keyset = _load_keyset(cfg, rt)
    summary: dict[str, Any] = {"job": "main_etl", "run_id": rt.run_id, "config_hash": cfg.config_hash,
                               "source": cfg.source.uri, "target": cfg.target.uri,
                               "key_version": getattr(keyset, "active_version", None),
                               "key_check_values": _key_checks(cfg, keyset)}

    with rt.stage("read") as st:
        raw_df, files, fmt = read_source(rt, cfg)
    summary.update({"input_format": fmt, "input_files": len(files),
                    "input_bytes": sum(f.size for f in files)})
    if raw_df is None:
        rt.logger.warning("no input files under the source; nothing to do")
        summary.update({"rows_in": 0, "rows_out": 0, "rows_quarantined": 0, "no_input": True})
        return summary

    validation_cfg = ValidationConfig(run_time=datetime.now(timezone.utc))
    with rt.stage("validate") as st:
        checked = _protect_rejected(with_reject_reason(raw_df, validation_cfg))
        valid, rejected = split_valid(checked)
        # Fail closed on the anomaly features from the schema alone, before any data is read.
        validate_features(valid.schema, cfg.anomaly, provided=PIPELINE_FEATURES)
        checked = _persist_uncompressed_on_disk(rt.spark, checked)
        fpe_aggs = fallback_aggregates(checked, cfg.pii)  # values format_preserving cannot take, same pass
        with compression.name_unreadable_inputs(files, rt.aws_session):  # the first action reads every input
            # one row per reason and file (bounded by files x reasons): counts only
            by_reason = checked.groupBy(REJECT_REASON, SOURCE_FILE).agg(F.count(F.lit(1)).alias("n"),
                                                                        *fpe_aggs).collect()
        reasons: dict = {}
        for r in by_reason:
            reasons[r[REJECT_REASON]] = reasons.get(r[REJECT_REASON], 0) + int(r["n"])
        rows_in = sum(reasons.values())
        rows_rejected = sum(v for k, v in reasons.items() if k is not None)
        fpe_counts: dict[str, int] = {}
        fpe_files: dict[str, str] = {}  # column -> the first file holding a value that does not fit
        for r in sorted((r for r in by_reason if r[REJECT_REASON] is None), key=lambda r: str(r[SOURCE_FILE])):
            for column, n in counts_from_row(r, cfg.pii).items():
                fpe_counts[column] = fpe_counts.get(column, 0) + n
                if n:
                    fpe_files.setdefault(column, str(r[SOURCE_FILE]))
        # fail closed before anything is written: a column FF3-1 cannot format-preserve is refused
        fpe_fallbacks = check_fallbacks(fpe_counts, cfg.pii, cfg.source.uri, rows=reasons.get(None, 0),
                                        files=fpe_files)
        st.rows_in, st.rows_out, st.rows_quarantined = rows_in, rows_in - rows_rejected, rows_rejected
        valid, rejected = split_valid(checked)
        valid = valid.drop("raw_record_sha256", "raw_record_chars")  # only quarantined lines have them

    with rt.stage("tokenize") as st:
        valid = with_quasi_identifier_features(valid, cfg.risk)  # before tokenization removes their sources
        valid = tokenize_columns(valid, cfg.pii, keyset)
        riskgate.check_output_columns(valid.columns, cfg.anomaly, cfg.risk)  # fail closed before any write
        rejected = tokenize_columns(rejected, cfg.pii, keyset)
        st.rows_in = st.rows_out = rows_in - rows_rejected

    edges_loc = cfg.artifacts.child("bin_edges", "current.json")
    no_rows = rows_in - rows_rejected == 0  # header-only or empty input: a valid run of 0 rows
    empty_input: dict[str, str] = {}
    with rt.stage("bin") as st:
        if no_rows and not sio.exists(edges_loc, rt.aws_session):
            edges = None
            empty_input["binning"] = "no rows to fit and no saved bin edges: binning skipped, nothing saved"
        elif cfg.run_mode in ("fit", "fit_and_apply") and not no_rows:
            edges = fit_bins(valid, cfg.binning)
            edges.save(cfg.artifacts.child("bin_edges", f"{edges.version}.json"), session=rt.aws_session)
            edges.save(edges_loc, session=rt.aws_session)
        else:
            edges = BinEdges.load(edges_loc, session=rt.aws_session)
            ensure_compatible(edges, cfg.binning)  # edges fitted for another method/labels are refused
            if no_rows:
                empty_input["binning"] = f"no rows to fit: the saved bin edges {edges.version} were reused"
        valid = with_amount_bin(valid, edges) if edges is not None else _with_null_columns(
            valid, {AMOUNT_BIN: "int", AMOUNT_BIN_LABEL: "string"})
        st.rows_in = st.rows_out = rows_in - rows_rejected

    with rt.stage("merchant") as st:
        valid = with_merchant_category(valid, cfg.merchant_mapping)
        st.rows_in = st.rows_out = rows_in - rows_rejected

    model_loc = cfg.artifacts.child("anomaly_model", "current")
    with rt.stage("anomaly") as st:
        valid = with_customer_features(valid, cfg.anomaly)
        if no_rows and not sio.exists(model_loc, rt.aws_session):
            model = None
            empty_input["anomaly"] = "no rows to fit and no saved anomaly model: scoring skipped, nothing saved"
        elif cfg.run_mode in ("fit", "fit_and_apply") and not no_rows:
            model = fit_anomaly_model(valid, cfg.anomaly, row_count=rows_in - rows_rejected)
            model.save(cfg.artifacts.child("anomaly_model", model.model_id), session=rt.aws_session)
            model.save(model_loc, session=rt.aws_session)
        else:
            model = AnomalyModel.load(model_loc, session=rt.aws_session, expected_features=cfg.anomaly)
            if no_rows:
                empty_input["anomaly"] = f"no rows to fit: the saved anomaly model {model.model_id} was reused"
        # Larger Arrow batches: one score_samples call per 100k rows amortises the UDF overhead.
        rt.spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
        valid = score_anomalies(valid, model) if model is not None else _with_null_columns(
            valid, {"anomaly_score": "double", "is_anomaly": "boolean", "anomaly_reasons": "array<string>"})
        st.rows_in = st.rows_out = rows_in - rows_rejected

    out_loc = publish.data_location(cfg.target, rt.run_id)
    q_loc = cfg.quarantine.child("rows", f"run_id={rt.run_id}")
    risk_q_loc = riskgate.risk_quarantine_location(cfg.quarantine, rt.run_id)
    suppressed = None
    with rt.stage("write") as st:
        out_df = valid.withColumn("transaction_date", F.to_date("transaction_ts"))
        if cfg.risk is not None:
            check_risk_columns(out_df.schema, cfg.risk, "main_etl output")
        if cfg.risk is not None and cfg.risk.action == "suppress" and not no_rows:
            # Window counts over the quasi-identifiers; persisted so the two writes score once.
            flagged = _persist_uncompressed_on_disk(rt.spark, with_risk_reason(out_df, cfg.risk))
            out_df, suppressed = split_by_risk(flagged, cfg.risk)
        # Files of about 128 MB each (filesizing.py), estimated from the input's bytes per row,
        # instead of one file per shuffle partition and date.
        per_row = summary["input_bytes"] / rows_in if rows_in else 0.0
        rows_valid = rows_in - rows_rejected
        if no_rows:  # a partitioned write of 0 rows leaves no file; one empty file keeps the schema readable
            out_df.coalesce(1).write.mode("overwrite").option("compression", "snappy").parquet(out_loc.spark_path())
        else:
            sized_df, out_options = sized_for_write(out_df, per_row * rows_valid, rows_valid,
                                                    partition_by=("transaction_date",))
            (sized_df.write.mode("overwrite").partitionBy("transaction_date").option("compression", "snappy")
             .options(**out_options).parquet(out_loc.spark_path()))
        rejected, _ = sized_for_write(rejected, per_row * rows_rejected, rows_rejected)
        rejected.write.mode("overwrite").parquet(q_loc.spark_path())
        risk_reasons: dict[str, int] = {}
        if suppressed is not None:
            suppressed.write.mode("overwrite").parquet(risk_q_loc.spark_path())
            risk_reasons = riskgate.suppressed_counts(rt.spark, risk_q_loc)
        # the written schema is given: a 0-row run has no partition folder to infer it from
        written = rt.spark.read.schema(out_df.schema).parquet(out_loc.spark_path())
        span_columns = [c for c in redacted_span_columns(cfg.pii) if c in written.columns]
        agg = written.agg(F.count(F.lit(1)).alias("rows"), F.sum(F.col("is_anomaly").cast("int")).alias("anomalies"),
                          *binning_metrics(), *merchant_metrics(),
                          *placeholder_metrics(span_columns)).first()  # one aggregate row
        rows_out = int(agg["rows"])
        anomalies = int(agg["anomalies"] or 0)
        if rows_out == 0 and not no_rows:  # suppression removed every row: one empty file keeps the schema readable
            out_df.limit(0).coalesce(1).write.mode("overwrite").option("compression", "snappy").parquet(
                out_loc.spark_path())
        rows_quarantined = (rt.spark.read.schema(rejected.schema).parquet(q_loc.spark_path()).count()
                            + sum(risk_reasons.values()))
        st.rows_in, st.rows_out, st.rows_quarantined = rows_in, rows_out, rows_quarantined
    checked.unpersist()
    figures = None
    if cfg.risk is not None:
        with rt.stage("risk") as st:
            figures = {**assess_risk(written, cfg.risk), "rows_suppressed": risk_reasons,
                       "quarantine": risk_q_loc.uri if suppressed is not None else None}
            if suppressed is not None:  # what the data looked like before suppression (cached rows)
                figures["before_suppression"] = assess_risk(flagged.drop(REASON_COLUMN), cfg.risk)
                flagged.unpersist()
            st.rows_in = st.rows_out = rows_out
    placeholders = placeholder_counts(agg, span_columns)

    summary.update({
        "rows_in": rows_in, "rows_out": rows_out, "rows_quarantined": rows_quarantined,
        "reject_reasons": {k: v for k, v in sorted({**reasons, **risk_reasons}.items(), key=lambda kv: str(kv[0]))
                           if k is not None},
        "anomalies_flagged": anomalies,
        "amount_unknown_bin_rows": int(agg["amount_unknown_bin_rows"] or 0),
        "merchant_unknown_mcc_rows": int(agg["merchant_unknown_mcc_rows"] or 0),
        "anomaly_rate": round(anomalies / rows_out, 6) if rows_out else 0.0,
        "flagged_rate": round(anomalies / rows_out, 6) if rows_out else 0.0,
        "pii_columns_protected": list(cfg.pii.column_names),
        # values of format_preserving columns tokenized with the '§' fallback (on_unsupported: tokenize)
        "format_preserving_fallbacks": fpe_fallbacks,
        "format_preserving_fallbacks_total": sum(fpe_fallbacks.values()),
        "bin_edges_version": edges.version if edges is not None else None,
        "anomaly_model_version": model.model_id if model is not None else None,
        "empty_input": empty_input,  # why binning/scoring reused artifacts or were skipped (0 rows)
        # free text kept with typed placeholders (redact, scope spans): counts per column and type
        "redacted_text_columns": span_columns,
        "placeholders_by_column": placeholders["by_column"], "placeholders_by_type": placeholders["by_type"],
        "merchant_mapping_version": merchant_mapping_version(cfg.merchant_mapping),
        "output": out_loc.uri, "quarantine": q_loc.uri,
    })
    if figures is not None:
        summary["reidentification_risk"] = figures
        summary["risk"] = risk_headline(figures)  # the report's one-screen summary shows this
    # Lineage: inputs with S3 ETags/versions or local SHA-256s, the written files, counts, artifacts.
    manifest = lineage.build_manifest(
        run_id=rt.run_id, job="main_etl", config_hash=cfg.config_hash, inputs=files,
        outputs={"data": out_loc, "quarantine": q_loc, **({"risk_quarantine": risk_q_loc} if suppressed is not None else {})},
        counts={k: summary[k] for k in ("rows_in", "rows_out", "rows_quarantined", "anomalies_flagged")},
        artifacts={"bin_edges": summary["bin_edges_version"], "anomaly_model": summary["anomaly_model_version"],
                   "merchant_mapping": summary["merchant_mapping_version"]},
        key_version=summary["key_version"], session=rt.aws_session,
        extra={"key_check_values": _key_checks(cfg, keyset),
               "format_preserving_columns": [c.name for c in cfg.pii.columns
                                             if getattr(c, "method", "") == "format_preserving"],
               "tokenized_columns": list(cfg.pii.column_names),
               **({"reidentification_risk": figures} if figures is not None else {})})
    run_loc = publish.run_location(cfg.target, rt.run_id)
    sio.write_json(run_loc.child(publish.MANIFEST), manifest, rt.aws_session)
    if figures is not None and not figures["passed"] and cfg.risk.action == "block":
        riskgate.block_run(rt, cfg.target, cfg.quarantine, summary, figures)  # raises after recording
    publish.mark_success(cfg.target, rt.run_id, rt.aws_session)  # the run is complete
    if not rt.is_glue:
        record_processed(cfg, files, rt.run_id, rt.aws_session)
    return summary


def default_pii_columns() -> dict:
    """The configuration the local run uses for the generated sample data."""
    return {
        "customer_id": {"method": "deterministic"},
        "customer_name": {"method": "redact"},
        "email": {"method": "hash", "algorithm": "sha256"},
        "phone": {"method": "mask", "keep_last": 2},
        "card_number": {"method": "format_preserving", "preserve_prefix": 6, "preserve_suffix": 0, "luhn": True},
        "account_number": {"method": "format_preserving", "preserve_prefix": 4},
        "iban": {"method": "non_deterministic"},
        "ssn": {"method": "drop"},
        "address": {"method": "redact"},
        # free text: kept, every detected span replaced by its typed placeholder ([PERSON], ...)
        "memo": {"method": "redact", "scope": "spans"},
    }


def default_binning_config() -> dict:
    return {"method": "percentile", "bins": [0, 10, 25, 50, 75, 90, 95, 99, 100],
            "labels": ["micro", "small", "low", "medium", "high", "large", "very_large", "extreme"]}



def default_risk_config() -> dict:
    """The risk gate of the local run: realistic quasi-identifiers of the generated card data (what
    an attacker could know about a purchase: roughly how much, what kind of shop, what hour, which
    area), l of the anomaly flag, and suppression of classes below k = 5. postcode_area is left out:
    on 100,000 generated rows it puts 41% of rows in classes below k = 5 (docs/RISK.md)."""
    return {"quasi_identifiers": ["amount_bin", "merchant_category", "transaction_hour"],
            "sensitive_column": "is_anomaly", "min_k": 5, "min_l": 1, "action": "suppress",
            "derived_columns": ["transaction_hour"]}
