//! The canonical ABI (`CanonicalABI.md`, synchronous part): lifting core
//! values and linear memory into component values, and lowering them
//! back, with every check the ABI makes (bounds, alignment, UTF-8/UTF-16,
//! discriminants, `char`s, handles) turned into a trap, never a panic.
//!
//! Flat core values are carried as raw `u64` bits (an `i32` or `f32`
//! zero-extended), so the coercions between a variant case's types and
//! the variant's joined types are truncations and zero-extensions.

use nanowasm_runtime::{
    CellsFunc, Error, Func, Memory, Store, Val as CoreVal, ValType as CoreType,
};
use std::sync::Arc;

use super::state::{msg, state, trap, Slot};
use super::types::{align_to, discriminant_size, flags_size, flags_words, variant_payload, Type};
use super::val::{ResourceAny, Val};

/// The most bytes a string may take in memory.
const MAX_STRING_BYTE_LENGTH: u32 = (1 << 31) - 1;
/// The most elements of a list lifted into host values ([`Val::List`]):
/// beyond, the call traps (a `Val` costs the host about 32 bytes per
/// element, so a guest's list of bytes would be amplified that much).
/// Component-to-component calls copy lists memory to memory, unbounded by
/// this.
pub const MAX_LIFTED_LIST: usize = 1 << 22;
/// The tag of a `latin1+utf16` string's length that says UTF-16.
const UTF16_TAG: u32 = 1 << 31;

/// `string-encoding=`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Encoding {
    #[default]
    Utf8,
    Utf16,
    Latin1Utf16,
}

/// The canonical options of one `canon lift` or `canon lower`, resolved.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    pub(crate) memory: Option<Memory>,
    pub(crate) realloc: Option<Func>,
    pub(crate) post_return: Option<Func>,
    pub(crate) encoding: Encoding,
    /// The component instance whose handle table and flags apply.
    pub(crate) instance: u32,
    /// `async` (🔀): an async lift gives its result to `task.return`; an
    /// async lower returns the subtask's state.
    pub(crate) is_async: bool,
    /// `(callback f)` of an async lift.
    pub(crate) callback: Option<Func>,
    /// `realloc` and `post_return` with their call checks made once (see
    /// [`Options::prepare`]).
    pub(crate) realloc_cells: Option<CellsFunc>,
    pub(crate) post_return_cells: Option<CellsFunc>,
}

impl Options {
    /// Makes the checks of calls on cells to `realloc` and `post_return`
    /// once, for the fused adapter. (A function whose type cannot be
    /// called on cells keeps the checked path, which then reports it.)
    pub(crate) fn prepare<T>(&mut self, store: &Store<T>) {
        self.realloc_cells = self.realloc.and_then(|f| f.cells_func(store).ok());
        self.post_return_cells = self.post_return.and_then(|f| f.cells_func(store).ok());
    }
}

/// Calls `f` on `cells` ([`Func::call_cells`]), through `prepared` (its
/// [`CellsFunc`]) when there is one.
#[inline]
pub(crate) fn call_cells<T>(
    store: &mut Store<T>,
    f: Func,
    prepared: Option<CellsFunc>,
    cells: &mut [u64],
) -> Result<(), Error> {
    match prepared {
        Some(c) => c.call(store, cells),
        None => f.call_cells(store, cells),
    }
}

/// One lifting or lowering in progress.
pub(crate) struct Cx<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    pub(crate) opts: &'a Options,
    /// Owned handles of `opts.instance` lent to the call being made.
    pub(crate) lenders: Vec<u32>,
    /// The call into `opts.instance` that borrows lowered into it belong to.
    pub(crate) scope: usize,
}

/// The `memory` option, which passing this value needs.
#[inline]
pub(crate) fn memory(o: &Options) -> Result<Memory, Error> {
    match o.memory {
        Some(m) => Ok(m),
        None => Err(no_memory()),
    }
}

#[cold]
#[inline(never)]
fn no_memory() -> Error {
    trap("canonical option `memory` is required to pass this value")
}

/// Checks that a tuple `ty` (spilled parameters or results) lies aligned
/// and in bounds at `ptr` in the memory of `o`.
pub(crate) fn check_tuple<T>(
    store: &Store<T>,
    o: &Options,
    ty: &Type,
    ptr: u32,
) -> Result<(), Error> {
    check_range(store, o, ptr, (ty.size(), ty.align()))
}

