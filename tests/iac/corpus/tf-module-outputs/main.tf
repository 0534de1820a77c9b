module "role" {
  source       = "./modules/role"
  function_arn = module.fn.arn
}

module "fn" {
  source   = "./modules/fn"
  role_arn = module.role.arn
}
