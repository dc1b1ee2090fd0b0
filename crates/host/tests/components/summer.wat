;; `demo:sum/sum@0.1.0`: sums a list of numbers with a counter resource
;; of `demo:count/counter@0.1.0` (another nanoprocess): makes one, adds
;; each number through a borrow, reads its stats record, drops it.
(component
  (import "demo:count/counter@0.1.0" (instance $ci
    (export "counter" (type $c (sub resource)))
    (type $s0 (record (field "value" u32) (field "adds" u32)))
    (export "stats" (type $s (eq $s0)))
    (export "make" (func (param "start" u32) (result (own $c))))
    (export "[method]counter.add" (func (param "self" (borrow $c)) (param "n" u32) (result u32)))
    (export "stats-of" (func (param "c" (borrow $c)) (result $s)))))
  (alias export $ci "counter" (type $counter))
  (alias export $ci "make" (func $make))
  (alias export $ci "[method]counter.add" (func $add))
  (alias export $ci "stats-of" (func $stats-of))
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
  (core func $make' (canon lower (func $make)))
  (core func $add' (canon lower (func $add)))
  (core func $stats' (canon lower (func $stats-of) (memory (core memory $libc "mem"))))
  (canon resource.drop $counter (core func $drop))
  (core module $M
    (import "libc" "mem" (memory 1))
    (import "c" "make" (func $make (param i32) (result i32)))
    (import "c" "add" (func $add (param i32 i32) (result i32)))
    (import "c" "stats" (func $stats (param i32 i32)))
    (import "c" "drop" (func $drop (param i32)))
    (func (export "sum") (param $p i32) (param $n i32) (result i32)
      (local $h i32) (local $i i32)
      (local.set $h (call $make (i32.const 0)))
      (block $done (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (drop (call $add (local.get $h)
          (i32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      ;; stats {value, adds} land at 64: the same layout as totals {total, count}.
      (call $stats (local.get $h) (i32.const 64))
      (call $drop (local.get $h))
      (i32.const 64)))
  (core instance $m (instantiate $M
    (with "libc" (instance $libc))
    (with "c" (instance
      (export "make" (func $make')) (export "add" (func $add'))
      (export "stats" (func $stats')) (export "drop" (func $drop))))))
  (type $totals (record (field "total" u32) (field "count" u32)))
  (component $Iface
    (type $t0 (record (field "total" u32) (field "count" u32)))
    (import "totals-impl" (type $t (eq $t0)))
    (export $totals "totals" (type $t))
    (import "sum-impl" (func $sum (param "xs" (list u32)) (result $t)))
    (export "sum" (func $sum) (func (param "xs" (list u32)) (result $totals))))
  (func $sum (param "xs" (list u32)) (result $totals)
    (canon lift (core func $m "sum") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (instance $iface (instantiate $Iface (with "totals-impl" (type $totals)) (with "sum-impl" (func $sum))))
  (export "demo:sum/sum@0.1.0" (instance $iface)))
