"""The runtime adapter: the only module that knows about ``awsglue``.

A Glue job script is two lines, ``run_job("<name>", <entry point>)``. The same script runs on
AWS Glue 5.0 and under a local ``spark-submit``:

* **Glue** (``awsglue`` importable): arguments come from ``getResolvedOptions``, which treats
  every requested name as required, so optional names are requested only when present in
  ``sys.argv``; ``Job.init`` is called before the first read, sources are read as DynamicFrames
  with a ``transformation_ctx`` so job bookmarks work, and ``Job.commit`` runs after success.
* **Local** (``awsglue`` absent): the same names are parsed with argparse and read with
  ``spark.read``.

Both parsers accept and reject exactly the same argument lists (tested): required names must be
present, unknown ``--snake_case`` names are rejected (a typo in an optional argument must not be
silently ignored), and Glue's own hyphenated/special arguments are ignored.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping, Sequence

from . import io as sio
from .errors import AccountingError, ConfigError, SecureTransformError
from .jobspec import JobSpec, job_spec
from .logs import get_logger, install_redacting_logging

# Arguments Glue passes to every script or that users set for Glue itself. They are never ours.
GLUE_SPECIAL_ARGS = frozenset(
    {"JOB_NAME", "JOB_ID", "JOB_RUN_ID", "SECURITY_CONFIGURATION", "TempDir", "RedshiftTempDir",
     "WORKFLOW_NAME", "WORKFLOW_RUN_ID", "encryption_type"}
)


def glue_available() -> bool:
    try:
        import awsglue  # noqa: F401
    except ImportError:
        return False
    return True


def _present_names(argv: Sequence[str]) -> set[str]:
    names = set()
    for item in argv:
        if item.startswith("--"):
            names.add(item[2:].split("=", 1)[0])
    return names


def _reject_unknown(spec: JobSpec, argv: Sequence[str]) -> None:
    known = set(spec.names)
    for name in sorted(_present_names(argv)):
        if name in known or name in GLUE_SPECIAL_ARGS or "-" in name:
            continue  # ours, or Glue's own (Glue's special parameters are hyphenated)
        raise ConfigError(f"--{name}", f"is not an argument of job {spec.name}; valid: "
                          + ", ".join(f"--{n}" for n in spec.names))


def _apply_defaults(spec: JobSpec, values: Mapping[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for arg in spec.args:
        value = values.get(arg.name)
        out[arg.name] = arg.default if value is None else str(value)
    return out


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage and sys.exit(2)
        raise ConfigError("arguments", message)


def parse_local_args(spec: JobSpec, argv: Sequence[str]) -> dict[str, str | None]:
    """Local (argparse) parsing of a job's arguments, same semantics as on Glue."""
    _reject_unknown(spec, argv)
    parser = _RaisingParser(prog=spec.name, add_help=False)
    for arg in spec.args:
        parser.add_argument(f"--{arg.name}", required=arg.required, default=None)
    ns, _unknown = parser.parse_known_args(list(argv))
    return _apply_defaults(spec, vars(ns))


def _requested_names(spec: JobSpec, argv: Sequence[str]) -> list[str]:
    present = _present_names(argv)
    return list(spec.required) + [n for n in spec.optional if n in present]


def parse_glue_style_args(spec: JobSpec, argv: Sequence[str]) -> dict[str, str | None]:
    """Parsing with awsglue ``getResolvedOptions`` semantics, without awsglue.

    ``getResolvedOptions(argv, names)`` adds ``--name`` with ``required=True`` for every
    requested name and calls ``parse_known_args`` (unknown arguments ignored). Optional names
    are therefore requested only when present. Used by tests and by the contract test.
    """
    _reject_unknown(spec, argv)
    parser = _RaisingParser(prog=spec.name, add_help=False)
    for name in _requested_names(spec, argv):
        parser.add_argument(f"--{name}", required=True)
    ns, _unknown = parser.parse_known_args(list(argv))
    return _apply_defaults(spec, vars(ns))


def _parse_on_glue(spec: JobSpec, argv: Sequence[str]) -> dict[str, str | None]:
    from awsglue.utils import GlueArgumentError, getResolvedOptions  # type: ignore

    _reject_unknown(spec, argv)
    names = _requested_names(spec, argv) + ["JOB_NAME"]
    try:
        resolved = getResolvedOptions(list(argv), names)
    except GlueArgumentError as exc:
        raise ConfigError("arguments", str(exc)) from None
    values = _apply_defaults(spec, resolved)
    values["JOB_NAME"] = resolved["JOB_NAME"]
    return values


@dataclass
class StageRecord:
    name: str
    seconds: float = 0.0
    rows_in: int | None = None
    rows_out: int | None = None
    rows_quarantined: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None or k in ("rows_in", "rows_out")}


