(module
  (func $pair (param i64 f64) (result f64 i64) local.get 1 local.get 0)
  (func (result f64) i64.const 1 f64.const 2 call $pair drop))
