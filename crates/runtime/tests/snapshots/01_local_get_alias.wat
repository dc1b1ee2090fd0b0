;; local.get is an alias of the local's slot: the add reads both locals directly.
(module (func (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