/// [`check_tuple`] with the tuple's `(size, align)` worked out already.
pub(crate) fn check_range<T>(
    store: &Store<T>,
    o: &Options,
    ptr: u32,
    (size, align): (u32, u32),
) -> Result<(), Error> {
    if ptr % align != 0 {
        return Err(trap(msg::UNALIGNED));
    }
    let len = memory(o)?.data(store)?.len() as u64;
    if ptr as u64 + size as u64 > len {
        return Err(trap(msg::OUT_OF_BOUNDS));
    }
    Ok(())
}

fn canon32(f: f32) -> f32 {
    if f.is_nan() {
        f32::from_bits(0x7fc0_0000)
    } else {
        f
    }
}

fn canon64(f: f64) -> f64 {
    if f.is_nan() {
        f64::from_bits(0x7ff8_0000_0000_0000)
    } else {
        f
    }
}

fn char_of(i: u32) -> Result<char, Error> {
    char::from_u32(i).ok_or_else(|| trap(msg::bad_char(i)))
}

fn mismatch(v: &Val, ty: &Type) -> Error {
    Error::usage(format!(
        "type mismatch: {v:?} is not a value of type `{ty}`"
    ))
}

/// The raw bits of a core value.
pub(crate) fn bits(v: &CoreVal) -> u64 {
    match *v {
        CoreVal::I32(x) => x as u32 as u64,
        CoreVal::I64(x) => x as u64,
        CoreVal::F32(x) => x as u64,
        CoreVal::F64(x) => x,
        _ => 0,
    }
}

/// The core value of type `ty` with raw bits `b`.
pub(crate) fn core_val(ty: CoreType, b: u64) -> CoreVal {
    match ty {
        CoreType::I64 => CoreVal::I64(b as i64),
        CoreType::F32 => CoreVal::F32(b as u32),
        CoreType::F64 => CoreVal::F64(b),
        _ => CoreVal::I32(b as u32 as i32),
    }
}

