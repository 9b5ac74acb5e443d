# The suite's buckets. Every zone bucket is a modules/s3_bucket instance (encryption, public
# access block, ownership, versioning, TLS-only policy, access logging, lifecycle are not
# optional there); the access-log target is a modules/s3_log_bucket instance.
#
#   zone           key      expiry                     extra policy
#   raw            raw      kept (ingestion decides)   -
#   masked         data     kept                       -
#   transformed    data     kept                       -
#   quarantine     data     quarantine_expiration_days -
#   reidentified   raw      reidentified_expiration    -
#   macie-results  macie    kept, Object Lock default  Macie's required statements
#   artifacts      data     kept                       header-deny (deploy.sh sends SSE-KMS headers)
#   temp           data     temp_expiration_days       -
#   access-logs    logs     access_log_expiration_days S3 log delivery

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  names = { for zone in concat(local.zones, ["access-logs"]) : zone => "${var.bucket_name_prefix}-${zone}" }

  zones = ["raw", "masked", "transformed", "quarantine", "reidentified", "macie-results", "artifacts", "temp"]

  macie_results_arn = "arn:${local.partition}:s3:::${local.names["macie-results"]}"
  macie_source_arns = [
    "arn:${local.partition}:macie2:${local.region}:${local.account_id}:export-configuration:*",
    "arn:${local.partition}:macie2:${local.region}:${local.account_id}:classification-job/*",
  ]
}

# The statements Macie's discovery-results repository requires (Macie User Guide, "Storing and
# retaining sensitive data discovery results"): Macie may locate the bucket and add objects under
# the configured prefix, and must send SSE-KMS headers naming the results key. The header
# statements name Macie as principal: Macie always sends them, while the built-in detector's Glue
# writes (under detector/) are encrypted by the Glue security configuration.
data "aws_iam_policy_document" "macie_results" {
  statement {
    sid       = "AllowMacieGetBucketLocation"
    effect    = "Allow"
    actions   = ["s3:GetBucketLocation"]
    resources = [local.macie_results_arn]

    principals {
      type        = "Service"
      identifiers = ["macie.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = local.macie_source_arns
    }
  }

  statement {
    sid       = "AllowMacieWriteResults"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${local.macie_results_arn}/${var.macie_results_prefix}*"]

    principals {
      type        = "Service"
      identifiers = ["macie.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = local.macie_source_arns
    }
  }

  statement {
    sid       = "DenyMacieUnencryptedUploads"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.macie_results_arn}/${var.macie_results_prefix}*"]

    principals {
      type        = "Service"
      identifiers = ["macie.amazonaws.com"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }

  statement {
    sid       = "DenyMacieIncorrectKmsKey"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.macie_results_arn}/${var.macie_results_prefix}*"]

    principals {
      type        = "Service"
      identifiers = ["macie.amazonaws.com"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [var.kms_key_arns.macie]
    }
  }
}

module "access_logs" {
  source = "../s3_log_bucket"

  bucket              = local.names["access-logs"]
  kms_key_arn         = var.kms_key_arns.logs
  source_bucket_names = [for zone in local.zones : local.names[zone]]
  expiration_days     = var.access_log_expiration_days
  force_destroy       = var.force_destroy
  tags                = merge(var.tags, { zone = "access-logs" })
}

# Raw zone: plain personal data as delivered by ingestion; Macie scans it.
module "raw" {
  source = "../s3_bucket"

  bucket                             = local.names["raw"]
  kms_key_arn                        = var.kms_key_arns.raw
  access_log_bucket                  = module.access_logs.bucket_id
  expiration_days                    = null
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  object_lock_retention              = null
  deny_unencrypted_uploads           = false
  force_destroy                      = var.force_destroy
  tags                               = merge(var.tags, { zone = "raw" })
}

# Masked zone: raw objects with Macie/detector findings masked (macie_masking output).
module "masked" {
  source = "../s3_bucket"

  bucket                             = local.names["masked"]
  kms_key_arn                        = var.kms_key_arns.data
  access_log_bucket                  = module.access_logs.bucket_id
  expiration_days                    = null
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  object_lock_retention              = null
  deny_unencrypted_uploads           = false
  force_destroy                      = var.force_destroy
  tags                               = merge(var.tags, { zone = "masked" })
}

# Transformed zone: PII-free features (main_etl output), published after the leak check.
module "transformed" {
  source = "../s3_bucket"

  bucket                             = local.names["transformed"]
  kms_key_arn                        = var.kms_key_arns.data
  access_log_bucket                  = module.access_logs.bucket_id
  expiration_days                    = null
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  object_lock_retention              = null
  deny_unencrypted_uploads           = false
  force_destroy                      = var.force_destroy
  tags                               = merge(var.tags, { zone = "transformed" })
}

# Quarantine: objects and rows that could not be processed safely, kept for review.
module "quarantine" {
  source = "../s3_bucket"

  bucket                             = local.names["quarantine"]
  kms_key_arn                        = var.kms_key_arns.data
  access_log_bucket                  = module.access_logs.bucket_id
  expiration_days                    = var.quarantine_expiration_days
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  object_lock_retention              = null
  deny_unencrypted_uploads           = false
  force_destroy                      = var.force_destroy
  tags                               = merge(var.tags, { zone = "quarantine" })
}

# Re-identified rows for an investigation: plain personal data, raw key, short expiry.
module "reidentified" {
  source = "../s3_bucket"

  bucket                             = local.names["reidentified"]
  kms_key_arn                        = var.kms_key_arns.raw
  access_log_bucket                  = module.access_logs.bucket_id
  expiration_days                    = var.reidentified_expiration_days
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  object_lock_retention              = null
  deny_unencrypted_uploads           = false
  force_destroy                      = var.force_destroy
  tags                               = merge(var.tags, { zone = "reidentified" })
}

# Macie discovery-results repository (audit evidence: Object Lock default retention) and the
# built-in detector's results under detector/.
module "macie_results" {
  source = "../s3_bucket"

  bucket                             = local.names["macie-results"]
  kms_key_arn                        = var.kms_key_arns.macie
  access_log_bucket                  = module.access_logs.bucket_id
  expiration_days                    = null
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  object_lock_retention              = var.macie_results_object_lock
  deny_unencrypted_uploads           = false
  policy_documents                   = [data.aws_iam_policy_document.macie_results.json]
  force_destroy                      = var.force_destroy
  tags                               = merge(var.tags, { zone = "macie-results" })
}

# Release artifacts (scripts, wheels, merchant mapping). Only scripts/deploy.sh writes here and
# it always sends SSE-KMS headers, so the header-deny statements are safe to attach.
module "artifacts" {
  source = "../s3_bucket"

  bucket                             = local.names["artifacts"]
  kms_key_arn                        = var.kms_key_arns.data
  access_log_bucket                  = module.access_logs.bucket_id
  expiration_days                    = null
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  object_lock_retention              = null
  deny_unencrypted_uploads           = true
  force_destroy                      = var.force_destroy
  tags                               = merge(var.tags, { zone = "artifacts" })
}

# Glue --TempDir and Spark UI event logs.
module "temp" {
  source = "../s3_bucket"

  bucket                             = local.names["temp"]
  kms_key_arn                        = var.kms_key_arns.data
  access_log_bucket                  = module.access_logs.bucket_id
  expiration_days                    = var.temp_expiration_days
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  object_lock_retention              = null
  deny_unencrypted_uploads           = false
  force_destroy                      = var.force_destroy
  tags                               = merge(var.tags, { zone = "temp" })
}
