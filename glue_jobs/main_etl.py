"""AWS Glue 5.0 job `main_etl`: tokenize, bin, encode and flag anomalies (masked zone -> transformed zone).

Runs unchanged on Glue and under `spark-submit`; all logic lives in the secure_transform library.
Arguments: see secure_transform.jobspec.JOBS["main_etl"].
"""

from secure_transform.runtime import run_job
from secure_transform.pipeline import run_main_etl

if __name__ == "__main__":
    run_job("main_etl", run_main_etl)
