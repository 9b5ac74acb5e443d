# Customer-managed KMS keys separated by purpose, each with rotation and an explicit key policy,
# plus the Secrets Manager secret that holds the tokenization key set (the container only: the
# key material is written by a key custodian, never by Terraform, so it never enters state).
#
# Key policy model: the account root (IAM) may administer every key but is NOT given
# cryptographic operations, so no IAM policy alone can grant decryption. Each key lists the
# principals that may use it; AWS services get narrowly scoped statements.
#
#   raw      raw zone and re-identified output (plain personal data); Macie reads it
#   data     masked, transformed, quarantine, temp and artifacts buckets; Glue S3 and bookmark
#            encryption
#   logs     CloudWatch Logs, the SNS alert topic and S3 server access logs
#   secrets  the tokenization key-set secret (usable only through Secrets Manager)
#   macie    Macie sensitive-data discovery results

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"

  keys = {
    raw     = "Raw zone and re-identified output: plain personal data"
    data    = "Masked, transformed, quarantine, temp and artifacts zones; Glue job encryption"
    logs    = "CloudWatch Logs, SNS alerts and S3 server access logs"
    secrets = "Tokenization key-set secret in Secrets Manager"
    macie   = "Amazon Macie sensitive data discovery results"
  }

  # Administrative actions only: no Encrypt/Decrypt/GenerateDataKey and no CreateGrant (a grant
  # would let an administrator hand themselves decryption).
  admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]

  usage_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]

  macie_source_arns = [
    "arn:${local.partition}:macie2:${local.region}:${local.account_id}:export-configuration:*",
    "arn:${local.partition}:macie2:${local.region}:${local.account_id}:classification-job/*",
  ]
}

# Key policies. In a key policy, Resource "*" means "the key this policy is attached to"; it
# cannot name anything else, which is why the checkov checks for "*" resources are skipped (with
# that reason) on these documents and only on these.

# Administration of every key by the account (IAM), without cryptographic operations.
data "aws_iam_policy_document" "administration" {
  #checkov:skip=CKV_AWS_109:KMS key policy: Resource "*" is the key itself. Administration (PutKeyPolicy and friends) is delegated to the account root, i.e. to IAM-authorised key administrators, and deliberately excludes encryption, decryption and grants.
  #checkov:skip=CKV_AWS_111:KMS key policy: Resource "*" is the key itself; the write actions are key administration for the account's IAM administrators only.
  #checkov:skip=CKV_AWS_356:KMS key policy: "*" is the only valid resource (the key the policy is attached to).
  statement {
    sid       = "AccountAdministration"
    effect    = "Allow"
    actions   = local.admin_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
  }
}

data "aws_iam_policy_document" "raw" {
  #checkov:skip=CKV_AWS_111:KMS key policy: Resource "*" is the key itself; use is limited to the named job roles, ingestion roles and Macie's service-linked role.
  #checkov:skip=CKV_AWS_356:KMS key policy: "*" is the only valid resource (the key the policy is attached to).
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  statement {
    sid       = "KeyUsage"
    effect    = "Allow"
    actions   = local.usage_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.key_users.raw
    }
  }

  # Macie must decrypt raw-zone objects to classify them. The service-linked role only exists
  # once Macie is enabled, and KMS rejects policies naming principals that do not exist.
  dynamic "statement" {
    for_each = var.macie_service_role_arn == null ? [] : [var.macie_service_role_arn]

    content {
      sid       = "MacieServiceLinkedRoleDecrypt"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [statement.value]
      }
    }
  }
}

data "aws_iam_policy_document" "data" {
  #checkov:skip=CKV_AWS_111:KMS key policy: Resource "*" is the key itself; use is limited to the named job, deployer and reader roles.
  #checkov:skip=CKV_AWS_356:KMS key policy: "*" is the only valid resource (the key the policy is attached to).
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  statement {
    sid       = "KeyUsage"
    effect    = "Allow"
    actions   = local.usage_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.key_users.data
    }
  }
}

