;; local.set after an operation retargets the operation's result to the local.
(module (func (param i32 i32) (local i32) local.get 0 local.get 1 i32.mul local.set 2))
