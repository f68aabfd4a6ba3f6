# The configuration file of one application resource: key = value lines
# from var.settings, written by a local-exec provisioner into the working
# copy terraform.so keeps in the resource's state directory.  A changed
# setting replaces the terraform_data (the file is written again); destroy
# removes the file.  Values reach the commands as environment variables,
# never as command text.
terraform {
  required_version = ">= 1.4"
}

variable "app" {
  type = string
}

variable "resource" {
  type = string
}

variable "settings" {
  type = map(string)
}

locals {
  dir  = "${abspath(path.root)}/files"
  path = "${local.dir}/${var.resource}.conf"
  text = join("", [for k in sort(keys(var.settings)) : "${k} = ${var.settings[k]}\n"])
}

resource "terraform_data" "file" {
  triggers_replace = [local.path, local.text]
  input            = { path = local.path, dir = local.dir }

  provisioner "local-exec" {
    command = "mkdir -p \"$DIR\" && printf '# %s: rendered by terraform for %s\\n%s' \"$RESOURCE\" \"$APP\" \"$TEXT\" > \"$FILE.tmp\" && mv \"$FILE.tmp\" \"$FILE\""
    environment = {
      DIR      = local.dir
      FILE     = local.path
      TEXT     = local.text
      APP      = var.app
      RESOURCE = var.resource
    }
  }

  provisioner "local-exec" {
    when    = destroy
    command = "rm -f \"$FILE\" && rmdir \"$DIR\" 2>/dev/null || true"
    environment = {
      FILE = self.input.path
      DIR  = self.input.dir
    }
  }
}

output "path" {
  value = local.path
}

output "checksum" {
  value = sha256(local.text)
}

output "keys" {
  value = join(",", sort(keys(var.settings)))
}
