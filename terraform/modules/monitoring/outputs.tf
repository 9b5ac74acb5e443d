output "alert_topic_arn" {
  description = "ARN of the KMS-encrypted SNS alert topic."
  value       = aws_sns_topic.alerts.arn
}

output "job_failure_rule_name" {
  description = "EventBridge rule that alerts on FAILED/TIMEOUT Glue job runs."
  value       = aws_cloudwatch_event_rule.job_failed.name
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms."
  value = concat(
    [
      aws_cloudwatch_metric_alarm.job_failures.alarm_name,
      aws_cloudwatch_metric_alarm.leak_findings.alarm_name,
      aws_cloudwatch_metric_alarm.anomaly_rate.alarm_name,
    ],
    [for alarm in aws_cloudwatch_metric_alarm.rows_quarantined : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.duration : alarm.alarm_name],
  )
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
