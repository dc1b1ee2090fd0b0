(module (memory 1) (func (param v128 i32) (result i32)
  local.get 0 local.get 1 i32x4.replace_lane 2 i32x4.extract_lane 2
  local.get 1 local.get 0 v128.load32_lane 1 i64x2.extract_lane 0 i32.wrap_i64 i32.add))
