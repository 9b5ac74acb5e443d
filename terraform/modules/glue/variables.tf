# Constrained inputs are validated with the same rules as the Python side (secure_transform
# config, tokenization, binning and anomaly modules), so a bad value fails at plan time rather
# than in a job run.

variable "name_prefix" {
  description = "Prefix of every Glue resource name, role name and log-group prefix."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "The name_prefix must be 3-20 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "glue_version" {
  description = "Glue version of every job. Only 5.0 is supported: it pins Spark 3.5.4, Python 3.11, Java 17 and the numpy/pandas/pyarrow/boto3 versions the library is built and tested against."
  type        = string
  default     = "5.0"

  validation {
    condition     = var.glue_version == "5.0"
    error_message = "The glue_version must be \"5.0\" (the runtime the library and its wheels are built for)."
  }
}

variable "artifact_version" {
  description = "Version of the released library; scripts and wheels are read from s3://<artifacts>/releases/<version>/ (scripts/deploy.sh uploads them)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+([a-z0-9.]*)$", var.artifact_version))
    error_message = "The artifact_version must be a PEP 440 release such as 0.1.0 or 0.2.0rc1 (no local '+' part)."
  }
}

variable "job_settings" {
  description = "Capacity of each job: worker type, number of workers, timeout and retries. Keys must be exactly the job names."
  type = map(object({
    worker_type       = string
    number_of_workers = number
    timeout_minutes   = number
    max_retries       = number
  }))

  validation {
    condition     = length(setsubtract(keys(var.job_settings), ["detect_pii", "macie_masking", "main_etl", "leak_check", "reidentify"])) == 0 && length(setsubtract(["detect_pii", "macie_masking", "main_etl", "leak_check", "reidentify"], keys(var.job_settings))) == 0
    error_message = "The job_settings must have exactly the keys detect_pii, macie_masking, main_etl, leak_check and reidentify."
  }

  validation {
    condition     = alltrue([for s in values(var.job_settings) : contains(["G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X"], s.worker_type)])
    error_message = "Each worker_type must be a Glue 5.0 Spark worker type: G.1X, G.2X, G.4X, G.8X, G.12X, G.16X, R.1X, R.2X, R.4X or R.8X."
  }

  validation {
    condition     = alltrue([for s in values(var.job_settings) : s.number_of_workers >= 2 && s.number_of_workers <= 1000 && floor(s.number_of_workers) == s.number_of_workers])
    error_message = "Each number_of_workers must be a whole number between 2 (a driver and one executor) and 1000."
  }

  validation {
    condition     = alltrue([for s in values(var.job_settings) : s.timeout_minutes >= 1 && s.timeout_minutes <= 2880 && s.max_retries >= 0 && s.max_retries <= 10])
    error_message = "Each timeout_minutes must be between 1 and 2880 and max_retries between 0 and 10."
  }
}

variable "connection_names" {
  description = "Glue NETWORK connections attached to every job (one per AZ, first healthy one is used)."
  type        = list(string)

  validation {
    condition     = length(var.connection_names) >= 1
    error_message = "At least one Glue NETWORK connection is required: the jobs must run inside the VPC."
  }
}

variable "subnet_arns" {
  description = "ARNs of the subnets the Glue connections use (ENI permissions)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_arns) >= 1 && alltrue([for arn in var.subnet_arns : can(regex("^arn:aws[a-z-]*:ec2:[a-z0-9-]+:[0-9]{12}:subnet/subnet-[0-9a-f]+$", arn))])
    error_message = "The subnet_arns must be EC2 subnet ARNs."
  }
}

variable "security_group_arn" {
  description = "ARN of the Glue security group (ENI permissions)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ec2:[a-z0-9-]+:[0-9]{12}:security-group/sg-[0-9a-f]+$", var.security_group_arn))
    error_message = "The security_group_arn must be an EC2 security group ARN."
  }
}

