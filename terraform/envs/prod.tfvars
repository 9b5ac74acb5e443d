# Production environment. artifact_version is passed by scripts/deploy.sh (-var), never here.
region              = "eu-west-1"
environment         = "prod"
name_prefix         = "smt-prod"
bucket_name_prefix  = "example-bank-smt-prod-euw1"
owner               = "fraud-data-platform"
data_classification = "restricted"
cost_center         = "fraud-analytics"

# Existing IAM roles in the production account (names only; ARNs are built with the account id).
deployer_role_names      = ["smt-prod-deployer"]
key_custodian_role_names = ["smt-prod-key-custodian"]
raw_writer_role_names    = ["smt-prod-ingestion"]
data_reader_role_names   = ["smt-prod-ml-training", "smt-prod-quarantine-reviewer"]

vpc_cidr              = "10.40.0.0/20"
private_subnet_cidrs  = ["10.40.0.0/22", "10.40.4.0/22", "10.40.8.0/22"]
availability_zone_ids = ["euw1-az1", "euw1-az2", "euw1-az3"]

kms_deletion_window_days     = 30
log_retention_days           = 2557
temp_expiration_days         = 14
quarantine_expiration_days   = 180
reidentified_expiration_days = 7
access_log_expiration_days   = 2557
force_destroy_buckets        = false
macie_results_object_lock = {
  mode = "COMPLIANCE"
  days = 2557
}

glue_version = "5.0"
glue_job_settings = {
  detect_pii    = { worker_type = "G.2X", number_of_workers = 10, timeout_minutes = 240, max_retries = 0 }
  macie_masking = { worker_type = "G.2X", number_of_workers = 10, timeout_minutes = 240, max_retries = 0 }
  main_etl      = { worker_type = "G.2X", number_of_workers = 20, timeout_minutes = 480, max_retries = 0 }
  leak_check    = { worker_type = "G.2X", number_of_workers = 10, timeout_minutes = 240, max_retries = 0 }
  reidentify    = { worker_type = "G.1X", number_of_workers = 2, timeout_minutes = 60, max_retries = 0 }
}
log_level = "INFO"

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
  method         = "percentile"
  bins           = [0, 10, 25, 50, 75, 90, 95, 99, 100]
  labels         = ["micro", "small", "low", "medium", "high", "large", "very_large", "extreme"]
  relative_error = 0.0001
  per_currency   = true
}
anomaly_threshold = 0.01
anomaly_config = {
  features     = ["amount_bin", "merchant_risk", "time_delta", "velocity"]
  n_estimators = 200
  sample_size  = 200000
  random_state = 42
}
# Macie custom identifiers are named <name_prefix>-<key> (modules/macie).
masking_policy = {
  custom = {
    "smt-prod-internal-account-number" = "tokenize"
    "smt-prod-customer-id"             = "tokenize"
  }
  on_occurrence_cap = "mask_column"
}
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

workflow_schedule         = "cron(0 2 * * ? *)"
workflow_schedule_enabled = true

enable_macie                     = true
manage_macie_account             = false # Enabled by the security team's delegated administrator.
macie_event_batch_size           = 50
macie_event_batch_window_seconds = 900

alert_email_addresses            = ["fraud-platform-alerts@example.com"]
quarantined_rows_alarm_threshold = 100
anomaly_rate_alarm_threshold     = 0.05
job_duration_alarm_minutes       = 240
