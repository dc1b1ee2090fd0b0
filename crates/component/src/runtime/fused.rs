//! Fused adapters: a call from one component instance into a function
//! another one lifted, without component values in between. Each value
//! is read where the caller put it (its flat arguments or its memory) and
//! written where the callee expects it (its flat parameters or its
//! memory), following the type: scalars are checked and normalized as
//! lifting would (a `bool` becomes 0 or 1, a `u8` its low byte, a `char`
//! must be a scalar value, NaNs become canonical, discriminants must be in
//! range), strings and lists are validated in the caller's memory and
//! copied straight into memory the callee's `realloc` gives, with
//! [`Memory::copy_to`](nanowasm_runtime::Memory::copy_to) (one copy, no host buffer; strings between
//! different encodings are transcoded through one), and handles move from
//! the caller's table to the callee's. The result goes back the same way.
//!
//! The flags and handle bookkeeping are the canonical ABI's `canon lower`
//! and `canon lift` of the two sides, in that order.

use nanowasm_runtime::{Error, Store, Val as CoreVal};

use super::abi::{call_cells, check_range, map_entry, memory, Cx, Encoding, Options};
use super::instance::Lifted;
use super::state::{flags, msg, reset_context, state, trap, Slot, MAY_ENTER, MAY_LEAVE};
use super::types::{
    align_to, discriminant_size, flags_size, flags_words, variant_payload, Type, MAX_FLAT_PARAMS,
};

/// Where values are read from or written to: flat core values read at a
/// cursor, flat core values written after the `len` already there, or
/// linear memory at a cursor. (The flat values are borrowed where they
/// lie: the caller's cells, or an array on the adapter's stack.)
enum Place<'v> {
    In { vals: &'v [u64], pos: usize },
    Out { vals: &'v mut [u64], len: usize },
    Mem { ptr: u32 },
}

impl Place<'_> {
    /// The flat values written so far.
    fn written(&self) -> usize {
        match self {
            Place::Out { len, .. } => *len,
            _ => 0,
        }
    }
}

#[cold]
#[inline(never)]
fn flat_bug(what: &str) -> Error {
    Error::bug(format!("fused adapter: {what}"))
}

/// One component-to-component transfer in progress.
struct Fuse<'a, T> {
    store: &'a mut Store<T>,
    from: &'a Options,
    to: &'a Options,
    /// Owned handles of the caller lent to this call.
    lenders: Vec<u32>,
    /// The callee's call scope (for borrows lent to it).
    scope: usize,
}

/// An integer type: a list of them is copied as bytes.
pub(crate) fn plain_int(t: &Type) -> bool {
    matches!(
        t,
        Type::U8 | Type::S8 | Type::U16 | Type::S16 | Type::U32 | Type::S32 | Type::U64 | Type::S64
    )
}

