(module
  (type $t (func (param i32) (result i32)))
  (import "env" "h" (func $h (param i32) (result i32)))
  (table 1 funcref)
  (func $f (type $t) local.get 0 call $h)
  (func (param i32) (result i32) local.get 0 call $f local.get 0 call_indirect (type $t)))
