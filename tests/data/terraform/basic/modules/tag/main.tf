# tag - a local submodule of the basic test module.

variable "name" {
  type = string
}

output "tag" {
  value = "tag-${var.name}"
}
