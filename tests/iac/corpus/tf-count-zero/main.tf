variable "public" {
  type    = bool
  default = false
}

resource "aws_iam_role" "r" {
  name = "count"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "fn" {
  function_name = "counted"
  runtime       = "python3.12"
  handler       = "app.handler"
  role          = aws_iam_role.r.arn
  filename      = "fn.zip"
}

resource "aws_lambda_function_url" "public" {
  count              = var.public ? 1 : 0
  function_name      = aws_lambda_function.fn.function_name
  authorization_type = "NONE"
}

resource "aws_lambda_function" "disabled" {
  count         = 0
  function_name = "disabled"
  runtime       = "nodejs12.x"
  handler       = "index.handler"
  role          = aws_iam_role.r.arn
  filename      = "fn.zip"
}
