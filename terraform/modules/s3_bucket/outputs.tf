output "bucket_id" {
  description = "Name of the bucket, available once encryption, the public access block and the bucket policy are in place."
  value       = aws_s3_bucket.this.id

  # Consumers (Macie export, Glue jobs) must not use the bucket before its controls exist.
  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_policy.this,
  ]
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "bucket_regional_domain_name" {
  description = "Regional domain name of the bucket."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}
