(module (func (param i32) (result i32) (local i32) local.get 0 i32.const 1 i32.add local.tee 1 local.get 1 i32.add))
