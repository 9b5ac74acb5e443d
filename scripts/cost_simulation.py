#!/usr/bin/env python3
"""Monthly AWS cost of the secure-ml-transform suite for stated volumes (standard library only).

    python scripts/cost_simulation.py                 # writes docs/COST_SIMULATION.md
    python scripts/cost_simulation.py --stdout        # prints it instead
    python scripts/cost_simulation.py --output FILE

Every price is written down with its unit, the source it was checked against and whether the
check confirmed it; every volume and runtime is an assumption stated in the scenario table.
Change SCENARIOS or PRICES and rerun: the document is generated, never edited by hand.
Free tiers are ignored (they are per account and shared with other workloads), so the figures
are an upper bound for a dedicated account.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field

PRICE_REGION = "us-east-1"
PRICE_DATE = "2026-11-23"  # the day the prices below were looked up and checked
HOURS_PER_MONTH = 730.0
DAYS_PER_MONTH = 30.0


@dataclass(frozen=True)
class Price:
    value: float
    unit: str
    source: str
    confirmed: str  # how the value was checked on PRICE_DATE


PRICES: dict[str, Price] = {
    "glue_dpu_hour": Price(0.44, "USD per DPU-hour (Spark job, billed per second, 1-minute minimum on Glue 2.0+)",
                           "https://aws.amazon.com/glue/pricing/ (stored copy: worked example '6 DPU * 0.25 hour * "
                           "$0.44'); 1-minute minimum per awsnegotiations.com 'Glue Job Cost Optimization' (2026)",
                           "rate confirmed on the AWS page's example; the 1-minute minimum only from a third-party "
                           "page (the stored AWS copy was an old one quoting a 10-minute minimum for Glue 0.9/1.0)"),
    "s3_standard_gb_month": Price(0.023, "USD per GB-month, S3 Standard, first 50 TB",
                                  "https://aws.amazon.com/s3/pricing/",
                                  "not confirmed: the stored copy of the AWS page renders prices as template tokens; "
                                  "value as widely quoted (e.g. cloudtoggle.com: 1 TB ~ $23/month)"),
    "s3_put_per_1000": Price(0.005, "USD per 1,000 PUT, COPY, POST, LIST requests (S3 Standard)",
                             "https://aws.amazon.com/s3/pricing/",
                             "not confirmed (same reason as storage); long-standing published value"),
    "s3_get_per_1000": Price(0.0004, "USD per 1,000 GET, SELECT and other requests (S3 Standard)",
                             "https://aws.amazon.com/s3/pricing/",
                             "not confirmed (same reason as storage); long-standing published value"),
    "kms_key_month": Price(1.00, "USD per customer managed key per month (+$1 per rotated backing key, "
                                 "at most two)", "https://aws.amazon.com/kms/pricing/", "confirmed on the AWS page"),
    "kms_per_10000": Price(0.03, "USD per 10,000 symmetric requests", "https://aws.amazon.com/kms/pricing/",
                           "confirmed from third-party restatements (gist dasgoll 'KMS Pricing example', wring.co "
                           "2026-03); the stored AWS page excerpt did not show the request table"),
    "macie_per_gb": Price(1.00, "USD per GB inspected by sensitive data discovery jobs (first 50 TB/month tier)",
                          "https://aws.amazon.com/macie/pricing/ (transcribed by api-evangelist/amazon-macie, "
                          "read 2026-10-07)", "confirmed ($1 per GB; tiered bands for >50 TB not resolved)"),
    "macie_bucket_month": Price(0.10, "USD per S3 bucket evaluated per month (preventative control monitoring)",
                                "https://aws.amazon.com/macie/pricing/ (same transcription)", "confirmed"),
    "logs_ingest_gb": Price(0.50, "USD per GB ingested, CloudWatch Logs Standard class",
                            "https://aws.amazon.com/cloudwatch/pricing/",
                            "confirmed from third-party restatements (c3x.dev, hykell.com, 2026); the stored AWS page "
                            "copy lists the free tier only"),
    "logs_store_gb_month": Price(0.03, "USD per GB-month archived, CloudWatch Logs",
                                 "https://aws.amazon.com/cloudwatch/pricing/", "as above"),
    "cw_metric_month": Price(0.30, "USD per custom metric per month (first 10,000 metrics)",
                             "https://aws.amazon.com/cloudwatch/pricing/ (tier table quoted in "
                             "github.com/nishinoshake/aws-rough issue 37)", "confirmed from that quotation"),
    "cw_alarm_month": Price(0.10, "USD per standard-resolution alarm metric per month",
                            "https://aws.amazon.com/cloudwatch/pricing/", "not confirmed; long-standing published value"),
    "cw_dashboard_month": Price(3.00, "USD per custom dashboard per month", "https://aws.amazon.com/cloudwatch/pricing/",
                                "confirmed from the same quotation"),
    "endpoint_az_hour": Price(0.01, "USD per interface VPC endpoint per AZ per hour",
                              "https://aws.amazon.com/privatelink/pricing/",
                              "billing per endpoint per AZ-hour confirmed on the AWS page; the $0.01 rate from "
                              "third-party restatements (awsnegotiations.com, cloudcostkit.com)"),
    "endpoint_gb": Price(0.01, "USD per GB processed by interface endpoints (first 1 PB/month)",
                         "https://aws.amazon.com/privatelink/pricing/", "confirmed on a mirror of the AWS page"),
}


@dataclass(frozen=True)
class JobRun:
    name: str
    worker_type: str  # G.1X (1 DPU) or G.2X (2 DPU)
    workers: int
    minutes: float  # wall-clock minutes billed per run (before the 1-minute minimum)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    files_per_day: int
    rows_per_day: int
    raw_gb_per_day: float  # uncompressed CSV landing in the raw zone
    runs_per_day: int
    jobs: tuple[JobRun, ...]
    transformed_ratio: float = 0.30  # Parquet (snappy) size / raw CSV size
    raw_retention_days: int = 30
    masked_retention_days: int = 30
    transformed_retention_days: int = 365
    quarantine_share: float = 0.002  # share of rows quarantined
    output_files_per_run: int = 40  # Parquet files written by main_etl per run
    macie_scan_share: float = 1.0  # share of raw data Macie inspects (1.0 = every object)
    buckets: int = 9  # raw, masked, transformed, quarantine, macie-results, artifacts, temp, access-logs, reidentified
    kms_keys: int = 5  # raw, data zones, logs, secrets (tokenization key set), Macie results
    kms_requests_per_job_run: int = 2_000  # S3 Bucket Keys on: per-job data-key calls, secrets, bookmarks, logs
    logs_mb_per_job_run: float = 5.0  # driver/executor logs and audit events (INFO level)
    flow_logs_gb_per_day: float = 0.05
    interface_endpoints: int = 6  # glue, kms, logs, monitoring, sts, secretsmanager
    availability_zones: int = 2
    custom_metrics: int = 60  # ~11 job metrics + ~6 stage durations, 4 jobs, Job+Environment dimensions
    alarms: int = 6
    dashboards: int = 1
    notes: tuple[str, ...] = field(default_factory=tuple)


DPU_PER_WORKER = {"G.1X": 1, "G.2X": 2}
GLUE_MINIMUM_MINUTES = 1.0  # Glue 5.0 bills per second with a 1-minute minimum

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="small", description="one bank file a day (pilot / dev)",
        files_per_day=1, rows_per_day=100_000, raw_gb_per_day=0.03, runs_per_day=1,
        jobs=(JobRun("macie_masking", "G.1X", 2, 2.0), JobRun("main_etl", "G.1X", 2, 4.0),
              JobRun("leak_check", "G.1X", 2, 2.0)),
        output_files_per_run=4, custom_metrics=60,
    ),
    Scenario(
        name="medium", description="hourly files, 10 million transactions a day",
        files_per_day=24, rows_per_day=10_000_000, raw_gb_per_day=3.0, runs_per_day=1,
        jobs=(JobRun("macie_masking", "G.1X", 10, 10.0), JobRun("main_etl", "G.1X", 10, 15.0),
              JobRun("leak_check", "G.1X", 10, 6.0)),
        output_files_per_run=80, logs_mb_per_job_run=20.0, flow_logs_gb_per_day=0.5,
    ),
    Scenario(
        name="large", description="5-minute files, 200 million transactions a day, 4 runs a day",
        files_per_day=288, rows_per_day=200_000_000, raw_gb_per_day=60.0, runs_per_day=4,
        jobs=(JobRun("macie_masking", "G.2X", 20, 14.0), JobRun("main_etl", "G.2X", 20, 22.0),
              JobRun("leak_check", "G.2X", 20, 8.0)),
        output_files_per_run=400, logs_mb_per_job_run=60.0, flow_logs_gb_per_day=5.0,
        availability_zones=3, macie_scan_share=1.0,
        notes=("At this volume Macie dominates: scanning a sample (macie_scan_share 0.1) cuts that line tenfold; "
               "the built-in detector (detect_pii on Glue) costs DPU-hours instead of $1/GB.",),
    ),
)


def glue_dpu_hours(job: JobRun) -> float:
    """DPU-hours of one run of one job, with the 1-minute minimum."""
    return job.workers * DPU_PER_WORKER[job.worker_type] * max(job.minutes, GLUE_MINIMUM_MINUTES) / 60.0


def simulate(s: Scenario, prices: dict[str, Price] = PRICES) -> dict[str, float]:
    """Monthly cost (USD) per line item for one scenario."""
    p = {k: v.value for k, v in prices.items()}
    runs = s.runs_per_day * DAYS_PER_MONTH
    job_runs = runs * len(s.jobs)
    lines: dict[str, float] = {}
    # Glue
    lines["Glue job DPU-hours"] = sum(glue_dpu_hours(j) for j in s.jobs) * runs * p["glue_dpu_hour"]
    # S3 storage (steady state: daily volume x retention days)
    transformed_gb = s.raw_gb_per_day * s.transformed_ratio
    stored_gb = (s.raw_gb_per_day * s.raw_retention_days + s.raw_gb_per_day * s.masked_retention_days
                 + transformed_gb * s.transformed_retention_days
                 + s.raw_gb_per_day * s.quarantine_share * s.raw_retention_days)
    lines["S3 storage"] = stored_gb * p["s3_standard_gb_month"]
    # S3 requests: per input file, Macie GET + masking GET/PUT + main_etl GET; per output file a
    # PUT and a leak-check GET; plus listing, markers, manifests, artifacts, temp (500 per job run)
    files_month = s.files_per_day * DAYS_PER_MONTH
    outputs_month = s.output_files_per_run * runs
    puts = files_month * 1 + outputs_month * 1 + job_runs * 500
    gets = files_month * 3 + outputs_month * 1 + job_runs * 500
    lines["S3 requests"] = puts / 1000 * p["s3_put_per_1000"] + gets / 1000 * p["s3_get_per_1000"]
    # KMS
    lines["KMS keys"] = s.kms_keys * p["kms_key_month"]
    lines["KMS requests"] = job_runs * s.kms_requests_per_job_run / 10_000 * p["kms_per_10000"]
    # Macie
    lines["Macie data inspected"] = s.raw_gb_per_day * s.macie_scan_share * DAYS_PER_MONTH * p["macie_per_gb"]
    lines["Macie bucket monitoring"] = s.buckets * p["macie_bucket_month"]
    # CloudWatch
    logs_gb_month = job_runs * s.logs_mb_per_job_run / 1024 + s.flow_logs_gb_per_day * DAYS_PER_MONTH
    lines["CloudWatch Logs ingestion"] = logs_gb_month * p["logs_ingest_gb"]
    # 365-day retention: steady state holds 12 months of logs
    lines["CloudWatch Logs storage"] = logs_gb_month * 12 * p["logs_store_gb_month"]
    lines["CloudWatch metrics, alarms, dashboard"] = (s.custom_metrics * p["cw_metric_month"] + s.alarms
                                                      * p["cw_alarm_month"] + s.dashboards * p["cw_dashboard_month"])
    # VPC interface endpoints (S3 uses the gateway endpoint: no charge)
    lines["VPC interface endpoint hours"] = (s.interface_endpoints * s.availability_zones * HOURS_PER_MONTH
                                             * p["endpoint_az_hour"])
    endpoint_gb = logs_gb_month + job_runs * 0.01  # logs, metrics, KMS, STS, Glue API traffic
    lines["VPC interface endpoint data"] = endpoint_gb * p["endpoint_gb"]
    return {k: round(v, 2) for k, v in lines.items()}


def _money(x: float) -> str:
    return f"${x:,.2f}"


def render(scenarios: tuple[Scenario, ...] = SCENARIOS, prices: dict[str, Price] = PRICES) -> str:
    results = [(s, simulate(s, prices)) for s in scenarios]
    out = [
        "# Cost simulation",
        "",
        f"Generated by `scripts/cost_simulation.py` (do not edit by hand). Prices: AWS list prices for "
        f"**{PRICE_REGION}**, looked up on **{PRICE_DATE}**; a month is {DAYS_PER_MONTH:g} days / "
        f"{HOURS_PER_MONTH:g} hours. Free tiers are ignored, taxes and support plans excluded. Prices change: "
        "check each source before relying on a figure.",
        "",
        "## Monthly cost per scenario (USD)",
        "",
        "| line item | " + " | ".join(s.name for s, _ in results) + " |",
        "| --- | " + " | ".join("---:" for _ in results) + " |",
    ]
    for item in results[0][1]:
        out.append(f"| {item} | " + " | ".join(_money(r[item]) for _, r in results) + " |")
    totals = [sum(r.values()) for _, r in results]
    out.append("| **total** | " + " | ".join(f"**{_money(t)}**" for t in totals) + " |")
    per_million = [t / (s.rows_per_day * DAYS_PER_MONTH / 1e6) for (s, _), t in zip(results, totals)]
    out.append("| per million transactions | " + " | ".join(_money(x) for x in per_million) + " |")
    out += ["", "## Scenarios and assumptions", "",
            "| assumption | " + " | ".join(s.name for s, _ in results) + " |",
            "| --- | " + " | ".join("---" for _ in results) + " |"]
    rows = [
        ("description", lambda s: s.description),
        ("files per day", lambda s: f"{s.files_per_day:,}"),
        ("rows per day", lambda s: f"{s.rows_per_day:,}"),
        ("raw GB per day (uncompressed CSV)", lambda s: f"{s.raw_gb_per_day:g}"),
        ("workflow runs per day", lambda s: f"{s.runs_per_day}"),
        ("Glue jobs per run (worker type x workers, minutes)",
         lambda s: "<br>".join(f"{j.name}: {j.worker_type} x {j.workers}, {j.minutes:g} min" for j in s.jobs)),
        ("DPU-hours per run", lambda s: f"{sum(glue_dpu_hours(j) for j in s.jobs):.3f}"),
        ("transformed size / raw size", lambda s: f"{s.transformed_ratio:g}"),
        ("retention raw / masked / transformed (days)",
         lambda s: f"{s.raw_retention_days} / {s.masked_retention_days} / {s.transformed_retention_days}"),
        ("Parquet files per run", lambda s: f"{s.output_files_per_run:,}"),
        ("share of raw data Macie inspects", lambda s: f"{s.macie_scan_share:g}"),
        ("buckets monitored by Macie", lambda s: f"{s.buckets}"),
        ("customer managed KMS keys", lambda s: f"{s.kms_keys}"),
        ("KMS requests per job run (S3 Bucket Keys on)", lambda s: f"{s.kms_requests_per_job_run:,}"),
        ("log MB per job run / flow-log GB per day", lambda s: f"{s.logs_mb_per_job_run:g} / {s.flow_logs_gb_per_day:g}"),
        ("interface endpoints x AZs", lambda s: f"{s.interface_endpoints} x {s.availability_zones}"),
        ("custom metrics / alarms / dashboards", lambda s: f"{s.custom_metrics} / {s.alarms} / {s.dashboards}"),
    ]
    for label, fn in rows:
        out.append(f"| {label} | " + " | ".join(fn(s) for s, _ in results) + " |")
    out += ["", "How each line is computed:", "",
            "- **Glue**: per job run `workers x DPU per worker (G.1X = 1, G.2X = 2) x max(minutes, 1) / 60` DPU-hours "
            "(Glue 5.0 bills per second with a 1-minute minimum) x runs per month x the DPU-hour price. Job minutes "
            "are estimates to be replaced by measured ones (`docs/BENCHMARK.md`, the Glue job run history).",
            "- **S3 storage**: steady state, `GB per day x retention days` for raw, masked, transformed (x the Parquet "
            "ratio) and quarantine. Temp, artifacts and Macie results are small and left out.",
            "- **S3 requests**: per input file one Macie GET, a masking GET and PUT and a main_etl GET; per output "
            "file a PUT and a leak-check GET; 500 PUT-class and 500 GET-class requests per job run for listings, "
            "markers, manifests, artifacts and temp files.",
            "- **KMS**: the keys' monthly fee plus requests; S3 Bucket Keys (enabled on every bucket) keep S3's KMS "
            "calls to about one per bucket key lifetime instead of one per object.",
            "- **Macie**: GB inspected per month x price (S3 GET/LIST made by Macie are in the S3 line), plus "
            "bucket monitoring.",
            "- **CloudWatch Logs**: job logs and audit events plus VPC flow logs; storage holds 12 months "
            "(365-day retention).",
            "- **VPC endpoints**: interface endpoints x AZs x 730 hours; data processed = log volume plus a little "
            "API traffic per job run. The S3 gateway endpoint is free.",
            "- Not included: data transfer within the region (none leaves it), SNS (a few alerts), Secrets Manager "
            "($0.40 per secret-month, one secret), Glue Data Catalog (within its free million objects/requests), "
            "the Terraform state bucket.",
            ""]
    for s, _ in results:
        for n in s.notes:
            out.append(f"- *{s.name}*: {n}")
    out += ["", "## Prices used", "", "| price | value | unit | source | checked |", "| --- | ---: | --- | --- | --- |"]
    for key, pr in prices.items():
        out.append(f"| `{key}` | {pr.value:g} | {pr.unit} | {pr.source} | {pr.confirmed} |")
    out += ["", f"Price date: {PRICE_DATE}. Where a row says *not confirmed*, the value is the long-standing "
            "published list price that could not be re-read from a stored copy of the AWS page on that date; "
            "verify it with the AWS Pricing Calculator before budgeting.", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--output", default=os.path.join(root, "docs", "COST_SIMULATION.md"))
    parser.add_argument("--stdout", action="store_true", help="print instead of writing the file")
    args = parser.parse_args(argv)
    text = render()
    if args.stdout:
        sys.stdout.write(text)
        return 0
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
