(module (func (param v128 v128) (result v128)
  local.get 0 local.get 1 i32x4.add
  v128.const i32x4 1 2 3 4 i32x4.mul
  local.get 0 i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23))
