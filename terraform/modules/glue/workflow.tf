# Two Glue workflows, because a workflow has exactly one start trigger:
#
#   scheduled    SCHEDULED start -> detect_pii -> macie_masking -> main_etl -> leak_check
#                (the built-in detector produces the discovery results; macie_masking reads them)
#   macie_event  EVENT start (EventBridge rule on Macie findings for the raw bucket)
#                -> macie_masking -> main_etl -> leak_check
#                (Macie already wrote the discovery results; macie_masking reads its repository)
#
# Each step starts only when the previous job SUCCEEDED (CONDITIONAL triggers). Failures and
# timeouts are not silent: modules/monitoring alerts on every FAILED/TIMEOUT job state change.
# reidentify has no trigger: it runs on demand only.

resource "aws_glue_workflow" "this" {
  for_each = {
    scheduled   = "Scheduled run: built-in PII detector, masking, transformation, leak check"
    macie_event = "Started by Amazon Macie findings on the raw bucket: masking, transformation, leak check"
  }

  name                = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  description         = each.value
  max_concurrent_runs = 1

  tags = var.tags
}

resource "aws_glue_trigger" "scheduled_start" {
  name              = "${var.name_prefix}-scheduled-start"
  description       = "Starts the scheduled workflow with the built-in PII detector"
  workflow_name     = aws_glue_workflow.this["scheduled"].name
  type              = "SCHEDULED"
  schedule          = var.workflow_schedule
  start_on_creation = var.workflow_schedule_enabled

  actions {
    job_name = aws_glue_job.this["detect_pii"].name
  }

  tags = var.tags
}

resource "aws_glue_trigger" "macie_event_start" {
  name              = "${var.name_prefix}-macie-event-start"
  description       = "Starts masking when EventBridge delivers Macie findings for the raw bucket"
  workflow_name     = aws_glue_workflow.this["macie_event"].name
  type              = "EVENT"
  start_on_creation = true

  # Findings arrive per object: batch them so one run masks many objects.
  event_batching_condition {
    batch_size   = var.macie_event_batch_size
    batch_window = var.macie_event_batch_window_seconds
  }

  actions {
    job_name = aws_glue_job.this["macie_masking"].name
  }

  tags = var.tags
}

locals {
  # Conditional links of both workflows: `start` runs when `after` SUCCEEDED. `arguments` are
  # run-time overrides of the started job's default arguments (jobspec names only).
  workflow_chain = {
    scheduled-masking = {
      workflow = "scheduled"
      after    = "detect_pii"
      start    = "macie_masking"
      arguments = {
        "--results_bucket" = local.detector_uri
      }
    }
    scheduled-main-etl = {
      workflow  = "scheduled"
      after     = "macie_masking"
      start     = "main_etl"
      arguments = {}
    }
    scheduled-leak-check = {
      workflow  = "scheduled"
      after     = "main_etl"
      start     = "leak_check"
      arguments = {}
    }
    macie-event-main-etl = {
      workflow  = "macie_event"
      after     = "macie_masking"
      start     = "main_etl"
      arguments = {}
    }
    macie-event-leak-check = {
      workflow  = "macie_event"
      after     = "main_etl"
      start     = "leak_check"
      arguments = {}
    }
  }
}

resource "aws_glue_trigger" "chain" {
  for_each = local.workflow_chain

  name          = "${var.name_prefix}-${each.key}"
  description   = "Runs ${each.value.start} when ${each.value.after} succeeded"
  workflow_name = aws_glue_workflow.this[each.value.workflow].name
  type          = "CONDITIONAL"
  # Conditional triggers are created deactivated unless started on creation.
  start_on_creation = true

  predicate {
    logical = "AND"

    conditions {
      job_name         = aws_glue_job.this[each.value.after].name
      state            = "SUCCEEDED"
      logical_operator = "EQUALS"
    }
  }

  actions {
    job_name  = aws_glue_job.this[each.value.start].name
    arguments = length(each.value.arguments) > 0 ? each.value.arguments : null
  }

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# EventBridge: Macie findings on the raw bucket start the macie_event workflow
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "macie_findings" {
  name        = "${var.name_prefix}-macie-findings-raw"
  description = "Sensitive-data findings from Amazon Macie for objects in the raw bucket"
  state       = var.macie_event_trigger_enabled ? "ENABLED" : "DISABLED"

  event_pattern = jsonencode({
    source        = ["aws.macie"]
    "detail-type" = ["Macie Finding"]
    detail = {
      category = ["CLASSIFICATION"]
      sample   = [false]
      resourcesAffected = {
        s3Bucket = {
          name = [var.bucket_names.raw]
        }
      }
    }
  })

  tags = var.tags
}

data "aws_iam_policy_document" "events_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "events_notify_workflow" {
  statement {
    sid       = "NotifyMacieEventWorkflow"
    effect    = "Allow"
    actions   = ["glue:notifyEvent"]
    resources = [aws_glue_workflow.this["macie_event"].arn]
  }
}

resource "aws_iam_role" "events_to_glue" {
  name               = "${var.name_prefix}-events-to-glue"
  description        = "Lets EventBridge deliver Macie findings to the macie_event Glue workflow"
  assume_role_policy = data.aws_iam_policy_document.events_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "events_to_glue" {
  name   = "notify-workflow"
  role   = aws_iam_role.events_to_glue.id
  policy = data.aws_iam_policy_document.events_notify_workflow.json
}

resource "aws_cloudwatch_event_target" "macie_findings_to_workflow" {
  rule      = aws_cloudwatch_event_rule.macie_findings.name
  target_id = "macie-event-workflow"
  arn       = aws_glue_workflow.this["macie_event"].arn
  role_arn  = aws_iam_role.events_to_glue.arn
}
