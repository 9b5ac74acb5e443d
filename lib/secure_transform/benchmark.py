"""Benchmark harness: each stage's throughput as a ratio to the physical floor on the same machine.

One process, one SparkSession, the data generated once. Every figure is the median of
``repeats`` timed runs after ``warmup`` untimed ones; each run is a complete Spark job (read,
transform, write to a fresh directory), so a ratio compares like with like:

* ``floor_parquet``: plain Parquet read + write of the generated data, no transform;
* one stage per transform alone, on the same data, against ``floor_parquet``;
* ``tokenize_det_hash_3_noop`` against ``read_noop``: the deterministic + hash stage with Spark's
  ``noop`` sink, so hashing's own cost shows apart from writing the wider token columns;
* ``anomaly_scoring`` against ``floor_features`` (read + write of the feature table it scores),
  and the scikit-learn single-process rate it must keep up with (issue #6's formula);
* ``main_etl``: the whole job through the same entry point Glue runs;
* ``masking``: Macie-driven masking of a CSV of ``masking_rows`` rows with ``masking_findings``
  cell findings, against ``floor_csv`` (plain CSV read + write of the same files);
* ``leak_check``: the detector over the transformed output, against ``floor_transformed``;
* ``detect``: the built-in detector job (Macie's stand-in) over the masking stage's raw CSV, against
  ``floor_csv``.

Peak memory: the driver JVM's and the driver Python process's peak resident set (``VmHWM``),
reset before each stage where the kernel allows (``/proc/<pid>/clear_refs``). Timing is never
asserted by tests; ``docs/PERFORMANCE.md`` records a run and the command that produced it.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ConfigError

__all__ = ["BenchmarkConfig", "TARGETS", "run_benchmark", "format_table", "scoring_target"]

# Ratio targets from issue #10 (stage -> maximum ratio to its floor).
TARGETS: dict[str, float] = {
    "tokenize_det_hash_3": 1.3,
    "binning_apply_merchant": 1.3,
    "main_etl": 3.0,
    "masking": 1.5,
}
DRIVER_MEMORY_TARGET_BYTES = 4 * 1024 ** 3
SCORING_TARGET_FRACTION = 0.8
SKLEARN_SAMPLE_ROWS = 500_000  # bounded sample brought to the driver for the single-process baseline
# deterministic + hash on three columns (issue #4's speed point), and FPE on the card number
DET_HASH_COLUMNS = {"customer_id": {"method": "deterministic"}, "account_number": {"method": "deterministic"},
                    "email": {"method": "hash", "algorithm": "sha256"}}
FPE_COLUMNS = {"card_number": {"method": "format_preserving", "preserve_prefix": 6, "luhn": True}}
MASKED_TYPES = (("card_number", "CREDIT_CARD_NUMBER", "FINANCIAL_INFORMATION"),
                ("email", "EMAIL_ADDRESS", "PERSONAL_INFORMATION"),
                ("ssn", "USA_SOCIAL_SECURITY_NUMBER", "PERSONAL_INFORMATION"),
                ("phone", "PHONE_NUMBER", "PERSONAL_INFORMATION"))
MACIE_LISTED_MAX = 1000  # Macie lists at most 1,000 occurrences per type and object


@dataclass(frozen=True)
class BenchmarkConfig:
    rows: int = 5_000_000
    repeats: int = 3
    warmup: int = 1
    masking_rows: int = 1_000_000
    masking_findings: int = 10_000
    workdir: str | None = None
    seed: int = 42
    stages: tuple[str, ...] = ()  # empty: all

    def __post_init__(self) -> None:
        if self.rows < 1_000:
            raise ConfigError("--rows", f"must be at least 1,000, got {self.rows:,}")
        if self.repeats < 1:
            raise ConfigError("--repeats", f"must be at least 1, got {self.repeats}")
        if self.warmup < 0:
            raise ConfigError("--warmup", f"must be 0 or more, got {self.warmup}")
        if self.masking_rows < 1_000:
            raise ConfigError("--masking-rows", f"must be at least 1,000, got {self.masking_rows:,}")
        if not 0 < self.masking_findings <= self.masking_rows:
            raise ConfigError("--masking-findings", "must be between 1 and --masking-rows")
        unknown = sorted(set(self.stages) - set(STAGE_ORDER))
        if unknown:
            raise ConfigError("--stages", f"unknown stage(s) {', '.join(unknown)}; valid: {', '.join(STAGE_ORDER)}")


STAGE_ORDER = ("floor_parquet", "tokenize_det_hash_3", "read_noop", "tokenize_det_hash_3_noop", "tokenize_fpe_1",
               "binning_fit", "binning_apply", "merchant_encoding", "binning_apply_merchant", "feature_windows",
               "anomaly_fit", "floor_features", "anomaly_scoring", "sklearn_single_process", "main_etl",
               "floor_transformed", "leak_check", "floor_csv", "masking", "detect")
FLOORS = {"floor_features": ("anomaly_scoring",), "floor_transformed": ("leak_check",), "floor_csv": ("masking", "detect")}


# ------------------------------------------------------------------------------------ memory


def _jvm_pid(spark: Any) -> int | None:
    proc = getattr(spark.sparkContext._gateway, "proc", None)  # the driver JVM launched by PySpark
    return getattr(proc, "pid", None)


def _hwm_bytes(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_hwm(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # resets the peak resident set size (Linux >= 4.0)
        return True
    except OSError:
        return False


@dataclass
class _Memory:
    pids: dict[str, int | None]
    resettable: bool = True

    def reset(self) -> None:
        self.resettable = all([_reset_hwm(p) for p in self.pids.values() if p is not None]) and self.resettable

    def peak(self) -> dict[str, int | None]:
        peaks = {name: _hwm_bytes(pid) for name, pid in self.pids.items()}
        peaks["driver_total"] = sum(v for v in peaks.values() if v) or None
        return peaks


# ------------------------------------------------------------------------------------ timing


@dataclass
class StageResult:
    name: str
    rows: int
    seconds: list[float] = field(default_factory=list)
    floor: str | None = None
    memory: dict[str, int | None] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def as_dict(self, floors: dict[str, "StageResult"]) -> dict[str, Any]:
        out: dict[str, Any] = {"stage": self.name, "rows": self.rows, "runs_s": [round(s, 3) for s in self.seconds],
                               "median_s": round(self.median, 3),
                               "rows_per_s": round(self.rows / self.median) if self.median > 0 else None,
                               "floor": self.floor, "peak_memory_bytes": self.memory, **self.extra}
        base = floors.get(self.floor or "")
        if base is not None and base is not self:
            out["ratio"] = round(self.median / base.median, 3)
        target = TARGETS.get(self.name)
        if target is not None and "ratio" in out:
            out["target"] = target
            out["meets_target"] = out["ratio"] <= target
        return out


def _timed(fn: Callable[[int], Any], cfg: BenchmarkConfig, cleanup: Callable[[], None]) -> tuple[list[float], list]:
    """Run ``warmup`` untimed then ``repeats`` timed runs; output is removed between runs (untimed)."""
    seconds: list[float] = []
    results: list = []
    for i in range(cfg.warmup + cfg.repeats):
        cleanup()
        t0 = time.perf_counter()
        result = fn(i)
        elapsed = time.perf_counter() - t0
        if i >= cfg.warmup:
            seconds.append(elapsed)
            results.append(result)
    cleanup()
    return seconds, results


def scoring_target(rows: int, scoring_s: float, floor_s: float, sklearn_rows_per_s: float, cores: int) -> dict:
    """Issue #6: distributed scoring must reach ``0.8 x cores x`` the rows/s of scikit-learn in
    one process, once Spark's plain read + write cost (the feature-table floor) is taken out."""
    scoring_only = scoring_s - floor_s
    rate = rows / scoring_only if scoring_only > 0 else float("inf")
    required = SCORING_TARGET_FRACTION * cores * sklearn_rows_per_s
    return {"scoring_only_s": round(scoring_only, 3), "scoring_only_rows_per_s": round(rate) if rate != float("inf") else None,
            "required_rows_per_s": round(required), "scoring_vs_sklearn_x_cores": round(rate / (cores * sklearn_rows_per_s), 3)
            if rate != float("inf") else None, "meets_target": rate >= required}


