# basic - an offline module for test_terraform: built-in terraform_data
# resources only, a local submodule, typed and sensitive outputs.

variable "name" {
  type    = string
  default = "dev"
}

variable "nodes" {
  type    = number
  default = 3
}

variable "labels" {
  type    = map(string)
  default = {}
}

resource "terraform_data" "cluster" {
  input = {
    name   = var.name
    nodes  = var.nodes
    labels = var.labels
  }
}

resource "terraform_data" "bucket" {
  input            = "${var.name}-bucket"
  triggers_replace = [terraform_data.cluster.id]
}

module "tag" {
  source = "./modules/tag"
  name   = var.name
}

output "cluster_name" {
  value = terraform_data.cluster.output.name
}

output "nodes" {
  value = terraform_data.cluster.output.nodes
}

output "info" {
  value = {
    bucket = terraform_data.bucket.output
    ready  = true
    zones  = ["a", "b"]
  }
}

output "tag" {
  value = module.tag.tag
}

output "token" {
  value     = "tok3n-${var.name}-5ecret"
  sensitive = true
}
