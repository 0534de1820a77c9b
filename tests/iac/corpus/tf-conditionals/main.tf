variable "legacy" {
  type    = bool
  default = true
}

variable "env" {
  type    = string
  default = "prod"
}

resource "aws_iam_role" "r" {
  name = "cond"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "legacy" {
  function_name = "legacy"
  runtime       = var.env == "prod" && var.legacy ? "nodejs14.x" : "nodejs20.x"
  handler       = "index.handler"
  role          = aws_iam_role.r.arn
  filename      = "fn.zip"
  timeout       = var.env != "prod" ? 3 : 900
  tracing_config {
    mode = !var.legacy ? "Active" : "PassThrough"
  }
}
