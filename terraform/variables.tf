# Inputs of the root configuration. Constrained values are validated here and again inside the
# modules, with the rules the Python side applies (secure_transform config, tokenization, binning,
# anomaly, io), so a bad value fails at `terraform plan`.

# --- Identity and tagging ------------------------------------------------------------------------

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

  validation {
    condition     = contains(["dev", "test", "staging", "prod"], var.environment)
    error_message = "The environment must be dev, test, staging or prod."
  }
}

variable "name_prefix" {
  description = "Prefix of resource names (jobs, roles, keys, log groups), e.g. smt-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "The name_prefix must be 3-20 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "bucket_name_prefix" {
  description = "Globally unique prefix of the bucket names (<prefix>-<zone>), e.g. acme-smt-prod-euw1."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,47}[a-z0-9]$", var.bucket_name_prefix)) && !can(regex("^xn--|--", var.bucket_name_prefix))
    error_message = "The bucket_name_prefix must be 3-49 lowercase letters, digits or single '-', starting and ending with a letter or digit."
  }
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

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC (private range, /16 to /24)."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24, false)
    error_message = "The vpc_cidr must be a valid IPv4 CIDR with a prefix length between /16 and /24."
  }

  validation {
    condition     = can(regex("^(10\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|192\\.168\\.)", var.vpc_cidr))
    error_message = "The vpc_cidr must be in a private (RFC 1918) range."
  }
}

variable "private_subnet_cidrs" {
  description = "CIDRs of the private subnets, one per AZ (at least two)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_cidrs) >= 2 && alltrue([for cidr in var.private_subnet_cidrs : can(cidrhost(cidr, 0))])
    error_message = "Give at least two valid IPv4 subnet CIDRs (one per AZ)."
  }

  validation {
    condition     = length(distinct(var.private_subnet_cidrs)) == length(var.private_subnet_cidrs)
    error_message = "The private_subnet_cidrs must be distinct."
  }
}

variable "availability_zone_ids" {
  description = "AZ IDs (e.g. euw1-az1) of the private subnets, one per entry of private_subnet_cidrs, in the same order."
  type        = list(string)

  validation {
    condition     = length(var.availability_zone_ids) >= 2 && length(distinct(var.availability_zone_ids)) == length(var.availability_zone_ids) && alltrue([for id in var.availability_zone_ids : can(regex("^[a-z]{2,5}[0-9]-az[0-9]+$", id))])
    error_message = "Give at least two distinct AZ IDs such as euw1-az1 (one per private subnet)."
  }
}

# --- Keys, logs, retention -----------------------------------------------------------------------

variable "kms_deletion_window_days" {
  description = "Waiting period before a scheduled KMS key deletion takes effect."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "The kms_deletion_window_days must be between 7 and 30."
  }
}

variable "log_retention_days" {
  description = "Retention of every log group: a CloudWatch Logs value of at least one year."
  type        = number
  default     = 400

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log_retention_days must be one of 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "temp_expiration_days" {
  description = "Days Glue temporary files and Spark UI logs are kept."
  type        = number
  default     = 14

  validation {
    condition     = var.temp_expiration_days >= 1 && var.temp_expiration_days <= 90
    error_message = "The temp_expiration_days must be between 1 and 90."
  }
}

variable "quarantine_expiration_days" {
  description = "Days quarantined objects and rows are kept for review."
  type        = number
  default     = 90

  validation {
    condition     = var.quarantine_expiration_days >= 7 && var.quarantine_expiration_days <= 3650
    error_message = "The quarantine_expiration_days must be between 7 and 3650."
  }
}

variable "reidentified_expiration_days" {
  description = "Days re-identified output is kept."
  type        = number
  default     = 7

  validation {
    condition     = var.reidentified_expiration_days >= 1 && var.reidentified_expiration_days <= 30
    error_message = "The reidentified_expiration_days must be between 1 and 30."
  }
}

variable "access_log_expiration_days" {
  description = "Days S3 server access logs are kept (at least one year)."
  type        = number
  default     = 400

  validation {
    condition     = var.access_log_expiration_days >= 365
    error_message = "The access_log_expiration_days must be at least 365."
  }
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

  validation {
    condition     = contains(["GOVERNANCE", "COMPLIANCE"], var.macie_results_object_lock.mode) && var.macie_results_object_lock.days >= 1
    error_message = "The macie_results_object_lock mode must be GOVERNANCE or COMPLIANCE and days >= 1."
  }
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy empty non-empty buckets. Development only; never in production."
  type        = bool
  default     = false
}

# --- Glue -----------------------------------------------------------------------------------------

variable "glue_version" {
  description = "Glue version of every job; must be 5.0 (the runtime the library and wheels are built for)."
  type        = string
  default     = "5.0"

  validation {
    condition     = var.glue_version == "5.0"
    error_message = "The glue_version must be \"5.0\"."
  }
}

variable "artifact_version" {
  description = "Library release the jobs run (s3://<artifacts>/releases/<version>/); scripts/deploy.sh passes the version it built."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+([a-z0-9.]*)$", var.artifact_version))
    error_message = "The artifact_version must be a PEP 440 release such as 0.1.0 (no local '+' part)."
  }
}

