# Inputs of the root configuration.
#
# One validation rule set per input, in the module that uses it: an input the root only passes to
# modules is declared here (type, description, default) without a validation block, and the module's
# rules (the same ones the Python side applies: secure_transform config, tokenization, binning,
# anomaly, risk, masking, io) reject a bad value at `terraform plan`, naming the module variable.
# Only inputs the root itself consumes are validated here: the default tags (provider), the region
# and the IAM role names the root turns into ARNs. tests/terraform/test_terraform_validation.py
# plans the root with every module's variables to prove each bad value is still rejected.

# --- Identity and tagging ------------------------------------------------------------------------
# region and the default tags (owner, data_classification, cost_center) are used by the root alone
# (providers.tf), so they are validated here. environment is validated by modules/glue (the root
# also tags with it); name_prefix by every module; bucket_name_prefix by modules/storage (the root
# derives the same <prefix>-<zone> names for the consumers that must not wait for the buckets).

variable "region" {
  description = "AWS region of the deployment (everything, including the data, stays in it)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "The region must be an AWS region name such as eu-west-1."
  }
}

variable "environment" {
  description = "Deployment environment."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of resource names (jobs, roles, keys, log groups), e.g. smt-prod."
  type        = string
}

variable "bucket_name_prefix" {
  description = "Globally unique prefix of the bucket names (<prefix>-<zone>), e.g. acme-smt-prod-euw1."
  type        = string
}

variable "owner" {
  description = "Owning team (default tag)."
  type        = string

  validation {
    condition     = length(trimspace(var.owner)) > 0 && length(var.owner) <= 256
    error_message = "The owner must be a non-empty team name of at most 256 characters."
  }
}

variable "data_classification" {
  description = "Data classification of the deployment (default tag)."
  type        = string
  default     = "restricted"

  validation {
    condition     = contains(["internal", "confidential", "restricted"], var.data_classification)
    error_message = "The data_classification must be internal, confidential or restricted."
  }
}

variable "cost_center" {
  description = "Cost centre (default tag)."
  type        = string
  default     = "unassigned"

  validation {
    condition     = length(trimspace(var.cost_center)) > 0 && length(var.cost_center) <= 256
    error_message = "The cost_center must be a non-empty string of at most 256 characters."
  }
}

variable "extra_tags" {
  description = "Additional default tags for every resource."
  type        = map(string)
  default     = {}
}

# --- Principals outside this stack (names of existing IAM roles in this account) ----------------
# Validated here: the root turns these names into role ARNs; modules/kms only ever sees ARNs.

variable "deployer_role_names" {
  description = "IAM roles that run scripts/deploy.sh: they upload artifacts encrypted with the data key."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.deployer_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", name))])
    error_message = "Each deployer_role_names entry must be an IAM role name."
  }
}

variable "key_custodian_role_names" {
  description = "IAM roles of the key custodians who write tokenization key-set versions into the secret."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.key_custodian_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", name))])
    error_message = "Each key_custodian_role_names entry must be an IAM role name."
  }
}

variable "raw_writer_role_names" {
  description = "IAM roles of the ingestion processes that write raw data (they need the raw key)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.raw_writer_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", name))])
    error_message = "Each raw_writer_role_names entry must be an IAM role name."
  }
}

variable "data_reader_role_names" {
  description = "IAM roles that read the masked/transformed/quarantine zones (ML training, quarantine review)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.data_reader_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", name))])
    error_message = "Each data_reader_role_names entry must be an IAM role name."
  }
}

# --- Network --------------------------------------------------------------------------------------
# Validated by modules/network.

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC (private range, /16 to /24)."
  type        = string
}

variable "private_subnet_cidrs" {
  description = "CIDRs of the private subnets, one per AZ (at least two)."
  type        = list(string)
}

variable "availability_zone_ids" {
  description = "AZ IDs (e.g. euw1-az1) of the private subnets, one per entry of private_subnet_cidrs, in the same order."
  type        = list(string)
}

