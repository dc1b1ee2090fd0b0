;; A small module: `nanowasm validate examples/hello.wasm` accepts it.
;; Rebuild the binary with `nanowasm wat2wasm examples/hello.wat -o examples/hello.wasm`.
(module $hello
  (memory (export "memory") 1)
  (data (i32.const 16) "Hello, nanowasm!\n")
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "greeting") (result i32 i32)
    (i32.const 16) (i32.const 17)))
