//! What the component model keeps per store: the component instances that
//! live in it, their resource handle tables and their re-entrance flags,
//! and which instance implements each component-defined resource type.

use std::collections::HashMap;

use nanowasm_runtime::{Error, Func, Global, GlobalType, Store, Val as CoreVal, ValType};

use super::abi::Encoding;
use super::types::{ResourceType, Type};
use super::val::Val;

/// The most handles one component instance's table holds at once. The
/// canonical ABI allows 2^28; a guest that leaks handles in a loop should
/// trap long before it costs the host gigabytes.
pub const MAX_HANDLES: usize = 1 << 20;

/// A canonical ABI trap: the call fails with this message (wasmtime's
/// wording, prefixed `wasm trap: `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbiTrap(pub String);

impl std::fmt::Display for AbiTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "wasm trap: {}", self.0)
    }
}

impl std::error::Error for AbiTrap {}

/// A trap with `message`.
pub(crate) fn trap(message: impl Into<String>) -> Error {
    Error::new(AbiTrap(message.into()))
}

/// The canonical ABI's trap messages (the reference tests' texts), in one
/// place for the three ways values cross: the host's lifting and lowering
/// (`abi`), the interpreted fused adapter (`fused`) and the compiled one
/// (`adapter`, whose trap codes map to these).
pub(crate) mod msg {
    pub const UNALIGNED: &str = "unaligned pointer";
    pub const OUT_OF_BOUNDS: &str = "pointer out of bounds of memory";
    pub const STRING_UNALIGNED: &str = "unaligned pointer: string";
    pub const STRING_OUT_OF_BOUNDS: &str =
        "string content out-of-bounds: string pointer/length out of bounds of memory";
    pub const STRING_TOO_LONG: &str = "string too long to lower";
    pub const LIST_UNALIGNED: &str = "unaligned pointer: list";
    pub const LIST_OUT_OF_BOUNDS: &str =
        "list content out-of-bounds: list pointer/length out of bounds of memory";
    pub const LIST_TOO_LONG: &str = "list too long to lower";
    pub const REALLOC_UNALIGNED: &str = "unaligned pointer: realloc return: result not aligned";
    pub const CANNOT_LEAVE: &str = "cannot leave component instance";
    pub const CANNOT_ENTER: &str = "cannot enter component instance";

    /// `realloc` returned memory past the end for a `string` or `list`.
    pub fn realloc_out_of_bounds(what: &str) -> String {
        format!("{what} content out-of-bounds: realloc return: beyond end of memory")
    }

