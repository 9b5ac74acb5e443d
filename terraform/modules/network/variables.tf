variable "name_prefix" {
  description = "Prefix for resource names and the flow-log group (/<name_prefix>/vpc-flow-logs)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "The name_prefix must be 3-20 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC (a private range, /16 to /24)."
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
  description = "CIDRs of the private subnets, one per availability zone (at least two AZs). Size them for the Glue workers' ENIs plus the interface endpoints."
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

variable "s3_bucket_names" {
  description = "Every bucket the jobs may reach through the S3 gateway endpoint (the project's buckets). Buckets not listed are unreachable from the VPC."
  type        = list(string)

  validation {
    condition     = length(var.s3_bucket_names) > 0 && alltrue([for name in var.s3_bucket_names : length(name) >= 3 && length(name) <= 63 && can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", name)) && !can(regex("^[0-9]+(\\.[0-9]+){3}$", name)) && !can(regex("^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", name))])
    error_message = "The s3_bucket_names must be a non-empty list of bucket names that follow secure_transform.io's rule (AWS's naming rules for general purpose buckets): 3-63 lowercase letters, digits, '.' and '-', each dot-separated part starting and ending with a letter or digit, not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "kms_key_arns" {
  description = "KMS keys usable through the KMS interface endpoint."
  type        = list(string)

  validation {
    condition     = length(var.kms_key_arns) > 0 && alltrue([for arn in var.kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:", arn))])
    error_message = "The kms_key_arns must be a non-empty list of KMS key ARNs."
  }
}

variable "secret_arns" {
  description = "Secrets readable through the Secrets Manager interface endpoint."
  type        = list(string)

  validation {
    condition     = length(var.secret_arns) > 0 && alltrue([for arn in var.secret_arns : can(regex("^arn:aws[a-z-]*:secretsmanager:", arn))])
    error_message = "The secret_arns must be a non-empty list of Secrets Manager secret ARNs."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key for the flow-log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.logs_kms_key_arn))
    error_message = "The logs_kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the flow-log group in days: one of CloudWatch Logs' allowed values, at least 365."
  type        = number
  default     = 400

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log_retention_days must be a CloudWatch Logs retention value of at least one year: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "tags" {
  description = "Tags for the network resources (provider default_tags are added automatically)."
  type        = map(string)
  default     = {}
}
