# secure-ml-transform: everything the suite needs in one AWS account and region.
#
#   network     VPC without internet, endpoints, Glue security group and connections, flow logs
#   kms         keys by purpose (raw, data, logs, secrets, macie) and the tokenization secret
#   storage     raw, masked, transformed, quarantine, reidentified, macie-results, artifacts,
#               temp and access-logs buckets
#   glue        jobs (one per glue_jobs/*.py), roles, security configurations, workflows,
#               triggers, Data Catalog database
#   macie       Macie enablement (optional), custom identifiers, classification job, results export
#   monitoring  alert topic, job-failure rule, alarms, dashboard
#
# First deployment order: docs/TERRAFORM.md (state bootstrap, Macie, secret population).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  role_arn_prefix = "arn:${local.partition}:iam::${local.account_id}:role/"

  deployer_arns      = [for name in var.deployer_role_names : "${local.role_arn_prefix}${name}"]
  key_custodian_arns = [for name in var.key_custodian_role_names : "${local.role_arn_prefix}${name}"]
  raw_writer_arns    = [for name in var.raw_writer_role_names : "${local.role_arn_prefix}${name}"]
  data_reader_arns   = [for name in var.data_reader_role_names : "${local.role_arn_prefix}${name}"]

  glue_roles = module.glue.job_role_arns

  # Bucket names as modules/storage builds them (<prefix>-<zone>), for consumers that need the
  # name but must not wait for the finished bucket.
  bucket_name = {
    for zone in ["raw", "masked", "transformed", "quarantine", "reidentified", "macie-results", "artifacts", "temp", "access-logs"] :
    zone => "${var.bucket_name_prefix}-${zone}"
  }
}

module "network" {
  source = "./modules/network"

  name_prefix           = var.name_prefix
  vpc_cidr              = var.vpc_cidr
  private_subnet_cidrs  = var.private_subnet_cidrs
  availability_zone_ids = var.availability_zone_ids
  # Every bucket a job touches; access-logs is written by the S3 service, not by jobs.
  s3_bucket_names    = [for zone, name in local.bucket_name : name if zone != "access-logs"]
  kms_key_arns       = values(module.kms.key_arns)
  secret_arns        = [module.kms.tokenization_secret_arn]
  logs_kms_key_arn   = module.kms.key_arns["logs"]
  log_retention_days = var.log_retention_days
}

module "kms" {
  source = "./modules/kms"

  name_prefix = var.name_prefix
  key_users = {
    raw     = concat([local.glue_roles["ingest"], local.glue_roles["reidentify"]], local.raw_writer_arns)
    data    = concat(values(local.glue_roles), local.deployer_arns, local.data_reader_arns)
    logs    = values(local.glue_roles)
    secrets = concat([local.glue_roles["ingest"], local.glue_roles["transform"], local.glue_roles["reidentify"]], local.key_custodian_arns)
    macie   = [local.glue_roles["ingest"]]
  }
  macie_service_role_arn = var.enable_macie ? module.macie.service_role_arn : null
  # Key custodians read the key set too: rotation adds a version to the existing document.
  secret_reader_arns      = concat([local.glue_roles["ingest"], local.glue_roles["transform"], local.glue_roles["reidentify"]], local.key_custodian_arns)
  secret_writer_arns      = local.key_custodian_arns
  deletion_window_in_days = var.kms_deletion_window_days
}

module "storage" {
  source = "./modules/storage"

  bucket_name_prefix           = var.bucket_name_prefix
  kms_key_arns                 = module.kms.key_arns
  macie_results_prefix         = var.macie_results_prefix
  macie_results_object_lock    = var.macie_results_object_lock
  temp_expiration_days         = var.temp_expiration_days
  quarantine_expiration_days   = var.quarantine_expiration_days
  reidentified_expiration_days = var.reidentified_expiration_days
  access_log_expiration_days   = var.access_log_expiration_days
  force_destroy                = var.force_destroy_buckets
}

module "glue" {
  source = "./modules/glue"

  name_prefix        = var.name_prefix
  environment        = var.environment
  glue_version       = var.glue_version
  artifact_version   = var.artifact_version
  job_settings       = var.glue_job_settings
  connection_names   = module.network.glue_connection_names
  subnet_arns        = module.network.private_subnet_arns
  security_group_arn = module.network.glue_security_group_arn
  # Names only (no dependency on the finished buckets): the job roles are key users, so reading
  # module.storage here would form a cycle keys -> buckets -> roles -> keys. Jobs run only after
  # `apply` has finished, when the buckets exist.
  bucket_names = {
    raw           = local.bucket_name["raw"]
    masked        = local.bucket_name["masked"]
    transformed   = local.bucket_name["transformed"]
    quarantine    = local.bucket_name["quarantine"]
    reidentified  = local.bucket_name["reidentified"]
    macie_results = local.bucket_name["macie-results"]
    artifacts     = local.bucket_name["artifacts"]
    temp          = local.bucket_name["temp"]
  }
  macie_results_prefix             = var.macie_results_prefix
  kms_key_arns                     = module.kms.key_arns
  tokenization_secret_arn          = module.kms.tokenization_secret_arn
  alert_topic_arn                  = module.monitoring.alert_topic_arn
  metrics_namespace                = var.metrics_namespace
  log_level                        = var.log_level
  log_retention_days               = var.log_retention_days
  pii_columns                      = var.pii_columns
  binning_config                   = var.binning_config
  anomaly_threshold                = var.anomaly_threshold
  anomaly_config                   = var.anomaly_config
  masking_policy                   = var.masking_policy
  risk_config                      = var.risk_config
  run_mode                         = var.run_mode
  catalog_table_name               = var.catalog_table_name
  manage_catalog_encryption        = var.manage_glue_catalog_encryption
  workflow_schedule                = var.workflow_schedule
  workflow_schedule_enabled        = var.workflow_schedule_enabled
  macie_event_trigger_enabled      = var.enable_macie
  macie_event_batch_size           = var.macie_event_batch_size
  macie_event_batch_window_seconds = var.macie_event_batch_window_seconds
}

module "macie" {
  source = "./modules/macie"

  name_prefix                  = var.name_prefix
  enabled                      = var.enable_macie
  manage_macie_account         = var.manage_macie_account
  finding_publishing_frequency = var.macie_finding_publishing_frequency
  raw_bucket_name              = module.storage.bucket_names["raw"]
  results_bucket_name          = module.storage.bucket_names["macie-results"]
  results_prefix               = var.macie_results_prefix
  results_kms_key_arn          = module.kms.key_arns["macie"]
  # Proposals of `secure-transform feedback summarize` (-var-file=macie_custom_data_identifiers.tfvars.json)
  custom_data_identifiers = var.macie_custom_data_identifiers
}

module "monitoring" {
  source = "./modules/monitoring"

  name_prefix                    = var.name_prefix
  kms_key_arn                    = module.kms.key_arns["logs"]
  alert_email_addresses          = var.alert_email_addresses
  job_names                      = module.glue.job_names
  metrics_namespace              = var.metrics_namespace
  metric_environment             = var.environment # the jobs get --environment
  quarantined_rows_threshold     = var.quarantined_rows_alarm_threshold
  anomaly_rate_threshold         = var.anomaly_rate_alarm_threshold
  job_duration_threshold_minutes = var.job_duration_alarm_minutes
}
