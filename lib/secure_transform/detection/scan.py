"""File scanning: every object under a prefix (CSV, TSV, JSON Lines, JSON, Parquet, Avro) through
the recogniser expressions, with Macie's locations (row/column, record index and JSON path, line
ranges) and the per-type totals of each object. Values never reach the driver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from .expressions import explode_matches
from .files import (FORMATS, coverage_key, csv_fields, csv_header_fields, csv_unquote, header_like, indexed_lines,
                    indexed_rows, json_leaves, object_format, read_head, spark_path_key)
from .frame import quoted
from .records import RowMap, TooManyIrregularLines, joined_records, line_issues
from .registry import DetectConfig, context_flags, type_category
from .validators import sql_functions as _F

__all__ = ["DETECTION_COLUMNS", "ObjectScan", "avro_available", "object_identity", "relative_key", "scan_objects"]

DETECTION_COLUMNS = ("_file", "kind", "idx", "col", "col_name", "json_path", "start_column", "type", "cov")


@dataclass
class ObjectScan:
    """What the detector learnt about one object (no values)."""

    info: Any
    key: str
    fmt: str | None
    status: str = "COMPLETE"
    reason: str | None = None
    records: int = 0
    detections: list = field(default_factory=list)
    etag: str | None = None
    version_id: str | None = None
    rows: RowMap | None = None  # CSV/TSV records spanning lines: Macie rows <-> physical lines


def _scan_csv(spark: Any, scans: list[ObjectScan], sep: str, config: DetectConfig, session: Any) -> tuple[Any, dict]:
    F = _F()
    by_path = {s.info.location.spark_path(): s for s in scans}
    lines, blocks = indexed_lines(spark, list(by_path))
    per_file: dict[str, dict] = {}
    for b in blocks:
        d = per_file.setdefault(b["file"], {"lines": 0, "odd": 0})
        d["lines"] += b["lines"]
        d["odd"] += b["odd_quote_lines"]
    # records, not lines: quoted newlines, unbalanced quotes and blank lines (bounded collects of
    # line numbers); a file with odd-quote lines is paired with the quoting rules against its first line
    odd_files = [f for f, d in per_file.items() if d["odd"]]
    by_spark_path = {spark_path_key(p): s for p, s in by_path.items()}
    expected = {}
    for f in odd_files:
        known = by_spark_path.get(spark_path_key(f))
        if known is not None:
            expected[f] = len(csv_header_fields(known.info.location, sep, session))
    try:
        issues = line_issues(lines, blocks, sep, expected or None)
    except TooManyIrregularLines:
        issues = {}
    ctx_rows = []
    key_of = {spark_path_key(p): s for p, s in by_path.items()}
    headers: dict[str, bool] = {}
    for spark_file, stats in per_file.items():
        scan = key_of.get(spark_path_key(spark_file))
        if scan is None:
            continue
        fields = csv_header_fields(scan.info.location, sep, session) if stats["lines"] else []
        has_header = config.header == "true" or (config.header == "auto" and header_like([f.strip() for f in fields]))
        headers[spark_file] = has_header
        scan.records = stats["lines"] - (1 if has_header and stats["lines"] else 0)
        if spark_file in issues:
            scan.records = issues[spark_file].records(has_header)
        elif stats["odd"]:  # too many irregular lines to locate: the object cannot be analysed
            scan.status, scan.reason = "SKIPPED", "UNABLE_TO_PARSE_FILE"
        # Irregular lines (an unbalanced quote, a wrong field count) do not skip the object: they are
        # scanned like any line, and masking quarantines them as rows (malformed_record) while the
        # rest of the object is masked. A record spanning lines is scanned as one record.
        if spark_file in issues and issues[spark_file].spans:
            scan.rows = issues[spark_file].rows
        for number, name in enumerate(fields if has_header else [], start=1):
            ctx_rows.append((spark_file, number, name.strip(),
                             context_flags(name.strip(), format_preserving=name.strip() in config.format_preserving_columns)))
    ctx = spark.createDataFrame(ctx_rows or [("", 0, None, 0)], "_file string, col int, col_name string, flags long")
    header_files = [f for f, h in headers.items() if h]
    is_header = ((F.col("_line") == 1) & F.col("_file").isin(header_files)) if header_files else F.lit(False)
    # records spanning lines are joined back into one row (only the files that have any)
    lines = joined_records(lines, {f: i.spans for f, i in issues.items()})
    # fields are split in a projection and the column exploded (a generator's argument is not
    # code-generated); a line always has at least one field, so posexplode_outer gives the same
    # rows without the inferred size filter that would split every line twice
    cells = (lines.select("_file", "_line", is_header.alias("is_header"),
                          F.when(is_header, F.col("value")).alias("_whole"), csv_fields(F.col("value"), sep).alias("_fields"))
             .select("_file", "_line", "is_header", "_whole", F.posexplode_outer("_fields").alias("pos", "raw"))
             .select("_file", "_line", "is_header", (F.col("pos") + 1).alias("col"),
                     csv_unquote(F.col("raw")).alias("value"), "_whole"))
    cells = cells.join(F.broadcast(ctx), ["_file", "col"], "left").select(
        "_file", "_line", "is_header", "col", "col_name", "value", "_whole",
        F.when(F.col("is_header"), F.lit(0)).otherwise(F.coalesce("flags", F.lit(0))).cast("long").alias("flags"))
    found = explode_matches(cells, config)
    det = found.select(
        "_file", F.when(F.col("is_header"), F.lit("lineRanges")).otherwise(F.lit("cells")).alias("kind"),
        F.col("_line").alias("idx"), F.col("col").cast("int").alias("col"),
        F.when(F.col("is_header"), F.lit(None)).otherwise(F.col("col_name")).alias("col_name"),
        F.lit(None).cast("string").alias("json_path"),
        F.when(F.col("is_header"), F.greatest(F.position(F.col("m.text"), F.col("_whole")), F.lit(1)))
        .cast("int").alias("start_column"),
        F.col("m.type").alias("type"), F.col("col").cast("string").alias("cov"))
    return det, {k: v for k, v in by_path.items()}


def _scan_jsonl(spark: Any, scans: list[ObjectScan], config: DetectConfig) -> Any:
    F = _F()
    paths = [s.info.location.spark_path() for s in scans]
    schema = spark.read.json(paths).schema
    from pyspark.sql.types import StructType

    schema = StructType([f for f in schema.fields if f.name != "_corrupt_record"])
    lines, blocks = indexed_lines(spark, paths)
    per_file: dict[str, int] = {}
    for b in blocks:
        per_file[spark_path_key(b["file"])] = per_file.get(spark_path_key(b["file"]), 0) + b["lines"]
    for s in scans:
        s.records = per_file.get(spark_path_key(s.info.location.spark_path()), 0)
    valid = F.json_object_keys("value").isNotNull()
    parsed = lines.select("_file", "_line", "value", valid.alias("valid"),
                          F.from_json("value", schema).alias("rec"))
    leaves = json_leaves(F.col("rec"), schema, F.lit("$"), format_preserving=config.format_preserving_columns)
    empty = F.array().cast("array<struct<path:string,value:string,flags:long>>")
    as_text = F.array(F.struct(F.lit(None).cast("string").alias("path"), F.col("value").alias("value"),
                               F.lit(0).cast("long").alias("flags")))
    cells = parsed.select("_file", "_line", "valid", F.col("value").alias("_whole"), F.explode(
        F.when(F.col("valid"), F.concat(*leaves) if leaves else empty).otherwise(as_text)).alias("c")).select(
        "_file", "_line", "valid", "_whole", F.col("c.path").alias("path"), F.col("c.value").alias("value"),
        F.col("c.flags").alias("flags"))
    found = explode_matches(cells, config)
    return found.select(
        "_file", F.when(F.col("valid"), F.lit("records")).otherwise(F.lit("lineRanges")).alias("kind"),
        F.when(F.col("valid"), F.col("_line") - 1).otherwise(F.col("_line")).alias("idx"),
        F.lit(None).cast("int").alias("col"), F.lit(None).cast("string").alias("col_name"),
        F.col("path").alias("json_path"),
        F.when(F.col("valid"), F.lit(None)).otherwise(F.greatest(F.position(F.col("m.text"), F.col("_whole")), F.lit(1)))
        .cast("int").alias("start_column"),
        F.col("m.type").alias("type"), F.coalesce(coverage_key(F.col("path")), F.lit("$")).alias("cov"))


def _scan_records(spark: Any, scans: list[ObjectScan], fmt: str, config: DetectConfig) -> Any:
    """Parquet (``_metadata.row_index``) and Avro (split statistics) records."""
    F = _F()
    from pyspark.sql.types import StructType

    paths = [s.info.location.spark_path() for s in scans]
    if fmt == "parquet":
        data = spark.read.option("mergeSchema", "true").parquet(*paths)
        schema = data.schema
        df = data.select(F.struct(*[F.col(quoted(f.name)) for f in schema.fields]).alias("rec"),
                         F.col("_metadata.file_path").alias("_file"), F.col("_metadata.row_index").alias("_record"))
    else:
        data = spark.read.format("avro").load(paths)
        schema = data.schema
        indexed, _ = indexed_rows(data)
        df = indexed.select(F.struct(*[F.col(quoted(f.name)) for f in schema.fields]).alias("rec"), "_file", "_record")
    counts = {spark_path_key(r["_file"]): int(r["n"]) for r in
              df.groupBy("_file").agg(F.count(F.lit(1)).alias("n")).collect()}  # one row per file
    for s in scans:
        s.records = counts.get(spark_path_key(s.info.location.spark_path()), 0)
    leaves = json_leaves(F.col("rec"), StructType(schema.fields), F.lit("$"),
                         format_preserving=config.format_preserving_columns)
    cells = df.select("_file", "_record", F.explode(F.concat(*leaves)).alias("c")).select(
        "_file", "_record", F.col("c.path").alias("path"), F.col("c.value").alias("value"), F.col("c.flags").alias("flags"))
    found = explode_matches(cells, config)
    return found.select("_file", F.lit("records").alias("kind"), F.col("_record").alias("idx"),
                        F.lit(None).cast("int").alias("col"), F.lit(None).cast("string").alias("col_name"),
                        F.col("path").alias("json_path"), F.lit(None).cast("int").alias("start_column"),
                        F.col("m.type").alias("type"), coverage_key(F.col("path")).alias("cov"))


def _scan_json_docs(spark: Any, scans: list[ObjectScan], config: DetectConfig, session: Any) -> Any | None:
    F = _F()
    from pyspark.sql.types import ArrayType

    dets = []
    for root in ("[", "{"):
        group = [s for s in scans if read_head(s.info.location, session, 4096).decode("utf-8", "replace")
                 .lstrip("\ufeff \t\r\n").startswith(root)]
        if not group:
            continue
        paths = [s.info.location.spark_path() for s in group]
        element = spark.read.option("multiLine", "true").json(paths).schema
        from pyspark.sql.types import StructType

        element = StructType([f for f in element.fields if f.name != "_corrupt_record"])
        schema = ArrayType(element) if root == "[" else element
        docs = spark.read.text(paths, wholetext=True).select(
            F.col("_metadata.file_path").alias("_file"), F.from_json("value", schema).alias("doc"))
        bad = {spark_path_key(r["_file"]) for r in docs.where(F.col("doc").isNull()).select("_file").collect()}  # bounded: file paths of unparseable documents only
        for s in group:
            s.records = 1
            if spark_path_key(s.info.location.spark_path()) in bad:
                s.status, s.reason = "SKIPPED", "UNABLE_TO_PARSE_FILE"
        leaves = json_leaves(F.col("doc"), schema, F.lit("$"), format_preserving=config.format_preserving_columns)
        if not leaves:
            continue
        cells = docs.where(F.col("doc").isNotNull()).select("_file", F.explode(F.concat(*leaves)).alias("c")).select(
            "_file", F.col("c.path").alias("path"), F.col("c.value").alias("value"), F.col("c.flags").alias("flags"))
        found = explode_matches(cells, config)
        dets.append(found.select("_file", F.lit("records").alias("kind"), F.lit(0).cast("long").alias("idx"),
                                 F.lit(None).cast("int").alias("col"), F.lit(None).cast("string").alias("col_name"),
                                 F.col("path").alias("json_path"), F.lit(None).cast("int").alias("start_column"),
                                 F.col("m.type").alias("type"), coverage_key(F.col("path")).alias("cov")))
    if not dets:
        return None
    out = dets[0]
    for d in dets[1:]:
        out = out.unionByName(d)
    return out


def avro_available(spark: Any) -> bool:
    try:
        spark._jvm.java.lang.Class.forName("org.apache.spark.sql.avro.AvroFileFormat")
        return True
    except Exception:  # noqa: BLE001 - py4j wraps ClassNotFoundException
        return False


def _occurrence_quotas(totals: dict[str, int], limit: int) -> dict[str, int]:
    """Split ``limit`` listed occurrences over coverage keys round-robin, so every column with a
    detection is listed at least once (then masking can widen a capped detection to the right
    columns)."""
    quotas = {k: 0 for k in totals}
    left = limit
    keys = sorted(totals)
    while left > 0:
        progressed = False
        for k in keys:
            if left and quotas[k] < totals[k]:
                quotas[k] += 1
                left -= 1
                progressed = True
        if not progressed:
            break
    return quotas


def _build_detections(spark: Any, det: Any, scans_by_file: dict[str, ObjectScan], config: DetectConfig) -> dict:
    """Totals per type/column and the listed occurrences, attached to each ObjectScan."""
    F = _F()
    from pyspark.sql import Window

    from ..macie import Detection, Occurrence

    totals_rows = det.groupBy("_file", "type", "cov", "col_name").agg(F.count(F.lit(1)).alias("n")).collect()  # bounded: files x types x columns, counts only
    totals: dict[tuple[str, str], dict[str, int]] = {}
    by_column: dict[str, dict[str, int]] = {}
    for r in totals_rows:
        scan = scans_by_file.get(spark_path_key(r["_file"]))
        if scan is None or scan.status == "SKIPPED":
            continue
        totals.setdefault((r["_file"], r["type"]), {})
        totals[(r["_file"], r["type"])][r["cov"]] = totals[(r["_file"], r["type"])].get(r["cov"], 0) + int(r["n"])
        column = r["col_name"] or (f"column {r['cov']}" if r["cov"] and r["cov"].isdigit() else r["cov"])
        by_column.setdefault(r["type"], {})
        by_column[r["type"]][column] = by_column[r["type"]].get(column, 0) + int(r["n"])
    quota_rows = [(f, t, cov, q) for (f, t), covs in totals.items()
                  for cov, q in _occurrence_quotas(covs, config.max_occurrences).items() if q > 0]
    listed: dict[tuple[str, str], list] = {}
    if quota_rows:
        quotas = spark.createDataFrame(quota_rows, "_file string, type string, cov string, quota int")
        w = Window.partitionBy("_file", "type", "cov").orderBy("idx", "col", "json_path", "start_column")
        # quota <= max_occurrences: the literal bound lets Spark keep only the first rows of each
        # group before sorting (window group limit) instead of sorting every detection
        chosen = (det.withColumn("rk", F.row_number().over(w)).where(F.col("rk") <= config.max_occurrences)
                  .join(F.broadcast(quotas), ["_file", "type", "cov"])
                  .where(F.col("rk") <= F.col("quota")).drop("rk", "quota"))
        for r in chosen.collect():  # bounded: at most max_occurrences per object and type; locations only
            listed.setdefault((r["_file"], r["type"]), []).append(r)
    for (spark_file, type_name), covs in totals.items():
        scan = scans_by_file[spark_path_key(spark_file)]
        occ = []
        for r in sorted(listed.get((spark_file, type_name), []),
                        key=lambda r: (r["idx"], r["col"] or 0, r["json_path"] or "", r["start_column"] or 0)):
            if r["kind"] == "cells":
                # a cell's row is its record's (physical first line -> row when records span lines)
                row = scan.rows.row_of_line(int(r["idx"])) if scan.rows else int(r["idx"])
                occ.append(Occurrence("cells", row=row, column=int(r["col"]), column_name=r["col_name"]))
            elif r["kind"] == "records":
                occ.append(Occurrence("records", record_index=int(r["idx"]), json_path=r["json_path"]))
            else:
                occ.append(Occurrence("lineRanges", start=int(r["idx"]), end=int(r["idx"]),
                                      start_column=int(r["start_column"] or 1)))
        category = type_category(type_name)
        scan.detections.append(Detection(type_name, sum(covs.values()), tuple(occ), category=category,
                                         custom=category == "CUSTOM_IDENTIFIER"))
    return by_column


def _local_etag(path: str) -> str:
    import hashlib

    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def object_identity(info: Any, session: Any = None) -> tuple[str | None, str | None]:
    """(eTag, versionId) of an object now: S3's, or the MD5 of a local file's bytes."""
    from .. import io as sio

    if info.location.is_s3:
        head = sio._s3_client(session).head_object(Bucket=info.location.bucket, Key=info.location.key)
        return (head.get("ETag") or "").strip('"') or None, head.get("VersionId") or None
    return _local_etag(info.location.key), None


def relative_key(root: Any, info: Any) -> str:
    """The object key Macie would report: the S3 key, or the path relative to a local root."""
    import os

    if info.location.is_s3:
        return info.location.key
    if os.path.isfile(root.key):
        return os.path.basename(root.key)
    return os.path.relpath(info.location.key, root.key).replace(os.sep, "/")


def scan_objects(spark: Any, root: Any, objects: Sequence[Any], *, config: DetectConfig | None = None,
                 input_format: str | None = None, session: Any = None) -> tuple[list[ObjectScan], dict]:
    """Detect PII in objects (CSV, TSV, JSON Lines, JSON, Parquet; Avro if the runtime has it).

    Returns one :class:`ObjectScan` per object (status, record count, Macie detections with the
    occurrences to list) and the counts per type and column. Values never reach the driver.
    """
    from pyspark import StorageLevel

    config = config or DetectConfig()
    scans: list[ObjectScan] = []
    for info in objects:
        fmt = object_format(info.location, session, input_format)
        scan = ObjectScan(info=info, key=relative_key(root, info), fmt=fmt)
        scan.etag, scan.version_id = object_identity(info, session)
        if fmt is None or (fmt == "avro" and not avro_available(spark)):
            scan.status, scan.reason = "SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION"
        elif info.size == 0:
            scan.records = 0
        scans.append(scan)
    scans_by_file = {spark_path_key(s.info.location.spark_path()): s for s in scans}
    dets = []
    todo = [s for s in scans if s.status == "COMPLETE" and s.info.size > 0]
    for fmt in FORMATS:
        group = [s for s in todo if s.fmt == fmt]
        if not group:
            continue
        if fmt in ("csv", "tsv"):
            det, _ = _scan_csv(spark, group, "\t" if fmt == "tsv" else ",", config, session)
        elif fmt == "jsonl":
            det = _scan_jsonl(spark, group, config)
        elif fmt == "json":
            det = _scan_json_docs(spark, group, config, session)
        else:
            det = _scan_records(spark, group, fmt, config)
        if det is not None:
            dets.append(det.select(*DETECTION_COLUMNS))
    by_column: dict = {}
    if dets:
        det = dets[0]
        for d in dets[1:]:
            det = det.unionByName(d)
        det = det.persist(StorageLevel.MEMORY_AND_DISK)  # locations only (no values): read twice below
        try:
            by_column = _build_detections(spark, det, scans_by_file, config)
        finally:
            det.unpersist()
    return scans, by_column