@dataclass
class JobRuntime:
    """What a job entry point gets: Spark, its parsed arguments and the I/O that differs on Glue."""

    job_name: str
    spark: Any
    args: dict[str, str | None]
    is_glue: bool = False
    run_id: str = ""
    aws_session: Any = None
    logger: Any = field(default_factory=get_logger)
    glue_context: Any = None
    stages: list[StageRecord] = field(default_factory=list)

    def location(self, name: str) -> sio.Location:
        value = self.args.get(name)
        if value is None:
            raise ConfigError(f"--{name}", "is required here but was not given")
        return sio.parse_location(value, f"--{name}", bare_name_is_bucket=self.is_glue)

    def optional_location(self, name: str) -> sio.Location | None:
        return None if self.args.get(name) is None else self.location(name)

    def read(self, loc: sio.Location, fmt: str, *, ctx: str, schema: Any = None,
             options: Mapping[str, str] | None = None, paths: Sequence[str] | None = None) -> Any:
        """Read a dataset; on Glue through a DynamicFrame so the job bookmark tracks ``ctx``.

        ``paths`` (local runs) restricts the read to those files, e.g. the new ones of an
        incremental run; on Glue the job bookmark does that instead.
        """
        options = dict(options or {})
        if self.is_glue and self.glue_context is not None and loc.is_s3:
            glue_format = {"jsonl": "json", "tsv": "csv"}.get(fmt, fmt)
            format_options: dict[str, Any] = {}
            if fmt in ("csv", "tsv"):
                format_options = {"withHeader": options.get("header", "true") == "true",
                                  "separator": options.get("sep", "\t" if fmt == "tsv" else ",")}
                if options.get("multiLine") == "true":  # records spanning lines (quoted newlines)
                    format_options["multiLine"] = True
            connection_options: dict[str, Any] = {"paths": [loc.uri], "recurse": True}
            if fmt in ("csv", "tsv"):  # masking's markers for main_etl are not data (multiline.py)
                connection_options["exclusions"] = json.dumps(["_multiline_records/**", "**/_multiline_records/**"])
            dyf = self.glue_context.create_dynamic_frame.from_options(
                connection_type="s3",
                connection_options=connection_options,
                format=glue_format,
                format_options=format_options,
                transformation_ctx=ctx,
            )
            df = dyf.toDF()
            if schema is not None:
                from pyspark.sql import functions as F

                df = df.select([F.col(f.name).cast(f.dataType).alias(f.name) if f.name in df.columns
                                else F.lit(None).cast(f.dataType).alias(f.name) for f in schema.fields])
            return df
        reader = self.spark.read
        spark_format = {"jsonl": "json", "tsv": "csv"}.get(fmt, fmt)
        if fmt == "tsv":
            options.setdefault("sep", "\t")
        if schema is not None:
            reader = reader.schema(schema)
        if paths is not None:
            options.pop("recursiveFileLookup", None)
            return reader.format(spark_format).options(**options).load(list(paths))
        return reader.format(spark_format).options(**options).load(loc.spark_path())

    @contextmanager
    def stage(self, name: str) -> Iterator[StageRecord]:
        record = StageRecord(name)
        start = time.perf_counter()
        try:
            yield record
        finally:
            record.seconds = round(time.perf_counter() - start, 3)
            self.stages.append(record)
            self.logger.info("stage %s finished in %.1fs", name, record.seconds)

    def commit(self) -> None:
        job = getattr(self, "_glue_job", None)
        if job is not None:
            job.commit()


def _new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def local_runtime(job_name: str, args: Mapping[str, Any], spark: Any, *, run_id: str | None = None) -> JobRuntime:
    """A runtime for tests and the CLI: arguments given as a dict, validated like argv."""
    spec = job_spec(job_name)
    argv: list[str] = []
    for key, value in args.items():
        if value is not None:
            argv += [f"--{key}", str(value)]
    values = parse_local_args(spec, argv)
    return JobRuntime(job_name=job_name, spark=spark, args=values, is_glue=False,
                      run_id=run_id or values.get("run_id") or _new_run_id(),
                      logger=get_logger(job_name))


def check_accounting(summary: Mapping[str, Any], where: str) -> None:
    """Fail the run unless every input row is accounted for."""
    try:
        rows_in = int(summary["rows_in"])
        rows_out = int(summary["rows_out"])
        rows_q = int(summary["rows_quarantined"])
    except (KeyError, TypeError, ValueError):
        raise AccountingError(f"{where}: summary lacks rows_in/rows_out/rows_quarantined") from None
    if rows_in != rows_out + rows_q:
        raise AccountingError(
            f"{where}: rows_in ({rows_in}) != rows_out ({rows_out}) + rows_quarantined ({rows_q})")
    for stage in summary.get("stages", []):
        if {"rows_in", "rows_out", "rows_quarantined"} <= set(stage) and None not in (
                stage["rows_in"], stage["rows_out"], stage["rows_quarantined"]):
            if stage["rows_in"] != stage["rows_out"] + stage["rows_quarantined"]:
                raise AccountingError(f"{where}, stage {stage['name']}: rows_in != rows_out + rows_quarantined")


