output "bucket_names" {
  description = "Bucket of each zone."
  value       = module.storage.bucket_names
}

output "artifacts_bucket_name" {
  description = "Bucket scripts/deploy.sh uploads the release to (scripts, wheels, merchant mapping)."
  value       = module.storage.bucket_names["artifacts"]
}

output "artifacts_kms_key_arn" {
  description = "KMS key uploads to the artifacts bucket must name in their SSE-KMS headers."
  value       = module.kms.key_arns["data"]
}

output "artifacts_release_uri" {
  description = "S3 prefix of the release the jobs run."
  value       = module.glue.artifacts_release_uri
}

output "kms_key_arns" {
  description = "KMS key ARN by purpose."
  value       = module.kms.key_arns
}

output "tokenization_secret_arn" {
  description = "Secret the key custodians populate with the tokenization key set (docs/TERRAFORM.md)."
  value       = module.kms.tokenization_secret_arn
}

output "glue_job_names" {
  description = "Glue job name by script name."
  value       = module.glue.job_names
}

output "glue_workflow_names" {
  description = "Glue workflow names (scheduled, macie_event)."
  value       = module.glue.workflow_names
}

output "glue_catalog_database_name" {
  description = "Glue Data Catalog database of the transformed zone."
  value       = module.glue.catalog_database_name
}

output "alert_topic_arn" {
  description = "SNS alert topic."
  value       = module.monitoring.alert_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline."
  value       = module.monitoring.dashboard_name
}

output "vpc_id" {
  description = "VPC of the Glue jobs."
  value       = module.network.vpc_id
}

output "macie_classification_job_id" {
  description = "Scheduled Macie classification job over the raw bucket (empty when Macie is not used)."
  value       = module.macie.classification_job_id
}
