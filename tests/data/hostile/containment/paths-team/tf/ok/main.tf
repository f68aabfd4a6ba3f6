# a module inside the provider folder: still accepted
output "where" {
  value = "inside"
}
