# A VPC with no route to the internet: private subnets only (no internet gateway, NAT gateway,
# public subnet or public IP), an S3 gateway endpoint restricted to the project's buckets,
# interface endpoints with private DNS and endpoint policies for the AWS APIs the jobs call,
# a Glue security group that only reaches itself, S3 and the endpoints, flow logs to a
# KMS-encrypted log group and one Glue NETWORK connection per subnet/AZ.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # Subnet i is placed in availability_zone_ids[i]. AZ IDs (e.g. euw1-az1) name the same
  # physical zone in every account, unlike AZ names, and an explicit list never grows silently.
  subnets = {
    for index, cidr in var.private_subnet_cidrs : var.availability_zone_ids[index] => cidr
  }

  s3_bucket_arns = [for name in var.s3_bucket_names : "arn:${local.partition}:s3:::${name}"]

  # What each interface endpoint lets this account's principals do, and on which resources.
  endpoint_access = {
    glue = {
      actions   = ["glue:*"]
      resources = ["arn:${local.partition}:glue:${local.region}:${local.account_id}:*"]
    }
    kms = {
      actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
      resources = var.kms_key_arns
    }
    logs = {
      actions   = ["logs:AssociateKmsKey", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents"]
      resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
    monitoring = {
      # PutMetricData has no resource-level permissions; the job roles restrict the namespace.
      actions   = ["cloudwatch:PutMetricData"]
      resources = ["*"]
    }
    sts = {
      actions   = ["sts:GetCallerIdentity"]
      resources = ["*"]
    }
    secretsmanager = {
      actions   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
      resources = var.secret_arns
    }
  }
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true # Interface endpoints with private DNS need both attributes.
  enable_dns_hostnames = true
  instance_tenancy     = "default"

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc" })

  lifecycle {
    precondition {
      condition     = length(var.availability_zone_ids) == length(var.private_subnet_cidrs)
      error_message = "Give exactly one AZ ID per private subnet CIDR."
    }
  }
}

# The default security group is left with no rules at all, so anything launched without an
# explicit group can neither send nor receive.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-default-deny-all" })
}

resource "aws_subnet" "private" {
  for_each = local.subnets

  vpc_id                  = aws_vpc.this.id
  cidr_block              = each.value
  availability_zone_id    = each.key
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name_prefix}-private-${each.key}", tier = "private" })
}

# One route table for the private subnets. It has only the local route and the S3 gateway
# endpoint route: there is no default route anywhere in this VPC.
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-private" })
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private.id
}

resource "aws_network_acl" "private" {
  vpc_id     = aws_vpc.this.id
  subnet_ids = [for subnet in aws_subnet.private : subnet.id]

  tags = merge(var.tags, { Name = "${var.name_prefix}-private" })
}

# TCP inside the VPC (Glue driver <-> executors, interface endpoints). DNS to the VPC resolver
# is not subject to network ACLs.
resource "aws_network_acl_rule" "ingress_vpc" {
  network_acl_id = aws_network_acl.private.id
  rule_number    = 100
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = var.vpc_cidr
  from_port      = 1
  to_port        = 65535
}

# Return traffic from S3 through the gateway endpoint (S3 addresses are public, so a NACL cannot
# name them). Only the Linux ephemeral port range: no listening service port is exposed, and
# security groups still admit nothing from outside the Glue group.
resource "aws_network_acl_rule" "ingress_s3_return" {
  network_acl_id = aws_network_acl.private.id
  rule_number    = 200
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 32768
  to_port        = 65535
}

resource "aws_network_acl_rule" "egress_vpc" {
  network_acl_id = aws_network_acl.private.id
  rule_number    = 100
  egress         = true
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = var.vpc_cidr
  from_port      = 1
  to_port        = 65535
}

# HTTPS to S3 through the gateway endpoint; the Glue security group narrows this to the S3
# prefix list and there is no route anywhere else.
resource "aws_network_acl_rule" "egress_s3_https" {
  network_acl_id = aws_network_acl.private.id
  rule_number    = 200
  egress         = true
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 443
  to_port        = 443
}

# ---------------------------------------------------------------------------------------------
# Security groups
# ---------------------------------------------------------------------------------------------

resource "aws_security_group" "glue" {
  #checkov:skip=CKV2_AWS_5:Attached to the Glue NETWORK connections (aws_glue_connection.physical_connection_requirements), a resource type checkov's attachment check does not know; Glue puts it on every job ENI.
  name        = "${var.name_prefix}-glue"
  description = "Glue job ENIs: reach each other, S3 and the VPC interface endpoints only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-glue" })
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name_prefix}-vpc-endpoints"
  description = "VPC interface endpoints: HTTPS from the Glue security group only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc-endpoints" })
}

