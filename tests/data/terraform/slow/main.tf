# slow - a module whose apply takes 30 s (a local-exec sleep), for the
# cancellation test.  quick/main.tf is the same resource without it.

resource "terraform_data" "slow" {
  input = "payload"

  provisioner "local-exec" {
    command = "sleep 30"
  }
}
