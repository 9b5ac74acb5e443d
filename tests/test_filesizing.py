"""Output files sized by a target number of bytes (filesizing.py)."""

from __future__ import annotations

import os

import pytest

from secure_transform.errors import ConfigError
from secure_transform.filesizing import (TARGET_FILE_BYTES, file_count, records_per_file, sized_for_write,
                                         write_single_csv)

MB = 1024 * 1024


def test_file_count_and_records_per_file():
    assert TARGET_FILE_BYTES == 128 * MB
    assert [file_count(b) for b in (0, 1, 128 * MB, 128 * MB + 1, 1000 * MB)] == [1, 1, 1, 2, 8]
    assert file_count(10 * MB, 4 * MB) == 3
    assert records_per_file(200 * MB, 1_000_000) == 640_000  # 128 MiB at 200 MiB per million rows
    assert records_per_file(0, 10) == 0 and records_per_file(10, 0) == 0
    with pytest.raises(ConfigError, match="target_file_bytes"):
        file_count(1, 0)


def test_sized_for_write_partitions_and_limits_records(spark):
    df = spark.range(1000).selectExpr("id", "id % 3 as day")
    sized, options = sized_for_write(df, 300 * MB, 1000, partition_by=("day",))
    assert sized.rdd.getNumPartitions() == 3 and options == {"maxRecordsPerFile": "426"}
    # every row of one day lands in one task
    per_partition = sized.rdd.glom().map(lambda rows: sorted({r["day"] for r in rows})).collect()  # 3 small lists
    assert sorted(d for days in per_partition for d in days) == [0, 1, 2]
    plain, options = sized_for_write(df, 10, 1000)
    assert plain.rdd.getNumPartitions() == 1 and options == {} and plain.count() == 1000


def test_write_single_csv_writes_one_file(spark, tmp_path):
    df = spark.range(50).selectExpr("id", "cast(id * 2 as string) as v").repartition(4)
    path = write_single_csv(df, str(tmp_path / "out" / "scores.csv"))
    assert path == str(tmp_path / "out" / "scores.csv") and os.listdir(tmp_path / "out") == ["scores.csv"]
    lines = open(path).read().splitlines()
    assert lines[0] == "id,v" and len(lines) == 51
    with pytest.raises(ConfigError, match="--single-file"):
        write_single_csv(df, "s3://bucket/x.csv")
