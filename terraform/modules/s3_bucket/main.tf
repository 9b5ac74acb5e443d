# One hardened S3 bucket for a data zone: SSE-KMS with a customer-managed key and bucket keys,
# SSE-C blocked, all four public access block flags, ACLs disabled (BucketOwnerEnforced),
# versioning, Object Lock (legal holds everywhere, default retention where configured),
# server access logging, lifecycle rules, EventBridge notifications and a bucket policy that
# always denies plain-HTTP and pre-TLS-1.2 access. Nothing here is optional: a caller cannot
# create a zone bucket without these controls.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket}"
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Single-region deployment by design; replicating personal data to a second region needs a data-residency approval and a DR design that are out of scope. Versioning and Object Lock cover accidental deletion.
  bucket        = var.bucket
  force_destroy = var.force_destroy

  # Object Lock can only be switched on when the bucket is created. It is on for every zone so
  # that incident responders can put a legal hold on any object; default retention is set only
  # on the audit buckets (see aws_s3_bucket_object_lock_configuration below).
  object_lock_enabled = true

  tags = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # Bucket keys cut KMS request volume (and cost) by orders of magnitude for Spark writes.
    bucket_key_enabled       = true
    blocked_encryption_types = ["SSE-C"]
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.object_lock_retention == null ? 0 : 1

  bucket = aws_s3_bucket.this.id

  rule {
    default_retention {
      mode = var.object_lock_retention.mode
      days = var.object_lock_retention.days
    }
  }

  # Object Lock configuration requires versioning to be enabled first.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  bucket = aws_s3_bucket.this.id

  target_bucket = var.access_log_bucket
  target_prefix = "${var.bucket}/"

  target_object_key_format {
    partitioned_prefix {
      partition_date_source = "EventTime"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "expire-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    # Current versions expire only in the short-lived zones (temp, quarantine, reidentified).
    dynamic "expiration" {
      for_each = var.expiration_days == null ? [] : [var.expiration_days]

      content {
        days = expiration.value
      }
    }
  }

  # Lifecycle rules on noncurrent versions need versioning enabled first.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_notification" "this" {
  bucket = aws_s3_bucket.this.id

  # Object-level events go to EventBridge (no consumer is charged unless a rule matches); the
  # suite's audit trail and event-driven starts use them.
  eventbridge = true
}

data "aws_iam_policy_document" "deny_insecure_transport" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      local.bucket_arn,
      "${local.bucket_arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "DenyOutdatedTlsVersions"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      local.bucket_arn,
      "${local.bucket_arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

# Header-deny statements: attached only when every writer of the bucket is known to send the
# SSE-KMS headers (the artifacts bucket, written only by scripts/deploy.sh). Writers that rely on
# default encryption (S3 log delivery, Glue writes through boto3) would otherwise be locked out.
data "aws_iam_policy_document" "deny_unencrypted_uploads" {
  statement {
    sid       = "DenyIncorrectEncryptionHeader"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }

  statement {
    sid       = "DenyIncorrectKmsKey"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [var.kms_key_arn]
    }
  }

  statement {
    sid       = "DenyUnencryptedObjectUploads"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["true"]
    }
  }
}

data "aws_iam_policy_document" "this" {
  source_policy_documents = concat(
    [data.aws_iam_policy_document.deny_insecure_transport.json],
    var.deny_unencrypted_uploads ? [data.aws_iam_policy_document.deny_unencrypted_uploads.json] : [],
    var.policy_documents,
  )
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  # With block_public_policy set, the policy must be applied after the public access block to
  # avoid a race in which S3 evaluates the policy against a bucket without the block.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
