output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets."
  value       = [for subnet in aws_subnet.private : subnet.id]
}

output "private_subnet_arns" {
  description = "ARNs of the private subnets (for ENI permissions)."
  value       = [for subnet in aws_subnet.private : subnet.arn]
}

output "glue_security_group_id" {
  description = "ID of the Glue job security group."
  value       = aws_security_group.glue.id
}

output "glue_security_group_arn" {
  description = "ARN of the Glue job security group (for ENI permissions)."
  value       = aws_security_group.glue.arn
}

output "glue_connection_names" {
  description = "Names of the Glue NETWORK connections, one per AZ, in subnet order."
  value       = [for key in sort(keys(aws_glue_connection.network)) : aws_glue_connection.network[key].name]
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint."
  value       = aws_vpc_endpoint.s3.id
}

output "interface_endpoint_ids" {
  description = "ID of each interface endpoint by service."
  value       = { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id }
}

output "flow_log_group_name" {
  description = "Name of the VPC flow-log group."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
