//! The GC heap of a store (Wasm 3.0 GC): structs and arrays, the
//! collector that frees them, and how `any` and `extern` references are
//! written in a slot. ARCHITECTURE.md ("GC: the design") has the why.
//!
//! # References in a slot
//!
//! A reference of the `any` hierarchy is a `u64`:
//!
//! * `0`: null;
//! * odd: an `i31`, `value << 1 | 1` (so `ref.eq` and `i31.get_*` need no
//!   memory access);
//! * `raw & 3 == 2` and bit 32 set: heap object `(raw as u32) >> 2`;
//! * `raw & 3 == 0`: a host reference brought in by `any.convert_extern`:
//!   `raw >> 32` is the `externref`'s raw value, and the low half is 4.
//!
//! Every non-null reference has a non-zero low half (objects are numbered
//! below 2^30), which the interpreter's null tests look at. Bit 32 in an
//! object reference keeps integers (zero-extended `i32`s) from looking
//! like objects to the conservative stack scan.
//!
//! An `extern` slot keeps host references as before (an index plus one,
//! below 2^32) and marks an internal value taken out by
//! `extern.convert_any` with bit 63, so both conversions are bit
//! operations that round-trip exactly and allocate nothing.
//!
//! # Collection
//!
//! Mark and sweep, per store, tracing from the roots: the live part of the
//! interpreter's value stack (untyped, so scanned conservatively: a word
//! that decodes to a live object keeps it), globals, tables, element
//! segments, exception payloads and the objects handed to the host. The
//! mark phase uses an explicit work list (no recursion on deep
//! structures). A collection runs when an allocation would pass the
//! threshold (twice the bytes live after the last one, at least
//! [`MIN_THRESHOLD`]); none runs while compiled code of the store is on the
//! native stack, where references are not visible.

use crate::prelude::*;
use core::time::Duration;
use nanowasm_binary::Imm;
use nanowasm_core::{CompositeType, FieldType, HeapType, Opcode, StorageType, SubType, ValType};

use crate::store::StoreInner;
use crate::trap::TrapCode;
use crate::Instant;

/// Bit 63 of an `externref` slot: an internal (`any`) value converted by
/// `extern.convert_any`.
pub(crate) const EXTERN_ANY: u64 = 1 << 63;

/// The least threshold (bytes) at which a collection runs.
pub(crate) const MIN_THRESHOLD: usize = 1 << 20;

/// Bytes an object costs besides its payload (its slab entry and the
/// allocator's header), counted against the heap limit.
const OBJECT_OVERHEAD: usize = 32;

/// The `i31` reference of the low 31 bits of `v`.
#[inline(always)]
pub(crate) fn i31(v: u32) -> u64 {
    (u64::from(v & 0x7fff_ffff) << 1) | 1
}

/// `i31.get_s` of a non-null `i31` reference.
#[inline(always)]
pub(crate) fn i31_get_s(r: u64) -> u32 {
    ((r as u32 as i32) >> 1) as u32
}

/// `i31.get_u` of a non-null `i31` reference.
#[inline(always)]
pub(crate) fn i31_get_u(r: u64) -> u32 {
    (r as u32) >> 1
}

/// Whether `r` (non-null, of the `any` hierarchy) is an `i31`.
#[inline(always)]
pub(crate) fn is_i31(r: u64) -> bool {
    r & 1 == 1
}

/// Bit 32 of an object reference: set in every one, clear in every
/// zero-extended `i32`, so an integer in a slot never looks like an object
/// to the conservative scan (it otherwise kept object `k` alive for every
/// `i32` equal to `4k + 2`).
const OBJECT_TAG: u64 = 1 << 32;

/// The raw reference to heap object `index`.
#[inline(always)]
fn object_ref(index: u32) -> u64 {
    (u64::from(index) << 2) | 2 | OBJECT_TAG
}

/// The heap object `r` (of the `any` hierarchy) names, if it names one.
#[inline(always)]
pub(crate) fn object_index(r: u64) -> Option<u32> {
    (r & 3 == 2 && r >> 32 == 1).then_some((r as u32) >> 2)
}

