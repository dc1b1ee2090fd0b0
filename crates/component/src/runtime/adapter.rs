//! Compiled fused adapters: a `canon lower` of a function another component
//! instance lifted, generated as a core module and compiled with the rest,
//! so that a component-to-component call enters compiled code once instead
//! of once per `realloc`, callee and `post-return` (see [`super::fused`],
//! the Rust adapter, which every other call takes).
//!
//! The module imports both memories, the callee, both `realloc`s and the
//! `post-return` it needs, both instances' flags and the callee's
//! `context` slots (mutable `i32` globals, which it reads and writes as
//! [`super::fused::call`] does the flags), and two host functions: `trap`,
//! which fails with the Rust adapter's message for a check that failed,
//! and `utf8`, which validates a string in which an ASCII scan (in wasm,
//! 32 and 8 bytes at a time) found a byte of 0x80 or more. Its one
//! export, `adapter`, has the lowered function's core type and does what
//! the Rust adapter does, in the same order and with the same checks:
//! scalars normalized (`bool` to 0/1, small integers to their width, NaNs
//! canonical, `char`s checked), strings and integer lists bounds-checked,
//! validated, allocated with the receiver's `realloc` and copied with
//! `memory.copy` between the two memories.
//!
//! Only types that are pure data movement are compiled: scalars, UTF-8
//! strings on both sides, lists of integers, and records and tuples of
//! them, with parameters that do not spill. Handles, variants, flags,
//! other encodings and spilled parameters keep the Rust adapter. So does
//! an engine that interprets (the Rust adapter is faster than interpreted
//! wasm). Modules are cached per component by their bytes.

use std::collections::HashMap;
use std::sync::Mutex;

use nanowasm_runtime::{
    Error, Extern, Func as CoreFunc, FuncType as CoreFuncType, Instance as CoreInstance, Memory,
    Module, Store, ValType as CoreType,
};

use super::abi::{Encoding, Options};
use super::fused::plain_int;
use super::instance::{Lifted, Plan};
use super::state::{msg, state, trap, MAY_ENTER, MAY_LEAVE};
use super::types::{align_to, Type};

/// The compiled adapter modules of one component, by their bytes (`None`:
/// the engine does not compile them, or they failed to build).
#[derive(Default)]
pub(crate) struct AdapterCache(Mutex<HashMap<Vec<u8>, Option<Module>>>);

impl AdapterCache {
    /// How many compiled adapter modules it holds.
    pub(crate) fn compiled(&self) -> usize {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.values().filter(|m| m.is_some()).count()
    }
}

/// One leaf of a value: a scalar, or a string or integer list (a pointer
/// and a length).
#[derive(Clone, Copy, Debug)]
enum Leaf {
    Bool,
    /// An integer of `size` bytes; `signed` for the 8- and 16-bit ones.
    Int {
        size: u32,
        signed: bool,
    },
    F32,
    F64,
    Char,
    Str,
    /// A list of integers of `size` bytes (aligned to `size`).
    List {
        size: u32,
    },
}

impl Leaf {
    fn flat(self) -> &'static [u8] {
        match self {
            Leaf::Int { size: 8, .. } => &[I64],
            Leaf::F32 => &[F32],
            Leaf::F64 => &[F64],
            Leaf::Str | Leaf::List { .. } => &[I32, I32],
            _ => &[I32],
        }
    }
}

/// The leaves of `ty` with their offsets from the start of a value of `ty`
/// in memory; `false` if `ty` holds what is not compiled.
fn leaves(ty: &Type, at: &mut u32, out: &mut Vec<(Leaf, u32)>) -> bool {
    let int = |size, signed| Leaf::Int { size, signed };
    let leaf = match ty {
        Type::Record(_) | Type::Tuple(_) => {
            let start = align_to(*at, ty.align());
            *at = start;
            for f in ty.field_types() {
                if !leaves(f, at, out) {
                    return false;
                }
            }
            *at = start + ty.size();
            return true;
        }
        Type::Bool => Leaf::Bool,
        Type::U8 | Type::U16 | Type::U32 | Type::S32 | Type::U64 | Type::S64 => {
            int(ty.size(), false)
        }
        Type::S8 | Type::S16 => int(ty.size(), true),
        Type::Float32 => Leaf::F32,
        Type::Float64 => Leaf::F64,
        Type::Char => Leaf::Char,
        Type::String => Leaf::Str,
        Type::List(elem) if plain_int(elem) => Leaf::List { size: elem.size() },
        _ => return false,
    };
    *at = align_to(*at, ty.align());
    out.push((leaf, *at));
    *at += ty.size();
    true
}

