# app - offline infrastructure for the end-to-end test: built-ins only.
variable "name" {
  type = string
}

resource "terraform_data" "server" {
  input = { name = var.name, port = 8443 }
}

resource "terraform_data" "password" {
  input = "pw-${sha256(terraform_data.server.id)}"
}

output "endpoint" {
  value = "https://${var.name}.internal:${terraform_data.server.output.port}"
}

output "admin_password" {
  value     = terraform_data.password.output
  sensitive = true
}
