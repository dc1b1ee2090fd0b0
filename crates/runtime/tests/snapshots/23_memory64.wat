;; memory64 and table64: an access to a 64-bit memory adds its offset in
;; an `Addr64` (which traps at 2^32 and past) and then runs as a 32-bit
;; access at offset 0; table and bulk instructions mark their i64
;; operands in `wide`; an indirect call through a 64-bit table flags its
;; table (bit 31).
(module
  (type $t (func))
  (memory i64 1)
  (table i64 1 funcref)
  (func (param i64) (result i64)
    (i64.store offset=0x100000008 (local.get 0) (i64.load offset=4 (local.get 0)))
    (memory.fill (local.get 0) (i32.const 0) (i64.const 16))
    (drop (table.grow (ref.null func) (i64.const 1)))
    (call_indirect (type $t) (local.get 0))
    (memory.grow (memory.size))))
