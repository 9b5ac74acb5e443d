variable "name_prefix" {
  description = "Prefix of alarm, rule, topic and dashboard names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "The name_prefix must be 3-20 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the alert topic (the logs key; its policy lets EventBridge and CloudWatch publish)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "The kms_key_arn must be a KMS key ARN."
  }
}

variable "alert_email_addresses" {
  description = "E-mail addresses (team distribution lists) subscribed to the alert topic; each must confirm the subscription."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[A-Za-z]{2,}$", address))])
    error_message = "Every alert_email_addresses entry must be an e-mail address."
  }
}

variable "job_names" {
  description = "Glue job name by script name (from modules/glue)."
  type        = map(string)
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

variable "metric_environment" {
  description = "Value of the Environment dimension on the jobs' custom metrics (secure_transform.metrics: \"aws\" on Glue unless the job is told its environment)."
  type        = string
  default     = "aws"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:+= -]{1,255}$", var.metric_environment))
    error_message = "The metric_environment must be a valid CloudWatch dimension value."
  }
}

variable "metric_names" {
  description = "Names of the custom metrics the jobs publish."
  type = object({
    rows_in           = string
    rows_out          = string
    rows_quarantined  = string
    leak_findings     = string
    anomalies_flagged = string
    anomaly_rate      = string
  })
  default = {
    rows_in           = "RowsIn"
    rows_out          = "RowsOut"
    rows_quarantined  = "RowsQuarantined"
    leak_findings     = "LeakFindings"
    anomalies_flagged = "AnomaliesFlagged"
    anomaly_rate      = "AnomalyRate"
  }
}

variable "quarantined_rows_threshold" {
  description = "Alarm when one job quarantines more rows than this within an hour."
  type        = number
  default     = 100

  validation {
    condition     = var.quarantined_rows_threshold >= 0
    error_message = "The quarantined_rows_threshold must be >= 0."
  }
}

variable "anomaly_rate_threshold" {
  description = "Alarm when the share of transactions flagged as anomalous exceeds this fraction (a spike well above the configured contamination); compared with the AnomalyRate metric in percent."
  type        = number
  default     = 0.05

  validation {
    condition     = var.anomaly_rate_threshold > 0 && var.anomaly_rate_threshold <= 1
    error_message = "The anomaly_rate_threshold must be in (0, 1]."
  }
}

variable "job_duration_threshold_minutes" {
  description = "Alarm when a job run takes longer than this many minutes."
  type        = number
  default     = 60

  validation {
    condition     = var.job_duration_threshold_minutes >= 1 && var.job_duration_threshold_minutes <= 2880
    error_message = "The job_duration_threshold_minutes must be between 1 and 2880."
  }
}

variable "tags" {
  description = "Tags for the monitoring resources (provider default_tags are added automatically)."
  type        = map(string)
  default     = {}
}