/// `extern.convert_any`.
#[inline(always)]
pub(crate) fn extern_convert_any(r: u64) -> u64 {
    if r == 0 {
        0
    } else if r & 3 == 0 {
        r >> 32
    } else {
        r | EXTERN_ANY
    }
}

/// `any.convert_extern`.
#[inline(always)]
pub(crate) fn any_convert_extern(r: u64) -> u64 {
    if r & EXTERN_ANY != 0 {
        r & !EXTERN_ANY
    } else if r == 0 {
        0
    } else {
        (r << 32) | 4
    }
}

/// The object a word may refer to, read as an `any` or an `extern`
/// reference (what conservative scanning and tracing use).
#[inline(always)]
fn candidate(word: u64) -> Option<u32> {
    object_index(word & !EXTERN_ANY)
}

/// Statistics of a store's GC heap ([`Store::gc_stats`](crate::Store::gc_stats)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Collections run.
    pub collections: u64,
    /// Bytes allocated in all (payloads and per-object overhead).
    pub allocated_bytes: u64,
    /// Bytes of the objects allocated and not yet freed.
    pub live_bytes: usize,
    /// The most `live_bytes` has been.
    pub peak_bytes: usize,
    /// The longest collection.
    pub longest_pause: Duration,
    /// All collections together.
    pub total_pause: Duration,
}

/// Where a field is in an object's payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Field {
    /// Its byte offset (an array's elements: 0).
    pub offset: u32,
    /// Its size in bytes: 1, 2, 4, 8 or 16.
    pub size: u8,
    /// Whether it holds an `any` or `extern` reference, which tracing
    /// follows.
    pub traced: bool,
}

/// The size in bytes of a field of storage type `s`.
pub(crate) fn storage_size(s: StorageType) -> u8 {
    match s {
        StorageType::I8 => 1,
        StorageType::I16 => 2,
        StorageType::Val(ValType::I32 | ValType::F32) => 4,
        StorageType::Val(ValType::V128) => 16,
        StorageType::Val(_) => 8,
    }
}

/// The byte offset of each of `fields` in a struct's payload, and the
/// payload's size: in order, unpadded, so a subtype's payload starts with
/// its supertype's (its fields extend the supertype's).
pub(crate) fn struct_offsets(fields: &[FieldType]) -> (Vec<u32>, u32) {
    let mut at = 0u32;
    let offsets = fields
        .iter()
        .map(|f| {
            let o = at;
            at += u32::from(storage_size(f.storage));
            o
        })
        .collect();
    (offsets, at)
}

/// The shape of an object.
#[derive(Debug)]
pub(crate) enum Shape {
    /// A struct: its fields and payload size.
    Struct { fields: Box<[Field]>, size: u32 },
    /// An array: its element.
    Array { elem: Field },
}

/// What every object of one type shares.
#[derive(Debug)]
pub(crate) struct Layout {
    /// The type's engine id.
    pub ty: u32,
    /// Its supertypes' engine ids, outermost first, ending with `ty`:
    /// what a cast to a concrete type looks for.
    pub supers: Box<[u32]>,
    pub shape: Shape,
}

impl Layout {
    /// Whether the objects of this layout are of type `id` or a subtype.
    #[inline]
    pub(crate) fn is_subtype_of(&self, id: u32) -> bool {
        self.ty == id || self.supers.contains(&id)
    }
}

/// One heap object.
struct Object {
    layout: u32,
    data: Box<[u8]>,
}

/// Where a host handle keeps its object's slot generation: bits 33 to 62,
/// which a slot's object reference leaves clear (bit 32 is the object tag,
/// bit 63 the `externref` mark).
const SERIAL_MASK: u64 = MAX_GENERATION << 33;

/// The most times a slab slot is used: past it the slot is retired, so a
/// generation never wraps and a handle that outlived its object (its root
/// scope ended, the object was collected, the slot reused) can never name
/// the slot's new object.
const MAX_GENERATION: u64 = (1 << 30) - 1;

