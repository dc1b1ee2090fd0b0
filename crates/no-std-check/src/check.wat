;; The module the no_std check decodes and validates (`src/lib.rs`).
;; The build script (`build.rs`) encodes it into $OUT_DIR/check.wasm.
(module $check
  (type $binop (func (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "checked without std")
  (table 2 funcref)
  (elem (i32.const 0) $add $mul)
  (global $calls (mut i32) (i32.const 0))
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $mul (type $binop) (i32.mul (local.get 0) (local.get 1)))
  (func (export "apply") (param $op i32) (param $a i32) (param $b i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (call $log (i32.const 0) (i32.const 19))
    (call_indirect (type $binop) (local.get $a) (local.get $b) (local.get $op)))
  (func (export "sum_to") (param $n i32) (result i64)
    (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "splat_sum") (param $x i32) (result i32)
    (i32x4.extract_lane 3
      (i32x4.add (i32x4.splat (local.get $x)) (v128.const i32x4 1 2 3 4)))))