    /// A `char` that is no Unicode scalar value.
    pub fn bad_char(v: u32) -> String {
        format!("invalid `char` bit pattern: {v:#x}")
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot {
    Free,
    Own {
        ty: ResourceType,
        rep: u32,
        lends: u32,
    },
    Borrow {
        ty: ResourceType,
        rep: u32,
        /// The index of the call (in `InstState::scopes`) it was lent to.
        scope: usize,
    },
}

/// One component instance.
#[derive(Debug)]
pub(crate) struct InstState {
    /// Handle table: index 0 is never used.
    pub(crate) handles: Vec<Slot>,
    pub(crate) free: Vec<u32>,
    /// `may_leave` and `may_enter` ([`MAY_LEAVE`], [`MAY_ENTER`]): a
    /// mutable `i32` global of the store, which compiled adapters read and
    /// write directly (see [`flags`] and [`set_flag`]).
    pub(crate) flags: Global,
    /// For each call into the instance in progress (innermost last): the
    /// borrow handles lent to it and not yet dropped.
    pub(crate) scopes: Vec<u32>,
    /// `context.get`/`set`: the current task's two slots (zero at each
    /// entry into the instance: a synchronous call is its one task), as
    /// mutable `i32` globals, which compiled adapters reset directly.
    pub(crate) context: [Global; 2],
    /// Whether `context.set` ran since the host last reset the slots (the
    /// host skips resetting slots that are zero already; compiled adapters
    /// reset them without looking).
    pub(crate) context_set: bool,
    /// `backpressure.inc`/`dec`: a counter (nothing waits on it without
    /// async).
    pub(crate) backpressure: u32,
    /// The task of the call into the instance in progress, if it is an
    /// async-lifted export (`task.return` delivers its result here).
    pub(crate) task: Option<Box<Task>>,
}

/// An async-lifted export's call in progress.
#[derive(Debug)]
pub(crate) struct Task {
    /// The function's result type, which `task.return` must name.
    pub(crate) result: Option<Type>,
    /// The lift's memory and string encoding, which `task.return`'s
    /// options must equal.
    pub(crate) memory: Option<nanowasm_runtime::Memory>,
    pub(crate) encoding: Encoding,
    /// What `task.return` delivered (a tuple of zero or one values).
    pub(crate) returned: Option<Vec<Val>>,
}

/// Bits of an instance's flags.
pub(crate) const MAY_LEAVE: i32 = 1;
pub(crate) const MAY_ENTER: i32 = 2;

fn i32_global<T>(store: &mut Store<T>, v: i32) -> Result<Global, Error> {
    let ty = GlobalType {
        content: ValType::I32,
        mutable: true,
    };
    Global::new(store, ty, CoreVal::I32(v))
}

/// A new component instance of the store: its index.
pub(crate) fn new_instance<T>(store: &mut Store<T>) -> Result<u32, Error> {
    let flags = i32_global(store, MAY_LEAVE | MAY_ENTER)?;
    let context = [i32_global(store, 0)?, i32_global(store, 0)?];
    let st = state(store);
    st.instances.push(InstState {
        handles: vec![Slot::Free],
        free: Vec::new(),
        flags,
        scopes: Vec::new(),
        context,
        context_set: false,
        backpressure: 0,
        task: None,
    });
    Ok((st.instances.len() - 1) as u32)
}

fn get_i32<T>(store: &Store<T>, g: Global) -> Result<i32, Error> {
    Ok(g.get(store)?.i32().unwrap_or(0))
}

/// Instance `inst`'s flags: its global and value.
#[inline]
pub(crate) fn flags<T>(store: &mut Store<T>, inst: u32) -> Result<(Global, i32), Error> {
    let g = state(store).inst(inst)?.flags;
    Ok((g, get_i32(store, g)?))
}

/// Whether instance `inst` may call out (`may_leave`).
#[inline]
pub(crate) fn may_leave<T>(store: &mut Store<T>, inst: u32) -> Result<bool, Error> {
    Ok(flags(store, inst)?.1 & MAY_LEAVE != 0)
}

/// Whether instance `inst` may be called (`may_enter`).
#[inline]
pub(crate) fn may_enter<T>(store: &mut Store<T>, inst: u32) -> Result<bool, Error> {
    Ok(flags(store, inst)?.1 & MAY_ENTER != 0)
}

/// Sets or clears flag `bit` of instance `inst`.
#[inline]
pub(crate) fn set_flag<T>(
    store: &mut Store<T>,
    inst: u32,
    bit: i32,
    on: bool,
) -> Result<(), Error> {
    let (g, v) = flags(store, inst)?;
    let v = if on { v | bit } else { v & !bit };
    g.set(store, CoreVal::I32(v))
}

/// A new task of instance `inst`: its `context` slots are zero.
pub(crate) fn reset_context<T>(store: &mut Store<T>, inst: u32) -> Result<(), Error> {
    let st = state(store).inst(inst)?;
    if !std::mem::take(&mut st.context_set) {
        return Ok(());
    }
    let [a, b] = st.context;
    a.set(&mut *store, CoreVal::I32(0))?;
    b.set(store, CoreVal::I32(0))
}

/// `context.get` of slot `slot` of instance `inst`.
pub(crate) fn context_get<T>(store: &mut Store<T>, inst: u32, slot: usize) -> Result<i32, Error> {
    let g = state(store).inst(inst)?.context[slot.min(1)];
    get_i32(store, g)
}

/// `context.set`.
pub(crate) fn context_set<T>(
    store: &mut Store<T>,
    inst: u32,
    slot: usize,
    v: i32,
) -> Result<(), Error> {
    let st = state(store).inst(inst)?;
    st.context_set = true;
    let g = st.context[slot.min(1)];
    g.set(store, CoreVal::I32(v))
}

/// A component-defined resource type: the instance that defined it and
/// its destructor.
#[derive(Debug, Clone)]
pub(crate) struct ResourceImpl {
    pub(crate) instance: u32,
    pub(crate) dtor: Option<Func>,
}

/// The component model's state in one store.
#[derive(Debug, Default)]
pub(crate) struct ComponentStore {
    pub(crate) instances: Vec<InstState>,
    pub(crate) resources: HashMap<ResourceType, ResourceImpl>,
}

#[inline(always)]
pub(crate) fn state<T>(store: &mut Store<T>) -> &mut ComponentStore {
    store.extension_mut::<ComponentStore>()
}

impl ComponentStore {
    #[inline]
    pub(crate) fn inst(&mut self, i: u32) -> Result<&mut InstState, Error> {
        match self.instances.get_mut(i as usize) {
            Some(s) => Ok(s),
            None => Err(other_store()),
        }
    }
}

impl ComponentStore {
    /// `lower_borrow`: the handle a borrow of `rep` (a resource of type
    /// `rt`) gets in instance `inst`, lent to its call `scope`. The
    /// instance that implements `rt` gets the representation itself.
    pub(crate) fn lower_borrow(
        &mut self,
        inst: u32,
        rt: ResourceType,
        rep: u32,
        scope: usize,
    ) -> Result<u32, Error> {
        if self.resources.get(&rt).is_some_and(|i| i.instance == inst) {
            return Ok(rep);
        }
        let st = self.inst(inst)?;
        let i = st.insert(Slot::Borrow { ty: rt, rep, scope })?;
        if let Some(n) = st.scopes.get_mut(scope) {
            *n += 1;
        }
        Ok(i)
    }
}

impl InstState {
    /// `lift_borrow`: the representation behind handle `i` of type `rt`.
    /// An owned handle is lent for the call: its lend count goes up and
    /// `i` is pushed on `lenders`, for the call's end to give it back.
    pub(crate) fn lend(
        &mut self,
        i: u32,
        rt: ResourceType,
        lenders: &mut Vec<u32>,
    ) -> Result<u32, Error> {
        match self.get(i, rt)? {
            Slot::Own { rep, lends, .. } => {
                *lends += 1;
                let rep = *rep;
                lenders.push(i);
                Ok(rep)
            }
            Slot::Borrow { rep, .. } => Ok(*rep),
            Slot::Free => Err(trap(format!("unknown handle index {i}"))),
        }
    }

    pub(crate) fn insert(&mut self, slot: Slot) -> Result<u32, Error> {
        if let Some(i) = self.free.pop() {
            self.handles[i as usize] = slot;
            return Ok(i);
        }
        if self.handles.len() > MAX_HANDLES {
            return Err(trap(format!(
                "resource handle table full ({MAX_HANDLES} handles)"
            )));
        }
        self.handles.push(slot);
        Ok((self.handles.len() - 1) as u32)
    }

    /// The live handle `i`, which must be of type `ty`.
    pub(crate) fn get(&mut self, i: u32, ty: ResourceType) -> Result<&mut Slot, Error> {
        let slot = match self.handles.get_mut(i as usize) {
            Some(s) if i != 0 && !matches!(s, Slot::Free) => s,
            _ => return Err(trap(format!("unknown handle index {i}"))),
        };
        let (Slot::Own { ty: t, .. } | Slot::Borrow { ty: t, .. }) = *slot else {
            return Err(trap(format!("unknown handle index {i}")));
        };
        if t != ty {
            let found = if t.is_guest() == ty.is_guest() {
                format!("a different {}", describe(t))
            } else {
                describe(t).to_string()
            };
            return Err(trap(format!(
                "handle index {i} used with the wrong type, expected {} but found {found}",
                describe(ty),
            )));
        }
        Ok(slot)
    }

    /// Removes handle `i` of type `ty`: an owned one if `own`, else a
    /// borrowed one. Returns its representation.
    pub(crate) fn remove(&mut self, i: u32, ty: ResourceType, own: bool) -> Result<u32, Error> {
        let slot = *self.get(i, ty)?;
        let rep = match (slot, own) {
            (Slot::Own { lends, .. }, true) if lends != 0 => {
                return Err(trap("cannot remove owned resource while borrowed"))
            }
            (Slot::Own { rep, .. }, true) => rep,
            (Slot::Borrow { rep, scope, .. }, false) => {
                if let Some(n) = self.scopes.get_mut(scope) {
                    *n = n.saturating_sub(1);
                }
                rep
            }
            (Slot::Own { .. }, false) => {
                return Err(trap(format!(
                    "handle index {i} is owned, expected a borrow"
                )))
            }
            _ => return Err(trap(format!("handle index {i} is a borrow, expected own"))),
        };
        self.handles[i as usize] = Slot::Free;
        self.free.push(i);
        Ok(rep)
    }
}

#[cold]
#[inline(never)]
fn other_store() -> Error {
    Error::usage("component instance of another store")
}

fn describe(ty: ResourceType) -> &'static str {
    if ty.is_guest() {
        "guest-defined resource"
    } else {
        "host-defined resource"
    }
}
