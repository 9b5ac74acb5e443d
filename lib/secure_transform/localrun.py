"""The whole pipeline on one machine: generate -> detect -> mask -> transform -> leak check.

``secure-transform run`` (and ``scripts/run_local.sh``) call :func:`run_local_pipeline`. Each job
runs either as its own ``spark-submit`` of the unchanged ``glue_jobs/<job>.py`` script (what the
shell script does: the same code path as on Glue, minus awsglue) or in-process in one
SparkSession through the same library entry points (tests; faster).

Zones under the output directory mirror the S3 buckets::

    sample/transactions/   raw zone (generated)       sample/labels/  ground truth (never read by jobs)
    macie-results/         discovery results (Macie format, written by the built-in detector)
    masked/  transformed/  quarantine/  artifacts/  keys/  summaries/
    run_summary.json       report.html
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import io as sio
from .errors import AccountingError, AllInputsQuarantinedError, SecureTransformError

JOB_ORDER = ("detect_pii", "macie_masking", "main_etl", "leak_check")


@dataclass(frozen=True)
class LocalRunConfig:
    output: str
    rows: int = 100_000
    seed: int = 42
    input_format: str = "csv"
    anomaly_threshold: float = 0.01
    spark_submit: bool = False
    jobs_dir: str | None = None
    master: str = "local[*]"
    driver_memory: str = "3g"
    regenerate: bool = False
    pii_columns: dict | None = None
    binning_config: dict | None = None
    risk_config: dict | None = None
    extra_args: dict = field(default_factory=dict)
    own_input: Any = None  # an intake.OwnInput: the user's data instead of generated sample data

    @property
    def zones(self) -> dict[str, str]:
        base = os.path.abspath(self.output)
        return {name: os.path.join(base, name) for name in (
            "sample", "macie-results", "masked", "transformed", "quarantine", "artifacts", "keys", "summaries")}


def job_arguments(cfg: LocalRunConfig) -> dict[str, dict[str, str]]:
    from .merchant import default_mapping_path
    from .pipeline import default_binning_config, default_pii_columns, default_risk_config

    z = cfg.zones
    raw = raw_zone(cfg)
    key_file = os.path.join(z["keys"], "dev-keyset.json")
    common = {"run_id": None}
    # the masking job gets main_etl's tokenization config: detections in those columns are left for
    # main_etl to tokenize (one consistent token per value), everything else is masked
    pii_columns = json.dumps(cfg.pii_columns or default_pii_columns())
    args = {
        "detect_pii": {"source_bucket": raw, "results_bucket": z["macie-results"]},
        "macie_masking": {"source_bucket": raw, "results_bucket": z["macie-results"], "target_bucket": z["masked"],
                          "quarantine_bucket": z["quarantine"], "key_file": key_file, "pii_columns": pii_columns},
        "main_etl": {
            "source_bucket": z["masked"], "target_bucket": z["transformed"], "quarantine_bucket": z["quarantine"],
            "artifacts_location": z["artifacts"],
            "pii_columns": pii_columns,
            "binning_config": json.dumps(cfg.binning_config or default_binning_config()),
            "merchant_mapping": default_mapping_path(),
            "anomaly_threshold": str(cfg.anomaly_threshold), "key_file": key_file,
            "risk_config": json.dumps(cfg.risk_config or default_risk_config()),
        },
        "leak_check": {"source_bucket": z["transformed"], "quarantine_bucket": z["quarantine"]},
    }
    for job, a in args.items():
        a.update({k: v for k, v in common.items() if v is not None})
        a["summary_location"] = os.path.join(z["summaries"], f"{job}.json")
        a["audit_file"] = os.path.join(os.path.abspath(cfg.output), "audit.jsonl")
        a["environment"] = "local"
        a.update(cfg.extra_args.get(job, {}))
    return args


def raw_zone(cfg: LocalRunConfig) -> str:
    """The raw zone: the user's staged input (``input/``) or the generated sample."""
    if cfg.own_input is not None:
        return os.path.join(os.path.abspath(cfg.output), "input", "transactions")
    return os.path.join(cfg.zones["sample"], "transactions")


