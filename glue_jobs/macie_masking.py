"""AWS Glue 5.0 job `macie_masking`: mask raw-zone objects from Macie discovery results into the masked zone.

Runs unchanged on Glue and under `spark-submit`; all logic lives in the secure_transform library.
Arguments: see secure_transform.jobspec.JOBS["macie_masking"].
"""

from secure_transform.runtime import run_job
from secure_transform.masking import run_macie_masking

if __name__ == "__main__":
    run_job("macie_masking", run_macie_masking)
