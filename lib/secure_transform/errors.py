"""Error types. Messages name the parameter, file or column and the problem, never a value."""

from __future__ import annotations


class SecureTransformError(Exception):
    """Base class: a user-facing error the CLI prints as one line (exit status 2)."""

    exit_code = 2


class ConfigError(SecureTransformError, ValueError):
    """A configuration value is invalid. Raised before any data is read."""

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"{parameter}: {problem}")


class SchemaError(SecureTransformError):
    """The data does not fit what the job needs. Raised before anything is written."""

    def __init__(self, source: str, column: str | None, problem: str) -> None:
        self.source = source
        self.column = column
        self.problem = problem
        where = f"{source}, column {column!r}" if column else source
        super().__init__(f"{where}: {problem}")


class KeyManagementError(SecureTransformError):
    """Key material is missing, unreadable or of the wrong shape (never includes the material)."""


class AccountingError(SecureTransformError):
    """rows_in != rows_out + rows_quarantined for a stage or run."""

    exit_code = 3


class LeakDetectedError(SecureTransformError):
    """The leak check found personal data in an output; the output was not published."""

    exit_code = 4


class AllInputsQuarantinedError(SecureTransformError):
    """Every input object of a run was quarantined: nothing to transform (the run's summary,
    report and alert are still written; ``summary`` holds it)."""

    exit_code = 5
    summary: dict | None = None