variable "bucket_names" {
  description = "Bucket of each zone."
  type = object({
    raw           = string
    masked        = string
    transformed   = string
    quarantine    = string
    reidentified  = string
    macie_results = string
    artifacts     = string
    temp          = string
  })

  validation {
    condition     = alltrue([for name in values(var.bucket_names) : length(name) >= 3 && length(name) <= 63 && can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", name)) && !can(regex("^[0-9]+(\\.[0-9]+){3}$", name)) && !can(regex("^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", name))])
    error_message = "Every bucket name must follow secure_transform.io's rule (AWS's naming rules for general purpose buckets): 3-63 lowercase letters, digits, '.' and '-', each dot-separated part starting and ending with a letter or digit, not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "macie_results_prefix" {
  description = "Prefix of Macie's discovery results in the macie-results bucket (the Macie export configuration's key prefix)."
  type        = string
  default     = "macie/"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*/$", var.macie_results_prefix))
    error_message = "The macie_results_prefix must be lowercase letters, digits, '_' or '-' and end with '/'."
  }
}

variable "detector_results_prefix" {
  description = "Prefix under which the built-in detector (detect_pii) writes Macie-format results in the macie-results bucket."
  type        = string
  default     = "detector/"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*/$", var.detector_results_prefix))
    error_message = "The detector_results_prefix must be lowercase letters, digits, '_' or '-' and end with '/'."
  }
}

variable "kms_key_arns" {
  description = "KMS key ARN by purpose, from modules/kms."
  type = object({
    raw     = string
    data    = string
    logs    = string
    secrets = string
    macie   = string
  })

  validation {
    condition     = alltrue([for arn in values(var.kms_key_arns) : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", arn))])
    error_message = "Every kms_key_arns entry must be a KMS key ARN."
  }
}

variable "tokenization_secret_arn" {
  description = "ARN of the tokenization key-set secret, passed as --key_secret_id. Only the ARN: key material never appears in job arguments."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.tokenization_secret_arn))
    error_message = "The tokenization_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "alert_topic_arn" {
  description = "SNS topic the jobs alert on (leaks, quarantines), passed as --alert_topic_arn."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", var.alert_topic_arn))
    error_message = "The alert_topic_arn must be an SNS topic ARN."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the jobs' custom metrics (--metrics_namespace)."
  type        = string
  default     = "SecureMLTransform"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !can(regex("^AWS/", var.metrics_namespace))
    error_message = "The metrics_namespace must be 1-255 characters of letters, digits and . _ / # : - and must not start with AWS/."
  }
}

