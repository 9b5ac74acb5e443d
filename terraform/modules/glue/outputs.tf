output "job_names" {
  description = "Glue job name by script name (glue_jobs/<key>.py)."
  value       = { for job, resource in aws_glue_job.this : job => resource.name }
}

output "job_arns" {
  description = "Glue job ARN by script name."
  value       = { for job, resource in aws_glue_job.this : job => resource.arn }
}

output "job_role_arns" {
  description = "IAM role ARN by job family (ingest, transform, verify, reidentify)."
  value       = { for family, role in aws_iam_role.job : family => role.arn }
}

output "job_role_arn_by_job" {
  description = "IAM role ARN used by each job."
  value       = { for job, settings in local.jobs : job => aws_iam_role.job[settings.family].arn }
}

output "workflow_names" {
  description = "Glue workflow names (scheduled, macie_event)."
  value       = { for key, workflow in aws_glue_workflow.this : key => workflow.name }
}

output "security_configuration_names" {
  description = "Glue security configuration names (standard, pii)."
  value       = { for key, config in aws_glue_security_configuration.this : key => config.name }
}

output "catalog_database_name" {
  description = "Glue Data Catalog database of the transformed zone."
  value       = aws_glue_catalog_database.transformed.name
}

output "job_log_group_names" {
  description = "CloudWatch log groups the jobs write to (output, error)."
  value       = { for stream, group in aws_cloudwatch_log_group.job : stream => group.name }
}

output "macie_findings_rule_name" {
  description = "EventBridge rule that starts the macie_event workflow."
  value       = aws_cloudwatch_event_rule.macie_findings.name
}

output "artifacts_release_uri" {
  description = "S3 prefix the jobs read scripts, wheels and the merchant mapping from."
  value       = local.release_uri
}

output "audit_log_group_name" {
  description = "CloudWatch log group of the jobs' structured audit events."
  value       = aws_cloudwatch_log_group.audit.name
}
