variable "function_arn" { type = string }

resource "aws_iam_role" "this" {
  name = "cross"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

output "arn" { value = aws_iam_role.this.arn }
