(module (table $t 2 funcref) (elem $e func $f) (func $f)
  (func (param i32) (result i32)
    local.get 0 ref.func $f table.set $t
    local.get 0 table.get $t ref.is_null
    ref.null func i32.const 1 table.grow $t i32.add
    table.size $t i32.add
    i32.const 0 i32.const 0 i32.const 1 table.init $t $e elem.drop $e))
