;; A small module with one page of memory; `touch` writes to it.
(module
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (func (export "touch") (param $v i32)
    (i32.store (i32.const 128) (local.get $v))
    (global.set $g (local.get $v)))
  (func (export "get") (result i32) (i32.load (i32.const 128))))
