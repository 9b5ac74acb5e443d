output "state_bucket_name" {
  description = "Bucket for backend.hcl (bucket = ...)."
  value       = module.state.bucket_id
}

output "state_kms_key_arn" {
  description = "KMS key for backend.hcl (kms_key_id = ...)."
  value       = aws_kms_key.state.arn
}
