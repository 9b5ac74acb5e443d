output "key_arns" {
  description = "ARN of each key by purpose (raw, data, logs, secrets, macie)."
  value       = { for purpose, key in aws_kms_key.this : purpose => key.arn }
}

output "key_aliases" {
  description = "Alias name of each key by purpose."
  value       = { for purpose, alias in aws_kms_alias.this : purpose => alias.name }
}

output "tokenization_secret_arn" {
  description = "ARN of the Secrets Manager secret that holds the tokenization key set (passed to jobs as --key_secret_id)."
  value       = aws_secretsmanager_secret.tokenization.arn
}

output "tokenization_secret_name" {
  description = "Name of the tokenization key-set secret."
  value       = aws_secretsmanager_secret.tokenization.name
}