# Rules as separate aws_security_group_rule resources (no inline blocks, so nothing else can
# manage them), all with descriptions and none with a CIDR.
resource "aws_security_group_rule" "glue_ingress_self" {
  security_group_id = aws_security_group.glue.id
  type              = "ingress"
  description       = "Glue driver and executors talk to each other on all TCP ports (required by Glue)"
  protocol          = "tcp"
  from_port         = 0
  to_port           = 65535
  self              = true
}

resource "aws_security_group_rule" "glue_egress_self" {
  security_group_id = aws_security_group.glue.id
  type              = "egress"
  description       = "Glue driver and executors talk to each other on all TCP ports"
  protocol          = "tcp"
  from_port         = 0
  to_port           = 65535
  self              = true
}

resource "aws_security_group_rule" "glue_egress_s3" {
  security_group_id = aws_security_group.glue.id
  type              = "egress"
  description       = "HTTPS to Amazon S3 through the gateway endpoint (S3 prefix list)"
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_ids   = [aws_vpc_endpoint.s3.prefix_list_id]
}

resource "aws_security_group_rule" "glue_egress_endpoints" {
  security_group_id        = aws_security_group.glue.id
  type                     = "egress"
  description              = "HTTPS to the VPC interface endpoints (Glue, KMS, Logs, CloudWatch, STS, Secrets Manager)"
  protocol                 = "tcp"
  from_port                = 443
  to_port                  = 443
  source_security_group_id = aws_security_group.endpoints.id
}

resource "aws_security_group_rule" "endpoints_ingress_glue" {
  security_group_id        = aws_security_group.endpoints.id
  type                     = "ingress"
  description              = "HTTPS from Glue job ENIs"
  protocol                 = "tcp"
  from_port                = 443
  to_port                  = 443
  source_security_group_id = aws_security_group.glue.id
}

# ---------------------------------------------------------------------------------------------
# VPC endpoints
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "s3_endpoint" {
  statement {
    sid    = "ProjectBucketsOnly"
    effect = "Allow"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:ListMultipartUploadParts",
      "s3:PutObject",
    ]
    resources = concat(local.s3_bucket_arns, [for arn in local.s3_bucket_arns : "${arn}/*"])

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    # Credentials from other accounts cannot use this endpoint, even for the project's buckets.
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
  policy            = data.aws_iam_policy_document.s3_endpoint.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-s3" })
}

data "aws_iam_policy_document" "interface_endpoint" {
  for_each = local.endpoint_access

  statement {
    sid       = "ThisAccountOnly"
    effect    = "Allow"
    actions   = each.value.actions
    resources = each.value.resources

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.endpoint_access

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true # Unmodified boto3/EMRFS endpoint names resolve to the endpoint.
  subnet_ids          = [for subnet in aws_subnet.private : subnet.id]
  security_group_ids  = [aws_security_group.endpoints.id]
  policy              = data.aws_iam_policy_document.interface_endpoint[each.key].json

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}

# ---------------------------------------------------------------------------------------------
# Flow logs
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/${var.name_prefix}/vpc-flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-flow-log/*"]
    }
  }
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    sid    = "WriteFlowLogs"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.flow_logs.arn,
      "${aws_cloudwatch_log_group.flow_logs.arn}:*",
    ]
  }
}

resource "aws_iam_role" "flow_logs" {
  name               = "${var.name_prefix}-vpc-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

resource "aws_flow_log" "this" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = 60

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# Glue NETWORK connections: one per subnet, the AZ taken from the subnet (never hard-coded).
# Glue uses the first connection of a job that has a healthy AZ and free IPs, so attaching all of
# them to every job gives AZ failover.
# ---------------------------------------------------------------------------------------------

resource "aws_glue_connection" "network" {
  for_each = aws_subnet.private

  name            = "${var.name_prefix}-network-${each.key}"
  description     = "Glue jobs in AZ ${each.key}, private subnet without internet access"
  connection_type = "NETWORK"

  physical_connection_requirements {
    availability_zone      = each.value.availability_zone
    subnet_id              = each.value.id
    security_group_id_list = [aws_security_group.glue.id]
  }

  tags = var.tags

  # Glue validates at job submission that an S3 endpoint exists for the subnet's route table.
  depends_on = [aws_vpc_endpoint.s3, aws_route_table_association.private]
}