impl<T> Cx<'_, T> {
    fn memory(&self) -> Result<Memory, Error> {
        memory(self.opts)
    }

    fn mem(&self) -> Result<&[u8], Error> {
        self.memory()?.data(&*self.store)
    }

    fn mem_len(&self) -> Result<u64, Error> {
        Ok(self.mem()?.len() as u64)
    }

    fn read<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Error> {
        let m = self.mem()?;
        let at = ptr as usize;
        m.get(at..at + N)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| trap("out of bounds memory access"))
    }

    fn read_uint(&self, ptr: u32, n: u32) -> Result<u64, Error> {
        let m = self.mem()?;
        let at = ptr as usize;
        let s = m
            .get(at..at + n as usize)
            .ok_or_else(|| trap("out of bounds memory access"))?;
        Ok(s.iter().rev().fold(0u64, |acc, &b| acc << 8 | b as u64))
    }

    fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), Error> {
        let mem = self.memory()?;
        let m = mem.data_mut(&mut *self.store)?;
        let at = ptr as usize;
        m.get_mut(at..at + bytes.len())
            .ok_or_else(|| trap("out of bounds memory access"))?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// Calls `realloc` and checks the pointer it returns: aligned to
    /// `align`, and `new_size` bytes from it in memory.
    fn realloc(
        &mut self,
        old: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
        what: &str,
    ) -> Result<u32, Error> {
        let f = self
            .opts
            .realloc
            .ok_or_else(|| trap("canonical option `realloc` is required to pass this value"))?;
        let mut out = [CoreVal::I32(0)];
        let args = [old, old_size, align, new_size].map(|x| CoreVal::I32(x as i32));
        f.call(&mut *self.store, &args, &mut out)?;
        let ptr = bits(&out[0]) as u32;
        if ptr % align != 0 {
            return Err(trap(msg::REALLOC_UNALIGNED));
        }
        if ptr as u64 + new_size as u64 > self.mem_len()? {
            return Err(trap(msg::realloc_out_of_bounds(what)));
        }
        Ok(ptr)
    }

    // ---- lifting ---------------------------------------------------------

    /// Lifts a value of type `ty` from the flat values `vals` at `*pos`.
    pub(crate) fn lift_flat(
        &mut self,
        ty: &Type,
        vals: &[u64],
        pos: &mut usize,
    ) -> Result<Val, Error> {
        let mut next = || -> Result<u64, Error> {
            let v = vals
                .get(*pos)
                .copied()
                .ok_or_else(|| Error::bug("too few flat values to lift"))?;
            *pos += 1;
            Ok(v)
        };
        Ok(match ty {
            Type::Bool => Val::Bool(next()? as u32 != 0),
            Type::S8 => Val::S8(next()? as i8),
            Type::U8 => Val::U8(next()? as u8),
            Type::S16 => Val::S16(next()? as i16),
            Type::U16 => Val::U16(next()? as u16),
            Type::S32 => Val::S32(next()? as i32),
            Type::U32 => Val::U32(next()? as u32),
            Type::S64 => Val::S64(next()? as i64),
            Type::U64 => Val::U64(next()?),
            Type::Float32 => Val::Float32(canon32(f32::from_bits(next()? as u32))),
            Type::Float64 => Val::Float64(canon64(f64::from_bits(next()?))),
            Type::Char => Val::Char(char_of(next()? as u32)?),
            Type::String => {
                let ptr = next()? as u32;
                let len = next()? as u32;
                Val::String(self.load_string_range(ptr, len)?)
            }
            Type::List(t) => {
                let ptr = next()? as u32;
                let len = next()? as u32;
                Val::List(self.load_list_range(ptr, len, t)?)
            }
            Type::Map(kv) => {
                let ptr = next()? as u32;
                let len = next()? as u32;
                self.load_map_range(ptr, len, kv)?
            }
            Type::FixedList(t, n) => {
                let mut out = Vec::with_capacity(*n as usize);
                for _ in 0..*n {
                    out.push(self.lift_flat(t, vals, pos)?);
                }
                Val::List(out)
            }
            Type::Record(fs) => {
                let mut out = Vec::with_capacity(fs.len());
                for (l, t) in fs.iter() {
                    out.push((l.clone(), self.lift_flat(t, vals, pos)?));
                }
                Val::Record(out)
            }
            Type::Tuple(ts) => {
                let mut out = Vec::with_capacity(ts.len());
                for t in ts.iter() {
                    out.push(self.lift_flat(t, vals, pos)?);
                }
                Val::Tuple(out)
            }
            Type::Flags(ls) => {
                let mut words = Vec::with_capacity(flags_words(ls.len()));
                for _ in 0..flags_words(ls.len()) {
                    words.push(next()? as u32);
                }
                flags_val(ls, |i| words[i / 32] >> (i % 32) & 1 != 0)
            }
            Type::Own(rt) => Val::Resource(self.lift_own(next()? as u32, *rt)?),
            Type::Borrow(rt) => Val::Resource(self.lift_borrow(next()? as u32, *rt)?),
            _ => {
                let cases = ty.cases().unwrap_or_default();
                let disc = next()? as u32;
                if disc as usize >= cases.len() {
                    return Err(trap(format!("invalid variant discriminant: {disc}")));
                }
                let width = variant_payload(&cases).len();
                let start = *pos;
                let payload = match cases[disc as usize] {
                    Some(t) => {
                        let mut p = start;
                        Some(self.lift_flat(t, vals, &mut p)?)
                    }
                    None => None,
                };
                *pos = start + width;
                variant_val(ty, disc as usize, payload)
            }
        })
    }

    /// Loads a value of type `ty` from memory at `ptr` (in bounds and
    /// aligned: the caller checked the whole value).
    pub(crate) fn load(&mut self, ty: &Type, ptr: u32) -> Result<Val, Error> {
        Ok(match ty {
            Type::Bool => Val::Bool(self.read::<1>(ptr)?[0] != 0),
            Type::S8 => Val::S8(self.read::<1>(ptr)?[0] as i8),
            Type::U8 => Val::U8(self.read::<1>(ptr)?[0]),
            Type::S16 => Val::S16(i16::from_le_bytes(self.read(ptr)?)),
            Type::U16 => Val::U16(u16::from_le_bytes(self.read(ptr)?)),
            Type::S32 => Val::S32(i32::from_le_bytes(self.read(ptr)?)),
            Type::U32 => Val::U32(u32::from_le_bytes(self.read(ptr)?)),
            Type::S64 => Val::S64(i64::from_le_bytes(self.read(ptr)?)),
            Type::U64 => Val::U64(u64::from_le_bytes(self.read(ptr)?)),
            Type::Float32 => Val::Float32(canon32(f32::from_le_bytes(self.read(ptr)?))),
            Type::Float64 => Val::Float64(canon64(f64::from_le_bytes(self.read(ptr)?))),
            Type::Char => Val::Char(char_of(u32::from_le_bytes(self.read(ptr)?))?),
            Type::String | Type::List(_) | Type::Map(_) => {
                let b: [u8; 8] = self.read(ptr)?;
                let begin = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                let len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
                match ty {
                    Type::List(t) => Val::List(self.load_list_range(begin, len, t)?),
                    Type::Map(kv) => self.load_map_range(begin, len, kv)?,
                    _ => Val::String(self.load_string_range(begin, len)?),
                }
            }
            Type::FixedList(t, n) => {
                if *n as usize > MAX_LIFTED_LIST {
                    return Err(trap(format!(
                        "fixed-length list of {n} elements is longer than the host's value API \
                         takes ({MAX_LIFTED_LIST})"
                    )));
                }
                let size = t.size();
                let mut out = Vec::with_capacity(*n as usize);
                for i in 0..*n {
                    out.push(self.load(t, ptr + i * size)?);
                }
                Val::List(out)
            }
            Type::Record(fs) => {
                let mut out = Vec::with_capacity(fs.len());
                let mut p = ptr;
                for (l, t) in fs.iter() {
                    p = align_to(p, t.align());
                    out.push((l.clone(), self.load(t, p)?));
                    p += t.size();
                }
                Val::Record(out)
            }
            Type::Tuple(ts) => {
                let mut out = Vec::with_capacity(ts.len());
                let mut p = ptr;
                for t in ts.iter() {
                    p = align_to(p, t.align());
                    out.push(self.load(t, p)?);
                    p += t.size();
                }
                Val::Tuple(out)
            }
            Type::Flags(ls) => {
                let n = flags_size(ls.len());
                let mut words = vec![0u32; flags_words(ls.len())];
                for (w, word) in words.iter_mut().enumerate() {
                    let at = ptr + 4 * w as u32;
                    *word = self.read_uint(at, n.min(4))? as u32;
                }
                flags_val(ls, |i| words[i / 32] >> (i % 32) & 1 != 0)
            }
            Type::Own(rt) => {
                let i = u32::from_le_bytes(self.read(ptr)?);
                Val::Resource(self.lift_own(i, *rt)?)
            }
            Type::Borrow(rt) => {
                let i = u32::from_le_bytes(self.read(ptr)?);
                Val::Resource(self.lift_borrow(i, *rt)?)
            }
            _ => {
                let cases = ty.cases().unwrap_or_default();
                let ds = discriminant_size(cases.len());
                let disc = self.read_uint(ptr, ds)?;
                if disc >= cases.len() as u64 {
                    return Err(trap(format!("invalid variant discriminant: {disc}")));
                }
                let align = cases.iter().flatten().map(|t| t.align()).max().unwrap_or(1);
                let p = align_to(ptr + ds, align);
                let payload = match cases[disc as usize] {
                    Some(t) => Some(self.load(t, p)?),
                    None => None,
                };
                variant_val(ty, disc as usize, payload)
            }
        })
    }

    pub(crate) fn load_string_range(&mut self, ptr: u32, tagged: u32) -> Result<String, Error> {
        let (align, bytes, utf16) = match self.opts.encoding {
            Encoding::Utf8 => (1, tagged as u64, false),
            Encoding::Utf16 => (2, 2 * tagged as u64, true),
            Encoding::Latin1Utf16 if tagged & UTF16_TAG != 0 => {
                (2, 2 * (tagged ^ UTF16_TAG) as u64, true)
            }
            Encoding::Latin1Utf16 => (2, tagged as u64, false),
        };
        if ptr % align != 0 {
            return Err(trap(msg::STRING_UNALIGNED));
        }
        if ptr as u64 + bytes > self.mem_len()? {
            return Err(trap(msg::STRING_OUT_OF_BOUNDS));
        }
        let m = self.mem()?;
        let s = &m[ptr as usize..(ptr as u64 + bytes) as usize];
        if utf16 {
            let units = s.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|e| trap(format!("invalid utf-16: {e}")))
        } else if self.opts.encoding == Encoding::Latin1Utf16 {
            Ok(s.iter().map(|&b| b as char).collect())
        } else {
            core::str::from_utf8(s)
                .map(str::to_owned)
                .map_err(|e| trap(format!("invalid utf-8: {e}")))
        }
    }

    fn load_list_range(&mut self, ptr: u32, len: u32, elem: &Type) -> Result<Vec<Val>, Error> {
        let (size, align) = (elem.size(), elem.align());
        if ptr % align != 0 {
            return Err(trap(msg::LIST_UNALIGNED));
        }
        if ptr as u64 + len as u64 * size as u64 > self.mem_len()? {
            return Err(trap(msg::LIST_OUT_OF_BOUNDS));
        }
        // A `Val` is 32 bytes: a long list of bytes in a guest's memory
        // would cost the host 32 times as much. Bound it.
        if len as usize > MAX_LIFTED_LIST {
            return Err(trap(format!(
                "list of {len} elements is longer than the host's value API takes ({MAX_LIFTED_LIST})"
            )));
        }
        let mut out = Vec::with_capacity((len as usize).min(1 << 16));
        for i in 0..len {
            out.push(self.load(elem, ptr + i * size)?);
        }
        Ok(out)
    }

    /// Lifts a `map<K, V>`: laid out as a `list<tuple<K, V>>`.
    fn load_map_range(&mut self, ptr: u32, len: u32, kv: &(Type, Type)) -> Result<Val, Error> {
        let entry = map_entry(kv);
        let entries = self.load_list_range(ptr, len, &entry)?;
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            match e {
                Val::Tuple(mut t) if t.len() == 2 => {
                    let v = t.pop().unwrap_or(Val::Bool(false));
                    let k = t.pop().unwrap_or(Val::Bool(false));
                    out.push((k, v));
                }
                _ => return Err(Error::bug("a map entry lifted as something else")),
            }
        }
        Ok(Val::Map(out))
    }

    fn lift_own(&mut self, i: u32, rt: super::types::ResourceType) -> Result<ResourceAny, Error> {
        let inst = self.opts.instance;
        let rep = state(self.store).inst(inst)?.remove(i, rt, true)?;
        Ok(ResourceAny::new_own(rt, rep))
    }

    fn lift_borrow(
        &mut self,
        i: u32,
        rt: super::types::ResourceType,
    ) -> Result<ResourceAny, Error> {
        let inst = self.opts.instance;
        let rep = state(self.store)
            .inst(inst)?
            .lend(i, rt, &mut self.lenders)?;
        Ok(ResourceAny::new_borrow(rt, rep))
    }

    /// Ends the lends of a lowered call.
    pub(crate) fn finish_lower(&mut self) -> Result<(), Error> {
        let inst = self.opts.instance;
        let lenders = std::mem::take(&mut self.lenders);
        let st = state(self.store).inst(inst)?;
        for i in lenders {
            if let Some(Slot::Own { lends, .. }) = st.handles.get_mut(i as usize) {
                *lends = lends.saturating_sub(1);
            }
        }
        Ok(())
    }

    // ---- lowering --------------------------------------------------------

    /// Lowers `v` of type `ty` to flat values appended to `out`.
    pub(crate) fn lower_flat(
        &mut self,
        v: &Val,
        ty: &Type,
        out: &mut Vec<u64>,
    ) -> Result<(), Error> {
        match (v, ty) {
            (Val::Bool(b), Type::Bool) => out.push(*b as u64),
            (Val::S8(x), Type::S8) => out.push(*x as i32 as u32 as u64),
            (Val::U8(x), Type::U8) => out.push(*x as u64),
            (Val::S16(x), Type::S16) => out.push(*x as i32 as u32 as u64),
            (Val::U16(x), Type::U16) => out.push(*x as u64),
            (Val::S32(x), Type::S32) => out.push(*x as u32 as u64),
            (Val::U32(x), Type::U32) => out.push(*x as u64),
            (Val::S64(x), Type::S64) => out.push(*x as u64),
            (Val::U64(x), Type::U64) => out.push(*x),
            (Val::Float32(x), Type::Float32) => out.push(canon32(*x).to_bits() as u64),
            (Val::Float64(x), Type::Float64) => out.push(canon64(*x).to_bits()),
            (Val::Char(c), Type::Char) => out.push(*c as u64),
            (Val::String(s), Type::String) => {
                let (ptr, len) = self.store_string_range(s)?;
                out.extend([ptr as u64, len as u64]);
            }
            (Val::List(vs), Type::List(t)) => {
                let (ptr, len) = self.store_list_range(vs, t)?;
                out.extend([ptr as u64, len as u64]);
            }
            (Val::Map(es), Type::Map(kv)) => {
                let (ptr, len) = self.store_map_range(es, kv)?;
                out.extend([ptr as u64, len as u64]);
            }
            (Val::List(vs), Type::FixedList(t, n)) if vs.len() == *n as usize => {
                for v in vs {
                    self.lower_flat(v, t, out)?;
                }
            }
            (Val::Record(vs), Type::Record(fs)) if vs.len() == fs.len() => {
                for ((_, v), (_, t)) in vs.iter().zip(fs.iter()) {
                    self.lower_flat(v, t, out)?;
                }
            }
            (Val::Tuple(vs), Type::Tuple(ts)) if vs.len() == ts.len() => {
                for (v, t) in vs.iter().zip(ts.iter()) {
                    self.lower_flat(v, t, out)?;
                }
            }
            (Val::Flags(set), Type::Flags(ls)) => {
                let mut words = vec![0u32; flags_words(ls.len())];
                for f in set {
                    let i = ls
                        .iter()
                        .position(|l| l == f)
                        .ok_or_else(|| mismatch(v, ty))?;
                    words[i / 32] |= 1 << (i % 32);
                }
                out.extend(words.into_iter().map(u64::from));
            }
            (Val::Resource(r), Type::Own(rt)) if r.own && r.ty == *rt => {
                out.push(self.lower_own(r)? as u64)
            }
            (Val::Resource(r), Type::Borrow(rt)) if r.ty == *rt => {
                out.push(self.lower_borrow(r)? as u64)
            }
            _ => {
                let (disc, payload) = case_of(v, ty)?;
                let cases = ty.cases().unwrap_or_default();
                let width = variant_payload(&cases).len();
                out.push(disc as u64);
                let start = out.len();
                if let (Some(p), Some(t)) = (payload, cases[disc]) {
                    self.lower_flat(p, t, out)?;
                }
                out.resize(start + width, 0);
            }
        }
        Ok(())
    }

    /// Stores `v` of type `ty` in memory at `ptr` (in bounds and aligned:
    /// the caller checked the whole value).
    pub(crate) fn store(&mut self, v: &Val, ty: &Type, ptr: u32) -> Result<(), Error> {
        match (v, ty) {
            (Val::Bool(b), Type::Bool) => self.write(ptr, &[*b as u8]),
            (Val::S8(x), Type::S8) => self.write(ptr, &x.to_le_bytes()),
            (Val::U8(x), Type::U8) => self.write(ptr, &x.to_le_bytes()),
            (Val::S16(x), Type::S16) => self.write(ptr, &x.to_le_bytes()),
            (Val::U16(x), Type::U16) => self.write(ptr, &x.to_le_bytes()),
            (Val::S32(x), Type::S32) => self.write(ptr, &x.to_le_bytes()),
            (Val::U32(x), Type::U32) => self.write(ptr, &x.to_le_bytes()),
            (Val::S64(x), Type::S64) => self.write(ptr, &x.to_le_bytes()),
            (Val::U64(x), Type::U64) => self.write(ptr, &x.to_le_bytes()),
            (Val::Float32(x), Type::Float32) => self.write(ptr, &canon32(*x).to_le_bytes()),
            (Val::Float64(x), Type::Float64) => self.write(ptr, &canon64(*x).to_le_bytes()),
            (Val::Char(c), Type::Char) => self.write(ptr, &(*c as u32).to_le_bytes()),
            (Val::List(vs), Type::FixedList(t, n)) if vs.len() == *n as usize => {
                let size = t.size();
                for (i, v) in vs.iter().enumerate() {
                    self.store(v, t, ptr + i as u32 * size)?;
                }
                Ok(())
            }
            (Val::String(_), Type::String)
            | (Val::List(_), Type::List(_))
            | (Val::Map(_), Type::Map(_)) => {
                let mut flat = Vec::with_capacity(2);
                self.lower_flat(v, ty, &mut flat)?;
                self.write(ptr, &(flat[0] as u32).to_le_bytes())?;
                self.write(ptr + 4, &(flat[1] as u32).to_le_bytes())
            }
            (Val::Record(vs), Type::Record(fs)) if vs.len() == fs.len() => {
                let mut p = ptr;
                for ((_, v), (_, t)) in vs.iter().zip(fs.iter()) {
                    p = align_to(p, t.align());
                    self.store(v, t, p)?;
                    p += t.size();
                }
                Ok(())
            }
            (Val::Tuple(vs), Type::Tuple(ts)) if vs.len() == ts.len() => {
                let mut p = ptr;
                for (v, t) in vs.iter().zip(ts.iter()) {
                    p = align_to(p, t.align());
                    self.store(v, t, p)?;
                    p += t.size();
                }
                Ok(())
            }
            (Val::Flags(_), Type::Flags(ls)) => {
                let mut flat = Vec::new();
                self.lower_flat(v, ty, &mut flat)?;
                let n = flags_size(ls.len());
                for (w, word) in flat.iter().enumerate() {
                    let bytes = (*word as u32).to_le_bytes();
                    self.write(ptr + 4 * w as u32, &bytes[..n.min(4) as usize])?;
                }
                Ok(())
            }
            (Val::Resource(_), Type::Own(_) | Type::Borrow(_)) => {
                let mut flat = Vec::with_capacity(1);
                self.lower_flat(v, ty, &mut flat)?;
                self.write(ptr, &(flat[0] as u32).to_le_bytes())
            }
            _ => {
                let (disc, payload) = case_of(v, ty)?;
                let cases = ty.cases().unwrap_or_default();
                let ds = discriminant_size(cases.len());
                self.write(ptr, &(disc as u32).to_le_bytes()[..ds as usize])?;
                let align = cases.iter().flatten().map(|t| t.align()).max().unwrap_or(1);
                if let (Some(p), Some(t)) = (payload, cases[disc]) {
                    self.store(p, t, align_to(ptr + ds, align))?;
                }
                Ok(())
            }
        }
    }

    fn store_list_range(&mut self, vs: &[Val], elem: &Type) -> Result<(u32, u32), Error> {
        let size = elem.size();
        let bytes = vs.len() as u64 * size as u64;
        if bytes >= 1 << 32 {
            return Err(trap(msg::LIST_TOO_LONG));
        }
        let ptr = self.realloc(0, 0, elem.align(), bytes as u32, "list")?;
        for (i, v) in vs.iter().enumerate() {
            self.store(v, elem, ptr + i as u32 * size)?;
        }
        Ok((ptr, vs.len() as u32))
    }

    fn store_map_range(
        &mut self,
        es: &[(Val, Val)],
        kv: &(Type, Type),
    ) -> Result<(u32, u32), Error> {
        let entry = map_entry(kv);
        let size = entry.size();
        let bytes = es.len() as u64 * size as u64;
        if bytes >= 1 << 32 {
            return Err(trap("map too long to lower"));
        }
        let ptr = self.realloc(0, 0, entry.align(), bytes as u32, "map")?;
        let value_at = align_to(kv.0.size(), kv.1.align());
        for (i, (k, v)) in es.iter().enumerate() {
            let p = ptr + i as u32 * size;
            self.store(k, &kv.0, p)?;
            self.store(v, &kv.1, p + value_at)?;
        }
        Ok((ptr, es.len() as u32))
    }

    /// Stores a host string in the encoding of the options, with the
    /// canonical ABI's exact sequence of `realloc` calls.
    pub(crate) fn store_string_range(&mut self, s: &str) -> Result<(u32, u32), Error> {
        let units = s.len() as u64;
        match self.opts.encoding {
            Encoding::Utf8 => {
                if units > MAX_STRING_BYTE_LENGTH as u64 {
                    return Err(trap(msg::STRING_TOO_LONG));
                }
                let ptr = self.realloc(0, 0, 1, units as u32, "string")?;
                self.write(ptr, s.as_bytes())?;
                Ok((ptr, units as u32))
            }
            Encoding::Utf16 => {
                let worst = 2 * units;
                if worst > MAX_STRING_BYTE_LENGTH as u64 {
                    return Err(trap(msg::STRING_TOO_LONG));
                }
                let mut ptr = self.realloc(0, 0, 2, worst as u32, "string")?;
                let enc: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
                self.write(ptr, &enc)?;
                if (enc.len() as u64) < worst {
                    ptr = self.realloc(ptr, worst as u32, 2, enc.len() as u32, "string")?;
                }
                Ok((ptr, enc.len() as u32 / 2))
            }
            Encoding::Latin1Utf16 => {
                if units > MAX_STRING_BYTE_LENGTH as u64 {
                    return Err(trap(msg::STRING_TOO_LONG));
                }
                let units = units as u32;
                let mut ptr = self.realloc(0, 0, 2, units, "string")?;
                let mut latin1 = 0u32;
                for c in s.chars() {
                    if (c as u32) < 256 {
                        self.write(ptr + latin1, &[c as u8])?;
                        latin1 += 1;
                        continue;
                    }
                    let worst = 2 * units as u64;
                    if worst > MAX_STRING_BYTE_LENGTH as u64 {
                        return Err(trap(msg::STRING_TOO_LONG));
                    }
                    ptr = self.realloc(ptr, units, 2, worst as u32, "string")?;
                    // Inflate the Latin-1 prefix in place, back to front.
                    let prefix: Vec<u8> =
                        self.mem()?[ptr as usize..(ptr + latin1) as usize].to_vec();
                    let wide: Vec<u8> = prefix.iter().flat_map(|&b| [b, 0]).collect();
                    self.write(ptr, &wide)?;
                    let enc: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
                    self.write(ptr + 2 * latin1, &enc[2 * latin1 as usize..])?;
                    if worst > enc.len() as u64 {
                        ptr = self.realloc(ptr, worst as u32, 2, enc.len() as u32, "string")?;
                    }
                    return Ok((ptr, (enc.len() as u32 / 2) | UTF16_TAG));
                }
                if latin1 < units {
                    ptr = self.realloc(ptr, units, 2, latin1, "string")?;
                }
                Ok((ptr, latin1))
            }
        }
    }

    fn lower_own(&mut self, r: &ResourceAny) -> Result<u32, Error> {
        let inst = self.opts.instance;
        state(self.store).inst(inst)?.insert(Slot::Own {
            ty: r.ty,
            rep: r.rep,
            lends: 0,
        })
    }

    fn lower_borrow(&mut self, r: &ResourceAny) -> Result<u32, Error> {
        let (inst, scope) = (self.opts.instance, self.scope);
        state(self.store).lower_borrow(inst, r.ty, r.rep, scope)
    }

    // ---- whole parameter and result lists --------------------------------

    /// Lifts the values of `tuple` (a function's parameters or results)
    /// from flat values, or, when they `spill`, from memory at the pointer
    /// `flat[0]`.
    pub(crate) fn lift_values(
        &mut self,
        tuple: &Type,
        flat: &[u64],
        spill: bool,
    ) -> Result<Vec<Val>, Error> {
        if spill {
            let ptr = flat.first().copied().unwrap_or(0) as u32;
            check_tuple(self.store, self.opts, tuple, ptr)?;
            return match self.load(tuple, ptr)? {
                Val::Tuple(vs) => Ok(vs),
                _ => Err(Error::bug("a tuple loaded as something else")),
            };
        }
        let mut pos = 0;
        tuple
            .fields()
            .unwrap_or_default()
            .into_iter()
            .map(|t| self.lift_flat(t, flat, &mut pos))
            .collect()
    }

    /// Lowers `vs`, the values of `tuple`, to flat values; when they
    /// `spill`, stores them in memory at `out_ptr` (a result pointer the
    /// caller gave) or at memory from `realloc`, and returns the pointer.
    pub(crate) fn lower_values(
        &mut self,
        vs: &[Val],
        tuple: &Type,
        spill: bool,
        out_ptr: Option<u32>,
    ) -> Result<Vec<u64>, Error> {
        if spill {
            let ptr = match out_ptr {
                Some(p) => {
                    check_tuple(self.store, self.opts, tuple, p)?;
                    p
                }
                None => self.realloc(0, 0, tuple.align(), tuple.size(), "tuple")?,
            };
            self.store(&Val::Tuple(vs.to_vec()), tuple, ptr)?;
            return Ok(vec![ptr as u64]);
        }
        let mut out = Vec::new();
        for (v, t) in vs.iter().zip(tuple.fields().unwrap_or_default()) {
            self.lower_flat(v, t, &mut out)?;
        }
        Ok(out)
    }
}

