"""AWS Glue 5.0 job `leak_check`: scan the transformed zone for PII; publish the run or quarantine it and alert.

Runs unchanged on Glue and under `spark-submit`; all logic lives in the secure_transform library.
Arguments: see secure_transform.jobspec.JOBS["leak_check"].
"""

from secure_transform.runtime import run_job
from secure_transform.leak import run_leak_check

if __name__ == "__main__":
    run_job("leak_check", run_leak_check)
