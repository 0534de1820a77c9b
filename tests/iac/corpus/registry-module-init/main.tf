module "fn" {
  source  = "terraform-aws-modules/lambda/aws"
  version = "~> 7.0"

  function_name = "orders"
  runtime       = "nodejs14.x"
}
