;; loads fuse the i32.add that computed their address.
(module (memory 1) (func (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.store offset=4
  local.get 0 i32.const 16 i32.add i32.load
  local.get 0 local.get 1 i32.add i64.load8_u offset=2 i32.wrap_i64 i32.add))
