;; i32 operations with a constant operand (BinaryImm32 forms).
(module
  (func (param i32) (result i32) local.get 0 i32.const 7 i32.add)
  (func (param i32) (result i32) local.get 0 i32.const 3 i32.shl)
  (func (param i32) (result i32) local.get 0 i32.const 255 i32.and)
  (func (param i32) (result i32) i32.const 100 local.get 0 i32.sub))
