;; Accepts one connection on the preopened listening socket (descriptor 3,
;; from `nanowasm run --tcplisten ADDR`), echoes what it receives until the
;; peer shuts down its side, then shuts the connection down. Exits 0.
(module
  (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $shutdown (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $fd i32) (local $n i32)
    (if (call $accept (i32.const 3) (i32.const 0) (i32.const 32))
      (then (call $proc_exit (i32.const 10))))
    (local.set $fd (i32.load (i32.const 32)))
    (loop $next
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (i32.const 4096))
      (if (call $recv (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 16) (i32.const 20))
        (then (call $proc_exit (i32.const 11))))
      (local.set $n (i32.load (i32.const 16)))
      (if (local.get $n)
        (then
          (i32.store (i32.const 4) (local.get $n))
          (if (call $send (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 16))
            (then (call $proc_exit (i32.const 12))))
          (br $next))))
    (if (call $shutdown (local.get $fd) (i32.const 3))
      (then (call $proc_exit (i32.const 13))))))
