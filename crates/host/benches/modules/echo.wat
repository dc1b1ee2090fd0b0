;; `echo: (string) -> string` with a bump allocator as `cabi_realloc`
;; (reset on every call, so memory stays flat in benchmarks).
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $next) (i32.const 60000))
      (then (global.set $next (i32.const 1024)) (local.set $p (i32.const 1024))
            (global.set $next (i32.add (i32.const 1024) (local.get 3)))))
    (local.get $p))
  ;; Returns its argument: (len << 32) | ptr.
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 32))
            (i64.extend_i32_u (local.get $ptr)))))
