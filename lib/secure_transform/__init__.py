"""secure_transform: PII-free, ML-ready fraud features on AWS Glue 5.0 and local Spark."""

__version__ = "0.1.0"