variable "glue_job_settings" {
  description = "Worker type, number of workers, timeout (minutes) and retries of each job."
  type = map(object({
    worker_type       = string
    number_of_workers = number
    timeout_minutes   = number
    max_retries       = number
  }))

  validation {
    condition     = length(setsubtract(keys(var.glue_job_settings), ["detect_pii", "macie_masking", "main_etl", "leak_check", "reidentify"])) == 0 && length(setsubtract(["detect_pii", "macie_masking", "main_etl", "leak_check", "reidentify"], keys(var.glue_job_settings))) == 0
    error_message = "The glue_job_settings must have exactly the keys detect_pii, macie_masking, main_etl, leak_check and reidentify."
  }

  validation {
    condition     = alltrue([for s in values(var.glue_job_settings) : contains(["G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X"], s.worker_type)])
    error_message = "Each worker_type must be G.1X, G.2X, G.4X, G.8X, G.12X, G.16X, R.1X, R.2X, R.4X or R.8X."
  }

  validation {
    condition     = alltrue([for s in values(var.glue_job_settings) : s.number_of_workers >= 2 && s.number_of_workers <= 1000 && floor(s.number_of_workers) == s.number_of_workers])
    error_message = "Each number_of_workers must be a whole number between 2 and 1000."
  }

  validation {
    condition     = alltrue([for s in values(var.glue_job_settings) : s.timeout_minutes >= 1 && s.timeout_minutes <= 2880 && s.max_retries >= 0 && s.max_retries <= 10])
    error_message = "Each timeout_minutes must be between 1 and 2880 and max_retries between 0 and 10."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the jobs' custom metrics."
  type        = string
  default     = "SecureMLTransform"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !can(regex("^AWS/", var.metrics_namespace))
    error_message = "The metrics_namespace must be 1-255 characters of letters, digits and . _ / # : - and must not start with AWS/."
  }
}

variable "log_level" {
  description = "Log level of the jobs' own logger."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "The log_level must be DEBUG, INFO, WARNING or ERROR."
  }
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

  validation {
    condition     = length(var.pii_columns) > 0 && alltrue([for spec in values(var.pii_columns) : contains(["deterministic", "hash", "non_deterministic", "format_preserving", "mask", "redact", "drop"], spec.method)])
    error_message = "The pii_columns must name at least one column; each method must be one of deterministic, hash, non_deterministic, format_preserving, mask, redact, drop."
  }
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

  validation {
    condition     = contains(["percentile", "quantile", "custom", "fixed_width"], var.binning_config.method)
    error_message = "The binning_config method must be percentile, quantile, custom or fixed_width."
  }
}

