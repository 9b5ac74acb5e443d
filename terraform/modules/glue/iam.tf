# One IAM role per job family, each limited to named buckets and prefixes, named keys and the one
# secret. Every role gets the shared "job_runtime" policy (what any Glue job in the VPC needs)
# and its family policy (its zones). Resource "*" appears only where AWS offers no resource-level
# permission (EC2 Describe* for the ENIs Glue places in the VPC, CloudWatch PutMetricData), each
# narrowed by a condition.
#
#   ingest      detect_pii, macie_masking   reads raw personal data; writes masked / quarantine
#   transform   main_etl                    masked -> transformed; Data Catalog
#   verify      leak_check                  reads transformed; publishes or quarantines runs
#   reidentify  reidentify                  transformed -> re-identified (restricted)

locals {
  families = toset(["ingest", "transform", "verify", "reidentify"])

  bucket_arn = {
    raw           = "arn:${local.partition}:s3:::${var.bucket_names.raw}"
    masked        = "arn:${local.partition}:s3:::${var.bucket_names.masked}"
    transformed   = "arn:${local.partition}:s3:::${var.bucket_names.transformed}"
    quarantine    = "arn:${local.partition}:s3:::${var.bucket_names.quarantine}"
    reidentified  = "arn:${local.partition}:s3:::${var.bucket_names.reidentified}"
    macie_results = "arn:${local.partition}:s3:::${var.bucket_names.macie_results}"
    artifacts     = "arn:${local.partition}:s3:::${var.bucket_names.artifacts}"
    temp          = "arn:${local.partition}:s3:::${var.bucket_names.temp}"
  }

  object_write_actions = [
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
  ]

  key_use_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]

  family_policies = {
    ingest     = data.aws_iam_policy_document.ingest.json
    transform  = data.aws_iam_policy_document.transform.json
    verify     = data.aws_iam_policy_document.verify.json
    reidentify = data.aws_iam_policy_document.reidentify.json
  }
}

data "aws_iam_policy_document" "glue_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }

    # Confused-deputy protection: only Glue acting for this account may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "job" {
  for_each = local.families

  name                 = "${var.name_prefix}-glue-${each.key}"
  description          = "Glue jobs of the ${each.key} family (${var.name_prefix})"
  assume_role_policy   = data.aws_iam_policy_document.glue_assume.json
  max_session_duration = 3600

  tags = merge(var.tags, { job_family = each.key })
}

