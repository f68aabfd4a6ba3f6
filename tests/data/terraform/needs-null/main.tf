# needs-null - a module whose init needs a provider download, which fails
# offline.

terraform {
  required_providers {
    null = {
      source = "hashicorp/null"
    }
  }
}

resource "null_resource" "x" {}
