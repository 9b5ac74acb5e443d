output "bucket_names" {
  description = "Name of each bucket by zone (raw, masked, transformed, quarantine, reidentified, macie-results, artifacts, temp, access-logs), available once its controls are in place."
  value = {
    raw             = module.raw.bucket_id
    masked          = module.masked.bucket_id
    transformed     = module.transformed.bucket_id
    quarantine      = module.quarantine.bucket_id
    reidentified    = module.reidentified.bucket_id
    "macie-results" = module.macie_results.bucket_id
    artifacts       = module.artifacts.bucket_id
    temp            = module.temp.bucket_id
    "access-logs"   = module.access_logs.bucket_id
  }
}

output "bucket_arns" {
  description = "ARN of each bucket by zone."
  value = {
    raw             = module.raw.bucket_arn
    masked          = module.masked.bucket_arn
    transformed     = module.transformed.bucket_arn
    quarantine      = module.quarantine.bucket_arn
    reidentified    = module.reidentified.bucket_arn
    "macie-results" = module.macie_results.bucket_arn
    artifacts       = module.artifacts.bucket_arn
    temp            = module.temp.bucket_arn
    "access-logs"   = module.access_logs.bucket_arn
  }
}

output "macie_results_prefix" {
  description = "Key prefix of Macie's discovery results in the macie-results bucket."
  value       = var.macie_results_prefix
}
