# The Glue side of the suite: one job per script in glue_jobs/, security configurations with all
# three encryption modes, least-privilege roles per job family, pre-created KMS-encrypted job log
# groups and the Data Catalog database of the transformed zone. Workflows and triggers are in
# workflow.tf.
#
# The job arguments below are a contract with lib/secure_transform/jobspec.py (JOBS): every job
# passes exactly the --names its script reads (required ones always, optional ones where the
# deployment sets them) plus Glue's own special parameters. tests/terraform/test_contract.py
# fails when the two drift apart.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # One entry per glue_jobs/<name>.py. family = IAM role; security_configuration = which
  # encryption setup (pii: S3 output encrypted with the raw-data key, for re-identified rows).
  jobs = {
    detect_pii = {
      family                 = "ingest"
      security_configuration = "standard"
      description            = "Built-in PII detector over the raw zone; writes Macie-format discovery results"
    }
    macie_masking = {
      family                 = "ingest"
      security_configuration = "standard"
      description            = "Masks raw-zone objects from Macie (or detector) discovery results into the masked zone"
    }
    main_etl = {
      family                 = "transform"
      security_configuration = "standard"
      description            = "Tokenizes, bins, encodes and flags anomalies: masked zone to transformed zone"
    }
    leak_check = {
      family                 = "verify"
      security_configuration = "standard"
      description            = "Scans each transformed run for personal data; publishes it or quarantines it and alerts"
    }
    reidentify = {
      family                 = "reidentify"
      security_configuration = "pii"
      description            = "On demand: reverses reversible tokens for selected rows into the restricted re-identified bucket"
    }
  }

  release_uri      = "s3://${var.bucket_names.artifacts}/releases/${var.artifact_version}"
  library_wheel    = "${local.release_uri}/wheels/secure_ml_transform-${var.artifact_version}-py3-none-any.whl"
  dependency_zip   = "${local.release_uri}/wheels/secure_ml_transform-deps-${var.artifact_version}.gluewheels.zip"
  log_group_prefix = "/aws-glue/jobs/${var.name_prefix}"

  raw_uri           = "s3://${var.bucket_names.raw}/"
  masked_uri        = "s3://${var.bucket_names.masked}/"
  transformed_uri   = "s3://${var.bucket_names.transformed}/transactions/"
  quarantine_bucket = "s3://${var.bucket_names.quarantine}"
  macie_results_uri = "s3://${var.bucket_names.macie_results}/${var.macie_results_prefix}"
  detector_uri      = "s3://${var.bucket_names.macie_results}/${var.detector_results_prefix}"

  # JSON job arguments, built from typed and validated variables. Unset optional attributes are
  # dropped so that the Python parsers see only what was configured.
  pii_columns_json    = jsonencode({ for column, spec in var.pii_columns : column => { for k, v in spec : k => v if v != null } })
  binning_config_json = jsonencode({ for k, v in var.binning_config : k => v if v != null })
  anomaly_config_json = jsonencode({ for k, v in var.anomaly_config : k => v if v != null })
  masking_policy_json = jsonencode({ for k, v in var.masking_policy : k => v if v != null })
  # JSON null (no risk gate) when risk_config is null.
  risk_config_json = jsonencode(var.risk_config == null ? null : { for k, v in var.risk_config : k => v if v != null })

  # Glue's own special parameters shared by every job. Defaults may be overridden per run.
  glue_default_arguments = {
    "--job-language"                 = "python"
    "--job-bookmark-option"          = "job-bookmark-enable"
    "--enable-metrics"               = "true"
    "--enable-observability-metrics" = "true"
    "--enable-spark-ui"              = "true"
    "--enable-job-insights"          = "true"
  }

  # Security-relevant special parameters: no job run may change them.
  glue_non_overridable_arguments = {
    # Every S3, Glue and CloudWatch call crosses the project's VPC endpoints and their policies.
    "--disable-proxy-v2" = "true"
    # No internet, so no PyPI: the library wheel and the zip of dependency wheels from the
    # artifacts bucket, installed without an index and without dependency resolution (the zip
    # holds the full resolved closure; numpy/pandas/pyarrow/boto3 stay the image's own).
    "--additional-python-modules"       = "${local.library_wheel},${local.dependency_zip}"
    "--python-modules-installer-option" = "--no-index --no-deps"
    # Glue 5.0 logging: <prefix>/output and <prefix>/error, pre-created below with KMS and
    # retention (the 4.0-era continuous-logging arguments are deprecated in 5.0).
    "--custom-logGroup-prefix" = local.log_group_prefix
  }

  # The jobspec arguments of each job, split by whether a run may override them. Per-job Glue
  # special parameters (--TempDir, Spark UI path, catalog) sit here too because they name the job.
  job_default_arguments = {
    detect_pii = {
      "--log_level" = var.log_level
    }
    macie_masking = {
      # Macie's repository by default; the scheduled workflow's trigger points it at the
      # built-in detector's results instead (workflow.tf).
      "--results_bucket" = local.macie_results_uri
      "--log_level"      = var.log_level
    }
    main_etl = {
      "--binning_config"    = local.binning_config_json
      "--merchant_mapping"  = "${local.release_uri}/config/mcc_mapping.json"
      "--anomaly_threshold" = tostring(var.anomaly_threshold)
      "--anomaly_config"    = local.anomaly_config_json
      "--run_mode"          = var.run_mode
      "--log_level"         = var.log_level
    }
    leak_check = {
      "--catalog_table" = var.catalog_table_name
      "--log_level"     = var.log_level
    }
    reidentify = {
      # An operator points a run at one published run of the transformed zone.
      "--source_bucket" = local.transformed_uri
      "--pii_columns"   = local.pii_columns_json
      "--log_level"     = var.log_level
    }
  }

  job_non_overridable_arguments = {
    detect_pii = {
      "--TempDir"               = "s3://${var.bucket_names.temp}/glue-temp/detect_pii/"
      "--spark-event-logs-path" = "s3://${var.bucket_names.temp}/spark-ui/detect_pii/"
      "--source_bucket"         = local.raw_uri
      "--results_bucket"        = local.detector_uri
      "--metrics_namespace"     = var.metrics_namespace
      "--alert_topic_arn"       = var.alert_topic_arn
      "--environment"           = var.environment
      "--audit_log_group"       = aws_cloudwatch_log_group.audit.name
    }
    macie_masking = {
      "--TempDir"               = "s3://${var.bucket_names.temp}/glue-temp/macie_masking/"
      "--spark-event-logs-path" = "s3://${var.bucket_names.temp}/spark-ui/macie_masking/"
      "--source_bucket"         = local.raw_uri
      "--target_bucket"         = local.masked_uri
      "--quarantine_bucket"     = "${local.quarantine_bucket}/macie_masking/"
      "--masking_policy"        = local.masking_policy_json
      "--pii_columns"           = local.pii_columns_json
      "--key_secret_id"         = var.tokenization_secret_arn
      "--metrics_namespace"     = var.metrics_namespace
      "--alert_topic_arn"       = var.alert_topic_arn
      "--environment"           = var.environment
      "--audit_log_group"       = aws_cloudwatch_log_group.audit.name
    }
    main_etl = {
      "--TempDir"               = "s3://${var.bucket_names.temp}/glue-temp/main_etl/"
      "--spark-event-logs-path" = "s3://${var.bucket_names.temp}/spark-ui/main_etl/"
      "--source_bucket"         = local.masked_uri
      "--target_bucket"         = local.transformed_uri
      "--quarantine_bucket"     = "${local.quarantine_bucket}/main_etl/"
      "--artifacts_location"    = "s3://${var.bucket_names.transformed}/_artifacts/"
      "--pii_columns"           = local.pii_columns_json
      # A privacy control: no run may weaken or switch off the re-identification risk gate.
      "--risk_config"       = local.risk_config_json
      "--key_secret_id"     = var.tokenization_secret_arn
      "--metrics_namespace" = var.metrics_namespace
      "--alert_topic_arn"   = var.alert_topic_arn
      "--environment"       = var.environment
      "--audit_log_group"   = aws_cloudwatch_log_group.audit.name
    }
    leak_check = {
      "--TempDir"               = "s3://${var.bucket_names.temp}/glue-temp/leak_check/"
      "--spark-event-logs-path" = "s3://${var.bucket_names.temp}/spark-ui/leak_check/"
      "--source_bucket"         = local.transformed_uri
      "--quarantine_bucket"     = "${local.quarantine_bucket}/leak_check/"
      "--catalog_database"      = aws_glue_catalog_database.transformed.name
      "--metrics_namespace"     = var.metrics_namespace
      "--alert_topic_arn"       = var.alert_topic_arn
      "--environment"           = var.environment
      "--audit_log_group"       = aws_cloudwatch_log_group.audit.name
    }
    reidentify = {
      "--TempDir"               = "s3://${var.bucket_names.temp}/glue-temp/reidentify/"
      "--spark-event-logs-path" = "s3://${var.bucket_names.temp}/spark-ui/reidentify/"
      "--target_bucket"         = "s3://${var.bucket_names.reidentified}/"
      "--key_secret_id"         = var.tokenization_secret_arn
      "--metrics_namespace"     = var.metrics_namespace
      "--alert_topic_arn"       = var.alert_topic_arn
      "--environment"           = var.environment
      "--audit_log_group"       = aws_cloudwatch_log_group.audit.name
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Encryption
# ---------------------------------------------------------------------------------------------

resource "aws_glue_security_configuration" "this" {
  for_each = {
    standard = var.kms_key_arns.data
    pii      = var.kms_key_arns.raw
  }

  name = "${var.name_prefix}-${each.key}"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arns.logs
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arns.data
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = each.value
    }
  }
}