fn flags_val(ls: &[String], set: impl Fn(usize) -> bool) -> Val {
    Val::Flags(
        ls.iter()
            .enumerate()
            .filter(|(i, _)| set(*i))
            .map(|(_, l)| l.clone())
            .collect(),
    )
}

fn variant_val(ty: &Type, disc: usize, payload: Option<Val>) -> Val {
    let payload = payload.map(Box::new);
    match ty {
        Type::Variant(cs) => Val::Variant(cs[disc].0.clone(), payload),
        Type::Enum(ls) => Val::Enum(ls[disc].clone()),
        Type::Option(_) => Val::Option(if disc == 0 { None } else { payload }),
        _ => Val::Result(if disc == 0 { Ok(payload) } else { Err(payload) }),
    }
}

/// The case index and payload of a variant-like value of type `ty`.
fn case_of<'v>(v: &'v Val, ty: &Type) -> Result<(usize, Option<&'v Val>), Error> {
    let (disc, payload) = match (v, ty) {
        (Val::Variant(l, p), Type::Variant(cs)) => (
            cs.iter()
                .position(|(cl, _)| cl == l)
                .ok_or_else(|| mismatch(v, ty))?,
            p.as_deref(),
        ),
        (Val::Enum(l), Type::Enum(ls)) => (
            ls.iter()
                .position(|x| x == l)
                .ok_or_else(|| mismatch(v, ty))?,
            None,
        ),
        (Val::Option(None), Type::Option(_)) => (0, None),
        (Val::Option(Some(p)), Type::Option(_)) => (1, Some(&**p)),
        (Val::Result(Ok(p)), Type::Result(_)) => (0, p.as_deref()),
        (Val::Result(Err(p)), Type::Result(_)) => (1, p.as_deref()),
        _ => return Err(mismatch(v, ty)),
    };
    let cases = ty.cases().unwrap_or_default();
    if cases[disc].is_some() != payload.is_some() {
        return Err(mismatch(v, ty));
    }
    Ok((disc, payload))
}

/// The layout of a `map<K, V>`'s entries: `tuple<K, V>`.
pub(crate) fn map_entry(kv: &(Type, Type)) -> Type {
    Type::Tuple(Arc::from([kv.0.clone(), kv.1.clone()]))
}
