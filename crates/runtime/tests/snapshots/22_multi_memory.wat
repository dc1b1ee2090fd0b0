;; config: multi-memory
(module (memory $a 1) (memory $b 1) (data $d "abc")
  (func (param i32) (result i32)
  ;; memory 0 keeps its rows (and the fused address); memory 1 gets the
  ;; accesses between `UseMemory` brackets
  local.get 0 i32.const 4 i32.add i32.load $a
  local.get 0 i32.const 4 i32.add i32.load $b offset=8
  i32.add
  local.get 0 local.get 0 i32.store16 $b
  local.get 0 v128.const i32x4 0 0 0 0 v128.load8_lane $b 3 drop
  local.get 0 v128.const i32x4 0 0 0 0 v128.store32_lane $b offset=4 1
  local.get 0 i32.const 0 i32.const 4 memory.copy $a $b
  local.get 0 i32.const 7 i32.const 4 memory.fill $b
  i32.const 0 i32.const 0 i32.const 3 memory.init $b $d
  i32.const 1 memory.grow $b drop
  memory.size $b i32.add))