# The Data Catalog encryption settings are one per account and region: owning them here changes
# them for every Glue user of the account, so this is opt-in (manage_catalog_encryption).
resource "aws_glue_data_catalog_encryption_settings" "this" {
  count = var.manage_catalog_encryption ? 1 : 0

  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.kms_key_arns.data
    }

    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.kms_key_arns.data
    }
  }
}

resource "aws_glue_catalog_database" "transformed" {
  name         = replace("${var.name_prefix}_transformed", "-", "_")
  description  = "PII-free, ML-ready card transactions published by ${var.name_prefix}"
  location_uri = local.transformed_uri

  tags = var.tags
}

# Glue 5.0 writes to <--custom-logGroup-prefix>/output and /error. Pre-creating the groups gives
# them KMS encryption and retention instead of the defaults Glue would create.
resource "aws_cloudwatch_log_group" "job" {
  for_each = toset(["output", "error"])

  name              = "${local.log_group_prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arns.logs

  tags = var.tags
}

# Structured audit events of every run (secure_transform.audit), one stream per run.
resource "aws_cloudwatch_log_group" "audit" {
  name              = "/${var.name_prefix}/audit"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arns.logs

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------

resource "aws_glue_job" "this" {
  for_each = local.jobs

  name                   = "${var.name_prefix}-${each.key}"
  description            = each.value.description
  role_arn               = aws_iam_role.job[each.value.family].arn
  glue_version           = var.glue_version
  worker_type            = var.job_settings[each.key].worker_type
  number_of_workers      = var.job_settings[each.key].number_of_workers
  timeout                = var.job_settings[each.key].timeout_minutes
  max_retries            = var.job_settings[each.key].max_retries
  execution_class        = "STANDARD"
  security_configuration = aws_glue_security_configuration.this[each.value.security_configuration].name
  connections            = var.connection_names

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "${local.release_uri}/glue_jobs/${each.key}.py"
  }

  default_arguments         = merge(local.glue_default_arguments, local.job_default_arguments[each.key])
  non_overridable_arguments = merge(local.glue_non_overridable_arguments, local.job_non_overridable_arguments[each.key])

  # One run at a time per job: bookmarks and the publish protocol assume it.
  execution_property {
    max_concurrent_runs = 1
  }

  tags = merge(var.tags, { job = each.key })

  # The log groups must exist (with KMS and retention) before Glue would create its own.
  depends_on = [aws_cloudwatch_log_group.job]
}