/// The slot value of an `AnyRef`'s handle: an object reference without
/// its serial (an `i31` or a host value as it is).
#[inline]
pub(crate) fn slot_of_handle(h: u64) -> u64 {
    if h & 3 == 2 {
        h & !SERIAL_MASK
    } else {
        h
    }
}

/// The slot value of an `ExternRef`'s handle: a host value's as it is, an
/// internal value's (bit 63) without its object's serial.
#[inline]
pub(crate) fn extern_slot_of_handle(h: u64) -> u64 {
    if h & EXTERN_ANY != 0 {
        slot_of_handle(h & !EXTERN_ANY) | EXTERN_ANY
    } else {
        h
    }
}

/// A store's GC heap.
#[derive(Default)]
pub(crate) struct GcHeap {
    objects: Vec<Option<Object>>,
    free: Vec<u32>,
    pub(crate) layouts: Vec<Layout>,
    /// Engine type id to layout index.
    layout_of: hashbrown::HashMap<u32, u32>,
    /// Bytes of the objects not yet freed (live or garbage).
    bytes: usize,
    /// `bytes` at which the next collection runs.
    threshold: usize,
    /// Objects handed to the host outside any root scope, kept until the
    /// store is dropped (locks, as values are handed out from a shared
    /// store).
    pinned: crate::sync::RwLock<hashbrown::HashSet<u32>>,
    /// Objects handed to the host inside root scopes, innermost last:
    /// each scope truncates it to where it found it when it ends.
    scoped: crate::sync::RwLock<Scoped>,
    /// Root scopes alive.
    pub(crate) scopes: u32,
    /// Each slab slot's generation: how many objects it held before its
    /// current one (see [`MAX_GENERATION`]).
    generations: Vec<u32>,
    /// Mark bits, one per slab entry: all clear outside a collection.
    marks: Vec<u64>,
    work: Vec<u32>,
    stats: GcStats,
}

/// The roots of the live root scopes: each object at most once (an object
/// already rooted by a scope stays rooted at least as long as the current
/// one), so they are bounded by the number of objects.
#[derive(Default)]
struct Scoped {
    /// The objects, outermost scope first.
    list: Vec<u32>,
    /// For each slab slot, where its entry in `list` would be (valid when
    /// `list` has it there).
    pos: Vec<u32>,
}

impl Scoped {
    /// Roots object `i` in the innermost scope, unless a scope roots it.
    fn push(&mut self, i: u32) {
        let at = i as usize;
        if self.pos.len() <= at {
            self.pos.resize(at + 1, u32::MAX);
        }
        let p = self.pos[at] as usize;
        if self.list.get(p) == Some(&i) {
            return;
        }
        self.pos[at] = self.list.len() as u32;
        self.list.push(i);
    }
}

/// Whether values of `heap` (in engine ids) are traced: `any` and
/// `extern` references.
fn traced(registry: &crate::engine::TypeRegistry, heap: HeapType) -> bool {
    match heap {
        HeapType::Func | HeapType::NoFunc | HeapType::Exn | HeapType::NoExn => false,
        HeapType::Concrete(id) => !registry.is_func(id),
        _ => true,
    }
}

fn field(registry: &crate::engine::TypeRegistry, f: &FieldType, offset: u32) -> Field {
    Field {
        offset,
        size: storage_size(f.storage),
        traced: matches!(f.storage, StorageType::Val(ValType::Ref(r)) if traced(registry, r.heap())),
    }
}

