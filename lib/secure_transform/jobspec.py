"""The argument contract of every Glue job script in ``glue_jobs/``.

This module is the single source of truth for which ``--name`` arguments each job reads.
The runtime adapter parses exactly these names (with ``getResolvedOptions`` on Glue, argparse
locally), and the Terraform contract test checks that every ``aws_glue_job`` passes exactly
these names (required ones present, no unknown ones) in its default or non-overridable
arguments.

Names use underscores only: ``getResolvedOptions`` reads them back with underscores and AWS
documents that job arguments "use only underscores, not hyphens". Glue reserves ``--mode``,
``--debug``, ``--endpoint`` and ``--JOB_NAME`` for itself, so none of ours uses those.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class JobArg:
    """One ``--name`` argument of a job."""

    name: str
    required: bool
    help: str
    default: str | None = None


@dataclass(frozen=True)
class JobSpec:
    """The arguments one job script accepts."""

    name: str
    description: str
    args: tuple[JobArg, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args if a.required)

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args if not a.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args)

    def arg(self, name: str) -> JobArg:
        for a in self.args:
            if a.name == name:
                return a
        raise KeyError(name)


# Arguments every job understands. All optional: a job runs with none of them.
_COMMON: tuple[JobArg, ...] = (
    JobArg("run_id", False, "Run identifier; defaults to the Glue job run id or a UTC timestamp."),
    JobArg("metrics_namespace", False, "CloudWatch namespace for custom metrics (AWS only).", "SecureMLTransform"),
    JobArg("alert_topic_arn", False, "SNS topic for leak/quarantine alerts (AWS only)."),
    JobArg("log_level", False, "Log level of the job's own logger.", "INFO"),
    JobArg("summary_location", False, "Where the job writes its run summary JSON (local runs; on AWS metrics and audit log carry it)."),
    JobArg("environment", False, "Environment name for metric dimensions and audit events (dev, prod, local)."),
    JobArg("audit_log_group", False, "CloudWatch Logs group for the run's audit event (required on AWS)."),
    JobArg("audit_file", False, "Local runs: JSON Lines file for audit events (default beside --summary_location)."),
)

# Where the tokenization key set comes from: Secrets Manager on AWS, a key file locally.
_KEYS: tuple[JobArg, ...] = (
    JobArg("key_secret_id", False, "Secrets Manager secret id/ARN holding the versioned key set (AWS)."),
    JobArg("key_file", False, "Path of a local key-set file (local runs only)."),
)

JOBS: dict[str, JobSpec] = {
    "detect_pii": JobSpec(
        name="detect_pii",
        description="Run the built-in PII detector over the raw zone and write Macie-format discovery results.",
        args=(
            JobArg("source_bucket", True, "Raw zone: S3 bucket or, locally, a path/URI."),
            JobArg("results_bucket", True, "Where discovery results are written (Macie layout)."),
            JobArg("input_format", False, "csv, tsv, jsonl, json or parquet; inferred from extensions when absent."),
            *_COMMON,
        ),
    ),
    "macie_masking": JobSpec(
        name="macie_masking",
        description="Mask raw-zone objects from Macie (or built-in) discovery results into the masked zone.",
        args=(
            JobArg("source_bucket", True, "Raw zone: S3 bucket or, locally, a path/URI."),
            JobArg("results_bucket", True, "Macie discovery results location (bucket/prefix or path)."),
            JobArg("target_bucket", True, "Masked zone: S3 bucket or, locally, a path/URI."),
            JobArg("quarantine_bucket", True, "Quarantine zone for objects that cannot be masked safely."),
            JobArg("masking_policy", False, "JSON: per-identifier masking policy overriding the defaults."),
            JobArg("pii_columns", False, "JSON: main_etl's tokenization config; detections in these columns are "
                                         "left for main_etl to tokenize (one consistent token per value)."),
            *_KEYS,
            *_COMMON,
        ),
    ),
    "main_etl": JobSpec(
        name="main_etl",
        description="Tokenize, bin, encode and flag anomalies: masked zone -> transformed zone.",
        args=(
            JobArg("source_bucket", True, "Masked zone: S3 bucket or, locally, a path/URI."),
            JobArg("target_bucket", True, "Transformed zone: S3 bucket or, locally, a path/URI."),
            JobArg("pii_columns", True, "JSON: per-column tokenization method and options."),
            JobArg("binning_config", True, "JSON: amount binning method, bins and labels."),
            JobArg("merchant_mapping", True, "Path/URI of the merchant category mapping (JSON or CSV)."),
            JobArg("anomaly_threshold", True, "Isolation Forest contamination, in (0, 0.5]."),
            JobArg("quarantine_bucket", False, "Quarantine zone for rejected rows; defaults to <target>/_quarantine."),
            JobArg("artifacts_location", False, "Where fitted bin edges and models are kept; defaults to <target>/_artifacts."),
            JobArg("run_mode", False, "fit, apply or fit_and_apply (bin edges and anomaly model).", "fit_and_apply"),
            JobArg("anomaly_config", False, "JSON: Isolation Forest options (features, n_estimators, ...)."),
            JobArg("input_format", False, "csv, jsonl, json or parquet; inferred from extensions when absent."),
            JobArg("risk_config", False, "JSON: re-identification risk gate (quasi_identifiers, sensitive_column, "
                                         "min_k, min_l, action report|suppress|block, derived_columns)."),
            JobArg("incremental", False, "Local runs: 'true' skips inputs already processed (processed-input "
                   "manifest); on AWS job bookmarks do this.", "true"),
            *_KEYS,
            *_COMMON,
        ),
    ),
    "leak_check": JobSpec(
        name="leak_check",
        description="Scan the transformed zone for PII; publish the run or quarantine it and alert.",
        args=(
            JobArg("source_bucket", True, "Transformed zone: S3 bucket or, locally, a path/URI."),
            JobArg("quarantine_bucket", True, "Quarantine zone for outputs that leak."),
            JobArg("catalog_database", False, "Glue Data Catalog database: published runs are registered there (AWS)."),
            JobArg("catalog_table", False, "Glue Data Catalog table name (AWS).", "transactions"),
            *_COMMON,
        ),
    ),
    "reidentify": JobSpec(
        name="reidentify",
        description="Reverse reversible tokens for selected rows (e.g. flagged transactions), with the key.",
        args=(
            JobArg("source_bucket", True, "Transformed data to re-identify (S3 or path)."),
            JobArg("target_bucket", True, "Where the re-identified rows are written (restricted location)."),
            JobArg("pii_columns", True, "JSON: the tokenization config the data was produced with."),
            JobArg("row_filter", False, "Which rows: 'anomalies' (default) or 'all'.", "anomalies"),
            *_KEYS,
            *_COMMON,
        ),
    ),
}


def job_spec(name: str) -> JobSpec:
    try:
        return JOBS[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; known jobs: {', '.join(sorted(JOBS))}") from None