variable "log_level" {
  description = "Log level of the jobs' own logger (--log_level)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "The log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "log_retention_days" {
  description = "Retention of the job log groups: a CloudWatch Logs value of at least one year."
  type        = number
  default     = 400

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log_retention_days must be one of 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "pii_columns" {
  description = "Per-column tokenization (--pii_columns), as in secure_transform.tokenization: method plus the options valid for it. Salts are deliberately not offered (they would sit in job arguments; use the keyed deterministic method)."
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
    condition     = length(var.pii_columns) > 0
    error_message = "The pii_columns must name at least one column and its method."
  }

  validation {
    condition     = alltrue([for spec in values(var.pii_columns) : contains(["deterministic", "hash", "non_deterministic", "format_preserving", "mask", "redact", "drop"], spec.method)])
    error_message = "Each pii_columns method must be one of deterministic, hash, non_deterministic, format_preserving, mask, redact, drop."
  }

  # Options valid per method (tokenization._OPTIONS): anything else is rejected by the job.
  validation {
    condition = alltrue([for spec in values(var.pii_columns) : length(setsubtract(
      [for option, value in spec : option if value != null && option != "method"],
      lookup({
        deterministic     = ["key_version"]
        hash              = ["algorithm"]
        non_deterministic = ["key_version"]
        format_preserving = ["alphabet", "preserve_prefix", "preserve_suffix", "luhn", "domain", "key_version"]
        mask              = ["keep_first", "keep_last", "mask_char"]
        redact            = ["placeholder", "type"]
        drop              = []
      }, spec.method, [])
    )) == 0])
    error_message = "A pii_columns entry sets an option its method does not take: deterministic/non_deterministic take key_version; hash takes algorithm; format_preserving takes alphabet, preserve_prefix, preserve_suffix, luhn, domain, key_version; mask takes keep_first, keep_last, mask_char; redact takes placeholder or type; drop takes none."
  }

  validation {
    condition = alltrue([for spec in values(var.pii_columns) : alltrue([
      spec.algorithm == null || contains(["sha256", "sha512"], coalesce(spec.algorithm, "sha256")),
      spec.alphabet == null || contains(["digits", "alphanumeric"], coalesce(spec.alphabet, "digits")),
      alltrue([for n in [spec.preserve_prefix, spec.preserve_suffix, spec.keep_first, spec.keep_last] : n == null || try(n >= 0 && n <= 64 && floor(n) == n, false)]),
      spec.luhn != true || spec.alphabet == null || spec.alphabet == "digits",
      spec.mask_char == null || try(length(spec.mask_char) == 1, false),
      spec.placeholder == null || try(length(spec.placeholder) <= 100, false),
      spec.placeholder == null || spec.type == null,
      spec.type == null || can(regex("^[A-Za-z][A-Za-z0-9_]{0,31}$", coalesce(spec.type, "x"))),
      spec.key_version == null || can(regex("^[A-Za-z0-9_.-]{1,32}$", coalesce(spec.key_version, "x"))),
      spec.domain == null || try(length(spec.domain) > 0, false),
    ])])
    error_message = "Invalid pii_columns option: algorithm must be sha256 or sha512; alphabet digits or alphanumeric; preserve_prefix, preserve_suffix, keep_first and keep_last whole numbers in 0..64; luhn needs alphabet digits; mask_char one character; placeholder at most 100 characters and not together with type; type an identifier such as email; key_version 1-32 of [A-Za-z0-9_.-]; domain non-empty."
  }
}

variable "binning_config" {
  description = "Amount binning (--binning_config), as in secure_transform.binning: percentile/custom take bins (edges), quantile/fixed_width take n_bins; labels number edges - 1."
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

  validation {
    condition     = contains(["percentile", "custom"], var.binning_config.method) ? try(var.binning_config.n_bins == null && length(var.binning_config.bins) >= 2 && alltrue([for i in range(1, length(var.binning_config.bins)) : var.binning_config.bins[i] > var.binning_config.bins[i - 1]]), false) : try(var.binning_config.bins == null && var.binning_config.n_bins >= 1 && var.binning_config.n_bins <= 1000 && floor(var.binning_config.n_bins) == var.binning_config.n_bins, false)
    error_message = "The binning_config methods percentile and custom need bins: at least 2 strictly increasing edges and no n_bins; quantile and fixed_width need n_bins, a whole number in 1..1000, and no bins."
  }

  validation {
    condition     = var.binning_config.method != "percentile" || try(var.binning_config.bins[0] >= 0 && var.binning_config.bins[length(var.binning_config.bins) - 1] <= 100, false)
    error_message = "The binning_config percentile bins must lie within [0, 100]."
  }

  validation {
    condition     = var.binning_config.labels == null || try(length(var.binning_config.labels) == (var.binning_config.bins != null ? length(var.binning_config.bins) - 1 : var.binning_config.n_bins) && length(distinct(var.binning_config.labels)) == length(var.binning_config.labels) && !contains(var.binning_config.labels, "unknown") && alltrue([for label in var.binning_config.labels : length(trimspace(label)) > 0]), false)
    error_message = "The binning_config labels must number edges - 1 (or n_bins), be unique non-empty strings and not use the reserved label \"unknown\"."
  }

  validation {
    condition     = var.binning_config.range == null || try(var.binning_config.method == "fixed_width" && length(var.binning_config.range) == 2 && var.binning_config.range[0] < var.binning_config.range[1], false)
    error_message = "The binning_config range is only for method fixed_width and must be [min, max] with min < max."
  }

  validation {
    condition = alltrue([
      var.binning_config.relative_error == null || try(var.binning_config.relative_error >= 0.000001 && var.binning_config.relative_error <= 0.5, false),
      var.binning_config.per_currency != true || (var.binning_config.method != "custom" && var.binning_config.range == null),
      var.binning_config.min_currency_rows == null || try(var.binning_config.min_currency_rows >= 1 && floor(var.binning_config.min_currency_rows) == var.binning_config.min_currency_rows, false),
    ])
    error_message = "The binning_config relative_error must be in [1e-06, 0.5]; per_currency needs fitted edges (not method custom, no range); min_currency_rows must be a whole number >= 1."
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
  description = "Isolation Forest options (--anomaly_config), as in secure_transform.anomaly. contamination is not here: it is --anomaly_threshold. max_features is a whole number of features (>= 1) or a fraction in (0, 1); omit it to use all features."
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

variable "masking_policy" {
  description = "Overrides of the masking job's defaults (--masking_policy), as in secure_transform.masking: actions per Macie managed identifier type (types, * wildcards allowed) and per custom identifier name (custom), the default action, what to do when Macie lists fewer occurrences than it found (on_occurrence_cap) and the mask character. Empty keeps the defaults."
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
      try(alltrue([for name in concat(keys(var.masking_policy.types), keys(var.masking_policy.custom)) : length(name) > 0]), true),
    ])
    error_message = "Each masking_policy action (types and custom) must be one of redact, keep_last4, tokenize, keep, quarantine."
  }

  validation {
    condition = alltrue([
      var.masking_policy.default == null || contains(["redact", "keep_last4", "tokenize", "quarantine"], coalesce(var.masking_policy.default, "redact")),
      var.masking_policy.on_occurrence_cap == null || contains(["mask_column", "quarantine"], coalesce(var.masking_policy.on_occurrence_cap, "mask_column")),
      var.masking_policy.mask_char == null || can(regex("^[^0-9A-Za-z]$", coalesce(var.masking_policy.mask_char, "*"))),
    ])
    error_message = "The masking_policy default must be redact, keep_last4, tokenize or quarantine (never keep); on_occurrence_cap mask_column or quarantine; mask_char one character that is not a letter or digit."
  }
}