data "aws_iam_policy_document" "secrets" {
  #checkov:skip=CKV_AWS_111:KMS key policy: Resource "*" is the key itself; use is limited to the named roles and only through Secrets Manager (kms:ViaService).
  #checkov:skip=CKV_AWS_356:KMS key policy: "*" is the only valid resource (the key the policy is attached to).
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  # The secrets key is only usable through Secrets Manager, never directly.
  statement {
    sid       = "KeyUsageThroughSecretsManager"
    effect    = "Allow"
    actions   = local.usage_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.key_users.secrets
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "logs" {
  #checkov:skip=CKV_AWS_111:KMS key policy: Resource "*" is the key itself; use is limited to the named job roles and to AWS services scoped by source account or encryption context.
  #checkov:skip=CKV_AWS_356:KMS key policy: "*" is the only valid resource (the key the policy is attached to).
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  statement {
    sid       = "KeyUsage"
    effect    = "Allow"
    actions   = local.usage_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.key_users.logs
    }
  }

  statement {
    sid    = "CloudWatchLogs"
    effect = "Allow"
    actions = [
      "kms:Decrypt*",
      "kms:Describe*",
      "kms:Encrypt*",
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    # Only for this account's log groups: Glue job logs and the project's own groups.
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws-glue/*",
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/${var.name_prefix}/*",
      ]
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
      values   = [local.account_id]
    }
  }

  # EventBridge rules and CloudWatch alarms publish to the KMS-encrypted alert topic.
  statement {
    sid       = "AlertPublishersToEncryptedTopic"
    effect    = "Allow"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "macie" {
  #checkov:skip=CKV_AWS_111:KMS key policy: Resource "*" is the key itself; use is limited to the masking job role and to Macie writing results for this account's jobs.
  #checkov:skip=CKV_AWS_356:KMS key policy: "*" is the only valid resource (the key the policy is attached to).
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  statement {
    sid       = "KeyUsage"
    effect    = "Allow"
    actions   = local.usage_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.key_users.macie
    }
  }

  # Macie encrypts discovery results it writes to the repository bucket with this key.
  statement {
    sid       = "MacieDiscoveryResults"
    effect    = "Allow"
    actions   = ["kms:GenerateDataKey", "kms:Encrypt"]
    resources = ["*"]

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
}

locals {
  policies = {
    raw     = data.aws_iam_policy_document.raw.json
    data    = data.aws_iam_policy_document.data.json
    logs    = data.aws_iam_policy_document.logs.json
    secrets = data.aws_iam_policy_document.secrets.json
    macie   = data.aws_iam_policy_document.macie.json
  }
}

resource "aws_kms_key" "this" {
  for_each = local.keys

  description              = "${var.name_prefix} ${each.value}"
  key_usage                = "ENCRYPT_DECRYPT"
  customer_master_key_spec = "SYMMETRIC_DEFAULT" # Glue security configurations need symmetric keys.
  enable_key_rotation      = true
  rotation_period_in_days  = var.rotation_period_in_days
  deletion_window_in_days  = var.deletion_window_in_days
  is_enabled               = true
  multi_region             = false
  policy                   = local.policies[each.key]

  tags = merge(var.tags, { purpose = each.key })
}

resource "aws_kms_alias" "this" {
  for_each = local.keys

  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}

data "aws_iam_policy_document" "tokenization_secret" {
  # Only the listed readers may fetch the key set, whatever their IAM policies say.
  statement {
    sid       = "DenyReadExceptKeySetReaders"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"] # In a secret's resource policy "*" means "this secret".

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = var.secret_reader_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.secret_writer_arns) > 0 ? [1] : []

    content {
      sid       = "DenyWriteExceptKeyCustodians"
      effect    = "Deny"
      actions   = ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
      resources = ["*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "ArnNotEquals"
        variable = "aws:PrincipalArn"
        values   = var.secret_writer_arns
      }
    }
  }
}

resource "aws_secretsmanager_secret" "tokenization" {
  #checkov:skip=CKV2_AWS_57:The tokenization key set is versioned by the key custodians (a new key version is added, old versions stay for reversible tokens). A rotation Lambda would replace it and break deterministic tokens; rotation is a documented manual procedure (docs/TERRAFORM.md).
  name                    = "${var.name_prefix}/tokenization-keyset"
  description             = "Versioned tokenization key set for ${var.name_prefix}. Populated by a key custodian, never by Terraform."
  kms_key_id              = aws_kms_key.this["secrets"].arn
  recovery_window_in_days = var.secret_recovery_window_in_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_policy" "tokenization" {
  secret_arn          = aws_secretsmanager_secret.tokenization.arn
  policy              = data.aws_iam_policy_document.tokenization_secret.json
  block_public_policy = true
}
