# Inputs handed unchanged to modules/s3_bucket or modules/s3_log_bucket are validated there; the
# rules here are this module's own: the bucket naming scheme and each zone's retention policy
# (narrower than the generic bucket modules allow).

variable "bucket_name_prefix" {
  description = "Globally unique prefix of every bucket name; buckets are named <prefix>-<zone> (e.g. <prefix>-macie-results, the longest, must stay within 63 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,47}[a-z0-9]$", var.bucket_name_prefix)) && !can(regex("^(xn--|sthree-|amzn-s3-demo-)|--", var.bucket_name_prefix))
    error_message = "The bucket_name_prefix must be 3-49 lowercase letters, digits or single '-', starting and ending with a letter or digit, and not start with a prefix S3 reserves (xn--, sthree-, amzn-s3-demo-)."
  }
}

variable "kms_key_arns" {
  description = "KMS key ARN by purpose, from modules/kms (raw, data, logs, macie are used here)."
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

variable "macie_results_prefix" {
  description = "Key prefix under which Macie writes discovery results (must match the Macie export configuration); ends with '/'."
  type        = string
  default     = "macie/"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*/$", var.macie_results_prefix))
    error_message = "The macie_results_prefix must be lowercase letters, digits, '_' or '-' and end with '/'."
  }
}

variable "macie_results_object_lock" {
  description = "Default Object Lock retention of the Macie results (audit) bucket."
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

variable "temp_expiration_days" {
  description = "Days after which Glue temporary files and Spark UI event logs expire."
  type        = number
  default     = 14

  validation {
    condition     = var.temp_expiration_days >= 1 && var.temp_expiration_days <= 90
    error_message = "The temp_expiration_days must be between 1 and 90."
  }
}

variable "quarantine_expiration_days" {
  description = "Days quarantined objects and rows are kept for review before they expire."
  type        = number
  default     = 90

  validation {
    condition     = var.quarantine_expiration_days >= 7 && var.quarantine_expiration_days <= 3650
    error_message = "The quarantine_expiration_days must be between 7 and 3650."
  }
}

variable "reidentified_expiration_days" {
  description = "Days re-identified output (plain personal data for an investigation) is kept."
  type        = number
  default     = 7

  validation {
    condition     = var.reidentified_expiration_days >= 1 && var.reidentified_expiration_days <= 30
    error_message = "The reidentified_expiration_days must be between 1 and 30."
  }
}

variable "access_log_expiration_days" {
  description = "Days S3 server access logs are kept: a whole number of at least 365 (validated by modules/s3_log_bucket, which this value is handed to)."
  type        = number
  default     = 400
}

variable "noncurrent_version_expiration_days" {
  description = "Days noncurrent object versions are kept in the zone buckets: a whole number >= 1 (validated by modules/s3_bucket)."
  type        = number
  default     = 90
}

variable "force_destroy" {
  description = "Allow terraform destroy to empty and delete the buckets (development only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the buckets (provider default_tags are added automatically)."
  type        = map(string)
  default     = {}
}
