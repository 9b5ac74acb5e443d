# Development environment. artifact_version is passed by scripts/deploy.sh (-var), never here.
region              = "eu-west-1"
environment         = "dev"
name_prefix         = "smt-dev"
bucket_name_prefix  = "example-bank-smt-dev-euw1"
owner               = "fraud-data-platform"
data_classification = "restricted"
cost_center         = "fraud-analytics-dev"

deployer_role_names      = []
key_custodian_role_names = []
raw_writer_role_names    = []
data_reader_role_names   = []

vpc_cidr              = "10.42.0.0/20"
private_subnet_cidrs  = ["10.42.0.0/22", "10.42.4.0/22"]
availability_zone_ids = ["euw1-az1", "euw1-az2"]

kms_deletion_window_days     = 7
log_retention_days           = 365
temp_expiration_days         = 3
quarantine_expiration_days   = 30
reidentified_expiration_days = 1
access_log_expiration_days   = 365
force_destroy_buckets        = true
macie_results_object_lock = {
  mode = "GOVERNANCE"
  days = 1
}

glue_version = "5.0"
glue_job_settings = {
  detect_pii    = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
  macie_masking = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
  main_etl      = { worker_type = "G.1X", number_of_workers = 3, timeout_minutes = 120, max_retries = 0 }
  leak_check    = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
  reidentify    = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 30, max_retries = 0 }
}
log_level = "DEBUG"

pii_columns = {
  customer_id    = { method = "deterministic" }
  customer_name  = { method = "redact" }
  email          = { method = "hash", algorithm = "sha256" }
  phone          = { method = "mask", keep_last = 2 }
  card_number    = { method = "format_preserving", preserve_prefix = 6, preserve_suffix = 0, luhn = true }
  account_number = { method = "format_preserving", preserve_prefix = 4 }
  iban           = { method = "non_deterministic" }
  ssn            = { method = "drop" }
  address        = { method = "redact" }
  memo           = { method = "drop" }
}
binning_config = {
  method = "percentile"
  bins   = [0, 10, 25, 50, 75, 90, 95, 99, 100]
  labels = ["micro", "small", "low", "medium", "high", "large", "very_large", "extreme"]
}
anomaly_threshold = 0.01
anomaly_config = {
  features     = ["amount_bin", "merchant_risk", "time_delta", "velocity"]
  n_estimators = 100
  sample_size  = 50000
  random_state = 42
}
masking_policy = {}
# Re-identification risk gate (docs/RISK.md): classes of fewer than 5 rows over these
# quasi-identifiers are moved to quarantine (reason k_anonymity) before the leak check.
risk_config = {
  quasi_identifiers = ["amount_bin", "merchant_category", "transaction_hour"]
  sensitive_column  = "is_anomaly"
  min_k             = 5
  min_l             = 1
  action            = "suppress"
  derived_columns   = ["transaction_hour"]
}
run_mode = "fit_and_apply"

workflow_schedule         = "cron(0 3 * * ? *)"
workflow_schedule_enabled = false

enable_macie                     = true
manage_macie_account             = true
macie_event_batch_size           = 10
macie_event_batch_window_seconds = 300

alert_email_addresses            = ["fraud-platform-dev-alerts@example.com"]
quarantined_rows_alarm_threshold = 1000
anomaly_rate_alarm_threshold     = 0.1
job_duration_alarm_minutes       = 90