impl<T> Fuse<'_, T> {
    #[inline]
    fn read(&self, o: &Options, ptr: u32, n: u32) -> Result<u64, Error> {
        let m = memory(o)?.data(&*self.store)?;
        let s = m
            .get(ptr as usize..ptr as usize + n as usize)
            .ok_or_else(|| trap("out of bounds memory access"))?;
        Ok(s.iter().rev().fold(0u64, |acc, &b| acc << 8 | b as u64))
    }

    #[inline]
    fn write(&mut self, ptr: u32, n: u32, v: u64) -> Result<(), Error> {
        let m = memory(self.to)?.data_mut(&mut *self.store)?;
        let s = m
            .get_mut(ptr as usize..ptr as usize + n as usize)
            .ok_or_else(|| trap("out of bounds memory access"))?;
        s.copy_from_slice(&v.to_le_bytes()[..n as usize]);
        Ok(())
    }

    /// Reads one leaf of `size` bytes (flat: one value).
    #[inline]
    fn get(&self, src: &mut Place, size: u32) -> Result<u64, Error> {
        match src {
            Place::In { vals, pos } => {
                let v = vals
                    .get(*pos)
                    .copied()
                    .ok_or_else(|| flat_bug("too few flat values"))?;
                *pos += 1;
                Ok(v)
            }
            Place::Mem { ptr } => {
                *ptr = align_to(*ptr, size.clamp(1, 8));
                let v = self.read(self.from, *ptr, size)?;
                *ptr += size;
                Ok(v)
            }
            Place::Out { .. } => Err(flat_bug("read from the output")),
        }
    }

    /// Writes one leaf of `size` bytes (flat: one value).
    #[inline]
    fn put(&mut self, dst: &mut Place, size: u32, v: u64) -> Result<(), Error> {
        match dst {
            Place::Out { vals, len } => {
                *vals
                    .get_mut(*len)
                    .ok_or_else(|| flat_bug("too many flat values"))? = v;
                *len += 1;
                Ok(())
            }
            Place::Mem { ptr } => {
                *ptr = align_to(*ptr, size.clamp(1, 8));
                let at = *ptr;
                *ptr += size;
                self.write(at, size, v)
            }
            Place::In { .. } => Err(flat_bug("write to the input")),
        }
    }

    /// Moves a value of type `ty` from `src` to `dst`.
    fn xfer(&mut self, ty: &Type, src: &mut Place<'_>, dst: &mut Place<'_>) -> Result<(), Error> {
        match ty {
            Type::Bool => {
                let v = self.get(src, 1)?;
                let b = match src {
                    Place::Mem { .. } => v as u8 != 0,
                    _ => v as u32 != 0,
                };
                self.put(dst, 1, b as u64)
            }
            Type::U8 => {
                let v = self.get(src, 1)? as u8;
                self.put(dst, 1, v as u64)
            }
            Type::S8 => {
                let v = self.get(src, 1)? as u8 as i8;
                self.put(dst, 1, v as i32 as u32 as u64)
            }
            Type::U16 => {
                let v = self.get(src, 2)? as u16;
                self.put(dst, 2, v as u64)
            }
            Type::S16 => {
                let v = self.get(src, 2)? as u16 as i16;
                self.put(dst, 2, v as i32 as u32 as u64)
            }
            Type::U32 | Type::S32 => {
                let v = self.get(src, 4)? as u32;
                self.put(dst, 4, v as u64)
            }
            Type::U64 | Type::S64 => {
                let v = self.get(src, 8)?;
                self.put(dst, 8, v)
            }
            Type::Float32 => {
                let v = self.get(src, 4)? as u32;
                let v = if f32::from_bits(v).is_nan() {
                    0x7fc0_0000
                } else {
                    v
                };
                self.put(dst, 4, v as u64)
            }
            Type::Float64 => {
                let v = self.get(src, 8)?;
                let v = if f64::from_bits(v).is_nan() {
                    0x7ff8_0000_0000_0000
                } else {
                    v
                };
                self.put(dst, 8, v)
            }
            Type::Char => {
                let v = self.get(src, 4)? as u32;
                if char::from_u32(v).is_none() {
                    return Err(trap(msg::bad_char(v)));
                }
                self.put(dst, 4, v as u64)
            }
            Type::String | Type::List(_) | Type::Map(_) => {
                let (ptr, len) = self.ptr_len(src)?;
                let (p, l) = match ty {
                    Type::List(elem) => self.list(elem, ptr, len)?,
                    // A map is laid out as a `list<tuple<K, V>>`.
                    Type::Map(kv) => self.list(&map_entry(kv), ptr, len)?,
                    _ => self.string(ptr, len)?,
                };
                self.put(dst, 4, p as u64)?;
                self.put(dst, 4, l as u64)
            }
            Type::FixedList(elem, n) => {
                // As a record of N fields of type T.
                let (sa, da) = (start(src, ty), start(dst, ty));
                for _ in 0..*n {
                    align(src, elem);
                    align(dst, elem);
                    self.xfer(elem, src, dst)?;
                }
                finish(src, sa, ty);
                finish(dst, da, ty);
                Ok(())
            }
            Type::Record(_) | Type::Tuple(_) => {
                let (sa, da) = (start(src, ty), start(dst, ty));
                for f in ty.field_types() {
                    align(src, f);
                    align(dst, f);
                    self.xfer(f, src, dst)?;
                }
                finish(src, sa, ty);
                finish(dst, da, ty);
                Ok(())
            }
            Type::Flags(ls) => {
                let n = ls.len();
                let words = flags_words(n);
                let size = flags_size(n);
                for w in 0..words {
                    let bits = if w + 1 == words && n % 32 != 0 {
                        (1u64 << (n % 32)) - 1
                    } else {
                        0xffff_ffff
                    };
                    let v = self.get(src, size.min(4))? & bits;
                    self.put(dst, size.min(4), v)?;
                }
                Ok(())
            }
            Type::Own(rt) => {
                let i = self.get(src, 4)? as u32;
                let rep = state(self.store)
                    .inst(self.from.instance)?
                    .remove(i, *rt, true)?;
                let j = state(self.store)
                    .inst(self.to.instance)?
                    .insert(Slot::Own {
                        ty: *rt,
                        rep,
                        lends: 0,
                    })?;
                self.put(dst, 4, j as u64)
            }
            Type::Borrow(rt) => {
                let i = self.get(src, 4)? as u32;
                let rep =
                    state(self.store)
                        .inst(self.from.instance)?
                        .lend(i, *rt, &mut self.lenders)?;
                let (to, scope) = (self.to.instance, self.scope);
                let j = state(self.store).lower_borrow(to, *rt, rep, scope)?;
                self.put(dst, 4, j as u64)
            }
            _ => {
                let cases = ty.cases().unwrap_or_default();
                let n = cases.len();
                let (sa, da) = (start(src, ty), start(dst, ty));
                let ds = discriminant_size(n);
                let disc = self.get(src, ds)?;
                if disc >= n as u64 {
                    return Err(trap(format!("invalid variant discriminant: {disc}")));
                }
                self.put(dst, ds, disc)?;
                let width = variant_payload(&cases).len();
                let case_align = cases.iter().flatten().map(|t| t.align()).max().unwrap_or(1);
                let src_pos = match src {
                    Place::In { pos, .. } => *pos,
                    _ => 0,
                };
                let dst_pos = dst.written();
                if let Place::Mem { ptr } = src {
                    *ptr = align_to(sa + ds, case_align);
                }
                if let Place::Mem { ptr } = dst {
                    *ptr = align_to(da + ds, case_align);
                }
                if let Some(t) = cases[disc as usize] {
                    self.xfer(t, src, dst)?;
                }
                if let Place::In { pos, .. } = src {
                    *pos = src_pos + width;
                }
                if let Place::Out { vals, len } = dst {
                    // The cases' unused flat values are zero.
                    let n = dst_pos + width;
                    vals.get_mut(*len..n)
                        .ok_or_else(|| flat_bug("too many flat values"))?
                        .fill(0);
                    *len = n;
                }
                finish(src, sa, ty);
                finish(dst, da, ty);
                Ok(())
            }
        }
    }

    /// Copies `len` bytes from the caller's memory at `from` to the
    /// callee's at `to`, in one copy.
    #[inline]
    fn copy(&mut self, from: u32, to: u32, len: usize) -> Result<(), Error> {
        let (fm, tm) = (memory(self.from)?, memory(self.to)?);
        fm.copy_to(&mut *self.store, from as usize, &tm, to as usize, len)
    }

    #[inline]
    fn ptr_len(&self, src: &mut Place<'_>) -> Result<(u32, u32), Error> {
        let p = self.get(src, 4)? as u32;
        let l = self.get(src, 4)? as u32;
        Ok((p, l))
    }

    fn realloc(&mut self, align: u32, size: u32, what: &str) -> Result<u32, Error> {
        let f = self
            .to
            .realloc
            .ok_or_else(|| trap("canonical option `realloc` is required to pass this value"))?;
        let mut cells = [0, 0, align as u64, size as u64];
        call_cells(&mut *self.store, f, self.to.realloc_cells, &mut cells)?;
        let ptr = cells[0] as u32;
        if ptr % align != 0 {
            return Err(trap(msg::REALLOC_UNALIGNED));
        }
        let len = memory(self.to)?.data(&*self.store)?.len() as u64;
        if ptr as u64 + size as u64 > len {
            return Err(trap(msg::realloc_out_of_bounds(what)));
        }
        Ok(ptr)
    }

    fn list(&mut self, elem: &Type, ptr: u32, len: u32) -> Result<(u32, u32), Error> {
        let (size, al) = (elem.size(), elem.align());
        if ptr % al != 0 {
            return Err(trap(msg::LIST_UNALIGNED));
        }
        let bytes = len as u64 * size as u64;
        let have = memory(self.from)?.data(&*self.store)?.len() as u64;
        if ptr as u64 + bytes > have {
            return Err(trap(msg::LIST_OUT_OF_BOUNDS));
        }
        if bytes >= 1 << 32 {
            return Err(trap(msg::LIST_TOO_LONG));
        }
        let dst = self.realloc(al, bytes as u32, "list")?;
        if plain_int(elem) {
            self.copy(ptr, dst, bytes as usize)?;
        } else {
            for i in 0..len {
                let mut s = Place::Mem {
                    ptr: ptr + i * size,
                };
                let mut d = Place::Mem {
                    ptr: dst + i * size,
                };
                self.xfer(elem, &mut s, &mut d)?;
            }
        }
        Ok((dst, len))
    }

    fn string(&mut self, ptr: u32, tagged: u32) -> Result<(u32, u32), Error> {
        let (fe, te) = (self.from.encoding, self.to.encoding);
        let copy = match (fe, te) {
            (Encoding::Utf8, Encoding::Utf8) => Some((1, tagged, 1, tagged)),
            (Encoding::Utf16, Encoding::Utf16) => Some((2, tagged, 2, 2 * tagged)),
            (Encoding::Latin1Utf16, Encoding::Latin1Utf16) if tagged & (1 << 31) == 0 => {
                Some((2, tagged, 2, tagged))
            }
            _ => None,
        };
        let Some((al, units, dst_align, bytes)) = copy else {
            // Transcoding: through one host string.
            let s = {
                let mut cx = Cx {
                    store: &mut *self.store,
                    opts: self.from,
                    lenders: Vec::new(),
                    scope: 0,
                };
                cx.load_string_range(ptr, tagged)?
            };
            let mut cx = Cx {
                store: &mut *self.store,
                opts: self.to,
                lenders: Vec::new(),
                scope: self.scope,
            };
            return cx.store_string_range(&s);
        };
        if ptr % al != 0 {
            return Err(trap(msg::STRING_UNALIGNED));
        }
        {
            let m = memory(self.from)?.data(&*self.store)?;
            let end = ptr as u64 + bytes as u64;
            let Some(s) = m
                .get(ptr as usize..end.min(usize::MAX as u64) as usize)
                .filter(|_| end <= m.len() as u64)
            else {
                return Err(trap(msg::STRING_OUT_OF_BOUNDS));
            };
            match fe {
                Encoding::Utf8 => {
                    if let Err(e) = core::str::from_utf8(s) {
                        return Err(trap(format!("invalid utf-8: {e}")));
                    }
                }
                Encoding::Utf16 => {
                    let units = s.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
                    if let Some(Err(e)) = char::decode_utf16(units).find(Result::is_err) {
                        return Err(trap(format!("invalid utf-16: {e}")));
                    }
                }
                Encoding::Latin1Utf16 => {}
            }
        }
        if bytes > (1 << 31) - 1 {
            return Err(trap(msg::STRING_TOO_LONG));
        }
        let dst = self.realloc(dst_align, bytes, "string")?;
        self.copy(ptr, dst, bytes as usize)?;
        Ok((dst, units))
    }
}

