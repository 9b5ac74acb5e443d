"""Objects and formats: sniffing, bounded head reads, CSV/TSV fields, indexed lines and records,
JSON leaves -- everything the detector and masking need to address a value the way Macie does.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from ..errors import ConfigError
from .frame import as_text, scannable
from .registry import context_flags
from .validators import sql_functions as _F

__all__ = ["FORMATS", "HEAD_BYTES", "MIME_TYPES", "bare_cr", "coverage_key", "csv_fields", "csv_header_fields", "csv_unquote",
           "header_like", "indexed_lines", "indexed_rows", "json_leaves", "object_format", "read_head", "sniff_json",
           "spark_path_key"]

# Row numbers must be Macie's: a CSV row is the physical line number (1-based, the header is row
# 1); a JSON Lines record index is the 0-based line. Spark reads a text file in splits, so each
# line gets ``(file, split start, monotonically_increasing_id)``; one aggregation per split gives
# its line count and first id, and the prefix sums turn that into exact line numbers.

FORMATS = ("csv", "tsv", "jsonl", "json", "parquet", "avro")
MIME_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "jsonl": "application/json",
              "json": "application/json", "parquet": "application/parquet", "avro": "application/avro"}
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json?",
               ".parquet": "parquet", ".avro": "avro"}
HEAD_BYTES = 65536
_HEADER_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9 _.#()/\-]{0,127}$")
_FULL_NAME_PY = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+){1,3}$")


def read_head(loc: Any, session: Any = None, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of an object (bounded; used for headers and format sniffing only)."""
    from .. import io as sio

    if loc.is_s3:
        resp = sio._s3_client(session).get_object(Bucket=loc.bucket, Key=loc.key, Range=f"bytes=0-{size - 1}")
        return resp["Body"].read()
    with open(loc.key, "rb") as fh:
        return fh.read(size)


def sniff_json(head: bytes) -> str:
    """``json`` (one document) or ``jsonl`` (one object per line) from the first bytes."""
    import json

    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return "json"
    first = text.split("\n", 1)[0].strip()
    try:
        return "jsonl" if isinstance(json.loads(first), dict) else "json"
    except ValueError:
        return "json"


def object_format(loc: Any, session: Any = None, override: str | None = None) -> str | None:
    """The format of an object by extension (``.json`` sniffed), or None when unsupported."""
    if override:
        if override not in FORMATS:
            raise ConfigError("--input_format", f"must be one of {', '.join(FORMATS)}, got {override!r}")
        return override
    name = loc.key.rsplit("/", 1)[-1].lower()
    if name.endswith(".snappy.parquet"):
        return "parquet"
    for ext, fmt in _EXTENSIONS.items():
        if name.endswith(ext):
            return sniff_json(read_head(loc, session)) if fmt == "json?" else fmt
    return None


def csv_header_fields(loc: Any, sep: str, session: Any = None) -> list[str]:
    """Fields of the first line of a CSV/TSV object (a bounded driver read of its first bytes)."""
    import csv

    first = read_head(loc, session).decode("utf-8", "replace").lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return next(csv.reader([first], delimiter=sep), []) if first else []


def header_like(fields: Sequence[str]) -> bool:
    """Does a first line look like column names (non-empty, unique identifiers, not person names)?"""
    if not fields or len(set(fields)) != len(fields):
        return False
    if not all(_HEADER_FIELD.match(f.strip()) for f in fields):
        return False
    return not all(_FULL_NAME_PY.match(f.strip()) for f in fields)


def spark_path_key(path: str) -> str:
    """Normalise a Spark ``_metadata.file_path`` (``file:/x``, ``s3://b/k``) to compare with listings."""
    from urllib.parse import unquote

    if path.startswith("file:"):
        path = path[len("file:"):]
        while path.startswith("//"):
            path = path[1:]
    elif path.startswith("s3a://") or path.startswith("s3n://"):
        path = "s3://" + path.split("://", 1)[1]
    return unquote(path)


