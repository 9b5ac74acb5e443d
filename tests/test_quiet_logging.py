"""Spark's known-harmless start-up warnings are quieted; real warnings still show."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from secure_transform.session import LOG4J2_PROPERTIES, quiet_logging_java_option


def test_log4j2_configuration_quiets_only_the_known_harmless_loggers():
    with open(LOG4J2_PROPERTIES, encoding="utf-8") as fh:
        text = fh.read()
    assert re.search(r"^rootLogger.level = warn$", text, flags=re.M)  # warnings in general stay on
    levels = dict(re.findall(r"^logger\.(\w+)\.level = (\w+)$", text, flags=re.M))
    names = dict(re.findall(r"^logger\.(\w+)\.name = (\S+)$", text, flags=re.M))
    assert set(levels) == set(names)
    quiet = {names[k] for k, v in levels.items() if v in ("error", "fatal")}
    assert {"org.apache.spark.util.Utils", "org.apache.hadoop.util.NativeCodeLoader",
            "org.apache.spark.sql.catalyst.util.SparkStringUtils"} <= quiet
    assert quiet_logging_java_option() == f"-Dlog4j2.configurationFile=file:{LOG4J2_PROPERTIES}"


def test_sessions_and_spark_submit_runs_load_it(spark, tmp_path, monkeypatch):
    from secure_transform import localrun

    assert quiet_logging_java_option() in spark.sparkContext.getConf().get("spark.driver.extraJavaOptions")
    seen = {}

    def fake_run(cmd, **kwargs):
        seen["cmd"] = cmd
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(localrun.subprocess, "run", fake_run)
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "detect_pii.py").write_text("")
    cfg = localrun.LocalRunConfig(output=str(tmp_path / "o"), jobs_dir=str(tmp_path / "jobs"), spark_submit=True)
    localrun._spark_submit(cfg, "detect_pii", {"run_id": "r"}, print)
    cmd = seen["cmd"]
    assert cmd[cmd.index("--driver-java-options") + 1] == quiet_logging_java_option()


@pytest.mark.slow
def test_spark_submit_prints_no_known_harmless_warning(tmp_path):
    script = tmp_path / "job.py"
    script.write_text("from pyspark.sql import SparkSession\nprint(SparkSession.builder.getOrCreate().range(3).count())\n")
    submit = os.path.join(os.path.dirname(sys.executable), "spark-submit")
    proc = subprocess.run([submit, "--master", "local[1]", "--driver-java-options", quiet_logging_java_option(),
                           "--conf", "spark.ui.enabled=false", str(script)], capture_output=True, text=True,
                          env=dict(os.environ, PYSPARK_PYTHON=sys.executable))
    assert proc.returncode == 0 and proc.stdout.strip().endswith("3")
    for harmless in ("NativeCodeLoader", "loopback address", "SPARK_LOCAL_IP", "Setting default log level"):
        assert harmless not in proc.stderr, harmless