def ensure_sample_data(spark_factory: Callable[[], Any], cfg: LocalRunConfig, log: Callable[[str], None]) -> dict:
    from .generator import GeneratorConfig, write_sample_data

    z = cfg.zones
    marker = os.path.join(z["sample"], "_generated.json")
    wanted = {"rows": cfg.rows, "seed": cfg.seed, "format": cfg.input_format}
    if not cfg.regenerate and os.path.exists(marker):
        with open(marker) as fh:
            have = json.load(fh)
        if all(have.get(k) == v for k, v in wanted.items()):
            log(f"sample data: reusing {cfg.rows:,} rows in {z['sample']}")
            return have
    log(f"sample data: generating {cfg.rows:,} rows ({cfg.input_format}, seed {cfg.seed})")
    info = write_sample_data(spark_factory(), GeneratorConfig(rows=cfg.rows, seed=cfg.seed), z["sample"], cfg.input_format)
    sio.write_json(sio.parse_location(marker, "marker"), info)
    return info


def ensure_dev_key(cfg: LocalRunConfig, log: Callable[[str], None]) -> str:
    from .keys import create_dev_keyset

    path = os.path.join(cfg.zones["keys"], "dev-keyset.json")
    if not os.path.exists(path):
        create_dev_keyset(path)
        log(f"keys: created a development key set at {path} (local use only; on AWS keys live in Secrets Manager)")
    return path