# ------------------------------------------------------------------------------------ setup


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"cores": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform()}
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            info["memory_bytes"] = int(fh.readline().split()[1]) * 1024
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            info["cpu"] = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), None)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import pyspark

        info["pyspark"] = pyspark.__version__
    except ImportError:  # pragma: no cover
        pass
    return info


def _masking_results(spark: Any, csv_dir: str, results_dir: str, findings: int) -> int:
    """Macie-format discovery results with ``findings`` precise cell occurrences spread evenly
    over the CSV files, the masked columns and their rows (row 1 is the header, as Macie counts)."""
    from . import io as sio
    from .detection import object_identity, relative_key
    from .macie import Detection, ObjectRef, Occurrence, write_results

    root = sio.parse_location(csv_dir, "--workdir")
    files = sorted((o for o in sio.list_objects(root) if o.location.key.endswith(".csv")), key=lambda o: o.location.key)
    per_file = [findings // len(files) + (1 if i < findings % len(files) else 0) for i in range(len(files))]
    records = []
    for info, n in zip(files, per_file):
        with open(info.location.key, "rb") as fh:
            header = fh.readline().decode("utf-8").rstrip("\r\n").split(",")
            lines = sum(1 for _ in fh)
        detections = []
        per_type = [n // len(MASKED_TYPES) + (1 if i < n % len(MASKED_TYPES) else 0) for i in range(len(MASKED_TYPES))]
        for (column, type_name, category), k in zip(MASKED_TYPES, per_type):
            if k == 0:
                continue
            if k > MACIE_LISTED_MAX:
                raise ConfigError("--masking-findings", f"{k} occurrences of one type in one file exceed Macie's "
                                  f"{MACIE_LISTED_MAX}-per-type listing; use more rows or fewer findings")
            col = header.index(column) + 1
            step = max(1, lines // k)
            rows = [2 + (j * step) % lines for j in range(k)]
            occ = tuple(Occurrence("cells", row=r, column=col, column_name=column, cell_reference=None) for r in rows)
            detections.append(Detection(type_name, k, occ, category=category))
        etag, version = object_identity(info, None)
        records.append((ObjectRef(bucket="local", key=relative_key(root, info), etag=etag, version_id=version,
                                  size=info.size), tuple(detections), {"mime_type": "text/csv"}))
    write_results(sio.parse_location(results_dir, "--workdir"), records, account="000000000000", region="local",
                  job_id="0" * 32)
    return sum(per_file)


@dataclass
class _Context:
    spark: Any
    cfg: BenchmarkConfig
    work: str
    keyset: Any
    keyset_file: str = ""
    raw: str = ""
    features: str = ""
    transformed: str = ""
    csv: str = ""
    results: str = ""
    model: Any = None
    edges: Any = None

    def out(self, name: str) -> str:
        return os.path.join(self.work, "out", name)


def _write(df: Any, path: str, fmt: str = "parquet") -> None:
    writer = df.write.mode("overwrite")
    if fmt == "csv":
        writer.option("header", "true").csv(path)
    else:
        writer.parquet(path)


def _read(ctx: _Context, path: str | None = None) -> Any:
    return ctx.spark.read.parquet(path or ctx.raw)


def _prepare(ctx: _Context, progress: Callable[[str], None]) -> dict[str, Any]:
    from .anomaly import fit_anomaly_model, parse_anomaly_config
    from .binning import fit_bins, parse_binning_config, with_amount_bin
    from .features import with_customer_features
    from .generator import GeneratorConfig, write_sample_data
    from .merchant import load_merchant_mapping, with_merchant_category
    from .pipeline import default_binning_config

    cfg = ctx.cfg
    progress(f"benchmark: generating {cfg.rows:,} rows (Parquet) and {cfg.masking_rows:,} rows (CSV)")
    gen = write_sample_data(ctx.spark, GeneratorConfig(rows=cfg.rows, seed=cfg.seed), os.path.join(ctx.work, "raw"),
                            "parquet")
    ctx.raw = gen["path"]
    csv = write_sample_data(ctx.spark, GeneratorConfig(rows=cfg.masking_rows, seed=cfg.seed + 1, bad_row_rate=0.0),
                            os.path.join(ctx.work, "csv"), "csv")
    ctx.csv = csv["path"]
    ctx.results = os.path.join(ctx.work, "macie-results")
    listed = _masking_results(ctx.spark, ctx.csv, ctx.results, cfg.masking_findings)
    # The scoring stages read a feature table built once, as main_etl has it before scoring.
    progress("benchmark: building the feature table and fitting the model once")
    binning = parse_binning_config(default_binning_config())
    ctx.edges = fit_bins(_read(ctx), binning)
    anomaly = parse_anomaly_config(None, 0.01)
    mapping = load_merchant_mapping()
    feats = with_customer_features(with_merchant_category(with_amount_bin(_read(ctx), ctx.edges), mapping), anomaly)
    ctx.features = os.path.join(ctx.work, "features")
    # Spread over several files as main_etl's output of the window stage is: AQE would coalesce this
    # narrow table into one file, and one file is read by one task, so scoring would use one core.
    parts = max(2, 2 * ctx.spark.sparkContext.defaultParallelism)
    _write(feats.select("transaction_id", *anomaly.features).repartition(parts), ctx.features)
    ctx.model = fit_anomaly_model(ctx.spark.read.parquet(ctx.features), anomaly, row_count=cfg.rows)
    from . import io as sio

    ctx.model.save(sio.parse_location(os.path.join(ctx.work, "model"), "--workdir"))
    return {"generated_rows": gen["rows"], "masking_csv_rows": csv["rows"], "masking_cells_listed": listed,
            "anomaly_features": list(anomaly.features), "anomaly_n_estimators": anomaly.n_estimators}


# ------------------------------------------------------------------------------------ stages


def _stage_fns(ctx: _Context) -> dict[str, tuple[Callable[[int], Any], int, str | None]]:
    """stage -> (run(i), rows, floor stage)."""
    from .anomaly import AnomalyModel, fit_anomaly_model, parse_anomaly_config, score_anomalies
    from .binning import fit_bins, parse_binning_config, with_amount_bin
    from .features import with_customer_features
    from .merchant import load_merchant_mapping, with_merchant_category
    from .pipeline import default_binning_config
    from .tokenization import parse_pii_columns, tokenize_columns

    spark, cfg = ctx.spark, ctx.cfg
    binning = parse_binning_config(default_binning_config())
    mapping = load_merchant_mapping()
    anomaly = parse_anomaly_config(None, 0.01)
    det_hash = parse_pii_columns(DET_HASH_COLUMNS)
    fpe = parse_pii_columns(FPE_COLUMNS)
    model_dir = os.path.join(ctx.work, "model")

    def write_to(name: str, df: Any, fmt: str = "parquet") -> None:
        _write(df, ctx.out(name), fmt)

    def noop(df: Any) -> None:  # runs the whole plan and discards the rows: compute without the write
        df.write.format("noop").mode("overwrite").save()

    def scoring(_: int) -> None:
        from . import io as sio

        model = AnomalyModel.load(sio.parse_location(model_dir, "--model"), expected_features=anomaly)
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
        write_to("anomaly_scoring", score_anomalies(spark.read.parquet(ctx.features), model))

    def sklearn_single(_: int) -> dict:
        import numpy as np

        sample = spark.read.parquet(ctx.features).select(*anomaly.features).limit(SKLEARN_SAMPLE_ROWS)
        x = sample.toPandas().to_numpy(dtype=np.float64, na_value=np.nan)  # bounded: <= SKLEARN_SAMPLE_ROWS rows
        x = np.where(np.isnan(x), np.asarray(ctx.model.impute_values), x)
        t0 = time.perf_counter()
        ctx.model.estimator.score_samples(x)
        return {"rows": len(x), "seconds": time.perf_counter() - t0}

    def main_etl(i: int) -> dict:
        from .merchant import default_mapping_path
        from .pipeline import default_pii_columns, run_main_etl
        from .runtime import execute, local_runtime

        target = ctx.out("main_etl")
        args = {"source_bucket": ctx.raw, "target_bucket": target, "input_format": "parquet", "incremental": "false",
                "pii_columns": json.dumps(default_pii_columns()),
                "binning_config": json.dumps(default_binning_config()), "merchant_mapping": default_mapping_path(),
                "anomaly_threshold": "0.01", "key_file": ctx.keyset_file, "run_mode": "fit_and_apply",
                "summary_location": os.path.join(ctx.work, "main_etl_summary.json"),
                "audit_file": os.path.join(ctx.work, "audit.jsonl"), "environment": "benchmark", "log_level": "WARNING"}
        summary = execute(local_runtime("main_etl", args, spark, run_id=f"bench{i}"), run_main_etl)
        if i == cfg.warmup + cfg.repeats - 1:  # keep the last run's output for the leak check
            shutil.rmtree(ctx.transformed, ignore_errors=True)
            shutil.copytree(summary["output"], ctx.transformed)
        return summary

    def leak(_: int) -> dict:
        from .leak import scan_dataframe

        return scan_dataframe(spark.read.parquet(ctx.transformed), format_preserving=["card_number", "account_number"])

    def masking(_: int) -> Any:
        from . import io as sio
        from .masking import mask_objects

        loc = lambda p: sio.parse_location(p, "--workdir")  # noqa: E731
        return mask_objects(spark, loc(ctx.csv), loc(ctx.results), loc(ctx.out("masking")),
                            loc(ctx.out("masking-quarantine")), keyset=ctx.keyset, run_id="bench")

    def detect(i: int) -> dict:
        from . import io as sio
        from .detection import detect_objects

        loc = lambda p: sio.parse_location(p, "--workdir")  # noqa: E731
        return detect_objects(spark, loc(ctx.csv), loc(ctx.out(f"detect-{i}")))

    n, m = cfg.rows, cfg.masking_rows
    return {
        "floor_parquet": (lambda _: write_to("floor_parquet", _read(ctx)), n, None),
        "tokenize_det_hash_3": (lambda _: write_to("tok", tokenize_columns(_read(ctx), det_hash, ctx.keyset)), n,
                                "floor_parquet"),
        # the same stage split in two: what hashing costs on its own, without the Parquet write
        "read_noop": (lambda _: noop(_read(ctx)), n, None),
        "tokenize_det_hash_3_noop": (lambda _: noop(tokenize_columns(_read(ctx), det_hash, ctx.keyset)), n,
                                     "read_noop"),
        "tokenize_fpe_1": (lambda _: write_to("fpe", tokenize_columns(_read(ctx), fpe, ctx.keyset)), n, "floor_parquet"),
        "binning_fit": (lambda _: fit_bins(_read(ctx), binning), n, "floor_parquet"),
        "binning_apply": (lambda _: write_to("bin", with_amount_bin(_read(ctx), ctx.edges)), n, "floor_parquet"),
        "merchant_encoding": (lambda _: write_to("mcc", with_merchant_category(_read(ctx), mapping)), n, "floor_parquet"),
        "binning_apply_merchant": (lambda _: write_to("binmcc", with_merchant_category(
            with_amount_bin(_read(ctx), ctx.edges), mapping)), n, "floor_parquet"),
        "feature_windows": (lambda _: write_to("windows", with_customer_features(_read(ctx), anomaly)), n,
                            "floor_parquet"),
        "anomaly_fit": (lambda _: fit_anomaly_model(spark.read.parquet(ctx.features), anomaly, row_count=n), n, None),
        "floor_features": (lambda _: write_to("floor_features", spark.read.parquet(ctx.features)), n, None),
        "anomaly_scoring": (scoring, n, "floor_features"),
        "sklearn_single_process": (sklearn_single, min(n, SKLEARN_SAMPLE_ROWS), None),
        "main_etl": (main_etl, n, "floor_parquet"),
        "floor_transformed": (lambda _: write_to("floor_transformed", spark.read.parquet(ctx.transformed)), n, None),
        "leak_check": (leak, n, "floor_transformed"),
        "floor_csv": (lambda _: write_to("floor_csv", spark.read.option("header", "true").csv(ctx.csv), "csv"), m, None),
        "masking": (masking, m, "floor_csv"),
        # the built-in detector (Macie's stand-in) over the same raw CSV files
        "detect": (detect, m, "floor_csv"),
    }


# ------------------------------------------------------------------------------------ harness


def run_benchmark(cfg: BenchmarkConfig, *, spark: Any = None, progress: Callable[[str], None] = lambda m: None,
                  command: str | None = None, checkpoint: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Run the selected stages (all by default) and return the report (see :func:`format_table`).

    ``checkpoint`` receives the report so far after every stage (a long run leaves its figures
    behind even if it is stopped)."""
    from .keys import create_dev_keyset
    from .session import build_spark_session

    selected = [s for s in STAGE_ORDER if not cfg.stages or s in cfg.stages]
    spark = spark or build_spark_session("secure-transform-benchmark")
    own_work = cfg.workdir is None
    work = tempfile.mkdtemp(prefix="secure-transform-bench-") if own_work else cfg.workdir
    os.makedirs(work, exist_ok=True)
    try:
        keyset_file = os.path.join(work, "keys", "bench-keyset.json")
        keyset = create_dev_keyset(keyset_file) if not os.path.exists(keyset_file) else None
        if keyset is None:
            from .keys import load_keyset

            keyset = load_keyset(key_file=keyset_file)
        ctx = _Context(spark=spark, cfg=cfg, work=work, keyset=keyset, keyset_file=keyset_file)
        ctx.transformed = os.path.join(work, "transformed")
        t0 = time.perf_counter()
        setup = _prepare(ctx, progress)
        setup["seconds"] = round(time.perf_counter() - t0, 1)
        fns = _stage_fns(ctx)
        if {"leak_check", "floor_transformed"} & set(selected) and "main_etl" not in selected:
            # their input is main_etl's output: one untimed main_etl run makes it
            progress("benchmark: one untimed main_etl run for the leak check's input")
            fns["main_etl"][0](cfg.warmup + cfg.repeats - 1)
        memory = _Memory({"driver_jvm": _jvm_pid(spark), "driver_python": os.getpid()})
        out_dir = os.path.join(work, "out")
        results: dict[str, StageResult] = {}
        for name in selected:
            fn, rows, floor = fns[name]
            progress(f"benchmark: {name} ({cfg.warmup} warm-up + {cfg.repeats} timed run(s))")
            memory.reset()
            load_before = os.getloadavg()[0]
            seconds, outputs = _timed(fn, cfg, lambda: shutil.rmtree(out_dir, ignore_errors=True))
            stage = StageResult(name, rows, seconds, floor, memory.peak())
            if name == "sklearn_single_process":
                stage.seconds = [o["seconds"] for o in outputs]
                stage.rows = outputs[0]["rows"]
            # the 1-minute load average around the stage: other work on the machine shows here
            stage.extra = {**_extra(name, outputs[-1]),
                           "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
            results[name] = stage
            progress(f"benchmark: {name}: median {stage.median:.2f} s")
            if checkpoint is not None:
                checkpoint(_report(cfg, spark, command, setup, memory, results, [n for n in selected if n in results]))
        return _report(cfg, spark, command, setup, memory, results, selected)
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)


def _report(cfg: BenchmarkConfig, spark: Any, command: str | None, setup: dict, memory: _Memory,
            results: dict[str, StageResult], selected: list[str]) -> dict[str, Any]:
    report: dict[str, Any] = {
        "command": command, "machine": machine_info(), "config": {
            "rows": cfg.rows, "repeats": cfg.repeats, "warmup": cfg.warmup, "masking_rows": cfg.masking_rows,
            "masking_findings": cfg.masking_findings, "seed": cfg.seed,
            "spark_master": spark.sparkContext.master,
            "driver_memory": spark.sparkContext.getConf().get("spark.driver.memory", None),
            "shuffle_partitions": spark.conf.get("spark.sql.shuffle.partitions")},
        "setup": setup, "peak_memory_resettable": memory.resettable,
        "stages": [results[n].as_dict(results) for n in selected],
    }
    if {"anomaly_scoring", "floor_features", "sklearn_single_process"} <= set(results):
        sk = results["sklearn_single_process"]
        report["scoring_target"] = scoring_target(
            results["anomaly_scoring"].rows, results["anomaly_scoring"].median, results["floor_features"].median,
            sk.rows / sk.median, report["machine"]["cores"] or 1)
    peaks = [st["peak_memory_bytes"].get("driver_total") or 0 for st in report["stages"]]
    report["driver_peak_memory_bytes"] = max(peaks) if peaks else None
    report["driver_memory_target_met"] = bool(peaks) and max(peaks) < DRIVER_MEMORY_TARGET_BYTES
    report["targets_missed"] = [st["stage"] for st in report["stages"] if st.get("meets_target") is False]
    if report.get("scoring_target", {}).get("meets_target") is False:
        report["targets_missed"].append("anomaly_scoring (scikit-learn x cores)")
    return report


def _extra(name: str, output: Any) -> dict[str, Any]:
    """Counts from the last timed run (no values), to show the stage did the work it claims."""
    if name == "main_etl":
        return {"rows_out": output["rows_out"], "rows_quarantined": output["rows_quarantined"],
                "anomalies_flagged": output["anomalies_flagged"],
                "stage_seconds": {st["name"]: st.get("seconds") for st in output.get("stages", [])}}
    if name == "masking":
        summary = output.summary()
        return {"masked_occurrences_by_type": summary["masked_occurrences_by_type"],
                "objects_masked": summary["objects_masked"], "objects_quarantined": summary["objects_quarantined"],
                "rows_out": summary["rows_out"]}
    if name == "leak_check":
        return {"leak_findings": output["leak_findings"], "cells_per_row": output.get("columns_scanned")}
    if name == "detect":
        return {"detections_by_type": output["detections_by_type"], "records": output["records"]}
    return {}


def _gib(value: int | None) -> str:
    return f"{value / 1024 ** 3:.2f}" if value else "-"


def format_table(report: dict[str, Any]) -> str:
    """A plain-text table of the report (also pasted into docs/PERFORMANCE.md)."""
    lines = ["| stage | rows | median s | rows/s | floor | ratio | target | peak driver GiB |",
             "|---|---:|---:|---:|---|---:|---|---:|"]
    for st in report["stages"]:
        target = "" if "target" not in st else f"<= {st['target']}x {'met' if st['meets_target'] else 'MISSED'}"
        ratio = f"{st['ratio']:.2f}x" if "ratio" in st else ""
        lines.append(f"| {st['stage']} | {st['rows']:,} | {st['median_s']:.2f} | {st['rows_per_s'] or 0:,} | "
                     f"{st['floor'] or ''} | {ratio} | {target} | {_gib(st['peak_memory_bytes'].get('driver_total'))} |")
    sc = report.get("scoring_target")
    if sc:
        lines.append("")
        lines.append(f"Isolation Forest scoring without the read/write floor: {sc['scoring_only_rows_per_s'] or 0:,} rows/s "
                     f"= {sc['scoring_vs_sklearn_x_cores']}x (scikit-learn in one process x cores); target >= "
                     f"{SCORING_TARGET_FRACTION}x: {'met' if sc['meets_target'] else 'MISSED'}")
    lines.append(f"Driver peak memory: {_gib(report['driver_peak_memory_bytes'])} GiB (target < 4 GiB: "
                 f"{'met' if report['driver_memory_target_met'] else 'MISSED'})")
    return "\n".join(lines)


def write_json(report: dict[str, Any], path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2, sort_keys=False)
        fh.write("\n")