variable "anomaly_threshold" {
  description = "Isolation Forest contamination (--anomaly_threshold), in (0, 0.5]."
  type        = number

  validation {
    condition     = var.anomaly_threshold > 0 && var.anomaly_threshold <= 0.5
    error_message = "The anomaly_threshold must be in (0, 0.5]."
  }
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

  validation {
    condition = alltrue([
      var.anomaly_config.features == null || try(length(var.anomaly_config.features) > 0 && length(distinct(var.anomaly_config.features)) == length(var.anomaly_config.features), false),
      var.anomaly_config.n_estimators == null || try(var.anomaly_config.n_estimators >= 1 && var.anomaly_config.n_estimators <= 10000 && floor(var.anomaly_config.n_estimators) == var.anomaly_config.n_estimators, false),
      var.anomaly_config.max_samples == null || try((var.anomaly_config.max_samples > 0 && var.anomaly_config.max_samples < 1) || (var.anomaly_config.max_samples >= 2 && floor(var.anomaly_config.max_samples) == var.anomaly_config.max_samples), false),
      var.anomaly_config.max_features == null || try((var.anomaly_config.max_features > 0 && var.anomaly_config.max_features < 1) || (var.anomaly_config.max_features >= 1 && floor(var.anomaly_config.max_features) == var.anomaly_config.max_features), false),
      var.anomaly_config.random_state == null || try(var.anomaly_config.random_state >= 0 && var.anomaly_config.random_state < 4294967296 && floor(var.anomaly_config.random_state) == var.anomaly_config.random_state, false),
      var.anomaly_config.sample_size == null || try(var.anomaly_config.sample_size >= 2 && var.anomaly_config.sample_size <= 2000000 && floor(var.anomaly_config.sample_size) == var.anomaly_config.sample_size, false),
      var.anomaly_config.velocity_windows == null || try(length(var.anomaly_config.velocity_windows) > 0, false),
      var.anomaly_config.max_reasons == null || try(var.anomaly_config.max_reasons >= 1 && var.anomaly_config.max_reasons <= 10 && floor(var.anomaly_config.max_reasons) == var.anomaly_config.max_reasons, false),
    ])
    error_message = "Invalid anomaly_config: features a non-empty list without repeats; n_estimators 1..10000; max_samples an integer >= 2 or a fraction in (0, 1); max_features an integer >= 1 or a fraction in (0, 1); random_state in [0, 2^32); sample_size 2..2000000; velocity_windows non-empty; max_reasons 1..10."
  }
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

  validation {
    condition = var.risk_config == null || try(alltrue([
      length(var.risk_config.quasi_identifiers) >= 1 && length(var.risk_config.quasi_identifiers) <= 16,
      length(distinct(var.risk_config.quasi_identifiers)) == length(var.risk_config.quasi_identifiers),
      alltrue([for c in var.risk_config.quasi_identifiers : length(trimspace(c)) > 0 && length(c) <= 128]),
      var.risk_config.min_k == null || try(var.risk_config.min_k >= 2 && var.risk_config.min_k <= 1000000 && floor(var.risk_config.min_k) == var.risk_config.min_k, false),
      var.risk_config.min_l == null || try(var.risk_config.min_l >= 1 && var.risk_config.min_l <= 1000 && floor(var.risk_config.min_l) == var.risk_config.min_l, false),
      coalesce(var.risk_config.min_l, 1) <= coalesce(var.risk_config.min_k, 5),
      coalesce(var.risk_config.min_l, 1) == 1 || var.risk_config.sensitive_column != null,
      var.risk_config.sensitive_column == null || try(length(trimspace(var.risk_config.sensitive_column)) > 0 && length(var.risk_config.sensitive_column) <= 128 && !contains(var.risk_config.quasi_identifiers, var.risk_config.sensitive_column), false),
      contains(["report", "suppress", "block"], coalesce(var.risk_config.action, "report")),
      var.risk_config.derived_columns == null || try(length(setsubtract(var.risk_config.derived_columns, ["transaction_hour", "postcode_area"])) == 0 && length(distinct(var.risk_config.derived_columns)) == length(var.risk_config.derived_columns), false),
    ]), false)
    error_message = "Invalid risk_config: quasi_identifiers 1-16 distinct column names; min_k a whole number in [2, 1000000]; min_l a whole number in [1, 1000], at most min_k, and > 1 only with a sensitive_column; sensitive_column not a quasi-identifier; action report, suppress or block; derived_columns only transaction_hour and postcode_area."
  }
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

  validation {
    condition = alltrue([
      try(alltrue([for action in values(var.masking_policy.types) : contains(["redact", "keep_last4", "tokenize", "keep", "quarantine"], action)]), var.masking_policy.types == null),
      try(alltrue([for action in values(var.masking_policy.custom) : contains(["redact", "keep_last4", "tokenize", "keep", "quarantine"], action)]), var.masking_policy.custom == null),
    ])
    error_message = "Each masking_policy action (types and custom) must be one of redact, keep_last4, tokenize, keep, quarantine."
  }
}

variable "run_mode" {
  description = "main_etl mode for bin edges and the anomaly model: fit, apply or fit_and_apply."
  type        = string
  default     = "fit_and_apply"

  validation {
    condition     = contains(["fit", "apply", "fit_and_apply"], var.run_mode)
    error_message = "The run_mode must be fit, apply or fit_and_apply."
  }
}

