;; The module examples/minimal runs: counts the primes below n with a sieve
;; of Eratosthenes in linear memory (one byte per number). The build script
;; encodes it into $OUT_DIR/primes.wasm, which src/main.rs embeds.
(module $primes
  (memory (export "memory") 2)
  (func (export "count_primes") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $count i32)
    ;; Grow the memory until it holds n bytes; -1 (no room) is a trap.
    (block $enough
      (loop $grow
        (br_if $enough
          (i64.le_u (i64.extend_i32_u (local.get $n))
                    (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
          (then (unreachable)))
        (br $grow)))
    ;; Everything from 2 on is a candidate.
    (memory.fill (i32.const 0) (i32.const 1) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.load8_u (local.get $i))
          (then
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            ;; Strike out i*i, i*i+i, ... (i*i in 64 bits: no overflow).
            (if (i64.lt_u (i64.mul (i64.extend_i32_u (local.get $i))
                                   (i64.extend_i32_u (local.get $i)))
                          (i64.extend_i32_u (local.get $n)))
              (then
                (local.set $j (i32.mul (local.get $i) (local.get $i)))
                (block $struck
                  (loop $strike
                    (br_if $struck (i32.ge_u (local.get $j) (local.get $n)))
                    (i32.store8 (local.get $j) (i32.const 0))
                    (local.set $j (i32.add (local.get $j) (local.get $i)))
                    (br $strike)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $count)))