// Value types.
const I32: u8 = 0x7f;
const I64: u8 = 0x7e;
const F32: u8 = 0x7d;
const F64: u8 = 0x7c;

/// Trap codes of the `trap` import, and their messages (the Rust
/// adapter's).
const TRAP_STRING_OOB: i32 = 0;
const TRAP_STRING_TOO_LONG: i32 = 1;
const TRAP_STRING_REALLOC_OOB: i32 = 2;
const TRAP_LIST_UNALIGNED: i32 = 3;
const TRAP_LIST_OOB: i32 = 4;
const TRAP_LIST_TOO_LONG: i32 = 5;
const TRAP_REALLOC_UNALIGNED: i32 = 6;
const TRAP_LIST_REALLOC_OOB: i32 = 7;
const TRAP_CHAR: i32 = 8;
const TRAP_TUPLE_UNALIGNED: i32 = 9;
const TRAP_TUPLE_OOB: i32 = 10;
const TRAP_CANNOT_LEAVE: i32 = 11;
const TRAP_CANNOT_ENTER: i32 = 12;

fn trap_message(code: u32, value: u32) -> String {
    match code as i32 {
        TRAP_STRING_OOB => msg::STRING_OUT_OF_BOUNDS.into(),
        TRAP_STRING_TOO_LONG => msg::STRING_TOO_LONG.into(),
        TRAP_STRING_REALLOC_OOB => msg::realloc_out_of_bounds("string"),
        TRAP_LIST_UNALIGNED => msg::LIST_UNALIGNED.into(),
        TRAP_LIST_OOB => msg::LIST_OUT_OF_BOUNDS.into(),
        TRAP_LIST_TOO_LONG => msg::LIST_TOO_LONG.into(),
        TRAP_REALLOC_UNALIGNED => msg::REALLOC_UNALIGNED.into(),
        TRAP_LIST_REALLOC_OOB => msg::realloc_out_of_bounds("list"),
        TRAP_CHAR => msg::bad_char(value),
        TRAP_TUPLE_UNALIGNED => msg::UNALIGNED.into(),
        TRAP_TUPLE_OOB => msg::OUT_OF_BOUNDS.into(),
        TRAP_CANNOT_LEAVE => msg::CANNOT_LEAVE.into(),
        TRAP_CANNOT_ENTER => msg::CANNOT_ENTER.into(),
        _ => format!("fused adapter: unknown trap {code}"),
    }
}

/// Memory indices in the adapter: the caller's is 0, the callee's 1.
const FROM_MEM: u32 = 0;
const TO_MEM: u32 = 1;

/// A function body being written.
struct Code {
    b: Vec<u8>,
    /// Declared locals past the parameters, by type.
    locals: Vec<u8>,
    params: u32,
}

fn uleb(out: &mut Vec<u8>, v: u64) {
    nanowasm_core::leb128::write_u64(out, v);
}

fn sleb(out: &mut Vec<u8>, v: i64) {
    nanowasm_core::leb128::write_i64(out, v);
}

impl Code {
    fn op(&mut self, op: u8) -> &mut Self {
        self.b.push(op);
        self
    }
    fn idx(&mut self, op: u8, i: u32) -> &mut Self {
        self.b.push(op);
        uleb(&mut self.b, i as u64);
        self
    }
    fn get(&mut self, l: u32) -> &mut Self {
        self.idx(0x20, l)
    }
    fn set(&mut self, l: u32) -> &mut Self {
        self.idx(0x21, l)
    }
    fn tee(&mut self, l: u32) -> &mut Self {
        self.idx(0x22, l)
    }
    fn call(&mut self, f: u32) -> &mut Self {
        self.idx(0x10, f)
    }
    fn i32c(&mut self, v: i32) -> &mut Self {
        self.b.push(0x41);
        sleb(&mut self.b, v as i64);
        self
    }
    fn i64c(&mut self, v: i64) -> &mut Self {
        self.b.push(0x42);
        sleb(&mut self.b, v);
        self
    }
    /// A load or store with its memory index (multi-memory's memarg).
    fn mem(&mut self, op: u8, align_log2: u32, mem: u32, offset: u32) -> &mut Self {
        self.b.push(op);
        if mem == 0 {
            uleb(&mut self.b, align_log2 as u64);
        } else {
            uleb(&mut self.b, (align_log2 | 0x40) as u64);
            uleb(&mut self.b, mem as u64);
        }
        uleb(&mut self.b, offset as u64);
        self
    }
    /// `memory.size mem`, in bytes, as an `i64`.
    fn mem_bytes(&mut self, mem: u32) -> &mut Self {
        self.idx(0x3f, mem).op(0xad).i64c(16).op(0x86)
    }
    fn local(&mut self, ty: u8) -> u32 {
        self.locals.push(ty);
        self.params + self.locals.len() as u32 - 1
    }
    /// `if cond { trap(code, value) }`, with the condition on the stack.
    fn trap_if(&mut self, imports: &Imports, code: i32, value: Option<u32>) -> &mut Self {
        self.op(0x04).op(0x40).i32c(code);
        match value {
            Some(l) => self.get(l),
            None => self.i32c(0),
        };
        self.call(imports.trap).op(0x00).op(0x0b)
    }
}

