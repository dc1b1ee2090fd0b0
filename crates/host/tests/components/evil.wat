;; A tenant that misuses the counter interface it was granted: forged
;; handles, a handle of its own resource type passed as a counter, a
;; handle used after it was dropped. Each traps inside this process.
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
  (type $mine (resource (rep i32)))
  (canon resource.new $mine (core func $mine.new))
  (core func $make' (canon lower (func $make)))
  (core func $add' (canon lower (func $add)))
  (canon resource.drop $counter (core func $drop))
  (core module $M
    (import "c" "make" (func $make (param i32) (result i32)))
    (import "c" "add" (func $add (param i32 i32) (result i32)))
    (import "c" "drop" (func $drop (param i32)))
    (import "c" "mine" (func $mine (param i32) (result i32)))
    (func (export "forge") (result i32) (call $add (i32.const 99) (i32.const 1)))
    (func (export "confuse") (result i32) (call $add (call $mine (i32.const 7)) (i32.const 1)))
    (func (export "after-drop") (result i32)
      (local $h i32)
      (local.set $h (call $make (i32.const 0)))
      (call $drop (local.get $h))
      (call $add (local.get $h) (i32.const 1))))
  (core instance $m (instantiate $M (with "c" (instance
    (export "make" (func $make')) (export "add" (func $add'))
    (export "drop" (func $drop)) (export "mine" (func $mine.new))))))
  (func (export "forge") (result u32) (canon lift (core func $m "forge")))
  (func (export "confuse") (result u32) (canon lift (core func $m "confuse")))
  (func (export "after-drop") (result u32) (canon lift (core func $m "after-drop"))))
