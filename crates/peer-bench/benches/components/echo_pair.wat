;; Two components, composed: `client` calls `echo` n times with a 100-byte
;; string and gets the string back (copied into echo's memory through its
;; realloc, and back into the client's through the client's). `run(n)`
;; returns the sum of the lengths it got back (100 * n).
(component
  (component $Echo
    (core module $M
      (memory (export "mem") 1)
      ;; One scratch buffer: each call's string lands at 1024.
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
      (func (export "echo") (param $p i32) (param $n i32) (result i32)
        (i32.store (i32.const 0) (local.get $p))
        (i32.store (i32.const 4) (local.get $n))
        (i32.const 0)))
    (core instance $m (instantiate $M))
    (func (export "echo") (param "s" string) (result string)
      (canon lift (core func $m "echo") (memory (core memory $m "mem")) (realloc (core func $m "realloc")))))
  (component $Client
    (import "echo" (func $echo (param "s" string) (result string)))
    (core module $Libc
      (memory (export "mem") 1)
      (data (i32.const 0) "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024)))
    (core instance $libc (instantiate $Libc))
    (core func $echo' (canon lower (func $echo) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core module $Main
      (import "libc" "mem" (memory 1))
      (import "" "echo" (func $echo (param i32 i32 i32)))
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $sum i32)
        (loop $l
          (call $echo (i32.const 0) (i32.const 100) (i32.const 128))
          (local.set $sum (i32.add (local.get $sum) (i32.load (i32.const 132))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $sum)))
    (core instance $main (instantiate $Main (with "libc" (instance $libc)) (with "" (instance (export "echo" (func $echo'))))))
    (func (export "run") (param "n" u32) (result u32) (canon lift (core func $main "run"))))
  (instance $echo (instantiate $Echo))
  (instance $client (instantiate $Client (with "echo" (func $echo "echo"))))
  (export "run" (func $client "run")))