variable "environment" {
  description = "Environment name passed to the jobs (--environment): the Environment dimension of their metrics and the environment of their audit events."
  type        = string

  validation {
    condition     = contains(["dev", "test", "staging", "prod"], var.environment)
    error_message = "The environment must be dev, test, staging or prod."
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

variable "run_mode" {
  description = "main_etl mode for bin edges and the anomaly model (--run_mode): fit, apply or fit_and_apply."
  type        = string
  default     = "fit_and_apply"

  validation {
    condition     = contains(["fit", "apply", "fit_and_apply"], var.run_mode)
    error_message = "The run_mode must be fit, apply or fit_and_apply."
  }
}

variable "catalog_table_name" {
  description = "Glue Data Catalog table of the transformed zone (--catalog_table)."
  type        = string
  default     = "transactions"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,254}$", var.catalog_table_name))
    error_message = "The catalog_table_name must be lowercase letters, digits and '_', starting with a letter."
  }
}

variable "manage_catalog_encryption" {
  description = "Manage the account-wide Glue Data Catalog encryption settings here (SSE-KMS at rest, encrypted connection passwords). It is one per account and region and affects every Glue user of the account: leave false when an account baseline owns it."
  type        = bool
  default     = false
}

variable "workflow_schedule" {
  description = "Schedule of the scheduled workflow, a Glue cron expression such as cron(0 2 * * ? *) (UTC)."
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

variable "macie_event_trigger_enabled" {
  description = "Enable the EventBridge rule that starts the macie_event workflow on Macie findings for the raw bucket."
  type        = bool
  default     = true
}

variable "macie_event_batch_size" {
  description = "Macie findings batched into one macie_event workflow run (1-100)."
  type        = number
  default     = 50

  validation {
    condition     = var.macie_event_batch_size >= 1 && var.macie_event_batch_size <= 100 && floor(var.macie_event_batch_size) == var.macie_event_batch_size
    error_message = "The macie_event_batch_size must be a whole number between 1 and 100."
  }
}

variable "macie_event_batch_window_seconds" {
  description = "Longest wait (seconds) for a batch of Macie findings before the workflow starts (1-900)."
  type        = number
  default     = 900

  validation {
    condition     = var.macie_event_batch_window_seconds >= 1 && var.macie_event_batch_window_seconds <= 900
    error_message = "The macie_event_batch_window_seconds must be between 1 and 900."
  }
}

variable "tags" {
  description = "Tags for the Glue resources (provider default_tags are added automatically)."
  type        = map(string)
  default     = {}
}
