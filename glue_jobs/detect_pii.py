"""AWS Glue 5.0 job `detect_pii`: run the built-in PII detector over the raw zone and write Macie-format discovery results.

Runs unchanged on Glue and under `spark-submit`; all logic lives in the secure_transform library.
Arguments: see secure_transform.jobspec.JOBS["detect_pii"].
"""

from secure_transform.runtime import run_job
from secure_transform.detection import run_detect_pii

if __name__ == "__main__":
    run_job("detect_pii", run_detect_pii)
