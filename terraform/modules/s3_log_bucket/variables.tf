variable "bucket" {
  description = "Name of the access-log bucket: secure_transform.io's rule (AWS's naming rules for general purpose buckets), and no '.' because this module creates the bucket."
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
    condition     = length(var.source_bucket_names) > 0 && alltrue([for name in var.source_bucket_names : length(name) >= 3 && length(name) <= 63 && can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", name)) && !can(regex("^[0-9]+(\\.[0-9]+){3}$", name)) && !can(regex("^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", name))])
    error_message = "The source_bucket_names must be a non-empty list of bucket names that follow secure_transform.io's rule (AWS's naming rules for general purpose buckets): 3-63 lowercase letters, digits, '.' and '-', each dot-separated part starting and ending with a letter or digit, not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
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
