output "bucket_id" {
  description = "Name of the access-log bucket, available once its policy allows log delivery."
  value       = aws_s3_bucket.this.id

  # Source buckets must not point their logging at this bucket before delivery is allowed.
  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_policy.this,
  ]
}

output "bucket_arn" {
  description = "ARN of the access-log bucket."
  value       = aws_s3_bucket.this.arn
}