/// Global indices of the imports: the caller's and the callee's flags,
/// the callee's two `context` slots.
const FROM_FLAGS: u32 = 0;
const TO_FLAGS: u32 = 1;
const TO_CONTEXT: [u32; 2] = [2, 3];

/// Function indices of the imports.
struct Imports {
    trap: u32,
    utf8: u32,
    callee: u32,
    to_realloc: Option<u32>,
    from_realloc: Option<u32>,
    post_return: Option<u32>,
}

/// What one adapter needs that the type alone does not say.
struct Shape<'a> {
    plan: &'a Plan,
    params: Vec<(Leaf, u32)>,
    result: Vec<(Leaf, u32)>,
    lower_params: Vec<u8>,
    lower_results: Vec<u8>,
    callee_params: Vec<u8>,
    callee_results: Vec<u8>,
    post_return: Option<Vec<u8>>,
    memories: bool,
}

fn core_types(types: &[CoreType]) -> Option<Vec<u8>> {
    types
        .iter()
        .map(|t| match t {
            CoreType::I32 => Some(I32),
            CoreType::I64 => Some(I64),
            CoreType::F32 => Some(F32),
            CoreType::F64 => Some(F64),
            _ => None,
        })
        .collect()
}

fn is_memory32<T>(store: &Store<T>, m: Option<Memory>) -> bool {
    m.and_then(|m| m.ty(store).ok())
        .is_some_and(|t| !t.memory64 && !t.shared)
}

/// The adapter's module for a call from `caller` (the lower's options,
/// with core type `lower`) to `callee`, if its types are compiled.
fn module_bytes<T>(
    store: &Store<T>,
    caller: &Options,
    lower: (&[CoreType], &[CoreType]),
    callee: &Lifted,
) -> Option<Vec<u8>> {
    let plan = &callee.plan;
    if plan.params_spill {
        return None;
    }
    let mut params = Vec::new();
    if !leaves(&plan.params, &mut 0, &mut params) {
        return None;
    }
    let mut result = Vec::new();
    if let Some(rt) = &plan.result {
        if !leaves(rt, &mut 0, &mut result) {
            return None;
        }
    }
    let strings = params
        .iter()
        .chain(&result)
        .any(|(l, _)| matches!(l, Leaf::Str));
    let memories = plan.results_spill
        || params
            .iter()
            .chain(&result)
            .any(|(l, _)| matches!(l, Leaf::Str | Leaf::List { .. }));
    if strings && (caller.encoding != Encoding::Utf8 || callee.opts.encoding != Encoding::Utf8) {
        return None;
    }
    if memories && !(is_memory32(store, caller.memory) && is_memory32(store, callee.opts.memory)) {
        return None;
    }
    // The `realloc`s the copies need (without one, the Rust adapter traps
    // as the spec says).
    if plan.params_alloc && callee.opts.realloc.is_none()
        || plan.result_alloc && caller.realloc.is_none()
    {
        return None;
    }
    let callee_ty = callee.core.ty(store).ok()?;
    let post_return = match callee.opts.post_return {
        Some(f) => Some(core_types(f.ty(store).ok()?.params())?),
        None => None,
    };
    let shape = Shape {
        plan,
        params,
        result,
        lower_params: core_types(lower.0)?,
        lower_results: core_types(lower.1)?,
        callee_params: core_types(callee_ty.params())?,
        callee_results: core_types(callee_ty.results())?,
        post_return,
        memories,
    };
    Some(encode(&shape))
}

fn func_type(out: &mut Vec<u8>, params: &[u8], results: &[u8]) {
    out.push(0x60);
    uleb(out, params.len() as u64);
    out.extend_from_slice(params);
    uleb(out, results.len() as u64);
    out.extend_from_slice(results);
}

