terraform {
  # >= 1.10 for S3-native state locking (use_lockfile) and optional() object attributes.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.40 makes blocked_encryption_types optional+computed (no perpetual SSE-C diff).
      version = "~> 6.40"
    }
  }
}
