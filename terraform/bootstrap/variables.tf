variable "region" {
  description = "Region of the state bucket (the same as the deployment's)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "The region must be an AWS region name such as eu-west-1."
  }
}

variable "environment" {
  description = "Environment the state belongs to."
  type        = string

  validation {
    condition     = contains(["dev", "test", "staging", "prod"], var.environment)
    error_message = "The environment must be dev, test, staging or prod."
  }
}

variable "owner" {
  description = "Owning team (default tag)."
  type        = string

  validation {
    condition     = length(trimspace(var.owner)) > 0
    error_message = "The owner must not be empty."
  }
}

# Validated here although modules/s3_bucket and modules/s3_log_bucket check the bucket-name rule too:
# this root derives <name>-access-logs (hence at most 51 characters) and the KMS alias
# alias/<name> (no dots) from it.
variable "state_bucket_name" {
  description = "Globally unique name of the state bucket (its access-log bucket is <name>-access-logs)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,49}[a-z0-9]$", var.state_bucket_name)) && !can(regex("^(xn--|sthree-|amzn-s3-demo-)|--", var.state_bucket_name))
    error_message = "The state_bucket_name must be 3-51 lowercase letters, digits or single '-' (room for the -access-logs suffix), and not start with a prefix S3 reserves (xn--, sthree-, amzn-s3-demo-)."
  }
}

variable "state_user_role_names" {
  description = "IAM roles that run Terraform for this project (they read and write the state)."
  type        = list(string)

  validation {
    condition     = length(var.state_user_role_names) > 0 && alltrue([for name in var.state_user_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", name))])
    error_message = "Give at least one IAM role name."
  }
}
