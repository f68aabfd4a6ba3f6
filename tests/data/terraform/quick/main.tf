# quick - slow/main.tf without its sleeping provisioner.

resource "terraform_data" "slow" {
  input = "payload"
}

output "id" {
  value = terraform_data.slow.id
}