impl GcHeap {
    /// The layout of engine type `id` (a struct or array type), made on
    /// first use; `None` for a function type or an unknown id.
    pub(crate) fn layout(
        &mut self,
        registry: &crate::engine::TypeRegistry,
        id: u32,
    ) -> Option<u32> {
        if let Some(&l) = self.layout_of.get(&id) {
            return Some(l);
        }
        let SubType { composite, .. } = registry.sub_type(id)?;
        let shape = match composite {
            CompositeType::Func(_) => return None,
            CompositeType::Struct(fields) => {
                let (offsets, size) = struct_offsets(&fields);
                let fields = fields
                    .iter()
                    .zip(offsets)
                    .map(|(f, o)| field(registry, f, o))
                    .collect();
                Shape::Struct { fields, size }
            }
            CompositeType::Array(elem) => Shape::Array {
                elem: field(registry, &elem, 0),
            },
        };
        let l = self.layouts.len() as u32;
        self.layouts.push(Layout {
            ty: id,
            supers: registry.supertypes(id).into_boxed_slice(),
            shape,
        });
        self.layout_of.insert(id, l);
        Some(l)
    }

    /// The layout and payload of the object `r` refers to, if it is a
    /// live object.
    #[inline]
    pub(crate) fn get(&self, r: u64) -> Option<(&Layout, &[u8])> {
        let o = self.objects.get(object_index(r)? as usize)?.as_ref()?;
        Some((self.layouts.get(o.layout as usize)?, &o.data))
    }

    /// [`get`](Self::get), the payload writable.
    #[inline]
    pub(crate) fn get_mut(&mut self, r: u64) -> Option<(&Layout, &mut [u8])> {
        let o = self.objects.get_mut(object_index(r)? as usize)?.as_mut()?;
        Some((self.layouts.get(o.layout as usize)?, &mut o.data))
    }

    /// The payloads of two objects, the first writable (the same object
    /// twice: one writable payload, `None` for the second).
    pub(crate) fn pair_mut(&mut self, a: u64, b: u64) -> Option<(&mut [u8], Option<&[u8]>)> {
        let (ia, ib) = (object_index(a)? as usize, object_index(b)? as usize);
        if ia == ib {
            return Some((&mut self.objects.get_mut(ia)?.as_mut()?.data, None));
        }
        if ia.max(ib) >= self.objects.len() {
            return None;
        }
        let (lo, hi) = self.objects.split_at_mut(ia.max(ib));
        let (x, y) = if ia < ib {
            (&mut lo[ia], &hi[0])
        } else {
            (&mut hi[0], &lo[ib])
        };
        Some((&mut x.as_mut()?.data, Some(&y.as_ref()?.data)))
    }

    /// The host handle of slot value `r` (an `any` reference, or an
    /// `extern` one with bit 63): an object gets its serial, and is kept
    /// until the innermost root scope ends, or until the store is dropped
    /// outside any scope.
    pub(crate) fn pin(&self, r: u64) -> u64 {
        let Some(i) = candidate(r) else {
            return r;
        };
        let Some(Some(o)) = self.objects.get(i as usize) else {
            return r;
        };
        let _ = o;
        if self.scopes > 0 {
            if !self.pinned.read().contains(&i) {
                self.scoped.write().push(i);
            }
        } else {
            self.pinned.write().insert(i);
        }
        r | (u64::from(self.generations[i as usize]) << 33)
    }

    /// Whether `AnyRef` handle `h` names no object, or still the object
    /// it was handed out for.
    pub(crate) fn check_handle(&self, h: u64) -> Option<u64> {
        let slot = slot_of_handle(h);
        let Some(i) = object_index(slot) else {
            return Some(slot);
        };
        let generation = ((h & SERIAL_MASK) >> 33) as u32;
        match (
            self.objects.get(i as usize),
            self.generations.get(i as usize),
        ) {
            (Some(Some(_)), Some(&g)) if g == generation => Some(slot),
            _ => None,
        }
    }

    /// What the roots of the live root scopes take (none without scopes).
    #[inline]
    fn scoped_bytes(&self) -> usize {
        if self.scopes == 0 {
            0
        } else {
            self.scoped.read().list.len() * 4
        }
    }

    /// Whether the heap is past its threshold (what the compiled entry
    /// checks before collecting what it deferred).
    #[cfg(nanowasm_compiler)]
    #[inline]
    pub(crate) fn over_threshold(&self) -> bool {
        self.bytes > self.threshold.max(MIN_THRESHOLD)
    }