variable "catalog_table_name" {
  description = "Glue Data Catalog table of the transformed zone."
  type        = string
  default     = "transactions"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,254}$", var.catalog_table_name))
    error_message = "The catalog_table_name must be lowercase letters, digits and '_', starting with a letter."
  }
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

  validation {
    condition     = can(regex("^cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)$", var.workflow_schedule))
    error_message = "The workflow_schedule must be a six-field cron(...) expression."
  }
}

variable "workflow_schedule_enabled" {
  description = "Activate the scheduled start trigger."
  type        = bool
  default     = true
}

# --- Macie ----------------------------------------------------------------------------------------

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

  validation {
    condition     = alltrue([for name, cdi in var.macie_custom_data_identifiers : can(regex("^[a-z0-9][a-z0-9-]{0,100}$", name)) && length(cdi.regex) >= 1 && length(cdi.regex) <= 512 && length(cdi.description) >= 1 && length(cdi.description) <= 512])
    error_message = "Each custom data identifier needs a name of 1-101 lowercase letters, digits or '-', a regex of 1-512 characters and a description of 1-512 characters."
  }

  validation {
    condition     = alltrue([for cdi in values(var.macie_custom_data_identifiers) : length(cdi.keywords) <= 50 && alltrue([for k in cdi.keywords : length(k) >= 3 && length(k) <= 90]) && cdi.maximum_match_distance >= 1 && cdi.maximum_match_distance <= 300 && floor(cdi.maximum_match_distance) == cdi.maximum_match_distance])
    error_message = "Custom data identifier keywords: at most 50, each 3-90 characters; maximum_match_distance a whole number between 1 and 300."
  }
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

  validation {
    condition     = contains(["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"], var.macie_finding_publishing_frequency)
    error_message = "The macie_finding_publishing_frequency must be FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS."
  }
}

variable "macie_results_prefix" {
  description = "Key prefix of Macie's discovery results in the macie-results bucket; ends with '/'."
  type        = string
  default     = "macie/"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*/$", var.macie_results_prefix))
    error_message = "The macie_results_prefix must be lowercase letters, digits, '_' or '-' and end with '/'."
  }
}

variable "macie_event_batch_size" {
  description = "Macie findings batched into one event-started workflow run (1-100)."
  type        = number
  default     = 50

  validation {
    condition     = var.macie_event_batch_size >= 1 && var.macie_event_batch_size <= 100 && floor(var.macie_event_batch_size) == var.macie_event_batch_size
    error_message = "The macie_event_batch_size must be a whole number between 1 and 100."
  }
}

variable "macie_event_batch_window_seconds" {
  description = "Longest wait (seconds) for a batch of Macie findings (1-900)."
  type        = number
  default     = 900

  validation {
    condition     = var.macie_event_batch_window_seconds >= 1 && var.macie_event_batch_window_seconds <= 900
    error_message = "The macie_event_batch_window_seconds must be between 1 and 900."
  }
}

# --- Monitoring -----------------------------------------------------------------------------------

variable "alert_email_addresses" {
  description = "Team e-mail addresses subscribed to the alert topic."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[A-Za-z]{2,}$", address))])
    error_message = "Every alert_email_addresses entry must be an e-mail address."
  }
}

variable "quarantined_rows_alarm_threshold" {
  description = "Alarm when a job quarantines more rows than this within an hour."
  type        = number
  default     = 100

  validation {
    condition     = var.quarantined_rows_alarm_threshold >= 0
    error_message = "The quarantined_rows_alarm_threshold must be >= 0."
  }
}

variable "anomaly_rate_alarm_threshold" {
  description = "Alarm when the share of transactions flagged as anomalous exceeds this."
  type        = number
  default     = 0.05

  validation {
    condition     = var.anomaly_rate_alarm_threshold > 0 && var.anomaly_rate_alarm_threshold <= 1
    error_message = "The anomaly_rate_alarm_threshold must be in (0, 1]."
  }
}

variable "job_duration_alarm_minutes" {
  description = "Alarm when a job run takes longer than this many minutes."
  type        = number
  default     = 60

  validation {
    condition     = var.job_duration_alarm_minutes >= 1 && var.job_duration_alarm_minutes <= 2880
    error_message = "The job_duration_alarm_minutes must be between 1 and 2880."
  }
}
