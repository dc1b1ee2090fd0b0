;; Binary trees (the Benchmarks Game's allocation benchmark) with Wasm GC.
;;
;; Each node is a GC struct of two nullable references; a leaf has two
;; nulls. `make(d)` builds a complete tree of depth d (2^(d+1) - 1 nodes)
;; and `check` counts a tree's nodes, so every check is the number of nodes
;; that tree allocated. The host drives the classic program shape (see
;; bench/gc.py): a stretch tree, a long-lived tree kept in a global across
;; calls (the collector has to trace it at every collection), and many
;; short-lived trees that become garbage as soon as they are checked.
;;
;; Rebuild the .wasm with bench/gc/build.sh.
(module
  (type $node (struct (field $l (ref null $node)) (field $r (ref null $node))))

  ;; The long-lived tree: reachable from here between host calls.
  (global $keep (mut (ref null $node)) (ref.null $node))

  (func $make (param $depth i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $depth))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else
        (struct.new $node
          (call $make (i32.sub (local.get $depth) (i32.const 1)))
          (call $make (i32.sub (local.get $depth) (i32.const 1)))))))

  ;; The number of nodes in a tree (0 for null).
  (func $check (param $t (ref null $node)) (result i32)
    (local $n (ref $node))
    (local.set $n (block $some (result (ref $node))
      (br_on_non_null $some (local.get $t))
      (return (i32.const 0))))
    (i32.add
      (i32.const 1)
      (i32.add
        (call $check (struct.get $node $l (local.get $n)))
        (call $check (struct.get $node $r (local.get $n))))))

  ;; Builds `count` trees of `depth`, each dropped after its check (garbage
  ;; at once); the sum of their checks.
  (func (export "iteration") (param $depth i32) (param $count i32) (result i32)
    (local $i i32)
    (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $count)))
        (local.set $sum
          (i32.add (local.get $sum) (call $check (call $make (local.get $depth)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  ;; Builds a tree of `depth` and keeps it in $keep; its check.
  (func (export "long_lived") (param $depth i32) (result i32)
    (global.set $keep (call $make (local.get $depth)))
    (call $check (global.get $keep)))

  ;; The check of the long-lived tree (still whole after everything else).
  (func (export "check_long_lived") (result i32)
    (call $check (global.get $keep))))
