"""Building a local SparkSession with the settings every local run and test shares.

On Glue the session comes from ``GlueContext`` (see :mod:`secure_transform.runtime`); this is
only for ``spark-submit``-less local use (tests, the CLI) and mirrors Glue 5.0's defaults that
matter to results: UTC session time zone, Arrow enabled for pandas UDFs.
"""

from __future__ import annotations

import os
import sys

LOG_LEVEL_ENV = "SECURE_TRANSFORM_SPARK_LOG_LEVEL"


LOG4J2_PROPERTIES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "log4j2.properties")


def quiet_logging_java_option() -> str:
    """The JVM option that loads our log4j2 configuration: warnings stay, the known-harmless ones
    every local run printed (loopback hostname, native-hadoop library, truncated plan strings) go."""
    return f"-Dlog4j2.configurationFile=file:{LOG4J2_PROPERTIES}"


def build_spark_session(app_name: str, master: str | None = None, shuffle_partitions: int = 64, *,
                        extra_conf: dict | None = None):
    """A local session. ``shuffle_partitions`` is an upper bound: adaptive execution coalesces
    small shuffle partitions (to ``spark.sql.adaptive.advisoryPartitionSizeInBytes``, 64 MB), so a
    small run gets few tasks while a large one gets partitions that fit in memory. With 8, main_etl
    ran out of heap at 5,000,000 rows and a 2 GiB driver (each post-shuffle partition held some
    600,000 whole rows); with 64 it completes. ``spark.default.parallelism`` (input splits of
    RDD-based reads, ``parallelize``) stays at most 8.
    """
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.default.parallelism": str(max(2, min(shuffle_partitions, 8))),
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
        "spark.sql.adaptive.enabled": "true",
        "spark.driver.memory": os.environ.get("SECURE_TRANSFORM_DRIVER_MEMORY", "2g"),
        # Local runs never write Hive metastore files into the working directory.
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.warehouse.dir": os.path.join(os.environ.get("TMPDIR", "/tmp"), "secure-transform-warehouse"),
        # read when the driver JVM starts (the first session of the process)
        "spark.driver.extraJavaOptions": quiet_logging_java_option(),
    }
    conf.update(extra_conf or {})
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    # The CLI sets OFF (unless --debug): its failures are one line, never a Java stack trace that
    # log4j would print for a failed task; jobs and tests keep WARN in their logs.
    spark.sparkContext.setLogLevel(os.environ.get(LOG_LEVEL_ENV, "WARN"))
    return spark
