;; a compare followed by br_if or if is fused into one branch.
(module
  (func (param i32 i32) (result i32)
    block local.get 0 local.get 1 i32.lt_s br_if 0 i32.const 1 return end i32.const 2)
  (func (param i32) (result i32)
    local.get 0 i32.const 10 i32.ge_u if (result i32) i32.const 1 else i32.const 0 end)
  (func (param i32) (result i32)
    block local.get 0 i32.eqz br_if 0 i32.const 5 return end i32.const 6))
