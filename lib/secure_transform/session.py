"""Building a local SparkSession with the settings every local run and test shares.

On Glue the session comes from ``GlueContext`` (see :mod:`secure_transform.runtime`); this is
only for ``spark-submit``-less local use (tests, the CLI) and mirrors Glue 5.0's defaults that
matter to results: UTC session time zone, Arrow enabled for pandas UDFs.
"""

from __future__ import annotations

import os
import sys


def build_spark_session(app_name: str, master: str | None = None, shuffle_partitions: int = 8, *, extra_conf: dict | None = None):
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.default.parallelism": str(max(2, shuffle_partitions)),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
        "spark.sql.adaptive.enabled": "true",
        "spark.driver.memory": os.environ.get("SECURE_TRANSFORM_DRIVER_MEMORY", "2g"),
        # Local runs never write Hive metastore files into the working directory.
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.warehouse.dir": os.path.join(os.environ.get("TMPDIR", "/tmp"), "secure-transform-warehouse"),
    }
    conf.update(extra_conf or {})
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
