variable "bucket" {
  description = "Name of the access-log bucket (lowercase letters, digits and '-', 3-63 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket)) && !can(regex("^xn--|-s3alias$|--ol-s3$", var.bucket))
    error_message = "The bucket name must be 3-63 characters of lowercase letters, digits and '-', starting and ending with a letter or digit."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key for default encryption. Its key policy must let logging.s3.amazonaws.com generate data keys."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", var.kms_key_arn))
    error_message = "The kms_key_arn must be the ARN of a KMS key (not an alias)."
  }
}

variable "source_bucket_names" {
  description = "Names of the buckets allowed to deliver server access logs here."
  type        = list(string)

  validation {
    condition     = length(var.source_bucket_names) > 0 && alltrue([for b in var.source_bucket_names : can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", b))])
    error_message = "The source_bucket_names must be a non-empty list of valid bucket names."
  }
}

variable "expiration_days" {
  description = "Days access logs are kept (at least one year for audit)."
  type        = number
  default     = 400

  validation {
    condition     = var.expiration_days >= 365 && floor(var.expiration_days) == var.expiration_days
    error_message = "The expiration_days must be a whole number >= 365."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a non-empty bucket (never in production)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the bucket (provider default_tags are added automatically)."
  type        = map(string)
  default     = {}
}
