;; The front: `report(xs)` is (total, count, how many environment
;; variables this process was granted), from `demo:sum/sum@0.1.0` (another
;; nanoprocess) and `wasi:cli/environment` (its own grants).
(component
  (import "demo:sum/sum@0.1.0" (instance $si
    (type $t0 (record (field "total" u32) (field "count" u32)))
    (export "totals" (type $t (eq $t0)))
    (export "sum" (func (param "xs" (list u32)) (result $t)))))
  (import "wasi:cli/environment@0.2.0" (instance $env
    (export "get-environment" (func (result (list (tuple string string)))))))
  (alias export $si "sum" (func $sum))
  (alias export $env "get-environment" (func $get-env))
  (core module $Libc
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $p) (local.get 3)))
      (local.get $p)))
  (core instance $libc (instantiate $Libc))
  (core func $sum' (canon lower (func $sum) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (core func $env' (canon lower (func $get-env) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (core module $M
    (import "libc" "mem" (memory 1))
    (import "x" "sum" (func $sum (param i32 i32 i32)))
    (import "x" "env" (func $env (param i32)))
    (func (export "report") (param $p i32) (param $n i32) (result i32)
      (call $sum (local.get $p) (local.get $n) (i32.const 32))
      (call $env (i32.const 48))
      (i32.store (i32.const 128) (i32.load (i32.const 32)))
      (i32.store (i32.const 132) (i32.load (i32.const 36)))
      (i32.store (i32.const 136) (i32.load (i32.const 52)))
      (i32.const 128)))
  (core instance $m (instantiate $M
    (with "libc" (instance $libc))
    (with "x" (instance (export "sum" (func $sum')) (export "env" (func $env'))))))
  (func (export "report") (param "xs" (list u32)) (result (tuple u32 u32 u32))
    (canon lift (core func $m "report") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")))))
