provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.extra_tags, {
      project             = "secure-ml-transform"
      environment         = var.environment
      owner               = var.owner
      data_classification = var.data_classification
      cost_center         = var.cost_center
      managed_by          = "terraform"
    })
  }
}