def _spark_submit(cfg: LocalRunConfig, job: str, args: dict[str, str], log: Callable[[str], None]) -> None:
    jobs_dir = cfg.jobs_dir or os.path.join(os.getcwd(), "glue_jobs")
    script = os.path.join(jobs_dir, f"{job}.py")
    if not os.path.exists(script):
        raise SecureTransformError(f"job script not found: {script} (give --jobs-dir)")
    submit = os.path.join(os.path.dirname(sys.executable), "spark-submit")
    from .session import quiet_logging_java_option

    cmd = [submit, "--master", cfg.master, "--driver-memory", cfg.driver_memory,
           "--driver-java-options", quiet_logging_java_option(),
           "--conf", "spark.sql.session.timeZone=UTC", "--conf", "spark.ui.enabled=false",
           "--conf", "spark.ui.showConsoleProgress=false",
           "--conf", f"spark.pyspark.python={sys.executable}", script]
    for key, value in args.items():
        cmd += [f"--{key}", str(value)]
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    env.pop("SECURE_TRANSFORM_SPARK_LOG_LEVEL", None)  # the job's own log keeps Spark's warnings
    log_path = os.path.join(cfg.zones["summaries"], f"{job}.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "wb") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
    if proc.returncode == AllInputsQuarantinedError.exit_code:
        error = AllInputsQuarantinedError(_last_error_line(log_path))
        error.summary = sio.read_json(sio.parse_location(args["summary_location"], "summary"))
        raise error
    if proc.returncode != 0:
        last = _last_error_line(log_path)
        raise SecureTransformError(f"job {job} failed (exit {proc.returncode}): {last} [log: {log_path}]")


def _last_error_line(path: str) -> str:
    with open(path, "rb") as fh:
        lines = fh.read().decode("utf-8", "replace").splitlines()
    for line in reversed(lines):
        if line.startswith("error:"):
            return line[len("error:"):].strip()
    return "see the log"


def run_local_pipeline(cfg: LocalRunConfig, *, spark: Any = None, log: Callable[[str], None] = print,
                       progress: Any = None) -> dict:
    """Run every job; return (and write) ``run_summary.json``. Raises on a failed job.

    ``progress`` is the stream of the per-job progress lines (default stderr); the seconds they
    show are the ones recorded as each stage's ``seconds`` in the summary (wall time of the job,
    Spark start-up included; the job's own measure is kept as ``job_seconds``).
    """
    from .progress import Stage
    from .runtime import execute, local_runtime
    from .session import build_spark_session

    holder: dict[str, Any] = {"spark": spark}

    def get_spark() -> Any:
        if holder["spark"] is None:
            holder["spark"] = build_spark_session("secure-transform-run", master=cfg.master)
        return holder["spark"]

    for path in cfg.zones.values():
        os.makedirs(path, exist_ok=True)
    t0 = time.perf_counter()
    if cfg.own_input is not None:
        from .intake import stage_input

        gen = None
        staged = stage_input(cfg.own_input, raw_zone(cfg))
        log(f"input: {staged['files']:,} {staged['input_format']} file(s), {staged['input_bytes']:,} bytes, "
            f"copied to {raw_zone(cfg)}" + (" with columns renamed" if staged["column_map"] else ""))
    else:
        gen = ensure_sample_data(get_spark, cfg, log)
    ensure_dev_key(cfg, log)
    all_args = job_arguments(cfg)
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    summaries: dict[str, dict] = {}
    wall: dict[str, float] = {}
    entry_points = _entry_points()
    if not cfg.spark_submit and holder["spark"] is None:
        with Stage("starting Spark", stream=progress):
            get_spark()
    for job in JOB_ORDER:
        args = dict(all_args[job], run_id=run_id)
        watched = holder["spark"] if not cfg.spark_submit else None
        try:
            with Stage(f"[{JOB_ORDER.index(job) + 1}/{len(JOB_ORDER)}] {job:<14}", spark=watched, stream=progress) as st:
                if cfg.spark_submit:
                    if holder["spark"] is not None and spark is None:
                        holder["spark"].stop()
                        holder["spark"] = None
                    _spark_submit(cfg, job, args, log)
                    summaries[job] = sio.read_json(sio.parse_location(args["summary_location"], "summary"))
                else:
                    rt = local_runtime(job, args, get_spark(), run_id=run_id)
                    summaries[job] = execute(rt, entry_points[job])
                s = summaries[job]
                if job == "main_etl" and s.get("output") and cfg.own_input is None:
                    s["anomaly_evaluation"] = _evaluate(get_spark(), s["output"], os.path.join(cfg.zones["sample"], "labels"))
                st.detail = lambda s=s: (f"{s.get('rows_in', 0):,} in, {s.get('rows_out', 0):,} out, "
                                         f"{s.get('rows_quarantined', 0):,} quarantined")
        except AllInputsQuarantinedError as exc:
            # the run ends here with its own status: summary, report and alert, then a non-zero exit
            summaries[job] = dict(exc.summary or {})
            summary = all_quarantined_summary(summaries, gen, str(exc))
            if cfg.own_input is not None:
                summary.update(staged)
            summary["seconds"] = round(time.perf_counter() - t0, 1)
            summary["output"] = os.path.abspath(cfg.output)
            from .report import write_report

            summary["report"] = write_report(cfg.output, summary, spark=holder["spark"])
            sio.write_json(sio.parse_location(os.path.join(cfg.output, "run_summary.json"), "summary"), summary)
            raise
        wall[job] = st.seconds
    summary = combine_summaries(summaries, gen, wall_seconds=wall)
    if cfg.own_input is not None:
        summary.update(staged)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    summary["output"] = os.path.abspath(cfg.output)
    from .report import write_report

    with Stage("writing the run report", spark=holder["spark"], stream=progress):
        summary["report"] = write_report(cfg.output, summary, spark=get_spark())
    sio.write_json(sio.parse_location(os.path.join(cfg.output, "run_summary.json"), "summary"), summary)
    return summary


def _evaluate(spark: Any, output: str, labels: str) -> dict | None:
    """ROC-AUC and precision at the flagged rate against the generator's ground truth (bounded)."""
    from .anomaly import evaluate_against_labels

    if not os.path.isdir(labels) or not os.path.isdir(output):
        return None
    return evaluate_against_labels(spark.read.parquet(output), spark.read.parquet(labels))


def _entry_points() -> dict[str, Callable]:
    from .detection import run_detect_pii
    from .leak import run_leak_check
    from .masking import run_macie_masking
    from .pipeline import run_main_etl

    return {"detect_pii": run_detect_pii, "macie_masking": run_macie_masking, "main_etl": run_main_etl,
            "leak_check": run_leak_check}


def all_quarantined_summary(jobs: dict[str, dict], generated: dict | None, detail: str) -> dict:
    """The run summary of a run whose every input object was quarantined (nothing transformed)."""
    mask = jobs.get("macie_masking", {})
    rows_q = int(mask.get("rows_quarantined", 0))
    summary = {
        "status": "all_inputs_quarantined", "status_detail": detail,
        "rows_in": rows_q, "rows_out": 0, "rows_quarantined": rows_q,
        "objects_with_unknown_rows": int(mask.get("objects_with_unknown_rows", 0)),
        "quarantined_objects": mask.get("quarantined", []),
        "anomalies_flagged": 0, "leak_findings": 0, "published": False,
        "notifications": mask.get("notifications", []),
        "stages": [{"name": n, "seconds": s.get("seconds"), "rows_in": s.get("rows_in"), "rows_out": s.get("rows_out"),
                    "rows_quarantined": s.get("rows_quarantined")} for n, s in jobs.items()],
        "jobs": jobs,
    }
    if generated:
        summary["generated"] = generated
    return summary


def combine_summaries(jobs: dict[str, dict], generated: dict | None = None, *,
                      wall_seconds: dict[str, float] | None = None) -> dict:
    """One run-level summary; checks that rows flow from job to job without loss."""
    mask = jobs.get("macie_masking", {})
    etl = jobs.get("main_etl", {})
    leak = jobs.get("leak_check", {})
    rows_in = int(mask.get("rows_in", etl.get("rows_in", 0)))
    if mask and int(mask.get("rows_out", 0)) != int(etl.get("rows_in", 0)):
        raise AccountingError(f"macie_masking wrote {mask.get('rows_out')} rows but main_etl read {etl.get('rows_in')}")
    leaked = int(leak.get("leak_findings", 0))
    published_rows = 0 if leaked else int(etl.get("rows_out", 0))
    rows_quarantined = int(mask.get("rows_quarantined", 0)) + int(etl.get("rows_quarantined", 0)) + (
        int(etl.get("rows_out", 0)) if leaked else 0)
    summary = {
        "rows_in": rows_in,
        "rows_out": published_rows,
        "rows_quarantined": rows_quarantined,
        "anomalies_flagged": int(etl.get("anomalies_flagged", 0)),
        "anomaly_rate": etl.get("anomaly_rate"),
        "anomaly_evaluation": etl.get("anomaly_evaluation"),
        "leak_findings": leaked,
        "published": bool(leak.get("published", not leaked)),
        "pii_columns_protected": etl.get("pii_columns_protected", []),
        "reject_reasons": etl.get("reject_reasons", {}),
        "status": "ok",
        # objects quarantined whose rows could not be counted (damaged, unreadable): not in rows_in
        "objects_with_unknown_rows": int(mask.get("objects_with_unknown_rows", 0)),
        "format_preserving_fallbacks": etl.get("format_preserving_fallbacks", {}),
        "reidentification_risk": etl.get("reidentification_risk"),
        "stages": [],
        "jobs": jobs,
    }
    for name, s in jobs.items():
        stage = {"name": name, "seconds": s.get("seconds"), "rows_in": s.get("rows_in"),
                 "rows_out": s.get("rows_out"), "rows_quarantined": s.get("rows_quarantined")}
        if wall_seconds and wall_seconds.get(name) is not None:
            stage["job_seconds"], stage["seconds"] = s.get("seconds"), wall_seconds[name]
        summary["stages"].append(stage)
    if generated:
        summary["generated"] = generated
    if rows_in != summary["rows_out"] + rows_quarantined:
        raise AccountingError(f"run: rows_in ({rows_in}) != rows_out ({summary['rows_out']}) + "
                              f"rows_quarantined ({rows_quarantined})")
    return summary
