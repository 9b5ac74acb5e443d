# Amazon Macie for the raw zone: account enablement (optional: many organisations enable Macie
# centrally), custom data identifiers for what Macie's managed identifiers lack, a scheduled
# classification job over the raw bucket, and the discovery-results repository (the
# macie-results bucket, encrypted with the Macie KMS key) that macie_masking reads.
#
# Limitation: the Terraform AWS provider's aws_macie2_classification_job cannot select managed
# data identifiers (managedDataIdentifierSelector / managedDataIdentifierIds are not exposed;
# hashicorp/terraform-provider-aws issue #21952). The job therefore uses Macie's default, the
# RECOMMENDED managed identifiers, plus the custom identifiers below. To INCLUDE or EXCLUDE
# specific managed identifiers, create the job through the Macie API or CLI instead.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  service_role_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie"

  # Built-in identifiers for what Macie's managed identifiers lack. var.custom_data_identifiers
  # adds to them (e.g. the proposals of `secure-transform feedback summarize`); a name equal to a
  # built-in one replaces it.
  default_custom_data_identifiers = {
    email-address = {
      description            = "E-mail addresses (Macie has no managed identifier for them)"
      regex                  = "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"
      keywords               = ["email", "e-mail", "mail"]
      maximum_match_distance = 50
    }
    internal-account-number = {
      description            = "Internal 10-12 digit account numbers near an account keyword"
      regex                  = "\\b[0-9]{10,12}\\b"
      keywords               = ["account", "acct", "account_number", "account number"]
      maximum_match_distance = 50
    }
    customer-id = {
      description            = "Internal customer ids (C followed by 8 digits)"
      regex                  = "\\bC[0-9]{8}\\b"
      keywords               = ["customer", "customer_id", "client"]
      maximum_match_distance = 50
    }
  }
  custom_data_identifiers = merge(var.create_default_custom_data_identifiers ? local.default_custom_data_identifiers : {}, var.custom_data_identifiers)
}

resource "aws_macie2_account" "this" {
  count = var.manage_macie_account ? 1 : 0

  finding_publishing_frequency = var.finding_publishing_frequency
  status                       = "ENABLED"
}

resource "aws_macie2_custom_data_identifier" "this" {
  for_each = var.enabled ? local.custom_data_identifiers : {}

  name                   = "${var.name_prefix}-${each.key}"
  description            = each.value.description
  regex                  = each.value.regex
  keywords               = each.value.keywords
  maximum_match_distance = each.value.maximum_match_distance

  tags = var.tags

  depends_on = [aws_macie2_account.this]
}

resource "aws_macie2_classification_job" "raw" {
  count = var.enabled ? 1 : 0

  name                       = "${var.name_prefix}-raw-zone"
  description                = "Daily sensitive-data discovery over the raw zone of ${var.name_prefix}"
  job_type                   = "SCHEDULED"
  initial_run                = true
  sampling_percentage        = 100
  custom_data_identifier_ids = [for identifier in aws_macie2_custom_data_identifier.this : identifier.id]

  schedule_frequency {
    daily_schedule = true
  }

  s3_job_definition {
    bucket_definitions {
      account_id = data.aws_caller_identity.current.account_id
      buckets    = [var.raw_bucket_name]
    }
  }

  tags = var.tags

  # Results must land in the repository: configure it before the first run.
  depends_on = [aws_macie2_account.this, aws_macie2_classification_export_configuration.this]
}

resource "aws_macie2_classification_export_configuration" "this" {
  count = var.enabled ? 1 : 0

  s3_destination {
    bucket_name = var.results_bucket_name
    key_prefix  = var.results_prefix
    kms_key_arn = var.results_kms_key_arn
  }

  depends_on = [aws_macie2_account.this]
}