# ---------------------------------------------------------------------------------------------
# What every job needs: release artifacts, its temp prefixes, the data key (Glue S3 and bookmark
# encryption), logs, metrics, alerts, workflow run properties and ENIs in the project's subnets.
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "job_runtime" {
  statement {
    sid       = "ListArtifactsAndTemp"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn.artifacts, local.bucket_arn.temp]
  }

  statement {
    sid       = "ReadRelease"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.bucket_arn.artifacts}/releases/*"]
  }

  statement {
    sid     = "WriteTempAndSparkUi"
    effect  = "Allow"
    actions = local.object_write_actions
    resources = [
      "${local.bucket_arn.temp}/glue-temp/*",
      "${local.bucket_arn.temp}/spark-ui/*",
    ]
  }

  statement {
    sid       = "UseDataKey"
    effect    = "Allow"
    actions   = local.key_use_actions
    resources = [var.kms_key_arns.data]
  }

  # The alert topic is encrypted with the logs key.
  statement {
    sid       = "PublishAlerts"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [var.alert_topic_arn]
  }

  statement {
    sid       = "EncryptAlertsAndLogs"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arns.logs]
  }

  # Jobs started by a workflow read its run properties (e.g. the EventBridge event ids).
  statement {
    sid       = "ReadWorkflowRunProperties"
    effect    = "Allow"
    actions   = ["glue:GetWorkflowRun", "glue:GetWorkflowRunProperties"]
    resources = [for workflow in aws_glue_workflow.this : workflow.arn]
  }

  statement {
    sid    = "WriteJobLogs"
    effect = "Allow"
    actions = [
      "logs:AssociateKmsKey",
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    # The job groups (<prefix>/output|error) and the names Glue derives from the security
    # configuration (/aws-glue/jobs/<name_prefix>-<config>-role/...).
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_prefix}*"]
  }

  statement {
    sid    = "WriteAuditEvents"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.audit.arn,
      "${aws_cloudwatch_log_group.audit.arn}:*",
    ]
  }

  statement {
    sid       = "PublishMetrics"
    effect    = "Allow"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource-level permissions; the namespace is fixed below.

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace, "Glue"]
    }
  }

  statement {
    sid       = "CreateJobNetworkInterfaces"
    effect    = "Allow"
    actions   = ["ec2:CreateNetworkInterface"]
    resources = concat(var.subnet_arns, [var.security_group_arn, "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"])
  }

  statement {
    sid       = "DeleteJobNetworkInterfaces"
    effect    = "Allow"
    actions   = ["ec2:DeleteNetworkInterface"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"]

    # Only ENIs in the project's subnets.
    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = var.subnet_arns
    }
  }

  statement {
    sid       = "TagJobNetworkInterfaces"
    effect    = "Allow"
    actions   = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = ["aws-glue-service-resource"]
    }
  }

  statement {
    sid    = "DescribeNetwork"
    effect = "Allow"
    actions = [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcAttribute",
      "ec2:DescribeVpcEndpoints",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"] # EC2 Describe* actions have no resource-level permissions.

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Family policies: the zones each family reads and writes
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "ingest" {
  statement {
    sid     = "ListZones"
    effect  = "Allow"
    actions = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [
      local.bucket_arn.raw,
      local.bucket_arn.macie_results,
      local.bucket_arn.masked,
      local.bucket_arn.quarantine,
    ]
  }

  statement {
    sid     = "ReadRawAndDiscoveryResults"
    effect  = "Allow"
    actions = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [
      "${local.bucket_arn.raw}/*",
      "${local.bucket_arn.macie_results}/*",
    ]
  }

  statement {
    sid     = "WriteDetectorResultsMaskedAndQuarantine"
    effect  = "Allow"
    actions = local.object_write_actions
    resources = [
      "${local.bucket_arn.macie_results}/${var.detector_results_prefix}*",
      "${local.bucket_arn.masked}/*",
      "${local.bucket_arn.quarantine}/macie_masking/*",
    ]
  }

  statement {
    sid       = "UseRawAndMacieKeys"
    effect    = "Allow"
    actions   = local.key_use_actions
    resources = [var.kms_key_arns.raw, var.kms_key_arns.macie]
  }

  statement {
    sid       = "ReadTokenizationKeySet"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.tokenization_secret_arn]
  }

  statement {
    sid       = "DecryptKeySetThroughSecretsManager"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arns.secrets]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "transform" {
  statement {
    sid     = "ListZones"
    effect  = "Allow"
    actions = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [
      local.bucket_arn.masked,
      local.bucket_arn.transformed,
      local.bucket_arn.quarantine,
    ]
  }

  statement {
    sid       = "ReadMasked"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.bucket_arn.masked}/*"]
  }

  # Runs, manifests and fitted artifacts (bin edges, models) in the transformed zone.
  statement {
    sid     = "WriteTransformedAndQuarantine"
    effect  = "Allow"
    actions = local.object_write_actions
    resources = [
      "${local.bucket_arn.transformed}/*",
      "${local.bucket_arn.quarantine}/main_etl/*",
    ]
  }

  statement {
    sid       = "ReadTokenizationKeySet"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.tokenization_secret_arn]
  }

  statement {
    sid       = "DecryptKeySetThroughSecretsManager"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arns.secrets]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "verify" {
  statement {
    sid       = "ListZones"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn.transformed, local.bucket_arn.quarantine]
  }

  # Publishing writes markers in the transformed zone; quarantining moves a run out of it.
  statement {
    sid     = "PublishOrQuarantineRuns"
    effect  = "Allow"
    actions = local.object_write_actions
    resources = [
      "${local.bucket_arn.transformed}/*",
      "${local.bucket_arn.quarantine}/leak_check/*",
    ]
  }

  # Only the leak check registers runs in the Data Catalog, and only after publishing them.
  statement {
    sid    = "RegisterTransformedZone"
    effect = "Allow"
    actions = [
      "glue:BatchCreatePartition",
      "glue:BatchGetPartition",
      "glue:CreatePartition",
      "glue:CreateTable",
      "glue:GetDatabase",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:GetTable",
      "glue:GetTables",
      "glue:UpdatePartition",
      "glue:UpdateTable",
    ]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      aws_glue_catalog_database.transformed.arn,
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${aws_glue_catalog_database.transformed.name}/*",
    ]
  }
}

data "aws_iam_policy_document" "reidentify" {
  statement {
    sid       = "ListZones"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn.transformed, local.bucket_arn.reidentified]
  }

  statement {
    sid       = "ReadTransformed"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.bucket_arn.transformed}/*"]
  }

  statement {
    sid       = "WriteReidentified"
    effect    = "Allow"
    actions   = local.object_write_actions
    resources = ["${local.bucket_arn.reidentified}/*"]
  }

  # Re-identified rows are written under the raw (personal data) key: the "pii" security
  # configuration.
  statement {
    sid       = "UseRawKey"
    effect    = "Allow"
    actions   = local.key_use_actions
    resources = [var.kms_key_arns.raw]
  }

  statement {
    sid       = "ReadTokenizationKeySet"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.tokenization_secret_arn]
  }

  statement {
    sid       = "DecryptKeySetThroughSecretsManager"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arns.secrets]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "job_runtime" {
  for_each = local.families

  name   = "glue-job-runtime"
  role   = aws_iam_role.job[each.key].id
  policy = data.aws_iam_policy_document.job_runtime.json
}

resource "aws_iam_role_policy" "job_family" {
  for_each = local.families

  name   = "zones-${each.key}"
  role   = aws_iam_role.job[each.key].id
  policy = local.family_policies[each.key]
}
