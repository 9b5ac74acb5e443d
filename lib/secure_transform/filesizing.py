"""Output files sized by a target number of bytes, not by the number of shuffle partitions.

Spark writes one file per task (and per ``partitionBy`` value within it), so a 100,000-row run
came out as 63 Parquet files and 99 quarantined rows as 51. Here the writer estimates the bytes
it is about to write (the input's bytes scaled by the rows kept: the input is the best size
measure the job has before writing, and Parquet is rarely larger than the CSV or JSON it came
from), and asks for ``ceil(bytes / target)`` tasks: 128 MiB per file by default, the size
Parquet readers and Athena/Glue scan best. With ``partitionBy`` columns the rows of one value go
to one task and ``maxRecordsPerFile`` splits a large value into several files of about the target.

The repartition is a shuffle of the written rows only; the work before it keeps its parallelism
(``coalesce`` would not shuffle, but would run the whole upstream stage, scoring included, in as
few tasks as there are files).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from typing import Any, Sequence

from .errors import ConfigError

__all__ = ["TARGET_FILE_BYTES", "file_count", "records_per_file", "sized_for_write", "write_single_csv"]

TARGET_FILE_BYTES = 128 * 1024 * 1024


def file_count(estimated_bytes: float, target_bytes: int = TARGET_FILE_BYTES) -> int:
    """How many files of about ``target_bytes`` hold ``estimated_bytes`` (at least one)."""
    if target_bytes <= 0:
        raise ConfigError("target_file_bytes", f"must be > 0, got {target_bytes}")
    return max(1, math.ceil(max(0.0, float(estimated_bytes)) / target_bytes))


def records_per_file(estimated_bytes: float, rows: int, target_bytes: int = TARGET_FILE_BYTES) -> int:
    """Rows that make a file of about ``target_bytes`` (0: no limit, when nothing is known)."""
    if rows <= 0 or estimated_bytes <= 0:
        return 0
    return max(1, int(target_bytes / (float(estimated_bytes) / rows)))


def sized_for_write(df: Any, estimated_bytes: float, rows: int, *, partition_by: Sequence[str] = (),
                    target_bytes: int = TARGET_FILE_BYTES) -> tuple[Any, dict[str, str]]:
    """``df`` repartitioned into files of about ``target_bytes``, and the writer options that go with it."""
    n = file_count(estimated_bytes, target_bytes)
    options: dict[str, str] = {}
    if partition_by:
        df = df.repartition(n, *partition_by)
        limit = records_per_file(estimated_bytes, rows, target_bytes)
        if limit:
            options["maxRecordsPerFile"] = str(limit)
    else:
        df = df.repartition(n)
    return df, options


def write_single_csv(df: Any, path: str) -> str:
    """Write ``df`` as one CSV file with a header at ``path`` (local only), not a folder of parts."""
    if path.startswith("s3://"):
        raise ConfigError("--single-file", "writes a local file; for S3 write a folder (leave --single-file out)")
    target = os.path.abspath(path)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".single-file-", dir=parent)
    try:
        df.repartition(1).write.mode("overwrite").option("header", "true").csv(os.path.join(staging, "out"))
        parts = [f for f in os.listdir(os.path.join(staging, "out")) if f.startswith("part-")]
        if len(parts) != 1:  # an empty frame writes no part: write just the header
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(",".join(df.columns) + "\n")
        else:
            if os.path.isdir(target):
                shutil.rmtree(target)
            os.replace(os.path.join(staging, "out", parts[0]), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
