# Remote state in S3 with S3-native locking. Partial configuration: bucket, key and region come
# from a -backend-config file (see backend.hcl.example) so no account-specific names are
# committed. The state bucket is created once by terraform/bootstrap.
terraform {
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
