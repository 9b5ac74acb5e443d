"""Shared fixtures: one session-scoped local[2] SparkSession, no UI, few shuffle partitions."""

from __future__ import annotations

import os
import sys

import pytest

# The Python that runs pytest is the one the Spark workers must use (same venv, same pins).
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
# Tests must never reach AWS: moto intercepts boto3, and these keep stray clients offline.
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SECURITY_TOKEN"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def spark():
    from secure_transform.session import build_spark_session

    session = build_spark_session("secure-transform-tests", master="local[2]", shuffle_partitions=2)
    yield session
    session.stop()
