variable "role_arn" { type = string }

resource "aws_lambda_function" "this" {
  function_name = "cross"
  runtime       = "python3.12"
  handler       = "app.handler"
  role          = var.role_arn
  filename      = "fn.zip"
}

output "arn" { value = aws_lambda_function.this.arn }
