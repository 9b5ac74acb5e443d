# Alerting and visibility: a KMS-encrypted SNS alert topic with e-mail subscriptions, an
# EventBridge rule that turns every FAILED/TIMEOUT Glue job state change into an alert, CloudWatch
# alarms (job failures, leak findings, quarantined rows, anomaly-rate spikes, run duration) and a
# dashboard.
#
# Custom metrics are the ones the jobs publish (secure_transform.metrics, namespace
# var.metrics_namespace) with the dimensions Job (the jobspec job name, e.g. "leak_check") and
# Environment (var.metric_environment). AnomalyRate is published in percent.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region

  # Dimensions of a job's custom metrics, in the order secure_transform.metrics sends them.
  metric_dimensions = {
    for job in ["detect_pii", "macie_masking", "main_etl", "leak_check", "reidentify"] :
    job => { Job = job, Environment = var.metric_environment }
  }
}

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-alerts"
  display_name      = "${var.name_prefix} alerts"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "ServicePublishersFromThisAccount"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_email_addresses)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

# ---------------------------------------------------------------------------------------------
# Job failures: EventBridge "Glue Job State Change" FAILED/TIMEOUT -> alert topic
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "job_failed" {
  name        = "${var.name_prefix}-glue-job-failed"
  description = "A ${var.name_prefix} Glue job run FAILED or TIMED OUT"

  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      jobName = values(var.job_names)
      state   = ["FAILED", "TIMEOUT"]
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "job_failed_to_sns" {
  rule      = aws_cloudwatch_event_rule.job_failed.name
  target_id = "alert-topic"
  arn       = aws_sns_topic.alerts.arn

  # Only identifiers go out: the event's free-text message may quote data from an exception.
  input_transformer {
    input_paths = {
      job   = "$.detail.jobName"
      run   = "$.detail.jobRunId"
      state = "$.detail.state"
      time  = "$.time"
    }
    input_template = "\"Glue job <job> run <run> ended in state <state> at <time>. See the job's CloudWatch logs.\""
  }
}

# ---------------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------------

# Every matched FAILED/TIMEOUT event counts in AWS/Events MatchedEvents for the rule.
resource "aws_cloudwatch_metric_alarm" "job_failures" {
  alarm_name          = "${var.name_prefix}-glue-job-failures"
  alarm_description   = "At least one ${var.name_prefix} Glue job run failed or timed out"
  namespace           = "AWS/Events"
  metric_name         = "MatchedEvents"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.job_failed.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "leak_findings" {
  alarm_name          = "${var.name_prefix}-leak-findings"
  alarm_description   = "The leak check found personal data in the transformed zone; the run was not published"
  namespace           = var.metrics_namespace
  metric_name         = var.metric_names.leak_findings
  dimensions          = local.metric_dimensions["leak_check"]
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "rows_quarantined" {
  for_each = toset(["macie_masking", "main_etl"])

  alarm_name          = "${var.name_prefix}-${replace(each.key, "_", "-")}-rows-quarantined"
  alarm_description   = "${each.key} quarantined more than ${var.quarantined_rows_threshold} rows in one run"
  namespace           = var.metrics_namespace
  metric_name         = var.metric_names.rows_quarantined
  dimensions          = local.metric_dimensions[each.key]
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.quarantined_rows_threshold
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "anomaly_rate" {
  alarm_name          = "${var.name_prefix}-anomaly-rate-spike"
  alarm_description   = "main_etl flagged more than ${var.anomaly_rate_threshold * 100}% of transactions as anomalous (far above the configured contamination)"
  namespace           = var.metrics_namespace
  metric_name         = var.metric_names.anomaly_rate
  dimensions          = local.metric_dimensions["main_etl"]
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.anomaly_rate_threshold * 100 # AnomalyRate is published in percent.
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  tags = var.tags
}

# Glue's own driver metric (enabled by --enable-metrics): elapsed time of the run in ms.
resource "aws_cloudwatch_metric_alarm" "duration" {
  for_each = var.job_names

  alarm_name          = "${var.name_prefix}-${replace(each.key, "_", "-")}-duration"
  alarm_description   = "${each.key} ran longer than ${var.job_duration_threshold_minutes} minutes"
  namespace           = "Glue"
  metric_name         = "glue.driver.aggregate.elapsedTime"
  dimensions          = { JobName = each.value, JobRunId = "ALL", Type = "count" }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.job_duration_threshold_minutes * 60 * 1000
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------

locals {
  pipeline_jobs = ["detect_pii", "macie_masking", "main_etl", "leak_check"]

  dashboard_widgets = [
    {
      type   = "metric"
      x      = 0
      y      = 0
      width  = 12
      height = 6
      properties = {
        title  = "Rows in / out / quarantined per job"
        region = local.region
        stat   = "Sum"
        period = 3600
        view   = "timeSeries"
        metrics = flatten([for job in local.pipeline_jobs : [
          [var.metrics_namespace, var.metric_names.rows_in, "Job", job, "Environment", var.metric_environment],
          [var.metrics_namespace, var.metric_names.rows_out, "Job", job, "Environment", var.metric_environment],
          [var.metrics_namespace, var.metric_names.rows_quarantined, "Job", job, "Environment", var.metric_environment],
        ]])
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 0
      width  = 12
      height = 6
      properties = {
        title  = "Leak findings and job failures"
        region = local.region
        stat   = "Sum"
        period = 3600
        view   = "timeSeries"
        metrics = [
          [var.metrics_namespace, var.metric_names.leak_findings, "Job", "leak_check", "Environment", var.metric_environment],
          ["AWS/Events", "MatchedEvents", "RuleName", aws_cloudwatch_event_rule.job_failed.name],
        ]
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 6
      width  = 12
      height = 6
      properties = {
        title  = "Anomalies flagged and anomaly rate in % (main_etl)"
        region = local.region
        period = 3600
        view   = "timeSeries"
        metrics = [
          [var.metrics_namespace, var.metric_names.anomalies_flagged, "Job", "main_etl", "Environment", var.metric_environment, { stat = "Sum" }],
          [var.metrics_namespace, var.metric_names.anomaly_rate, "Job", "main_etl", "Environment", var.metric_environment, { stat = "Maximum", yAxis = "right" }],
        ]
        annotations = {
          horizontal = [{ label = "alarm", value = var.anomaly_rate_threshold * 100, yAxis = "right" }]
        }
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 6
      width  = 12
      height = 6
      properties = {
        title   = "Run duration (ms)"
        region  = local.region
        stat    = "Maximum"
        period  = 300
        view    = "timeSeries"
        metrics = [for job, name in var.job_names : ["Glue", "glue.driver.aggregate.elapsedTime", "JobName", name, "JobRunId", "ALL", "Type", "count"]]
      }
    },
    {
      type   = "alarm"
      x      = 0
      y      = 12
      width  = 24
      height = 4
      properties = {
        title = "Alarms"
        alarms = concat(
          [
            aws_cloudwatch_metric_alarm.job_failures.arn,
            aws_cloudwatch_metric_alarm.leak_findings.arn,
            aws_cloudwatch_metric_alarm.anomaly_rate.arn,
          ],
          [for alarm in aws_cloudwatch_metric_alarm.rows_quarantined : alarm.arn],
          [for alarm in aws_cloudwatch_metric_alarm.duration : alarm.arn],
        )
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name_prefix}-pipeline"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
