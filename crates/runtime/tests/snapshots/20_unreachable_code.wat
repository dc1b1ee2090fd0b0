;; code after br/return/unreachable is not translated.
(module (func (param i32) (result i32)
  block local.get 0 br_if 0 unreachable i32.const 1 drop end
  i32.const 2 return i32.const 3))