# --- Keys, logs, retention -----------------------------------------------------------------------
# Validated by modules/kms (deletion window), modules/network and modules/glue (log retention) and
# modules/storage (zone expirations, Object Lock; the access-log expiry by modules/s3_log_bucket,
# which storage hands it to).

variable "kms_deletion_window_days" {
  description = "Waiting period before a scheduled KMS key deletion takes effect."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Retention of every log group: a CloudWatch Logs value of at least one year."
  type        = number
  default     = 400
}

variable "temp_expiration_days" {
  description = "Days Glue temporary files and Spark UI logs are kept."
  type        = number
  default     = 14
}

variable "quarantine_expiration_days" {
  description = "Days quarantined objects and rows are kept for review."
  type        = number
  default     = 90
}

variable "reidentified_expiration_days" {
  description = "Days re-identified output is kept."
  type        = number
  default     = 7
}

variable "access_log_expiration_days" {
  description = "Days S3 server access logs are kept (at least one year)."
  type        = number
  default     = 400
}

variable "macie_results_object_lock" {
  description = "Default Object Lock retention of the Macie results bucket (audit evidence)."
  type = object({
    mode = string
    days = number
  })
  default = {
    mode = "GOVERNANCE"
    days = 365
  }
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy empty non-empty buckets. Development only; never in production."
  type        = bool
  default     = false
}

# --- Glue -----------------------------------------------------------------------------------------
# Validated by modules/glue (metrics_namespace also by modules/monitoring).

variable "glue_version" {
  description = "Glue version of every job; must be 5.0 (the runtime the library and wheels are built for)."
  type        = string
  default     = "5.0"
}

variable "artifact_version" {
  description = "Library release the jobs run (s3://<artifacts>/releases/<version>/); scripts/deploy.sh passes the version it built."
  type        = string
}

variable "glue_job_settings" {
  description = "Worker type, number of workers, timeout (minutes) and retries of each job."
  type = map(object({
    worker_type       = string
    number_of_workers = number
    timeout_minutes   = number
    max_retries       = number
  }))
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the jobs' custom metrics."
  type        = string
  default     = "SecureMLTransform"
}

variable "log_level" {
  description = "Log level of the jobs' own logger."
  type        = string
  default     = "INFO"
}

variable "pii_columns" {
  description = "Per-column tokenization (--pii_columns); see modules/glue for the options per method."
  type = map(object({
    method          = string
    key_version     = optional(string)
    algorithm       = optional(string)
    alphabet        = optional(string)
    preserve_prefix = optional(number)
    preserve_suffix = optional(number)
    luhn            = optional(bool)
    domain          = optional(string)
    keep_first      = optional(number)
    keep_last       = optional(number)
    mask_char       = optional(string)
    placeholder     = optional(string)
    type            = optional(string)
  }))
}

variable "binning_config" {
  description = "Amount binning (--binning_config); see modules/glue for the rules."
  type = object({
    method            = string
    bins              = optional(list(number))
    n_bins            = optional(number)
    labels            = optional(list(string))
    range             = optional(list(number))
    relative_error    = optional(number)
    per_currency      = optional(bool)
    min_currency_rows = optional(number)
    amount_column     = optional(string)
    currency_column   = optional(string)
  })
}

variable "anomaly_threshold" {
  description = "Isolation Forest contamination (--anomaly_threshold), in (0, 0.5]."
  type        = number
}

variable "anomaly_config" {
  description = "Isolation Forest options (--anomaly_config) other than contamination; see modules/glue."
  type = object({
    features         = optional(list(string))
    n_estimators     = optional(number)
    max_samples      = optional(number)
    max_features     = optional(number)
    random_state     = optional(number)
    sample_size      = optional(number)
    velocity_windows = optional(list(string))
    velocity_window  = optional(string)
    max_reasons      = optional(number)
  })
  default = {}
}

variable "risk_config" {
  description = "Re-identification risk gate of main_etl (--risk_config), as in secure_transform.risk: quasi_identifiers (1-16 output columns), optional sensitive_column for l-diversity, min_k (>= 2, default 5), min_l (>= 1, default 1; > 1 needs sensitive_column; <= min_k), action report, suppress or block (default report), derived_columns (transaction_hour, postcode_area). null: no risk gate."
  type = object({
    quasi_identifiers = list(string)
    sensitive_column  = optional(string)
    min_k             = optional(number)
    min_l             = optional(number)
    action            = optional(string)
    derived_columns   = optional(list(string))
  })
  default = null
}

