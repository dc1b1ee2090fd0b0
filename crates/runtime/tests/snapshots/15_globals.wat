(module (global $g (mut i32) (i32.const 0)) (global $v (mut v128) (v128.const i64x2 0 0))
  (func (result i32) global.get $g i32.const 1 i32.add global.set $g global.get $v global.set $v global.get $g))
