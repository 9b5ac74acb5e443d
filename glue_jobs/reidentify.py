"""AWS Glue 5.0 job `reidentify`: reverse reversible tokens for selected rows, with the key (restricted).

Runs unchanged on Glue and under `spark-submit`; all logic lives in the secure_transform library.
Arguments: see secure_transform.jobspec.JOBS["reidentify"].
"""

from secure_transform.runtime import run_job
from secure_transform.reidentify import run_reidentify

if __name__ == "__main__":
    run_job("reidentify", run_reidentify)
