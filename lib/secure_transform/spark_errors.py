"""One-line descriptions of Spark failures that name the file or column, never a value.

Spark's exception messages can quote row values, so they are never printed whole. A few error
classes carry only a path or a column name in a known place; those are recognised here so that
the CLI and the job scripts can say what failed instead of "failed unexpectedly".
"""

from __future__ import annotations

import re

__all__ = ["describe_spark_failure"]

# (pattern over the exception text, template); groups are paths or column names, never cell values
_KNOWN = (
    (re.compile(r"(\S+) is not a Parquet file"), "{0} is not a Parquet file"),
    (re.compile(r"\[PATH_NOT_FOUND\] Path does not exist: (\S+?)\.?(?:\s|$)"), "{0} does not exist"),
    (re.compile(r"\[UNABLE_TO_INFER_SCHEMA\] Unable to infer schema for (\w+)"),
     "no {0} schema could be read (the input is empty or in another format)"),
    (re.compile(r"\[COLUMN_ALREADY_EXISTS\] The column `([^`]{1,128})` already exists"),
     "column {0!r} appears more than once in the input's header"),
    (re.compile(r"Found duplicate column\(s\) in the data schema: `([^`]{1,128})`"),
     "column {0!r} appears more than once in the input's header"),
)


def describe_spark_failure(exc: BaseException) -> str | None:
    """A safe one-line description of a known Spark failure, else None."""
    text = str(exc)
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            text += "\n" + str(java.toString())
        except Exception:  # noqa: BLE001 - the JVM may be gone
            pass
    for pattern, template in _KNOWN:
        match = pattern.search(text)
        if match:
            return template.format(*match.groups())
    return None
