(module (func (param f64) (result i64)
  local.get 0 i32.trunc_sat_f64_s i64.extend_i32_s
  local.get 0 f32.demote_f64 i64.trunc_f32_u i64.add i64.const 2 i64.rem_u))