def indexed_lines(spark: Any, paths: Sequence[str], *, sep: str | None = None,
                  expected_fields: int | None = None, count_bare_cr: bool = False) -> tuple[Any, list[dict]]:
    """Lines of text files with their 1-based line numbers, and per-split statistics.

    Returns ``(df, blocks)``: ``df`` has ``value`` (the line without ``\\n``; a ``\\r`` of a CRLF
    file stays), ``_file``, ``_line`` and ``_pid`` (the Spark partition, which the text writer
    keeps); ``blocks`` (one small dict per file split, collected: bounded by the number of splits)
    carries ``file``, ``pid``, ``lines``, ``first_line``, ``odd_quote_lines`` (lines with an odd
    number of double quotes: a CSV record spanning lines, or an unbalanced quote) and
    ``blank_lines`` (empty or ``\r`` only: not CSV records) and, with ``count_bare_cr`` (masking
    only: it costs a little of this scan), ``bare_cr_lines`` (a ``\r`` before the line's end:
    one line here, but a line break to Spark's line-based CSV reader, so main_etl must read such an
    object with ``multiLine``). See :mod:`.records`.
    """
    F = _F()
    raw = spark.read.option("lineSep", "\n").text(list(paths)).select(
        "value", F.col("_metadata.file_path").alias("_file"), F.col("_metadata.file_block_start").alias("_blk"),
        F.monotonically_increasing_id().alias("_mid"), F.spark_partition_id().alias("_pid"))
    # parity of the number of double quotes (split is the cheapest way to count them in Spark)
    odd = ((F.size(F.split("value", '"')) - 1) % 2).cast("long")
    blank = F.col("value").rlike("^\r?$")
    # with a field count: lines that may have another one (a cheap split; the exact, quote-aware
    # count runs later only when there are any, see records.line_issues)
    suspect = (~blank & (F.size(F.split("value", re.escape(sep), -1)) != expected_fields)).cast("long") \
        if sep and expected_fields else F.lit(0).cast("long")
    rows = raw.groupBy("_file", "_blk", "_pid").agg(
        F.count(F.lit(1)).alias("n"), F.min("_mid").alias("first_mid"), F.sum(odd).alias("odd"),
        F.sum(blank.cast("long")).alias("blank"), F.sum(suspect).alias("suspect"),
        F.sum(bare_cr("value").cast("long") if count_bare_cr else F.lit(0)).alias("bare_cr")
    ).collect()  # bounded: one row per file split, counts only
    blocks: list[dict] = []
    running: dict[str, int] = {}
    for r in sorted(rows, key=lambda r: (r["_file"], r["_blk"])):
        first_line = running.get(r["_file"], 0) + 1
        running[r["_file"]] = first_line - 1 + int(r["n"])
        blocks.append({"file": r["_file"], "blk": int(r["_blk"]), "pid": int(r["_pid"]), "lines": int(r["n"]),
                       "first_line": first_line, "first_mid": int(r["first_mid"]), "odd_quote_lines": int(r["odd"] or 0),
                       "blank_lines": int(r["blank"] or 0), "suspect_lines": int(r["suspect"] or 0),
                       "bare_cr_lines": int(r["bare_cr"] or 0)})
    if not blocks:
        return raw.select("value", "_file", F.lit(0).cast("long").alias("_line"), "_pid").limit(0), blocks
    offsets = spark.createDataFrame([(b["file"], b["blk"], b["first_line"] - b["first_mid"]) for b in blocks],
                                    "_file string, _blk long, _delta long")
    df = raw.join(F.broadcast(offsets), ["_file", "_blk"]).select(
        "value", "_file", (F.col("_mid") + F.col("_delta")).alias("_line"), "_pid")
    return df, blocks


def bare_cr(name: str = "value") -> Any:
    """Does the line in column ``name`` (split at ``\n``) hold a ``\r`` before its end (not only a
    CRLF ending)? Byte searches and a trim from the end: a position check (``instr`` vs
    ``length``, both counting characters) tripled the cost of a CRLF file's first scan."""
    F = _F()
    line = F.col(name)
    trimmed = F.expr(f"trim(TRAILING chr(13) FROM `{name}`)")
    return line.contains("\r") & (trimmed.contains("\r") | line.endswith("\r\r"))


