variable "name_prefix" {
  description = "Prefix of the Macie job and custom identifier names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "The name_prefix must be 3-20 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "enabled" {
  description = "Create the classification job, custom identifiers and results export. False leaves Macie out entirely (the built-in detector still runs)."
  type        = bool
  default     = true
}

variable "manage_macie_account" {
  description = "Enable Macie in this account and region from this stack. Leave false when Macie is already enabled (e.g. by a delegated administrator)."
  type        = bool
  default     = false
}

variable "finding_publishing_frequency" {
  description = "How often Macie republishes updates of policy findings to EventBridge."
  type        = string
  default     = "FIFTEEN_MINUTES"

  validation {
    condition     = contains(["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"], var.finding_publishing_frequency)
    error_message = "The finding_publishing_frequency must be FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS."
  }
}

variable "raw_bucket_name" {
  description = "The raw-zone bucket the classification job scans."
  type        = string

  validation {
    condition     = length(var.raw_bucket_name) >= 3 && length(var.raw_bucket_name) <= 63 && can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", var.raw_bucket_name)) && !can(regex("^[0-9]+(\\.[0-9]+){3}$", var.raw_bucket_name)) && !can(regex("^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", var.raw_bucket_name))
    error_message = "The raw_bucket_name must follow secure_transform.io's rule (AWS's naming rules for general purpose buckets): 3-63 lowercase letters, digits, '.' and '-', each dot-separated part starting and ending with a letter or digit, not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "results_bucket_name" {
  description = "The bucket of Macie's discovery-results repository (its policy must carry Macie's statements)."
  type        = string

  validation {
    condition     = length(var.results_bucket_name) >= 3 && length(var.results_bucket_name) <= 63 && can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", var.results_bucket_name)) && !can(regex("^[0-9]+(\\.[0-9]+){3}$", var.results_bucket_name)) && !can(regex("^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", var.results_bucket_name))
    error_message = "The results_bucket_name must follow secure_transform.io's rule (AWS's naming rules for general purpose buckets): 3-63 lowercase letters, digits, '.' and '-', each dot-separated part starting and ending with a letter or digit, not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "results_prefix" {
  description = "Key prefix of the discovery results in the results bucket; ends with '/'."
  type        = string
  default     = "macie/"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*/$", var.results_prefix))
    error_message = "The results_prefix must be lowercase letters, digits, '_' or '-' and end with '/'."
  }
}

variable "results_kms_key_arn" {
  description = "Customer-managed symmetric KMS key Macie encrypts the discovery results with."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.results_kms_key_arn))
    error_message = "The results_kms_key_arn must be a KMS key ARN."
  }
}

variable "create_default_custom_data_identifiers" {
  description = "Create the built-in custom data identifiers (e-mail address, internal account number, customer id) besides custom_data_identifiers."
  type        = bool
  default     = true
}

variable "custom_data_identifiers" {
  description = "Additional custom data identifiers, by name (e.g. the .tfvars.json written by `secure-transform feedback summarize`). Macie's limits: regex 1-512 characters, description 1-512, at most 50 keywords of 3-90 characters, maximum_match_distance 1-300; names are lowercase letters, digits and '-' (prefixed with name_prefix)."
  type = map(object({
    description            = string
    regex                  = string
    keywords               = list(string)
    maximum_match_distance = number
  }))
  default = {}

  validation {
    condition     = alltrue([for name, cdi in var.custom_data_identifiers : can(regex("^[a-z0-9][a-z0-9-]{0,100}$", name)) && length(cdi.regex) >= 1 && length(cdi.regex) <= 512 && length(cdi.description) >= 1 && length(cdi.description) <= 512])
    error_message = "Each custom data identifier needs a name of 1-101 lowercase letters, digits or '-', a regex of 1-512 characters and a description of 1-512 characters."
  }

  validation {
    condition     = alltrue([for cdi in values(var.custom_data_identifiers) : length(cdi.keywords) <= 50 && alltrue([for k in cdi.keywords : length(k) >= 3 && length(k) <= 90]) && cdi.maximum_match_distance >= 1 && cdi.maximum_match_distance <= 300 && floor(cdi.maximum_match_distance) == cdi.maximum_match_distance])
    error_message = "Custom data identifier keywords: at most 50, each 3-90 characters; maximum_match_distance a whole number between 1 and 300."
  }
}

variable "tags" {
  description = "Tags for the Macie resources (provider default_tags are added automatically)."
  type        = map(string)
  default     = {}
}
