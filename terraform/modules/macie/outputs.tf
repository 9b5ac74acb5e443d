output "service_role_arn" {
  description = "ARN of Macie's service-linked role (for the raw key policy); null when Macie is not used."
  value       = var.enabled || var.manage_macie_account ? try(aws_macie2_account.this[0].service_role, local.service_role_arn) : null
}

output "classification_job_id" {
  description = "ID of the scheduled classification job over the raw bucket; empty when disabled."
  value       = try(aws_macie2_classification_job.raw[0].job_id, "")
}

output "custom_data_identifier_ids" {
  description = "IDs of the custom data identifiers by name."
  value       = { for name, identifier in aws_macie2_custom_data_identifier.this : name => identifier.id }
}