EntryPoint = Callable[[JobRuntime], dict]


def execute(rt: JobRuntime, entry: EntryPoint) -> dict:
    """Run an entry point, check accounting, emit metrics and the audit event, write the summary.

    Shared by Glue, spark-submit and the CLI. The audit destination is checked before the entry
    point reads anything (a production run without an audit trail fails closed); a failed run
    is audited too, by its exception class.
    """
    from .audit import audit_destination, record_job_run

    audit_destination(rt)
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    try:
        summary = dict(entry(rt))
        summary.setdefault("job", rt.job_name)
        summary.setdefault("run_id", rt.run_id)
        summary["started_at"] = started.isoformat(timespec="seconds")
        summary["seconds"] = round(time.perf_counter() - t0, 3)
        summary.setdefault("stages", [s.as_dict() for s in rt.stages])
        check_accounting(summary, f"job {rt.job_name}")
    except BaseException as exc:
        try:
            record_job_run(rt, None, started_at=started, error=exc,
                           exit_code=getattr(exc, "exit_code", 1))
        except Exception as audit_exc:  # noqa: BLE001 - the original failure matters more
            rt.logger.error("could not record the failed run (%s)", type(audit_exc).__name__)
        failed_summary = getattr(exc, "summary", None)  # a run that ends in its own status keeps its summary
        if isinstance(failed_summary, dict) and rt.args.get("summary_location"):
            failed_summary.setdefault("stages", [s.as_dict() for s in rt.stages])
            sio.write_json(sio.parse_location(rt.args["summary_location"], "--summary_location"), failed_summary,
                           rt.aws_session)
        raise
    record_job_run(rt, summary, started_at=started)
    location = rt.args.get("summary_location")
    if location:
        sio.write_json(sio.parse_location(location, "--summary_location"), summary, rt.aws_session)
    rt.logger.info("summary %s", json.dumps({k: summary[k] for k in ("job", "run_id", "rows_in", "rows_out",
                                                                         "rows_quarantined") if k in summary}))
    return summary


def run_job(job_name: str, entry: EntryPoint, argv: Sequence[str] | None = None) -> None:
    """The whole life of a Glue job script; exits the process with the job's status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logger = install_redacting_logging(os.environ.get("SECURE_TRANSFORM_LOG_LEVEL", "INFO"))
    spec = job_spec(job_name)
    on_glue = glue_available()
    try:
        args = _parse_on_glue(spec, argv) if on_glue else parse_local_args(spec, argv)
        install_redacting_logging(args.get("log_level") or "INFO", json_lines=on_glue)
        rt = _build_runtime(spec, args, on_glue)
        execute(rt, entry)
        rt.commit()
    except SecureTransformError as exc:
        logger.error("job %s failed: %s", job_name, exc)
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:  # unexpected: class name only, the message may quote row values
        from .spark_errors import describe_spark_failure

        known = describe_spark_failure(exc)
        if known:
            logger.error("job %s failed: %s", job_name, known)
            print(f"error: job {job_name} failed: {known}", file=sys.stderr)
            sys.exit(2)
        logger.error("job %s failed with an unexpected %s", job_name, type(exc).__name__, exc_info=True)
        print(f"error: job {job_name} failed unexpectedly ({type(exc).__name__}); see the job log", file=sys.stderr)
        sys.exit(1)


def _build_runtime(spec: JobSpec, args: dict[str, str | None], on_glue: bool) -> JobRuntime:
    if on_glue:
        import boto3
        from awsglue.context import GlueContext  # type: ignore
        from awsglue.job import Job  # type: ignore
        from pyspark.context import SparkContext

        sc = SparkContext.getOrCreate()
        glue_context = GlueContext(sc)
        job = Job(glue_context)
        job_args = {k: v for k, v in args.items() if v is not None}
        job.init(args["JOB_NAME"], job_args)  # before the first read, so bookmarks apply
        run_id = args.get("run_id") or os.environ.get("GLUE_JOB_RUN_ID") or _new_run_id()
        rt = JobRuntime(job_name=spec.name, spark=glue_context.spark_session, args=args, is_glue=True,
                        run_id=run_id, aws_session=boto3.session.Session(), logger=get_logger(spec.name),
                        glue_context=glue_context)
        rt._glue_job = job  # type: ignore[attr-defined]
        return rt
    from pyspark.sql import SparkSession

    from .session import build_spark_session

    active = SparkSession.getActiveSession()
    spark = active or build_spark_session(f"secure-transform-{spec.name}")
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return JobRuntime(job_name=spec.name, spark=spark, args=args, is_glue=False,
                      run_id=args.get("run_id") or _new_run_id(), logger=get_logger(spec.name))