/// Where a compound value starts: memory cursors align to it.
#[inline]
fn start(p: &mut Place<'_>, ty: &Type) -> u32 {
    match p {
        Place::Mem { ptr } => {
            *ptr = align_to(*ptr, ty.align());
            *ptr
        }
        _ => 0,
    }
}

/// Moves a memory cursor past a compound value that started at `at`.
#[inline]
fn finish(p: &mut Place<'_>, at: u32, ty: &Type) {
    if let Place::Mem { ptr } = p {
        *ptr = at + ty.size();
    }
}

#[inline]
fn align(p: &mut Place<'_>, ty: &Type) {
    if let Place::Mem { ptr } = p {
        *ptr = align_to(*ptr, ty.align());
    }
}

/// Calls `callee` from the component instance of `caller` (whose `canon
/// lower` options they are) with the caller's flat arguments `cells`,
/// which the caller's flat results overwrite.
pub(crate) fn call<T>(
    store: &mut Store<T>,
    caller: &Options,
    callee: &Lifted,
    cells: &mut [u64],
) -> Result<(), Error> {
    let plan = &callee.plan;
    let (from_inst, to_inst) = (caller.instance, callee.opts.instance);
    // The callee's flags are read once: while it is entered nothing else
    // changes them (it cannot be entered again, and what it calls restores
    // its `may_leave`), so each transition sets a known value.
    let (to_flags, f) = flags(store, to_inst)?;
    if f & MAY_ENTER == 0 {
        return Err(trap(msg::CANNOT_ENTER));
    }
    let entered = f & !(MAY_ENTER | MAY_LEAVE);
    let set =
        |store: &mut Store<T>, g: nanowasm_runtime::Global, v: i32| g.set(store, CoreVal::I32(v));
    // While values are lowered into the callee, its `realloc` may not call
    // out.
    let leave = if plan.params_alloc { 0 } else { MAY_LEAVE };
    set(store, to_flags, entered | leave)?;
    reset_context(store, to_inst)?;
    let scope = {
        let st = state(store).inst(to_inst)?;
        st.scopes.push(0);
        st.scopes.len() - 1
    };
    // The callee's flat parameters, then its flat results: on this stack.
    let mut core = [0u64; MAX_FLAT_PARAMS + 1];
    let core_cells = core
        .get_mut(..plan.core_cells)
        .ok_or_else(|| flat_bug("too many flat values"))?;
    // Arguments: the caller's flat values or its memory, into the callee's.
    let lenders = {
        let mut f = Fuse {
            store: &mut *store,
            from: caller,
            to: &callee.opts,
            lenders: Vec::new(),
            scope,
        };
        let args = cells
            .get(..plan.flat_params)
            .ok_or_else(|| flat_bug("too few flat values"))?;
        let mut src = if plan.params_spill {
            let ptr = args[0] as u32;
            check_range(f.store, caller, ptr, plan.params_layout)?;
            Place::Mem { ptr }
        } else {
            Place::In { vals: args, pos: 0 }
        };
        if plan.params_spill {
            let (size, align) = plan.params_layout;
            let ptr = f.realloc(align, size, "tuple")?;
            f.xfer(&plan.params, &mut src, &mut Place::Mem { ptr })?;
            core_cells[0] = ptr as u64;
        } else {
            let mut dst = Place::Out {
                vals: &mut *core_cells,
                len: 0,
            };
            f.xfer(&plan.params, &mut src, &mut dst)?;
        }
        f.lenders
    };
    if plan.params_alloc {
        set(store, to_flags, entered | MAY_LEAVE)?;
    }
    // The callee's core function.
    call_cells(&mut *store, callee.core, callee.core_cells, core_cells)?;
    // Results: the callee's flat value or memory, into the caller's.
    if let Some(rt) = &plan.result {
        // (The caller may leave: `lower_func` checked.)
        let from_flags = if plan.result_alloc {
            let (g, f) = flags(store, from_inst)?;
            set(store, g, f & !MAY_LEAVE)?;
            Some((g, f))
        } else {
            None
        };
        let mut g = Fuse {
            store: &mut *store,
            from: &callee.opts,
            to: caller,
            lenders: Vec::new(),
            scope: 0,
        };
        let results = &core_cells[..plan.flat_results];
        let mut src = if plan.results_spill {
            let ptr = results[0] as u32;
            check_range(g.store, &callee.opts, ptr, plan.result_layout)?;
            Place::Mem { ptr }
        } else {
            Place::In {
                vals: results,
                pos: 0,
            }
        };
        if plan.results_spill {
            let retptr = cells
                .get(plan.lower_params - 1)
                .ok_or_else(|| flat_bug("no result pointer"))?;
            let retptr = *retptr as u32;
            check_range(g.store, caller, retptr, plan.result_layout)?;
            g.xfer(rt, &mut src, &mut Place::Mem { ptr: retptr })?;
        } else {
            // The caller's flat results overwrite its arguments.
            let mut dst = Place::Out {
                vals: &mut *cells,
                len: 0,
            };
            g.xfer(rt, &mut src, &mut dst)?;
        }
        if let Some((g, f)) = from_flags {
            set(store, g, f)?;
        }
    }
    if let Some(pr) = callee.opts.post_return {
        set(store, to_flags, entered)?;
        // `post-return` takes the callee's flat results.
        let n = plan.flat_results;
        core[n..].fill(0);
        call_cells(
            &mut *store,
            pr,
            callee.opts.post_return_cells,
            &mut core[..plan.core_cells.max(1)],
        )?;
    }
    set(store, to_flags, entered | MAY_LEAVE | MAY_ENTER)?;
    let st = state(store);
    let left = st.inst(to_inst)?.scopes.pop().unwrap_or(0);
    if !lenders.is_empty() {
        let caller_state = st.inst(from_inst)?;
        for i in lenders {
            if let Some(Slot::Own { lends, .. }) = caller_state.handles.get_mut(i as usize) {
                *lends = lends.saturating_sub(1);
            }
        }
    }
    if left != 0 {
        return Err(trap("borrow handles still remain at the end of the call"));
    }
    Ok(())
}
