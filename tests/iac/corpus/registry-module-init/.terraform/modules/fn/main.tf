variable "function_name" { type = string }
variable "runtime" { type = string }

resource "aws_iam_role" "this" {
  name = var.function_name
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "this" {
  function_name = var.function_name
  runtime       = var.runtime
  handler       = "index.handler"
  role          = aws_iam_role.this.arn
  filename      = "fn.zip"
}