    /// Starts a root scope: the objects handed out until the matching
    /// [`end_scope`](Self::end_scope) are rooted until then. Returns where
    /// it starts.
    pub(crate) fn begin_scope(&mut self) -> usize {
        self.scopes += 1;
        self.scoped.read().list.len()
    }

    /// Ends a root scope that started at `mark`.
    pub(crate) fn end_scope(&mut self, mark: usize) {
        self.scoped.write().list.truncate(mark);
        self.scopes = self.scopes.saturating_sub(1);
    }

    /// The statistics.
    pub(crate) fn stats(&self) -> GcStats {
        GcStats {
            live_bytes: self.bytes,
            ..self.stats
        }
    }

    /// Marks the object `word` may refer to, if it is a live one.
    #[inline]
    fn mark_word(&mut self, word: u64) {
        mark(&self.objects, &mut self.marks, &mut self.work, word);
    }

    /// Marks everything reachable from the marked objects. Objects are
    /// only read (the marks are apart), so references are followed in
    /// place.
    fn trace(&mut self) {
        let GcHeap {
            objects,
            layouts,
            marks,
            work,
            ..
        } = self;
        while let Some(i) = work.pop() {
            let Some(o) = objects[i as usize].as_ref() else {
                continue;
            };
            let Some(layout) = layouts.get(o.layout as usize) else {
                continue;
            };
            match &layout.shape {
                Shape::Struct { fields, .. } => {
                    for f in fields.iter().filter(|f| f.traced) {
                        mark(objects, marks, work, read_u64(&o.data, f.offset as usize));
                    }
                }
                Shape::Array { elem } if elem.traced => {
                    for c in o.data.chunks_exact(8) {
                        mark(objects, marks, work, read_u64(c, 0));
                    }
                }
                Shape::Array { .. } => {}
            }
        }
    }

    /// Frees the unmarked objects and clears the marks; sets the next
    /// threshold.
    fn sweep(&mut self) {
        let mut live = 0usize;
        for (i, slot) in self.objects.iter_mut().enumerate() {
            let marked = self.marks[i / 64] >> (i % 64) & 1 != 0;
            match slot {
                Some(o) if marked => live += OBJECT_OVERHEAD + o.data.len(),
                Some(_) => {
                    *slot = None;
                    self.free.push(i as u32);
                }
                None => {}
            }
        }
        self.marks.iter_mut().for_each(|m| *m = 0);
        self.bytes = live;
        self.threshold = live.saturating_mul(2).max(MIN_THRESHOLD);
    }
}

/// Marks the object `word` may refer to, if it is a live one not marked
/// yet, and queues it for tracing.
#[inline]
fn mark(objects: &[Option<Object>], marks: &mut [u64], work: &mut Vec<u32>, word: u64) {
    let Some(i) = candidate(word) else {
        return;
    };
    let i = i as usize;
    if !matches!(objects.get(i), Some(Some(_))) {
        return;
    }
    let (w, b) = (i / 64, 1u64 << (i % 64));
    if let Some(m) = marks.get_mut(w) {
        if *m & b == 0 {
            *m |= b;
            work.push(i as u32);
        }
    }
}

