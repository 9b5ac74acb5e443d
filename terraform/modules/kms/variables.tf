variable "name_prefix" {
  description = "Prefix for key aliases, the secret name and the project's log groups (/<name_prefix>/...)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "The name_prefix must be 3-20 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "key_users" {
  description = "IAM principal ARNs allowed to use each key for cryptographic operations, by purpose (raw, data, logs, secrets, macie). Principals must exist when the key policy is set."
  type = object({
    raw     = list(string)
    data    = list(string)
    logs    = list(string)
    secrets = list(string)
    macie   = list(string)
  })

  validation {
    condition     = alltrue([for arn in flatten(values(var.key_users)) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "Every key user must be an IAM role or user ARN."
  }

  validation {
    condition     = alltrue([for users in values(var.key_users) : length(users) > 0])
    error_message = "Every key needs at least one user (a key nobody may use is a mistake)."
  }
}

variable "macie_service_role_arn" {
  description = "ARN of Macie's service-linked role (AWSServiceRoleForAmazonMacie), allowed to decrypt the raw key; null when Macie is not enabled in the account."
  type        = string
  default     = null

  validation {
    condition     = var.macie_service_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie$", var.macie_service_role_arn))
    error_message = "The macie_service_role_arn must be the ARN of AWSServiceRoleForAmazonMacie."
  }
}

variable "secret_reader_arns" {
  description = "IAM role ARNs that may read the tokenization key set (the Glue job roles that tokenize or re-identify)."
  type        = list(string)

  validation {
    condition     = length(var.secret_reader_arns) > 0 && alltrue([for arn in var.secret_reader_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "The secret_reader_arns must be a non-empty list of IAM role ARNs."
  }
}

variable "secret_writer_arns" {
  description = "IAM role ARNs of the key custodians who may write new key-set versions; empty leaves writing to IAM policies."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.secret_writer_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "The secret_writer_arns must be IAM role ARNs."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion takes effect."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "The deletion_window_in_days must be between 7 and 30."
  }
}

variable "rotation_period_in_days" {
  description = "Automatic key rotation period."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560
    error_message = "The rotation_period_in_days must be between 90 and 2560."
  }
}

variable "secret_recovery_window_in_days" {
  description = "Days a deleted tokenization secret can still be restored (losing it makes reversible tokens unrecoverable)."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_in_days >= 7 && var.secret_recovery_window_in_days <= 30
    error_message = "The secret_recovery_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags for keys and the secret (provider default_tags are added automatically)."
  type        = map(string)
  default     = {}
}
