# One-time bootstrap of the remote-state bucket for terraform/ (run with local state, once per
# account and region; keep its state file in a safe place or import it later). The state bucket
# gets the same controls as the data zones: SSE-KMS with its own key, versioning, TLS-only
# policy, public access block, ownership enforced, access logging, lifecycle.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project             = "secure-ml-transform"
      environment         = var.environment
      owner               = var.owner
      data_classification = "restricted"
      managed_by          = "terraform-bootstrap"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  root_arn   = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  state_user = [for name in var.state_user_role_names : "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${name}"]
}

data "aws_iam_policy_document" "state_key" {
  #checkov:skip=CKV_AWS_109:This document is a KMS key policy: its Resource "*" means the key itself and cannot name anything else; key administration (PutKeyPolicy) is limited to the account root, i.e. to IAM-authorised administrators.
  #checkov:skip=CKV_AWS_111:This document is a KMS key policy: Resource "*" means the key itself; cryptographic use is limited to the named Terraform roles and to S3 log delivery from this account.
  #checkov:skip=CKV_AWS_356:This document is a KMS key policy, where the only valid resource is "*" (the key the policy is attached to).
  statement {
    sid    = "AccountAdministration"
    effect = "Allow"
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListAliases",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    resources = ["*"] # In a key policy "*" means "this key".

    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
  }

  statement {
    sid       = "StateReadersAndWriters"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.state_user
    }
  }

  statement {
    sid       = "S3ServerAccessLogDelivery"
    effect    = "Allow"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_kms_key" "state" {
  description             = "Terraform state of secure-ml-transform (${var.environment})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  is_enabled              = true
  policy                  = data.aws_iam_policy_document.state_key.json
}

resource "aws_kms_alias" "state" {
  name          = "alias/${var.state_bucket_name}"
  target_key_id = aws_kms_key.state.key_id
}

module "state_access_logs" {
  source = "../modules/s3_log_bucket"

  bucket              = "${var.state_bucket_name}-access-logs"
  kms_key_arn         = aws_kms_key.state.arn
  source_bucket_names = [var.state_bucket_name]
  expiration_days     = 400
}

module "state" {
  source = "../modules/s3_bucket"

  bucket                             = var.state_bucket_name
  kms_key_arn                        = aws_kms_key.state.arn
  access_log_bucket                  = module.state_access_logs.bucket_id
  noncurrent_version_expiration_days = 365 # Old state versions are the recovery path.
}