/// The `u64` at byte `at` of `data` (0 past its end, which layouts rule
/// out).
#[inline(always)]
pub(crate) fn read_u64(data: &[u8], at: usize) -> u64 {
    data.get(at..at + 8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

/// Reads a field of `size` bytes at `at` as its little-endian bits.
#[inline(always)]
pub(crate) fn read(data: &[u8], at: usize, size: u8) -> Option<u128> {
    let b = data.get(at..at + usize::from(size))?;
    let mut v = [0u8; 16];
    v[..b.len()].copy_from_slice(b);
    Some(u128::from_le_bytes(v))
}

/// Writes the low `size` bytes of `v` at `at`.
#[inline(always)]
pub(crate) fn write(data: &mut [u8], at: usize, size: u8, v: u128) -> Option<()> {
    let b = data.get_mut(at..at + usize::from(size))?;
    b.copy_from_slice(&v.to_le_bytes()[..usize::from(size)]);
    Some(())
}

/// Collects `inner`'s heap. `live_slots`: how much of the interpreter's
/// value stack is live (the current frame's end while wasm runs).
pub(crate) fn collect(inner: &mut StoreInner, live_slots: usize) {
    collect_with(inner, live_slots, &[]);
}

/// [`collect`], with `extra` words as roots too (the arguments of a call
/// in flight, read conservatively).
pub(crate) fn collect_with(inner: &mut StoreInner, live_slots: usize, extra: &[u64]) {
    #[cfg(nanowasm_compiler)]
    if inner.compiled_active > 0 {
        // Compiled frames may hold references the collector cannot see:
        // the heap grows (up to its limit) until they return.
        return;
    }
    let start = Instant::now();
    let n = inner.gc.objects.len().div_ceil(64);
    inner.gc.marks.resize(n, 0);
    let StoreInner {
        gc,
        interp,
        globals,
        tables,
        instances,
        exns,
        ..
    } = inner;
    for &w in interp.stack.get(..live_slots).unwrap_or(&interp.stack) {
        gc.mark_word(w);
    }
    for &w in extra {
        gc.mark_word(w);
    }
    for g in globals.iter() {
        if matches!(g.ty.content, ValType::Ref(_)) {
            gc.mark_word(g.value as u64);
        }
    }
    let refs_of = |h: HeapType| {
        !matches!(
            h,
            HeapType::Func | HeapType::NoFunc | HeapType::Exn | HeapType::NoExn
        )
    };
    for t in tables.iter().filter(|t| refs_of(t.ty.element.heap())) {
        for &w in &t.elements {
            gc.mark_word(w);
        }
    }
    for inst in instances.iter() {
        for seg in inst.elems.iter().flatten() {
            for &w in seg.iter() {
                gc.mark_word(w);
            }
        }
    }
    exns.for_each_value(|w| gc.mark_word(w));
    let mut pinned: Vec<u32> = gc.pinned.read().iter().copied().collect();
    pinned.extend(gc.scoped.read().list.iter().copied());
    for i in pinned {
        gc.mark_word(object_ref(i));
    }
    gc.trace();
    gc.sweep();
    let pause = start.elapsed();
    gc.stats.collections += 1;
    gc.stats.total_pause += pause;
    gc.stats.longest_pause = gc.stats.longest_pause.max(pause);
    tracing::debug!(live_bytes = gc.bytes, ?pause, "GC heap collected");
}

/// Allocates a zeroed object of layout `layout` with a payload of `size`
/// bytes, collecting first if the heap is past its threshold (`live_slots`
/// as for [`collect`]; `None`: no collection, as during instantiation,
/// whose values in flight are not roots). Traps if the heap limit is
/// reached.
pub(crate) fn alloc(
    inner: &mut StoreInner,
    layout: u32,
    size: usize,
    live_slots: Option<usize>,
) -> Result<u64, TrapCode> {
    let cost = size
        .checked_add(OBJECT_OVERHEAD)
        .ok_or(TrapCode::GcHeapExhausted)?;
    // Roots held by root scopes count against the limit too (4 bytes
    // each), so a guest cannot grow them without bound inside one scope.
    let limit = inner.limits.gc_heap.saturating_sub(inner.gc.scoped_bytes());
    let over = |gc: &GcHeap| gc.bytes.saturating_add(cost) > gc.threshold.max(MIN_THRESHOLD);
    if let Some(live) = live_slots {
        if over(&inner.gc) || inner.gc.bytes.saturating_add(cost) > limit {
            collect(inner, live);
        }
    }
    let gc = &mut inner.gc;
    if gc.bytes.saturating_add(cost) > limit || gc.objects.len() >= (u32::MAX >> 2) as usize {
        return Err(TrapCode::GcHeapExhausted);
    }
    let object = Object {
        layout,
        data: zeroed(size).ok_or(TrapCode::GcHeapExhausted)?,
    };
    // A free slot whose generation is spent stays free for good.
    let reuse = loop {
        match gc.free.pop() {
            Some(i) if u64::from(gc.generations[i as usize]) < MAX_GENERATION => break Some(i),
            Some(_) => continue,
            None => break None,
        }
    };
    let index = match reuse {
        Some(i) => {
            gc.generations[i as usize] += 1;
            gc.objects[i as usize] = Some(object);
            i
        }
        None => {
            gc.objects.push(Some(object));
            gc.generations.push(0);
            gc.objects.len() as u32 - 1
        }
    };
    gc.bytes += cost;
    gc.stats.allocated_bytes += cost as u64;
    gc.stats.peak_bytes = gc.stats.peak_bytes.max(gc.bytes);
    Ok(object_ref(index))
}

/// A zeroed payload of `size` bytes, or `None` if the host has no memory
/// for it. Zeroed pages come from the allocator untouched (`calloc`), so a
/// large array costs memory only as it is written, as a linear memory.
fn zeroed(size: usize) -> Option<Box<[u8]>> {
    if size == 0 {
        return Some(Box::default());
    }
    let layout = core::alloc::Layout::array::<u8>(size).ok()?;
    // SAFETY: the layout's size is not zero.
    let p = unsafe { alloc::alloc::alloc_zeroed(layout) };
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` is a live allocation of the global allocator with the
    // layout of `[u8; size]`, whose bytes are initialized (zero); the box
    // takes sole ownership and frees it with that layout.
    Some(unsafe { Box::from_raw(core::ptr::slice_from_raw_parts_mut(p, size)) })
}

/// The payload size of an array of `len` elements of `elem`, or a trap if
/// it could never be allocated.
pub(crate) fn array_size(elem: &Field, len: u64) -> Result<usize, TrapCode> {
    len.checked_mul(u64::from(elem.size))
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n <= isize::MAX as usize / 2)
        .ok_or(TrapCode::GcHeapExhausted)
}

/// Fills elements `[d, d + n)` of the array payload `data` (elements of
/// `size` bytes) with the value `v`.
pub(crate) fn fill(data: &mut [u8], size: u8, d: usize, n: usize, v: u128) -> Option<()> {
    let size = usize::from(size);
    let bytes = &v.to_le_bytes()[..size];
    let region = data.get_mut(d.checked_mul(size)?..d.checked_add(n)?.checked_mul(size)?)?;
    if bytes.iter().all(|&b| b == 0) {
        region.fill(0);
    } else {
        for chunk in region.chunks_exact_mut(size) {
            chunk.copy_from_slice(bytes);
        }
    }
    Some(())
}

/// One GC instruction of a constant expression (`struct.new*`,
/// `array.new*`, `ref.i31`, the conversions) on the evaluation stack of
/// raw values; `layouts` maps the module's types to layouts. Nothing is
/// collected meanwhile: the values being built are not roots.
pub(crate) fn eval_const_op(
    inner: &mut StoreInner,
    op: Opcode,
    imm: Imm<'_>,
    layouts: &[u32],
    stack: &mut Vec<u128>,
) -> Result<(), crate::Error> {
    let underflow = || crate::Error::bug("constant expression stack underflow");
    let layout = |t: u32| {
        layouts
            .get(t as usize)
            .copied()
            .filter(|&l| l != u32::MAX)
            .ok_or_else(|| {
                crate::Error::bug("a constant expression allocates a type without a layout")
            })
    };
    let value = match (op, imm) {
        (Opcode::RefI31, _) => i31(stack.pop().ok_or_else(underflow)? as u32),
        (Opcode::AnyConvertExtern, _) => {
            any_convert_extern(stack.pop().ok_or_else(underflow)? as u64)
        }
        (Opcode::ExternConvertAny, _) => {
            extern_convert_any(stack.pop().ok_or_else(underflow)? as u64)
        }
        (Opcode::StructNew | Opcode::StructNewDefault, Imm::Index(t)) => {
            let l = layout(t)?;
            let Some(Layout {
                shape: Shape::Struct { fields, size },
                ..
            }) = inner.gc.layouts.get(l as usize)
            else {
                return Err(crate::Error::bug(
                    "struct.new of a type that is not a struct",
                ));
            };
            let fields = fields.clone();
            let size = *size as usize;
            let values = if op == Opcode::StructNew {
                let at = stack
                    .len()
                    .checked_sub(fields.len())
                    .ok_or_else(underflow)?;
                stack.split_off(at)
            } else {
                Vec::new()
            };
            let r = alloc(inner, l, size, None)?;
            let (_, data) = inner.gc.get_mut(r).ok_or_else(underflow)?;
            for (f, v) in fields.iter().zip(values) {
                write(data, f.offset as usize, f.size, v).ok_or_else(underflow)?;
            }
            r
        }
        (Opcode::ArrayNew | Opcode::ArrayNewDefault | Opcode::ArrayNewFixed, _) => {
            let (t, values, n, init) = match (op, imm) {
                (Opcode::ArrayNewFixed, Imm::Index2(t, n)) => {
                    let at = stack.len().checked_sub(n as usize).ok_or_else(underflow)?;
                    (t, stack.split_off(at), u64::from(n), 0)
                }
                (Opcode::ArrayNew, Imm::Index(t)) => {
                    let n = stack.pop().ok_or_else(underflow)? as u32;
                    let v = stack.pop().ok_or_else(underflow)?;
                    (t, Vec::new(), u64::from(n), v)
                }
                (_, Imm::Index(t)) => {
                    let n = stack.pop().ok_or_else(underflow)? as u32;
                    (t, Vec::new(), u64::from(n), 0)
                }
                _ => return Err(crate::Error::bug("a malformed array.new")),
            };
            let l = layout(t)?;
            let Some(Layout {
                shape: Shape::Array { elem },
                ..
            }) = inner.gc.layouts.get(l as usize)
            else {
                return Err(crate::Error::bug(
                    "array.new of a type that is not an array",
                ));
            };
            let elem = *elem;
            let size = array_size(&elem, n)?;
            let r = alloc(inner, l, size, None)?;
            let (_, data) = inner.gc.get_mut(r).ok_or_else(underflow)?;
            if init != 0 {
                fill(data, elem.size, 0, n as usize, init).ok_or_else(underflow)?;
            }
            for (k, v) in values.into_iter().enumerate() {
                write(data, k * usize::from(elem.size), elem.size, v).ok_or_else(underflow)?;
            }
            r
        }
        (op, _) => {
            return Err(crate::Error::usage(format!(
                "`{}` in a constant expression",
                op.name()
            )))
        }
    };
    stack.push(u128::from(value));
    Ok(())
}

/// Whether `heap` is an abstract heap type of the `any` hierarchy
/// (`any`, `eq`, `i31`, `struct`, `array`, `none`). (What the compiler
/// refuses.)
#[cfg(nanowasm_compiler)]
pub(crate) fn is_gc_heap(heap: HeapType) -> bool {
    matches!(
        heap,
        HeapType::Any
            | HeapType::Eq
            | HeapType::I31
            | HeapType::Struct
            | HeapType::Array
            | HeapType::None
    )
}

/// Why `m` uses GC at module level, if it does: a struct or array type, or
/// a reference of the `any` hierarchy in a type, global, table or element
/// segment. (Function bodies are checked by the back end that reads
/// them.)
#[cfg(nanowasm_compiler)]
pub(crate) fn module_uses_gc(m: &nanowasm_binary::Module) -> bool {
    let val = |t: &ValType| matches!(t, ValType::Ref(r) if is_gc_heap(r.heap()));
    m.types.iter().any(|t| match &t.composite {
        CompositeType::Func(f) => f.params().iter().chain(f.results()).any(val),
        _ => true,
    }) || m.globals.iter().any(|g| val(&g.content))
        || m.tables.iter().any(|t| is_gc_heap(t.element.heap()))
        || m.elements.iter().any(|e| is_gc_heap(e.ty.heap()))
}