def indexed_rows(df: Any) -> tuple[Any, list[dict]]:
    """Rows of a file-based DataFrame with a 0-based per-file record index ``_record`` (any format;
    the same split statistics as :func:`indexed_lines`)."""
    F = _F()
    spark = df.sparkSession
    raw = df.select("*", F.col("_metadata.file_path").alias("_file"), F.col("_metadata.file_block_start").alias("_blk"),
                    F.monotonically_increasing_id().alias("_mid"))
    rows = raw.groupBy("_file", "_blk").agg(F.count(F.lit(1)).alias("n"), F.min("_mid").alias("first_mid")).collect()  # bounded: one row per file split
    blocks, running = [], {}
    for r in sorted(rows, key=lambda r: (r["_file"], r["_blk"])):
        first = running.get(r["_file"], 0)
        running[r["_file"]] = first + int(r["n"])
        blocks.append({"file": r["_file"], "blk": int(r["_blk"]), "lines": int(r["n"]), "first_line": first,
                       "first_mid": int(r["first_mid"])})
    if not blocks:
        return raw.drop("_blk", "_mid").withColumn("_record", F.lit(0).cast("long")).limit(0), blocks
    offsets = spark.createDataFrame([(b["file"], b["blk"], b["first_line"] - b["first_mid"]) for b in blocks],
                                    "_file string, _blk long, _delta long")
    out = raw.join(F.broadcast(offsets), ["_file", "_blk"])
    return out.withColumn("_record", F.col("_mid") + F.col("_delta")).drop("_blk", "_mid", "_delta"), blocks


def csv_fields(line: Any, sep: str = ",") -> Any:
    """The raw fields of a CSV/TSV line (quotes kept, so rejoining them gives the line back).

    A field is either a quoted string (``"a,b"``, ``""`` escapes a quote) followed by the
    separator or the end, or anything up to the next separator. A trailing ``\\r`` is excluded.
    """
    F = _F()
    s = re.escape(sep) if sep != "\t" else "\\t"
    pattern = f'(?:^|{s})("(?:[^"]|"")*"(?={s}|$)|[^{s}]*)'
    return F.regexp_extract_all(F.regexp_replace(line, "\r$", ""), F.lit(pattern), 1)


def csv_unquote(field: Any) -> Any:
    '''The value of a raw CSV field: a quoted field loses its quotes and "" becomes "; others stay.'''
    F = _F()
    # the regex only for fields that start with a quote (most do not)
    quoted = field.startswith('"') & field.rlike('^"(?s:.*)"$') & (F.length(field) >= 2)
    inner = F.regexp_replace(field.substr(F.lit(2), F.length(field) - 2), '""', '"')
    return F.when(quoted, inner).otherwise(field)


def _path_segment(name: str) -> str:
    from ..macie import format_json_path

    return format_json_path([("field", name)])[1:]


def json_leaves(col: Any, dtype: Any, path: Any, names: tuple[str, ...] = (), *,
                format_preserving: frozenset[str] = frozenset(), depth: int = 0) -> list[Any]:
    """``array<struct<path, value, flags>>`` columns for every leaf value below ``col``.

    ``path`` is a string Column (``$.a.b[2]``: array indexes are filled in per row); ``flags``
    come from the names of all path elements (Macie: a keyword in any element counts).
    """
    from pyspark.sql.types import ArrayType, BinaryType, StructType

    F = _F()
    empty = F.array().cast("array<struct<path:string,value:string,flags:long>>")
    if isinstance(dtype, StructType) and depth < 10:
        out = []
        for f in dtype.fields:
            out += json_leaves(col.getField(f.name), f.dataType, F.concat(path, F.lit(_path_segment(f.name))),
                               names + (f.name,), format_preserving=format_preserving, depth=depth + 1)
        return out
    if isinstance(dtype, ArrayType) and depth < 10:
        def element(x: Any, i: Any) -> Any:
            inner = json_leaves(x, dtype.elementType, F.concat(path, F.lit("["), i.cast("string"), F.lit("]")), names,
                                format_preserving=format_preserving, depth=depth + 1)
            return F.concat(*inner) if inner else empty
        return [F.coalesce(F.flatten(F.transform(col, element)), empty)]
    if isinstance(dtype, BinaryType):
        return []
    flags = context_flags(names, format_preserving=bool(names) and names[0] in format_preserving)
    if not scannable(dtype, flags):
        return []
    return [F.array(F.struct(path.alias("path"), as_text(col, dtype).alias("value"),
                             F.lit(flags).cast("long").alias("flags")))]


def coverage_key(path: Any) -> Any:
    """A JSON path without array indexes: the "column" of a record-based occurrence."""
    return _F().regexp_replace(path, r"\[\d+\]", "[*]")


