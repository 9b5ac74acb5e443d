variable "bucket" {
  description = "Name of the bucket: secure_transform.io's rule (AWS's naming rules for general purpose buckets), and no '.' because this module creates the bucket and dotted names break virtual-hosted-style HTTPS."
  type        = string

  validation {
    condition     = length(var.bucket) >= 3 && length(var.bucket) <= 63 && can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", var.bucket)) && !can(regex("^[0-9]+(\\.[0-9]+){3}$", var.bucket)) && !can(regex("^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", var.bucket))
    error_message = "The bucket name must follow secure_transform.io's rule (AWS's naming rules for general purpose buckets): 3-63 lowercase letters, digits, '.' and '-', each dot-separated part starting and ending with a letter or digit, not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }

  validation {
    condition     = !can(regex("[.]", var.bucket))
    error_message = "The bucket name must not contain '.': this module creates the bucket, and dotted names break virtual-hosted-style HTTPS (the S3 wildcard certificate) and S3 Transfer Acceleration."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key used for default encryption (SSE-KMS)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", var.kms_key_arn))
    error_message = "The kms_key_arn must be the ARN of a KMS key (not an alias)."
  }
}

variable "access_log_bucket" {
  description = "Name of the bucket that receives this bucket's server access logs."
  type        = string

  validation {
    condition     = length(var.access_log_bucket) >= 3 && length(var.access_log_bucket) <= 63 && can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", var.access_log_bucket)) && !can(regex("^[0-9]+(\\.[0-9]+){3}$", var.access_log_bucket)) && !can(regex("^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", var.access_log_bucket))
    error_message = "The access_log_bucket must follow secure_transform.io's rule (AWS's naming rules for general purpose buckets): 3-63 lowercase letters, digits, '.' and '-', each dot-separated part starting and ending with a letter or digit, not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "expiration_days" {
  description = "Days after which current object versions expire; null keeps them until deleted."
  type        = number
  default     = null

  validation {
    condition     = var.expiration_days == null || try(var.expiration_days >= 1 && floor(var.expiration_days) == var.expiration_days, false)
    error_message = "The expiration_days must be null or a whole number of days >= 1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions are deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "The noncurrent_version_expiration_days must be a whole number >= 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && var.abort_incomplete_multipart_upload_days <= 30
    error_message = "The abort_incomplete_multipart_upload_days must be between 1 and 30."
  }
}

variable "object_lock_retention" {
  description = "Default Object Lock retention for audit buckets (mode GOVERNANCE or COMPLIANCE, days); null sets no default retention (legal holds remain possible)."
  type = object({
    mode = string
    days = number
  })
  default = null

  validation {
    condition     = var.object_lock_retention == null || try(contains(["GOVERNANCE", "COMPLIANCE"], var.object_lock_retention.mode) && var.object_lock_retention.days >= 1, false)
    error_message = "The object_lock_retention mode must be GOVERNANCE or COMPLIANCE and days >= 1."
  }
}

variable "deny_unencrypted_uploads" {
  description = "Attach the header-deny statements (PutObject must send SSE-KMS headers naming this bucket's key). Only for buckets whose every writer sends the headers."
  type        = bool
  default     = false
}

variable "policy_documents" {
  description = "Additional IAM policy documents (JSON) merged into the bucket policy, e.g. service delivery statements."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a non-empty bucket (never in production; objects under Object Lock retention still block deletion)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the bucket (provider default_tags are added automatically)."
  type        = map(string)
  default     = {}
}