variable "masking_policy" {
  description = "Overrides of the masking job's defaults (--masking_policy): types/custom actions, default, on_occurrence_cap, mask_char; see modules/glue. Empty keeps the defaults."
  type = object({
    types             = optional(map(string))
    custom            = optional(map(string))
    default           = optional(string)
    on_occurrence_cap = optional(string)
    mask_char         = optional(string)
  })
  default = {}
}

variable "run_mode" {
  description = "main_etl mode for bin edges and the anomaly model: fit, apply or fit_and_apply."
  type        = string
  default     = "fit_and_apply"
}

variable "catalog_table_name" {
  description = "Glue Data Catalog table of the transformed zone."
  type        = string
  default     = "transactions"
}

variable "manage_glue_catalog_encryption" {
  description = "Own the account-wide Glue Data Catalog encryption settings in this stack (affects every Glue user of the account)."
  type        = bool
  default     = false
}

variable "workflow_schedule" {
  description = "Schedule of the scheduled workflow (Glue cron, UTC)."
  type        = string
  default     = "cron(0 2 * * ? *)"
}

variable "workflow_schedule_enabled" {
  description = "Activate the scheduled start trigger."
  type        = bool
  default     = true
}

# --- Macie ----------------------------------------------------------------------------------------
# Validated by modules/macie (macie_results_prefix also by modules/storage and modules/glue, the
# event batching by modules/glue, which owns the event-started workflow).

variable "enable_macie" {
  description = "Use Amazon Macie: classification job over the raw bucket, results export, the event-started workflow and Macie's access to the raw key. Macie must be enabled in the account (here with manage_macie_account, or beforehand)."
  type        = bool
  default     = true
}

variable "macie_custom_data_identifiers" {
  description = "Custom data identifiers added to the Macie module's built-in ones; `secure-transform feedback summarize` writes them as macie_custom_data_identifiers.tfvars.json (-var-file). Macie's limits: regex 1-512 characters, description 1-512, at most 50 keywords of 3-90 characters, maximum_match_distance 1-300; names are lowercase letters, digits and '-' (prefixed with name_prefix)."
  type = map(object({
    description            = string
    regex                  = string
    keywords               = list(string)
    maximum_match_distance = number
  }))
  default = {}
}

variable "manage_macie_account" {
  description = "Enable Macie in this account and region from this stack (false when a security team already enabled it)."
  type        = bool
  default     = false
}

variable "macie_finding_publishing_frequency" {
  description = "How often Macie republishes policy-finding updates."
  type        = string
  default     = "FIFTEEN_MINUTES"
}

variable "macie_results_prefix" {
  description = "Key prefix of Macie's discovery results in the macie-results bucket; ends with '/'."
  type        = string
  default     = "macie/"
}

variable "macie_event_batch_size" {
  description = "Macie findings batched into one event-started workflow run (1-100)."
  type        = number
  default     = 50
}

variable "macie_event_batch_window_seconds" {
  description = "Longest wait (seconds) for a batch of Macie findings (1-900)."
  type        = number
  default     = 900
}

# --- Monitoring -----------------------------------------------------------------------------------
# Validated by modules/monitoring.

variable "alert_email_addresses" {
  description = "Team e-mail addresses subscribed to the alert topic."
  type        = list(string)
  default     = []
}

variable "quarantined_rows_alarm_threshold" {
  description = "Alarm when a job quarantines more rows than this within an hour."
  type        = number
  default     = 100
}

variable "anomaly_rate_alarm_threshold" {
  description = "Alarm when the share of transactions flagged as anomalous exceeds this."
  type        = number
  default     = 0.05
}

variable "job_duration_alarm_minutes" {
  description = "Alarm when a job run takes longer than this many minutes."
  type        = number
  default     = 60
}
