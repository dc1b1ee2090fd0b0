(module (func (param i32 i32) (result i32)
  local.get 0 local.get 1 local.get 0
  if (param i32 i32) (result i32) i32.add else i32.sub end))
