module "lambda_function" {
  source  = "terraform-aws-modules/lambda/aws"
  version = "~> 7.0"

  function_name = "orders"
  handler       = "index.handler"
  runtime       = "nodejs14.x"
  source_path   = "./src"

  create_lambda_function_url = true
  authorization_type         = "NONE"
}
