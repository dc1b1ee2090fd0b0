(module (memory 1) (data $d "abc") (func (param i32) (result i32)
  local.get 0 i32.const 0 i32.const 4 memory.fill
  local.get 0 i32.const 8 i32.const 4 memory.copy
  i32.const 0 i32.const 0 i32.const 3 memory.init $d data.drop $d
  i32.const 1 memory.grow memory.size i32.add))