fn name(out: &mut Vec<u8>, s: &str) {
    uleb(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn section(module: &mut Vec<u8>, id: u8, body: &[u8]) {
    module.push(id);
    uleb(module, body.len() as u64);
    module.extend_from_slice(body);
}

/// The module's bytes. Imports, in order: `trap`, `utf8`, the callee, then
/// the callee's `realloc`, the caller's `realloc` and `post-return` where
/// needed, the caller's and the callee's memory where needed, and last the
/// caller's flags, the callee's flags and its two `context` slots;
/// [`instantiate`] passes them in that order.
fn encode(s: &Shape<'_>) -> Vec<u8> {
    // Types: 0 adapter, 1 trap, 2 utf8, 3 callee, 4 realloc, 5 post-return.
    let mut types = Vec::new();
    uleb(&mut types, 6);
    func_type(&mut types, &s.lower_params, &s.lower_results);
    func_type(&mut types, &[I32, I32], &[]);
    func_type(&mut types, &[I32, I32, I32], &[]);
    func_type(&mut types, &s.callee_params, &s.callee_results);
    func_type(&mut types, &[I32, I32, I32, I32], &[I32]);
    func_type(&mut types, s.post_return.as_deref().unwrap_or(&[]), &[]);
    let mut imports = Vec::new();
    let mut entries: Vec<(&str, u8, u32)> = vec![("trap", 0, 1), ("utf8", 0, 2), ("callee", 0, 3)];
    let mut next = 3;
    let mut take = |cond: bool| {
        cond.then(|| {
            next += 1;
            next - 1
        })
    };
    let ix = Imports {
        trap: 0,
        utf8: 1,
        callee: 2,
        to_realloc: take(s.plan.params_alloc),
        from_realloc: take(s.plan.result_alloc),
        post_return: take(s.post_return.is_some()),
    };
    if ix.to_realloc.is_some() {
        entries.push(("to_realloc", 0, 4));
    }
    if ix.from_realloc.is_some() {
        entries.push(("from_realloc", 0, 4));
    }
    if ix.post_return.is_some() {
        entries.push(("post_return", 0, 5));
    }
    if s.memories {
        entries.push(("from_memory", 2, 0));
        entries.push(("to_memory", 2, 0));
    }
    for g in ["from_flags", "to_flags", "to_context0", "to_context1"] {
        entries.push((g, 3, 0));
    }
    uleb(&mut imports, entries.len() as u64);
    for (field, kind, ty) in &entries {
        name(&mut imports, "");
        name(&mut imports, field);
        imports.push(*kind);
        match kind {
            // (memory 0): any 32-bit memory matches.
            2 => imports.extend_from_slice(&[0x00, 0x00]),
            // (global (mut i32))
            3 => imports.extend_from_slice(&[I32, 0x01]),
            _ => uleb(&mut imports, *ty as u64),
        }
    }
    let func_imports = entries.iter().filter(|e| e.1 == 0).count() as u32;
    let body = body(s, &ix);
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    section(&mut m, 1, &types);
    section(&mut m, 2, &imports);
    section(&mut m, 3, &[1, 0]);
    let mut exports = Vec::new();
    uleb(&mut exports, 1);
    name(&mut exports, "adapter");
    exports.push(0);
    uleb(&mut exports, func_imports as u64);
    section(&mut m, 7, &exports);
    let mut code = Vec::new();
    uleb(&mut code, 1);
    uleb(&mut code, body.len() as u64);
    code.extend_from_slice(&body);
    section(&mut m, 10, &code);
    m
}

/// The `adapter` function's body (its locals and code).
fn body(s: &Shape<'_>, ix: &Imports) -> Vec<u8> {
    let plan = s.plan;
    let mut c = Code {
        b: Vec::new(),
        locals: Vec::new(),
        params: s.lower_params.len() as u32,
    };
    // Temporaries for strings and lists, and for values checked in memory.
    let t: [u32; 5] = std::array::from_fn(|_| c.local(I32));
    let wide = c.local(I64);
    enter(&mut c, ix, plan.params_alloc);
    // Arguments, flat to flat, pushed in order.
    let mut cell = 0u32;
    for &(leaf, _) in &s.params {
        match leaf {
            Leaf::Str | Leaf::List { .. } => {
                c.get(cell).set(t[0]).get(cell + 1).set(t[1]);
                copy_seq(&mut c, ix, leaf, FROM_MEM, TO_MEM, ix.to_realloc, &t);
                c.get(t[2]).get(t[1]);
            }
            _ => {
                c.get(cell);
                normalize(&mut c, ix, leaf, cell);
            }
        }
        cell += leaf.flat().len() as u32;
    }
    if plan.params_alloc {
        set_flag(&mut c, TO_FLAGS, MAY_LEAVE, true);
    }
    c.call(ix.callee);
    // The callee's flat results, kept for the result and `post-return`.
    let results: Vec<u32> = s.callee_results.iter().map(|&ty| c.local(ty)).collect();
    for &r in results.iter().rev() {
        c.set(r);
    }
    if plan.result_alloc {
        set_flag(&mut c, FROM_FLAGS, MAY_LEAVE, false);
    }
    // The result: flat (one scalar, returned), or through memory.
    let mut ret = None;
    if plan.results_spill {
        let r = results[0];
        let retptr = s.lower_params.len() as u32 - 1;
        let (size, align) = plan.result_layout;
        check_tuple(&mut c, ix, r, TO_MEM, size, align);
        check_tuple(&mut c, ix, retptr, FROM_MEM, size, align);
        for &(leaf, off) in &s.result {
            mem_leaf(&mut c, ix, leaf, off, r, retptr, &t, wide);
        }
    } else if let (Some(&(leaf, _)), Some(&r)) = (s.result.first(), results.first()) {
        let out = c.local(leaf.flat()[0]);
        c.get(r);
        normalize(&mut c, ix, leaf, r);
        c.set(out);
        ret = Some(out);
    }
    if plan.result_alloc {
        set_flag(&mut c, FROM_FLAGS, MAY_LEAVE, true);
    }
    if let Some(pr) = ix.post_return {
        set_flag(&mut c, TO_FLAGS, MAY_LEAVE, false);
        for &r in &results {
            c.get(r);
        }
        c.call(pr);
        set_flag(&mut c, TO_FLAGS, MAY_LEAVE, true);
    }
    set_flag(&mut c, TO_FLAGS, MAY_ENTER, true);
    if let Some(out) = ret {
        c.get(out);
    }
    c.op(0x0b);
    // Locals, one entry per local (the compiler does not mind).
    let mut out = Vec::new();
    uleb(&mut out, c.locals.len() as u64);
    for &ty in &c.locals {
        out.push(1);
        out.push(ty);
    }
    out.extend_from_slice(&c.b);
    out
}

/// Entering the callee, as [`super::fused::call`] does: the caller may
/// leave, the callee may be entered; then the callee is entered, may not
/// call out while its `realloc` runs (if it runs), and its task's context
/// slots are zero.
fn enter(c: &mut Code, ix: &Imports, params_alloc: bool) {
    c.idx(0x23, FROM_FLAGS).i32c(MAY_LEAVE).op(0x71).op(0x45);
    c.trap_if(ix, TRAP_CANNOT_LEAVE, None);
    c.idx(0x23, TO_FLAGS).i32c(MAY_ENTER).op(0x71).op(0x45);
    c.trap_if(ix, TRAP_CANNOT_ENTER, None);
    c.idx(0x23, TO_FLAGS)
        .i32c(!(MAY_ENTER | MAY_LEAVE))
        .op(0x71);
    if !params_alloc {
        c.i32c(MAY_LEAVE).op(0x72);
    }
    c.idx(0x24, TO_FLAGS);
    for g in TO_CONTEXT {
        c.i32c(0).idx(0x24, g);
    }
}

/// Sets (`on`) or clears flag `bit` in the flags global `g`.
fn set_flag(c: &mut Code, g: u32, bit: i32, on: bool) {
    c.idx(0x23, g);
    if on {
        c.i32c(bit).op(0x72);
    } else {
        c.i32c(!bit).op(0x71);
    }
    c.idx(0x24, g);
}

/// Normalizes the scalar on the stack, which is also in local `l` (a
/// `char` is checked, a NaN made canonical).
fn normalize(c: &mut Code, ix: &Imports, leaf: Leaf, l: u32) {
    match leaf {
        Leaf::Bool => {
            c.i32c(0).op(0x47);
        }
        Leaf::Int { size: 1, signed } => {
            if signed {
                c.op(0xc0);
            } else {
                c.i32c(0xff).op(0x71);
            }
        }
        Leaf::Int { size: 2, signed } => {
            if signed {
                c.op(0xc1);
            } else {
                c.i32c(0xffff).op(0x71);
            }
        }
        Leaf::F32 => {
            // x == x ? x : canonical NaN
            c.b.push(0x43);
            c.b.extend_from_slice(&0x7fc0_0000u32.to_le_bytes());
            c.get(l).get(l).op(0x5b).op(0x1b);
        }
        Leaf::F64 => {
            c.b.push(0x44);
            c.b.extend_from_slice(&0x7ff8_0000_0000_0000u64.to_le_bytes());
            c.get(l).get(l).op(0x61).op(0x1b);
        }
        Leaf::Char => {
            check_char(c, ix, l);
        }
        _ => {}
    }
}

/// Traps unless local `l` is a Unicode scalar value.
fn check_char(c: &mut Code, ix: &Imports, l: u32) {
    // l >= 0x110000 || (l & ~0x7ff) == 0xd800
    c.get(l).i32c(0x11_0000).op(0x4f);
    c.get(l).i32c(!0x7ff).op(0x71).i32c(0xd800).op(0x46);
    c.op(0x72).trap_if(ix, TRAP_CHAR, Some(l));
}

/// Traps unless `[local ptr, + size)` lies aligned in memory `mem`.
fn check_tuple(c: &mut Code, ix: &Imports, ptr: u32, mem: u32, size: u32, align: u32) {
    if align > 1 {
        c.get(ptr).i32c(align as i32 - 1).op(0x71);
        c.trap_if(ix, TRAP_TUPLE_UNALIGNED, None);
    }
    c.get(ptr).op(0xad).i64c(size as i64).op(0x7c);
    c.mem_bytes(mem).op(0x56);
    c.trap_if(ix, TRAP_TUPLE_OOB, None);
}

/// Moves one leaf at offset `off` of the callee's result in its memory
/// (at local `src`) to the caller's (at local `dst`).
#[allow(clippy::too_many_arguments)]
fn mem_leaf(
    c: &mut Code,
    ix: &Imports,
    leaf: Leaf,
    off: u32,
    src: u32,
    dst: u32,
    t: &[u32; 5],
    wide: u32,
) {
    match leaf {
        Leaf::Str | Leaf::List { .. } => {
            c.get(src).mem(0x28, 2, TO_MEM, off).set(t[0]);
            c.get(src).mem(0x28, 2, TO_MEM, off + 4).set(t[1]);
            copy_seq(c, ix, leaf, TO_MEM, FROM_MEM, ix.from_realloc, t);
            c.get(dst).get(t[2]).mem(0x36, 2, FROM_MEM, off);
            c.get(dst).get(t[1]).mem(0x36, 2, FROM_MEM, off + 4);
        }
        Leaf::Bool => {
            c.get(dst).get(src).mem(0x2d, 0, TO_MEM, off);
            c.i32c(0).op(0x47).mem(0x3a, 0, FROM_MEM, off);
        }
        Leaf::Int { size, .. } => {
            c.get(dst).get(src);
            match size {
                1 => c.mem(0x2d, 0, TO_MEM, off).mem(0x3a, 0, FROM_MEM, off),
                2 => c.mem(0x2f, 1, TO_MEM, off).mem(0x3b, 1, FROM_MEM, off),
                4 => c.mem(0x28, 2, TO_MEM, off).mem(0x36, 2, FROM_MEM, off),
                _ => c.mem(0x29, 3, TO_MEM, off).mem(0x37, 3, FROM_MEM, off),
            };
        }
        Leaf::F32 => {
            // On the bits: a NaN is (bits & 0x7fffffff) > 0x7f800000.
            c.get(dst).i32c(0x7fc0_0000);
            c.get(src).mem(0x28, 2, TO_MEM, off).tee(t[0]);
            c.get(t[0])
                .i32c(0x7fff_ffff)
                .op(0x71)
                .i32c(0x7f80_0000)
                .op(0x4b);
            c.op(0x1b).mem(0x36, 2, FROM_MEM, off);
        }
        Leaf::F64 => {
            c.get(dst).i64c(0x7ff8_0000_0000_0000);
            c.get(src).mem(0x29, 3, TO_MEM, off).tee(wide);
            c.get(wide).i64c(0x7fff_ffff_ffff_ffff).op(0x83);
            c.i64c(0x7ff0_0000_0000_0000).op(0x56);
            c.op(0x1b).mem(0x37, 3, FROM_MEM, off);
        }
        Leaf::Char => {
            c.get(src).mem(0x28, 2, TO_MEM, off).set(t[0]);
            check_char(c, ix, t[0]);
            c.get(dst).get(t[0]).mem(0x36, 2, FROM_MEM, off);
        }
    }
}

/// Copies the string or list at `[t0, t1)` (pointer, length) of memory
/// `src` into memory `dst`, through `realloc`, leaving the copy's pointer
/// in `t2` (`t3` and `t4` are scratch), with the Rust adapter's checks in
/// its order.
fn copy_seq(
    c: &mut Code,
    ix: &Imports,
    leaf: Leaf,
    src: u32,
    dst: u32,
    realloc: Option<u32>,
    t: &[u32; 5],
) {
    let [p, n, d, q, e] = *t;
    let (size, align, oob, too_long, realloc_oob) = match leaf {
        Leaf::List { size } => (
            size,
            size,
            TRAP_LIST_OOB,
            TRAP_LIST_TOO_LONG,
            TRAP_LIST_REALLOC_OOB,
        ),
        _ => (
            1,
            1,
            TRAP_STRING_OOB,
            TRAP_STRING_TOO_LONG,
            TRAP_STRING_REALLOC_OOB,
        ),
    };
    if align > 1 {
        c.get(p).i32c(align as i32 - 1).op(0x71);
        c.trap_if(ix, TRAP_LIST_UNALIGNED, None);
    }
    // Bytes: n * size, as an i64 (a list's can pass 4 GiB).
    let bytes = |c: &mut Code| {
        c.get(n).op(0xad);
        if size > 1 {
            c.i64c(size as i64).op(0x7e);
        }
    };
    // p + bytes > memory size: out of bounds.
    c.get(p).op(0xad);
    bytes(c);
    c.op(0x7c).mem_bytes(src).op(0x56);
    c.trap_if(ix, oob, None);
    if matches!(leaf, Leaf::Str) {
        // UTF-8: an ASCII scan here; the host validates (and reports)
        // from the first chunk with a byte of 0x80 or more.
        c.get(p).set(q);
        c.get(p).get(n).op(0x6a).set(e);
        c.op(0x02).op(0x40); // block $ok
        c.op(0x02).op(0x40); // block $slow
        c.op(0x03).op(0x40); // loop $blocks: 32 bytes at a time
        c.get(e).get(q).op(0x6b).i32c(32).op(0x4f); // e - q >= 32
        c.op(0x04).op(0x40); // if
        c.get(q).mem(0x29, 0, src, 0);
        c.get(q).mem(0x29, 0, src, 8).op(0x84); // i64.or
        c.get(q).mem(0x29, 0, src, 16).op(0x84);
        c.get(q).mem(0x29, 0, src, 24).op(0x84);
        c.i64c(0x8080_8080_8080_8080u64 as i64).op(0x83);
        c.op(0x50).op(0x45).idx(0x0d, 2); // br_if $slow (non-zero)
        c.get(q).i32c(32).op(0x6a).set(q).idx(0x0c, 1); // br $blocks
        c.op(0x0b).op(0x0b); // end if, end loop
        c.op(0x03).op(0x40); // loop $words
        c.get(e).get(q).op(0x6b).i32c(8).op(0x4f); // e - q >= 8
        c.op(0x04).op(0x40); // if
        c.get(q)
            .mem(0x29, 0, src, 0)
            .i64c(0x8080_8080_8080_8080u64 as i64)
            .op(0x83);
        c.op(0x50).op(0x45).idx(0x0d, 2); // br_if $slow (non-zero)
        c.get(q).i32c(8).op(0x6a).set(q).idx(0x0c, 1); // br $words
        c.op(0x0b).op(0x0b); // end if, end loop
        c.op(0x03).op(0x40); // loop $bytes
                             // q != e, not q < e: a string ending at 2^32 has e = 0 (the
                             // loops above compare e - q, which is right modulo 2^32).
        c.get(q).get(e).op(0x47); // q != e
        c.op(0x04).op(0x40); // if
        c.get(q)
            .mem(0x2d, 0, src, 0)
            .i32c(0x80)
            .op(0x71)
            .idx(0x0d, 2); // br_if $slow
        c.get(q).i32c(1).op(0x6a).set(q).idx(0x0c, 1); // br $bytes
        c.op(0x0b).op(0x0b); // end if, end loop
        c.idx(0x0c, 1); // br $ok
        c.op(0x0b); // end $slow
        c.i32c(src as i32).get(p).get(n).call(ix.utf8);
        c.op(0x0b); // end $ok
    }
    // Too long to lower.
    if matches!(leaf, Leaf::Str) {
        c.get(n).i32c(0).op(0x48); // n > 2^31 - 1, as a signed < 0
    } else {
        bytes(c);
        c.i64c(1 << 32).op(0x5a); // bytes >= 2^32
    }
    c.trap_if(ix, too_long, None);
    // realloc(0, 0, align, bytes)
    let Some(realloc) = realloc else {
        // (`module_bytes` refuses a type that needs a missing `realloc`.)
        c.op(0x00);
        return;
    };
    c.i32c(0).i32c(0).i32c(align as i32);
    bytes(c);
    c.op(0xa7).call(realloc).set(d);
    if align > 1 {
        c.get(d).i32c(align as i32 - 1).op(0x71);
        c.trap_if(ix, TRAP_REALLOC_UNALIGNED, None);
    }
    c.get(d).op(0xad);
    bytes(c);
    c.op(0x7c).mem_bytes(dst).op(0x56);
    c.trap_if(ix, realloc_oob, None);
    // memory.copy dst src (d, p, bytes)
    c.get(d).get(p);
    bytes(c);
    c.op(0xa7).op(0xfc);
    uleb(&mut c.b, 10);
    uleb(&mut c.b, dst as u64);
    uleb(&mut c.b, src as u64);
}

/// The compiled adapter for `canon lower` of `callee` with options
/// `caller` and core type `lower`, if its types are compiled and the engine
/// compiles; `None` for the Rust adapter.
pub(crate) fn compiled<T: 'static>(
    store: &mut Store<T>,
    cache: &AdapterCache,
    caller: &Options,
    lower: (&[CoreType], &[CoreType]),
    callee: &Lifted,
) -> Option<CoreFunc> {
    let bytes = module_bytes(store, caller, lower, callee)?;
    let module = {
        let mut map = cache.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(bytes)
            .or_insert_with_key(|bytes| {
                let m = Module::new(store.engine(), bytes).ok()?;
                // Interpreted, the Rust adapter is the faster one.
                (!m.compiled_functions().is_empty()).then_some(m)
            })
            .clone()?
    };
    instantiate(store, &module, caller, callee).ok()
}

fn instantiate<T: 'static>(
    store: &mut Store<T>,
    module: &Module,
    caller: &Options,
    callee: &Lifted,
) -> Result<CoreFunc, Error> {
    use nanowasm_runtime::ValType::I32 as V32;
    let plan = &callee.plan;
    let trap_fn = CoreFunc::new_cells(
        &mut *store,
        CoreFuncType::new([V32, V32], []),
        |_, cells| Err(trap(trap_message(cells[0] as u32, cells[1] as u32))),
    )?;
    let mems = [caller.memory, callee.opts.memory];
    let utf8 = CoreFunc::new_cells(
        &mut *store,
        CoreFuncType::new([V32, V32, V32], []),
        move |caller, cells| {
            let m = mems
                .get(cells[0] as usize)
                .copied()
                .flatten()
                .ok_or_else(|| trap("canonical option `memory` is required to pass this value"))?;
            let (p, n) = (cells[1] as u32 as usize, cells[2] as u32 as usize);
            let data = m.data(&caller)?;
            let s = data
                .get(p..p + n)
                .ok_or_else(|| trap(trap_message(TRAP_STRING_OOB as u32, 0)))?;
            match core::str::from_utf8(s) {
                Ok(_) => Ok(()),
                Err(e) => Err(trap(format!("invalid utf-8: {e}"))),
            }
        },
    )?;
    let mut imports = vec![
        Extern::Func(trap_fn),
        Extern::Func(utf8),
        Extern::Func(callee.core),
    ];
    if plan.params_alloc {
        imports.extend(callee.opts.realloc.map(Extern::Func));
    }
    if plan.result_alloc {
        imports.extend(caller.realloc.map(Extern::Func));
    }
    imports.extend(callee.opts.post_return.map(Extern::Func));
    if module.imports().any(|i| i.name() == "from_memory") {
        imports.extend(caller.memory.map(Extern::Memory));
        imports.extend(callee.opts.memory.map(Extern::Memory));
    }
    let st = state(store);
    let from_flags = st.inst(caller.instance)?.flags;
    let to = st.inst(callee.opts.instance)?;
    let (to_flags, [c0, c1]) = (to.flags, to.context);
    imports.extend([from_flags, to_flags, c0, c1].map(Extern::Global));
    let instance = CoreInstance::new(&mut *store, module, &imports)?;
    instance
        .get_func(&*store, "adapter")
        .ok_or_else(|| Error::bug("the adapter module exports no `adapter`"))
}
