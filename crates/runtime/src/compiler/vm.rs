//! What compiled code reads at run time: the instance's `VMContext`, the
//! host functions it calls (libcalls), and the host's way in (`invoke`).
//!
//! Compiled code keeps the `VMContext` in `r15` and reaches everything of
//! its instance through it: memory 0's base and length, the globals, the
//! stack limit, and the libcalls (calls to imports, `call_indirect`,
//! `memory.grow`, `memory.fill`, `memory.copy`), whose pointers are
//! refreshed at every entry because they are monomorphized for the
//! store's `T`. After every libcall the host refreshes the memory and
//! globals fields, since host code may have grown a memory or added globals.
//!
//! A trap in compiled code calls its trap stub, which records the trap's
//! return address and frame pointer here and unwinds to the entry
//! trampoline (`entry_sp`); `invoke` then walks the `rbp` chain for the
//! backtrace.

use crate::prelude::*;
use alloc::rc::Rc;
use alloc::sync::Arc;
use core::mem::offset_of;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use super::CompiledModule;
use crate::error::{Error, FrameInfo, Trap};
use crate::func::{area_cells, cells_of, read_val_cells, write_val_cells, Caller};
use crate::interp::exec::{self, range, store_replaced};
use crate::interp::handlers;
use crate::store::{FuncEntity, Store, StoreInner};
use crate::tables;
use crate::trap::TrapCode;
use crate::values::Val;
use nanowasm_core::ValType;

/// How compiled code left: 0 returned; a trap code; or `Propagate`, an
/// error stored in the store (a host function's, a nested activation's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Code {
    Ok = 0,
    Unreachable,
    IntegerOverflow,
    IntegerDivisionByZero,
    BadConversionToInteger,
    MemoryOutOfBounds,
    StackOverflow,
    OutOfFuel,
    Interrupted,
    Propagate,
    NullReference,
    NullFunctionReference,
}

impl Code {
    /// Every code but `Ok`: the trap stubs.
    pub(crate) const TRAPS: [Code; 11] = [
        Code::Unreachable,
        Code::IntegerOverflow,
        Code::IntegerDivisionByZero,
        Code::BadConversionToInteger,
        Code::MemoryOutOfBounds,
        Code::StackOverflow,
        Code::OutOfFuel,
        Code::Interrupted,
        Code::Propagate,
        Code::NullReference,
        Code::NullFunctionReference,
    ];

    fn from_u32(v: u32) -> Option<Code> {
        Code::TRAPS.into_iter().find(|c| *c as u32 == v)
    }

    fn trap(self) -> Option<TrapCode> {
        Some(match self {
            Code::Unreachable => TrapCode::Unreachable,
            Code::IntegerOverflow => TrapCode::IntegerOverflow,
            Code::IntegerDivisionByZero => TrapCode::IntegerDivisionByZero,
            Code::BadConversionToInteger => TrapCode::BadConversionToInteger,
            Code::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
            Code::StackOverflow => TrapCode::StackOverflow,
            Code::OutOfFuel => TrapCode::OutOfFuel,
            Code::Interrupted => TrapCode::Interrupted,
            Code::NullReference => TrapCode::NullReference,
            Code::NullFunctionReference => TrapCode::NullFunctionReference,
            Code::Ok | Code::Propagate => return None,
        })
    }
}

/// The `table` of a [`call_indirect`] that is a `call_ref`: its `elem` is
/// then a function reference (store function + 1, or 0 for null).
pub(crate) const CALL_REF: u32 = u32::MAX;

type CallImportFn = unsafe extern "sysv64" fn(*mut VMContext, u32, *mut u64) -> u32;
type CallIndirectFn = unsafe extern "sysv64" fn(*mut VMContext, u32, u32, u32, *mut u64) -> u32;
type GrowFn = unsafe extern "sysv64" fn(*mut VMContext, u32) -> u32;
type BulkFn = unsafe extern "sysv64" fn(*mut VMContext, u32, u32, u32) -> u32;
type HostOpFn = unsafe extern "sysv64" fn(*mut VMContext, u32, u32, u32, *mut u64) -> u32;
type RecordTrapFn = unsafe extern "sysv64" fn(*mut VMContext, usize, usize);
type SimdOpFn = unsafe extern "sysv64" fn(u32, *mut u8);
type RefreshFn = unsafe extern "sysv64" fn(*mut VMContext);
/// The entry trampoline: `(vmctx, code, slots, slot count) -> Code`.
pub(crate) type EntryFn =
    unsafe extern "sysv64" fn(*mut VMContext, *const u8, *mut u64, usize) -> u32;

/// One instance's context for compiled code. The fields up to `globals`
/// are read by generated code at the offsets below.
#[repr(C)]
pub(crate) struct VMContext {
    store: *mut (),
    call_import: CallImportFn,
    call_indirect: CallIndirectFn,
    memory_grow: GrowFn,
    memory_fill: BulkFn,
    memory_copy: BulkFn,
    record_trap: RecordTrapFn,
    host_op: HostOpFn,
    simd_op: SimdOpFn,
    mem_base: *mut u8,
    mem_len: u64,
    stack_limit: usize,
    /// Calls the store's call-depth limit still allows: set by the host
    /// for an entry (the trampoline puts it where the first callee's
    /// prologue reads it), and written by compiled code before each call
    /// into the host, from its frame (each frame holds its own count, see
    /// `codegen`), so libcalls count the compiled frames below them.
    depth_left: u64,
    /// This thread's entry stack pointer (`signals::entry_sp_slot`): the
    /// innermost entry trampoline's frame, which a trap unwinds to.
    entry_sp: *mut usize,
    globals: *const *mut u128,
    /// The store's fuel (`StoreInner::fuel`), the engine's epoch and the
    /// store's epoch deadline.
    fuel: *mut u64,
    epoch: *const u64,
    epoch_deadline: *const u64,
    /// Table 0's elements and length (none: length 0).
    table0: *const u64,
    table0_len: u64,
    /// The store's function references (`StoreState::func_refs`).
    func_refs: *const FuncRef,
    instance: u32,
    /// Every memory of the instance, by index: its base and length
    /// (memory 0 is also `mem_base`/`mem_len`); compiled code reads the
    /// others through it. Empty when the instance has one memory or none.
    memories: *const MemSlot,
    /// Each imported function's direct-call target ([`ImportSlot`]), by
    /// import index: filled by `call_import` once the import turned out to
    /// be a compiled function of another instance of the store.
    imports: *const ImportSlot,
    /// This thread's active-module list (`signals::active_slot`), where a
    /// direct call into another instance pushes that instance's module.
    active: *const (),
    /// The store's layout generation (`StoreInner::resizes`), which a
    /// context must have seen (`resizes`) for compiled code to call into
    /// it directly.
    generation: *const u64,
    /// The instance's compiled module (kept alive by the `VmCell`).
    module: *const CompiledModule,
    /// Brings the context up to date with the store (after a direct call
    /// into another instance changed the store's layout).
    refresh: RefreshFn,
    // Not read by generated code.
    store_id: u64,
    /// The call-depth limit `depth_left` counts down from.
    max_depth: u64,
    /// The store indices of the instance's table 0 and memory 0, which
    /// never change.
    table0_index: Option<u32>,
    memory0_index: Option<u32>,
    /// `StoreInner::resizes` when memory 0 and table 0 were last read.
    resizes: u64,
    /// The store indices of the instance's memories when it has more than
    /// one, and `memories`' storage.
    memory_indices: Vec<u32>,
    mem_slots: Vec<MemSlot>,
    global_ptrs: Vec<*mut u128>,
    /// `StoreInner::globals`' buffer when `global_ptrs` was made.
    globals_base: usize,
    /// `imports`' storage.
    import_slots: Vec<ImportSlot>,
    /// Each imported function's host function index in the store
    /// (`Store::hosts`), `u32::MAX` for one that is not a host function:
    /// `call_import` goes from the import straight to the host function,
    /// without the chain instance → function → entity (three dependent
    /// loads that took a tenth of a call between nanoprocesses).
    import_hosts: Vec<u32>,
}

/// Where a direct call of an imported function goes: the code of a
/// compiled function of another instance, and that instance's context
/// (both null until `call_import` fills them).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct ImportSlot {
    code: *const u8,
    vmctx: *mut VMContext,
}
pub(crate) const IMPORT_SLOT_SIZE: i32 = size_of::<ImportSlot>() as i32;
pub(crate) const IMPORT_SLOT_VMCTX: i32 = offset_of!(ImportSlot, vmctx) as i32;

pub(crate) const CALL_IMPORT: i32 = offset_of!(VMContext, call_import) as i32;
pub(crate) const CALL_INDIRECT: i32 = offset_of!(VMContext, call_indirect) as i32;
pub(crate) const MEMORY_GROW: i32 = offset_of!(VMContext, memory_grow) as i32;
pub(crate) const MEMORY_FILL: i32 = offset_of!(VMContext, memory_fill) as i32;
pub(crate) const MEMORY_COPY: i32 = offset_of!(VMContext, memory_copy) as i32;
pub(crate) const RECORD_TRAP: i32 = offset_of!(VMContext, record_trap) as i32;
pub(crate) const HOST_OP: i32 = offset_of!(VMContext, host_op) as i32;
pub(crate) const SIMD_OP: i32 = offset_of!(VMContext, simd_op) as i32;
pub(crate) const MEM_BASE: i32 = offset_of!(VMContext, mem_base) as i32;
pub(crate) const MEM_LEN: i32 = offset_of!(VMContext, mem_len) as i32;
pub(crate) const STACK_LIMIT: i32 = offset_of!(VMContext, stack_limit) as i32;
pub(crate) const DEPTH_LEFT: i32 = offset_of!(VMContext, depth_left) as i32;
pub(crate) const ENTRY_SP: i32 = offset_of!(VMContext, entry_sp) as i32;
pub(crate) const FUEL: i32 = offset_of!(VMContext, fuel) as i32;
pub(crate) const EPOCH: i32 = offset_of!(VMContext, epoch) as i32;
pub(crate) const EPOCH_DEADLINE: i32 = offset_of!(VMContext, epoch_deadline) as i32;
pub(crate) const TABLE0: i32 = offset_of!(VMContext, table0) as i32;
pub(crate) const TABLE0_LEN: i32 = offset_of!(VMContext, table0_len) as i32;
pub(crate) const FUNC_REFS: i32 = offset_of!(VMContext, func_refs) as i32;
pub(crate) const INSTANCE: i32 = offset_of!(VMContext, instance) as i32;
pub(crate) const GLOBALS: i32 = offset_of!(VMContext, globals) as i32;
pub(crate) const MEMORIES: i32 = offset_of!(VMContext, memories) as i32;
pub(crate) const IMPORTS: i32 = offset_of!(VMContext, imports) as i32;
pub(crate) const ACTIVE: i32 = offset_of!(VMContext, active) as i32;
pub(crate) const GENERATION: i32 = offset_of!(VMContext, generation) as i32;
pub(crate) const MODULE: i32 = offset_of!(VMContext, module) as i32;
pub(crate) const REFRESH: i32 = offset_of!(VMContext, refresh) as i32;
pub(crate) const RESIZES: i32 = offset_of!(VMContext, resizes) as i32;
pub(crate) const MAX_DEPTH: i32 = offset_of!(VMContext, max_depth) as i32;
/// A memory's base and length in [`VMContext::memories`].
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct MemSlot {
    base: *mut u8,
    len: u64,
}
pub(crate) const MEM_SLOT_SIZE: i32 = size_of::<MemSlot>() as i32;
pub(crate) const MEM_SLOT_LEN: i32 = offset_of!(MemSlot, len) as i32;

/// What compiled code's `call_indirect` needs of a store function: its
/// type, and for a compiled wasm function its instance and code (a host
/// function, or one the interpreter runs, has instance `u32::MAX`).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct FuncRef {
    type_id: u32,
    instance: u32,
    code: *const u8,
}

/// A context, written by compiled code and the host in turn.
pub(crate) struct VmCell {
    ctx: core::cell::UnsafeCell<VMContext>,
    /// The instance's code: an entry holds the cell (an `Rc`, not an
    /// atomic count per call), and through it the code, which stays mapped
    /// even if a host function replaces the whole store meanwhile.
    module: Arc<CompiledModule>,
}

/// The compiler's state in a store.
#[derive(Default)]
pub(crate) struct StoreState {
    /// Each instance's context, made on its first compiled call. Compiled
    /// code holds its address, and each running entry a reference: a host
    /// function that replaces the whole store does not free a context
    /// that compiled code still uses.
    vmctxs: Vec<Option<Rc<VmCell>>>,
    /// The error a libcall failed with, for the entry to return.
    error: Option<Error>,
    /// A host function's panic, resumed once compiled frames are left.
    panic: Option<Box<dyn core::any::Any + Send>>,
    /// Every store function's [`FuncRef`], by store index; rebuilt when
    /// functions were added.
    func_refs: Vec<FuncRef>,
    /// The wasm frames of the last trap, `(instance, function, wasm
    /// offset)` innermost first, walked before the trap unwound them.
    trap_frames: Vec<(u32, u32, u32)>,
    /// The store's address at its last entry (see `invoke_cells`).
    store_addr: usize,
    /// [`signals::thread_token`](super::signals::thread_token) of the thread
    /// its outermost compiled activation runs on, 0 when none runs. While
    /// some does, frames waiting in a host function use the contexts,
    /// whose pointers into the store and per-thread fields an entry from
    /// elsewhere would rewrite under them: an entry at another address is
    /// refused, and one from another thread is `foreign` (see
    /// `invoke_cells`).
    running_on: u64,
    /// Entries running on another thread than `running_on` (see
    /// `invoke_cells`): while there are any, no context is current.
    foreign: u32,
    /// The error a libcall failed with is a trap of wasm the caller called
    /// (through `call_import`): the caller's frames extend its backtrace.
    caller_frames: bool,
}

impl Drop for StoreState {
    /// A store dropped while its compiled code runs (a host function
    /// replaced the whole store, which the API allows and the entry then
    /// reports as an error; it may even drop the old store on another
    /// thread): that code, below the host function, still returns into its
    /// contexts (the libcall's epilogue writes them, the trap exit reads
    /// them) and into its modules' code. An entry from the host holds its
    /// own context, but an instance called directly from another
    /// instance's code does not: the contexts, with the code they keep
    /// mapped, are parked until the outermost activation of the thread
    /// that code runs on ends.
    fn drop(&mut self) {
        if self.running_on == 0 || self.vmctxs.is_empty() {
            return;
        }
        let cells = core::mem::take(&mut self.vmctxs)
            .into_iter()
            .flatten()
            .collect();
        PARKED
            .lock()
            .push((self.running_on, ParkedCells { _cells: cells }));
        PARKED_ANY.store(true, core::sync::atomic::Ordering::Release);
    }
}

/// Contexts parked for the thread their code runs on (see `StoreState`'s
/// `Drop`).
struct ParkedCells {
    /// Held only to be dropped on the right thread.
    _cells: Vec<Rc<VmCell>>,
}

// SAFETY: the store that owned these `Rc`s is gone; the other clones of
// them belong to entries on the thread whose token they are parked under,
// and only that thread takes them out again (in `free_parked_contexts`,
// after its outermost activation ended, with the lock ordering the hand-
// over), so their counts are never touched by two threads at once.
unsafe impl Send for ParkedCells {}

/// Parked contexts, by [`signals::thread_token`](super::signals::thread_token)
/// of the thread that frees them.
static PARKED: spin::Mutex<Vec<(u64, ParkedCells)>> = spin::Mutex::new(Vec::new());
static PARKED_ANY: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Ends a [`invoke_cells`] entry from another thread (see there): the
/// contexts become current again at their next refresh.
#[inline]
fn leave_foreign(inner: &mut StoreInner, foreign: bool) {
    if foreign {
        inner.compiled.foreign -= 1;
        inner.resizes += 1;
    }
}

/// The error for entering a store at another address while its compiled
/// code runs (a host function moved it out, with `mem::replace` or
/// `swap`, and called into it there): the contexts of the waiting frames
/// point into the store where it was.
#[cold]
#[inline(never)]
fn moved_while_running() -> Error {
    Error::usage(
        "cannot call into the store here: its compiled code is running (waiting in a host \
         function) with the store at another address; a host function moved the store out \
         and called into it",
    )
}

/// Frees the contexts parked for this thread, once no compiled code runs
/// on it.
#[inline]
pub(crate) fn free_parked_contexts() {
    if PARKED_ANY.load(core::sync::atomic::Ordering::Relaxed) {
        free_parked_contexts_slow();
    }
}

#[cold]
#[inline(never)]
fn free_parked_contexts_slow() {
    let me = super::signals::thread_token();
    // Taken out under the lock, dropped after it: dropping a context drops
    // its module, whose code memory is unmapped.
    let mine: Vec<(u64, ParkedCells)> = {
        let mut parked = PARKED.lock();
        let (mine, others) = core::mem::take(&mut *parked)
            .into_iter()
            .partition(|(t, _)| *t == me);
        *parked = others;
        PARKED_ANY.store(!parked.is_empty(), core::sync::atomic::Ordering::Relaxed);
        mine
    };
    drop(mine);
}

// SAFETY: the raw pointers in the contexts and function references point
// into this store or its modules' code (its
// memories, globals, the store itself) and are only dereferenced by code
// running in a call that borrows the store mutably; they are refreshed at
// every entry. The `Rc`s are cloned only for the duration of such a call,
// so between calls each has one owner, and moving the store to another
// thread moves them all.
unsafe impl Send for StoreState {}
// SAFETY: shared access never reads through the pointers.
unsafe impl Sync for StoreState {}

/// Refreshes what may have changed since the context was last used:
/// memory 0's base and length, and the global pointers if the store's
/// globals moved.
#[inline(always)]
fn refresh(vm: &mut VMContext, inner: &mut StoreInner) {
    if inner.compiled.func_refs.len() != inner.funcs.len() {
        let refs = inner
            .funcs
            .iter()
            .map(|f| match *f {
                FuncEntity::Wasm {
                    instance,
                    index,
                    type_id,
                } => match inner
                    .instances
                    .get(instance as usize)
                    .and_then(|i| i.module.compiled_code())
                {
                    Some(code) => FuncRef {
                        type_id,
                        instance,
                        code: code.func_code(index),
                    },
                    None => FuncRef {
                        type_id,
                        instance: u32::MAX,
                        code: core::ptr::null(),
                    },
                },
                FuncEntity::Host { type_id, .. } => FuncRef {
                    type_id,
                    instance: u32::MAX,
                    code: core::ptr::null(),
                },
            })
            .collect();
        inner.compiled.func_refs = refs;
    }
    vm.func_refs = inner.compiled.func_refs.as_ptr();
    vm.fuel = &mut inner.fuel;
    vm.epoch = inner.engine.epoch_ptr();
    vm.epoch_deadline = &inner.epoch_deadline;
    // (While an entry from another thread runs, never current: see
    // `invoke_cells`.)
    vm.resizes = if inner.compiled.foreign > 0 {
        u64::MAX
    } else {
        inner.resizes
    };
    vm.generation = &inner.resizes;
    match vm.table0_index {
        Some(t) => {
            let el = &inner.tables[t as usize].elements;
            vm.table0 = el.as_ptr();
            vm.table0_len = el.len() as u64;
        }
        None => {
            vm.table0 = core::ptr::null();
            vm.table0_len = 0;
        }
    }
    match vm.memory0_index {
        Some(m) => {
            let data: &mut [u8] = &mut inner.memories[m as usize].data;
            vm.mem_base = data.as_mut_ptr();
            vm.mem_len = data.len() as u64;
        }
        None => {
            vm.mem_base = core::ptr::NonNull::dangling().as_ptr();
            vm.mem_len = 0;
        }
    }
    if !vm.memory_indices.is_empty() {
        refresh_memories(vm, inner);
    }
    let base = inner.globals.as_mut_ptr();
    if base as usize != vm.globals_base {
        let inst = &inner.instances[vm.instance as usize];
        vm.global_ptrs = inst
            .globals
            .iter()
            // SAFETY: instance globals are indices into `inner.globals`.
            .map(|&g| unsafe { core::ptr::addr_of_mut!((*base.add(g as usize)).value) })
            .collect();
        vm.globals = vm.global_ptrs.as_ptr();
        vm.globals_base = base as usize;
    }
}

/// Whether nothing `refresh` fills in has changed since it last ran for
/// `vm`: everything it reads is counted by the store's layout generation
/// (memory and table resizes, functions and globals added, the store
/// moving to a new address: `StoreInner::resizes`), and the globals'
/// base and the function table are compared as well. A new context is
/// never current (its generation starts at `u64::MAX`).
#[inline(always)]
fn is_current(vm: &VMContext, inner: &StoreInner) -> bool {
    vm.resizes == inner.resizes
        && vm.globals_base == inner.globals.as_ptr() as usize
        && inner.compiled.func_refs.len() == inner.funcs.len()
}

/// Refreshes the bases and lengths of an instance with several memories.
#[cold]
#[inline(never)]
fn refresh_memories(vm: &mut VMContext, inner: &mut StoreInner) {
    vm.mem_slots.clear();
    for &m in &vm.memory_indices {
        let data: &mut [u8] = &mut inner.memories[m as usize].data;
        vm.mem_slots.push(MemSlot {
            base: data.as_mut_ptr(),
            len: data.len() as u64,
        });
    }
    vm.memories = vm.mem_slots.as_ptr();
}

/// Makes `instance`'s context, on its first compiled call: it keeps the
/// instance's code (a clone of the module's, once).
#[cold]
#[inline(never)]
fn new_context<T>(inner: &mut StoreInner, instance: u32) -> Result<Rc<VmCell>, Error> {
    let i = instance as usize;
    let inst = &inner.instances[i];
    let module = inst
        .module
        .compiled_code()
        .cloned()
        .ok_or_else(|| Error::bug("no compiled code for a compiled call"))?;
    // Unchecked accesses, and code that never reloads memory 0's base
    // after a call, need memory 0 to be a guard-region reservation.
    // The engine makes every memory so when its code relies on them; this
    // is the last line against running such code on a plain mapping. An
    // instance's memories never change, so its first call checks.
    if module.guard
        && !inst
            .memories
            .first()
            .is_none_or(|&m| inner.memories[m as usize].data.is_reserved())
    {
        return Err(Error::bug(
            "compiled code relies on guard regions that its memory does not have",
        ));
    }
    let import_hosts = inst
        .funcs
        .iter()
        .take(module.num_imported as usize)
        .map(|&f| match inner.funcs.get(f as usize) {
            Some(FuncEntity::Host { host, .. }) => *host,
            _ => u32::MAX,
        })
        .collect();
    let import_slots = vec![
        ImportSlot {
            code: core::ptr::null(),
            vmctx: core::ptr::null_mut(),
        };
        module.num_imported as usize
    ];
    let module_ptr = Arc::as_ptr(&module);
    let cell = Rc::new(VmCell {
        module,
        ctx: core::cell::UnsafeCell::new(VMContext {
            store: core::ptr::null_mut(),
            call_import: call_import::<T>,
            call_indirect: call_indirect::<T>,
            memory_grow,
            memory_fill,
            memory_copy,
            record_trap,
            host_op,
            simd_op,
            mem_base: core::ptr::null_mut(),
            mem_len: 0,
            stack_limit: 0,
            depth_left: 0,
            entry_sp: core::ptr::null_mut(),
            globals: core::ptr::null(),
            fuel: core::ptr::null_mut(),
            epoch: core::ptr::null(),
            epoch_deadline: core::ptr::null(),
            table0: core::ptr::null(),
            table0_len: 0,
            func_refs: core::ptr::null(),
            instance,
            store_id: inner.id,
            max_depth: 0,
            table0_index: inst.tables.first().copied(),
            memory0_index: inst.memories.first().copied(),
            // Stale until `refresh` first fills it in (the check in
            // `invoke_cells` compares generations).
            resizes: u64::MAX,
            memories: core::ptr::null(),
            memory_indices: if inst.memories.len() > 1 {
                inst.memories.clone()
            } else {
                Vec::new()
            },
            mem_slots: Vec::new(),
            global_ptrs: Vec::new(),
            globals_base: 0,
            imports: import_slots.as_ptr(),
            import_slots,
            import_hosts,
            active: core::ptr::null(),
            generation: core::ptr::null(),
            module: module_ptr,
            refresh: refresh_libcall,
        }),
    });
    let state = &mut inner.compiled;
    if state.vmctxs.len() <= i {
        state.vmctxs.resize_with(i + 1, || None);
    }
    state.vmctxs[i] = Some(cell.clone());
    Ok(cell)
}

/// Store function `func` as `(instance, index)` if it is a wasm function
/// whose module is compiled: the calls that compiled code can take.
pub(crate) fn compiled_target(inner: &StoreInner, func: u32) -> Option<(u32, u32)> {
    match inner.funcs[func as usize] {
        FuncEntity::Wasm {
            instance, index, ..
        } if inner.instances[instance as usize]
            .module
            .compiled_code()
            .is_some() =>
        {
            Some((instance, index))
        }
        _ => None,
    }
}

/// Calls function `index` of `instance` (whose module is compiled) with
/// `params`, writing `results`.
pub(crate) fn invoke<T>(
    store: &mut Store<T>,
    instance: u32,
    index: u32,
    params: &[Val],
    results: &mut [Val],
) -> Result<(), Error> {
    // The function type is borrowed, not cloned: a clone is an atomic
    // reference count increment and decrement.
    let n = store.inner.instances[instance as usize]
        .module
        .binary()
        .func_type(index)
        .map_or(0, area_cells);
    let (mut buf, mut heap) = ([0u64; 16], Vec::new());
    let slots = crate::values::scratch(&mut buf, &mut heap, n);
    write_val_cells(slots, params);
    invoke_cells(store, instance, index, slots)?;
    let inner = &store.inner;
    // The engine's view of the type (concrete types as registry ids).
    let func = inner.instances[instance as usize].funcs[index as usize];
    read_val_cells(Some(inner), slots, inner.func_type(func).results(), results);
    Ok(())
}

/// [`invoke`] with the parameters in `slots`, in cells (two for a `v128`),
/// overwritten by the results: `slots` has room for both.
pub(crate) fn invoke_cells<T>(
    store: &mut Store<T>,
    instance: u32,
    index: u32,
    slots: &mut [u64],
) -> Result<(), Error> {
    let store_ptr: *mut Store<T> = store;
    let inner = &mut store.inner;
    let i = instance as usize;
    let saved_depth = inner.depth;
    if saved_depth + 1 > inner.max_call_depth() {
        return Err(TrapCode::StackOverflow.into());
    }
    let me = super::signals::thread_token();
    let active = inner.compiled_active > 0;
    if active && inner.compiled.store_addr != store_ptr as usize {
        return Err(moved_while_running());
    }
    // Entered on another thread while compiled code waits in a host
    // function on the first (the host handed the store over): the
    // contexts' per-thread fields belong to the first thread's frames, and
    // a direct call copies its caller's into its callee's context without
    // saving them. Until this entry returns, no context is current, so
    // every call between instances takes the host path, whose entries
    // save and restore those fields.
    let foreign = active && inner.compiled.running_on != me;
    if foreign {
        inner.compiled.foreign += 1;
        inner.resizes += 1;
    }
    let (saved_entry, limit) = match crate::stack::enter_compiled(inner) {
        Ok(entered) => entered,
        Err(e) => {
            leave_foreign(inner, foreign);
            return Err(e);
        }
    };
    let max_depth = inner.max_call_depth() as u64;
    let cell = match inner.compiled.vmctxs.get(i) {
        Some(Some(cell)) => cell.clone(),
        _ => match new_context::<T>(inner, instance) {
            Ok(cell) => cell,
            Err(e) => {
                inner.stack_entry = saved_entry;
                leave_foreign(inner, foreign);
                return Err(e);
            }
        },
    };
    let saved_active = inner.compiled_active;
    if saved_active == 0 && inner.gc.over_threshold() {
        // No collection runs while compiled frames are live: garbage made
        // under them is collected at the next outermost entry, where every
        // reference is on the interpreter's stack, rooted by the host, or
        // among the arguments (which may come from a handle whose scope
        // ended: they are roots here).
        let top = inner.interp.top;
        crate::gc::collect_with(inner, top, slots);
    }
    inner.depth = saved_depth + 1;
    inner.compiled_active = saved_active + 1;
    if saved_active == 0 {
        inner.compiled.running_on = me;
    }
    let vm: *mut VMContext = cell.ctx.get();
    // SAFETY: `cell` keeps the context alive; no compiled code of this
    // instance runs while the host writes it (an outer activation of the
    // same instance is waiting in a libcall, and gets its depth back below).
    let vmr = unsafe { &mut *vm };
    let saved_depth_left = (vmr.depth_left, vmr.max_depth);
    // (An outer activation of this instance, on another thread, gets its
    // own stack limit and activation list back.)
    let saved_activation = (vmr.stack_limit, vmr.active, vmr.entry_sp);
    if inner.compiled.store_addr != store_ptr as usize {
        // The store moved since it last ran: every context's pointers into
        // it are stale, so no direct call may trust one before it is
        // refreshed (the generation changes).
        inner.compiled.store_addr = store_ptr as usize;
        inner.resizes += 1;
    }
    vmr.store = store_ptr.cast();
    vmr.active = super::signals::active_slot();
    vmr.entry_sp = super::signals::entry_sp_slot();
    vmr.stack_limit = limit;
    vmr.max_depth = max_depth;
    vmr.depth_left = max_depth.saturating_sub(saved_depth as u64);
    if !is_current(vmr, inner) {
        refresh(vmr, inner);
    }
    let n = slots.len();
    let module: &CompiledModule = &cell.module;
    let code = module.func_code(index);
    // SAFETY: `entry` is the module's entry trampoline and `code` one of
    // its functions, whose parameters and results fit in `slots`; `vm` is
    // this instance's live context, refreshed above.
    let status = super::signals::with_activation(module, || unsafe {
        (module.entry())(vm, code, slots.as_mut_ptr(), n)
    });
    // SAFETY: as above; the entry returned.
    unsafe {
        ((*vm).depth_left, (*vm).max_depth) = saved_depth_left;
        ((*vm).stack_limit, (*vm).active, (*vm).entry_sp) = saved_activation;
    }
    drop(cell);
    let inner = &mut store.inner;
    inner.depth = saved_depth;
    // Restored, not decremented: a host function may have replaced the
    // whole store meanwhile.
    inner.compiled_active = saved_active;
    if saved_active == 0 {
        inner.compiled.running_on = 0;
    }
    leave_foreign(inner, foreign);
    inner.stack_entry = saved_entry;
    if status == Code::Ok as u32 {
        return Ok(());
    }
    if let Some(p) = inner.compiled.panic.take() {
        resume_unwind(p);
    }
    let frames = core::mem::take(&mut inner.compiled.trap_frames);
    let code = Code::from_u32(status).unwrap_or(Code::Propagate);
    if code == Code::OutOfFuel {
        // The charge that failed wrapped the counter: nothing is left.
        inner.fuel = 0;
    }
    let error = match code.trap() {
        Some(t) => {
            let backtrace = backtrace(inner, &frames);
            exec::log_trap(t, &backtrace, "wasm trapped");
            Error::from(Trap { code: t, backtrace })
        }
        None => {
            let mut e = inner
                .compiled
                .error
                .take()
                .unwrap_or_else(|| Error::bug("compiled code failed without an error"));
            if core::mem::take(&mut inner.compiled.caller_frames) {
                let outer = backtrace(inner, &frames);
                if let Some(t) = e.as_trap_mut().filter(|t| !t.backtrace.is_empty()) {
                    t.backtrace.extend(outer);
                }
            }
            match e.trap_without_backtrace() {
                Some(t) => {
                    let backtrace = backtrace(inner, &frames);
                    exec::log_trap(t, &backtrace, "a host function trapped");
                    Error::from(Trap { code: t, backtrace })
                }
                None => e,
            }
        }
    };
    Err(error)
}

/// The backtrace of `frames` (as `record_trap` found them, each with its
/// instance).
fn backtrace(inner: &StoreInner, frames: &[(u32, u32, u32)]) -> Vec<FrameInfo> {
    frames
        .iter()
        .filter_map(|&(instance, func, offset)| {
            let names = &inner
                .instances
                .get(instance as usize)?
                .module
                .binary()
                .names;
            Some(FrameInfo {
                func_index: func,
                func_name: names.function(func).map(str::to_owned),
                offset: offset as usize,
                module_name: names.module.clone(),
            })
        })
        .collect()
}

/// Called by the trap stub before it unwinds: walks the `rbp` chain from
/// the trap site's return address `pc` in frame `fp` up to the entry
/// trampoline and keeps the frames in the store.
///
/// # Safety
/// `vm` is the running context; `pc` and `fp` are the trapping frame's,
/// and every frame up to the entry is a compiled frame of the context's
/// module, still on the stack.
unsafe extern "sysv64" fn record_trap(vm: *mut VMContext, mut pc: usize, mut fp: usize) {
    // SAFETY: the caller's guarantee; `inner` comes first in `Store<T>`.
    let (inner, instance, id) = unsafe {
        (
            &mut *(*vm).store.cast::<StoreInner>(),
            (*vm).instance,
            (*vm).store_id,
        )
    };
    let mut frames = core::mem::take(&mut inner.compiled.trap_frames);
    frames.clear();
    // (A host function may have replaced the store: then there is nothing
    // of these frames in it.)
    if inner.id == id {
        // The frames up to the entry are this instance's and, below direct
        // calls between instances, other instances' of the store: each
        // return address is looked up in the module of the frame above it
        // first, then in every compiled instance's.
        let mut at = instance;
        loop {
            let code = |i: u32| {
                inner
                    .instances
                    .get(i as usize)
                    .and_then(|inst| inst.module.compiled_code())
            };
            let found = code(at)
                .and_then(|m| m.lookup(pc))
                .map(|f| (at, f))
                .or_else(|| {
                    (0..inner.instances.len() as u32)
                        .find_map(|i| code(i).and_then(|m| m.lookup(pc)).map(|f| (i, f)))
                });
            let Some((i, (func, offset))) = found else {
                break;
            };
            at = i;
            frames.push((i, func, offset));
            if fp == 0 {
                break;
            }
            // SAFETY: `fp` is a compiled frame's `rbp`, which holds the
            // caller's `rbp` at `[rbp]` and the return address at
            // `[rbp + 8]`; the frames are live (the stub has not unwound).
            unsafe {
                pc = *(fp as *const usize).add(1);
                fp = *(fp as *const usize);
            }
        }
    }
    inner.compiled.trap_frames = frames;
}

/// The `refresh` of a context: compiled code calls it after a direct call
/// into another instance returned and the store's layout generation
/// changed meanwhile (a memory or table grew, globals or functions were
/// added), as a libcall's return refreshes its caller's context.
///
/// # Safety
/// `vm` is the running context, whose `store` is the running store.
unsafe extern "sysv64" fn refresh_libcall(vm: *mut VMContext) {
    // SAFETY: the caller's guarantee; `inner` comes first in `Store<T>`.
    let (vm, inner) = unsafe { (&mut *vm, &mut *(*vm).store.cast::<StoreInner>()) };
    if inner.id == vm.store_id {
        refresh(vm, inner);
    }
}

/// Runs `f` for a libcall of the context `vm`, with the store: the
/// result or error becomes the status compiled code checks; a panic is
/// kept for `invoke` to resume.
///
/// # Safety
/// `vm` is a live context whose `store` is the running `Store<T>`.
unsafe fn libcall<T>(
    vm: *mut VMContext,
    f: impl FnOnce(&mut Store<T>, u32) -> Result<u32, Error>,
) -> u32 {
    // SAFETY: the caller's guarantee: compiled code passes its own context,
    // and the store it names is borrowed by the running `invoke`.
    let (store, instance) = unsafe { (&mut *(*vm).store.cast::<Store<T>>(), (*vm).instance) };
    // SAFETY: as above.
    let saved = start_libcall(unsafe { &*vm }, &mut store.inner);
    // The error is kept here, so the unwind guard's result is a plain
    // `u32`: a `Result<u32, Error>` came back through memory as two
    // 32-bit stores and one 64-bit load, which store forwarding cannot
    // serve (half a wasm→host call's time went to that stall).
    let r = catch_unwind(AssertUnwindSafe(|| match f(&mut *store, instance) {
        Ok(v) => v,
        Err(e) => fail(&mut store.inner, e),
    }));
    // SAFETY: as above; the context is a separate allocation.
    finish_libcall(unsafe { &mut *vm }, &mut store.inner, r, saved)
}

/// [`libcall`] for the libcalls that only need the store's `StoreInner`
/// (the store's type does not matter: `inner` comes first in every
/// `Store<T>`).
///
/// # Safety
/// As for [`libcall`].
unsafe fn libcall_inner(
    vm: *mut VMContext,
    f: impl FnOnce(&mut StoreInner, u32) -> Result<u32, Error>,
) -> u32 {
    // SAFETY: the caller's guarantee; `Store<T>` is `repr(C)` with `inner`
    // first.
    let (inner, instance) = unsafe { (&mut *(*vm).store.cast::<StoreInner>(), (*vm).instance) };
    // SAFETY: as above.
    let saved = start_libcall(unsafe { &*vm }, inner);
    let r = catch_unwind(AssertUnwindSafe(|| match f(&mut *inner, instance) {
        Ok(v) => v,
        Err(e) => fail(inner, e),
    }));
    // SAFETY: as above.
    finish_libcall(unsafe { &mut *vm }, inner, r, saved)
}

/// Keeps a libcall's error for the entry to return; the failure status.
#[cold]
#[inline(never)]
fn fail(inner: &mut StoreInner, e: Error) -> u32 {
    inner.compiled.error = Some(e);
    u32::MAX
}

/// Makes the store's call depth count the compiled frames below the
/// libcall; returns the depth to restore.
fn start_libcall(vm: &VMContext, inner: &mut StoreInner) -> Saved {
    let saved = Saved {
        depth: inner.depth,
        stack_limit: vm.stack_limit,
        active: vm.active,
        entry_sp: vm.entry_sp,
    };
    inner.depth = vm.max_depth.saturating_sub(vm.depth_left) as usize;
    saved
}

/// What a libcall restores when it returns: the store's call depth, and
/// the context's activation fields, which a nested activation (entered on
/// another thread, or calling this instance directly) may have set to its
/// own.
#[derive(Clone, Copy)]
struct Saved {
    depth: usize,
    stack_limit: usize,
    active: *const (),
    entry_sp: *mut usize,
}

#[inline(always)]
fn finish_libcall(
    vm: &mut VMContext,
    inner: &mut StoreInner,
    r: std::thread::Result<u32>,
    saved: Saved,
) -> u32 {
    vm.stack_limit = saved.stack_limit;
    vm.active = saved.active;
    vm.entry_sp = saved.entry_sp;
    // A host function may have replaced the whole store: nothing of this
    // context is in the new one (the error says so).
    if inner.id == vm.store_id {
        inner.depth = saved.depth;
        // The store did not move (the call borrowed it): what the context
        // points into changed only if a memory or table was resized,
        // globals or functions were added.
        if !is_current(vm, inner) {
            refresh(vm, inner);
        }
    }
    match r {
        Ok(v) => v,
        Err(p) => {
            inner.compiled.panic = Some(p);
            u32::MAX
        }
    }
}

/// Runs host function call `f` for `instance` with the store's call depth
/// counting it; an error if the host replaced the whole store meanwhile.
#[inline(always)]
fn in_host<T, R>(
    store: &mut Store<T>,
    instance: u32,
    f: impl FnOnce(Caller<'_, T>) -> R,
) -> Result<R, Error> {
    let id = store.inner.id;
    store.inner.depth += 1;
    let r = f(Caller {
        store: &mut *store,
        instance,
    });
    if store.inner.id != id {
        return Err(store_replaced());
    }
    store.inner.depth -= 1;
    Ok(r)
}

/// Calls host function `host` (an index in `Store::hosts`) for instance
/// `instance` on the cells at `args` in place, if it is a typed host
/// function (`None` if it takes `Val`s).
///
/// # Safety
/// `args` holds the function's parameters and has room for its results
/// (linking checked that the import's type is the function's).
#[inline(always)]
unsafe fn call_host_on_cells<T>(
    store: &mut Store<T>,
    instance: u32,
    host: u32,
    args: *mut u64,
) -> Option<Result<u32, Error>> {
    let f = store.hosts.get(host);
    let (n, raw) = f.raw.as_ref()?;
    // SAFETY: the caller's guarantee; `n` is the function's cells.
    let slots = unsafe { core::slice::from_raw_parts_mut(args, *n) };
    Some(in_host(store, instance, |caller| raw(caller, slots)).and_then(|r| r.map(|()| 0)))
}

/// Calls store function `func` for instance `instance` with the arguments
/// in `args`, writing the results there.
///
/// # Safety
/// `args` holds the function's parameters and has room for its results.
#[inline(always)]
unsafe fn call_store_func<T>(
    store: &mut Store<T>,
    instance: u32,
    func: u32,
    args: *mut u64,
) -> Result<u32, Error> {
    if let FuncEntity::Host { host, .. } = store.inner.funcs[func as usize] {
        // SAFETY: the caller's guarantee.
        if let Some(r) = unsafe { call_host_on_cells(store, instance, host, args) } {
            return r;
        }
    }
    // A compiled function of another instance takes the cells as they are
    // (no `Val`s), when no GC reference is among them (those are rooted
    // on the way, below).
    if let Some((target, index)) = compiled_target(&store.inner, func) {
        let ty = store.inner.func_type(func);
        if !crate::func::has_refs(ty) {
            let n = area_cells(ty);
            // SAFETY: the caller's guarantee: `args` has room for the
            // parameters and the results, `n` cells.
            let slots = unsafe { core::slice::from_raw_parts_mut(args, n) };
            let r = invoke_cells(store, target, index, slots);
            if r.as_ref().is_err_and(|e| e.as_trap().is_some()) {
                // The caller's frames join the trap's backtrace when it
                // reaches the caller's entry (as one interpreted call
                // stack would have them).
                store.inner.compiled.caller_frames = true;
            }
            return r.map(|()| 0);
        }
    }
    // SAFETY: the caller's guarantee.
    unsafe { call_store_func_vals(store, instance, func, args) }
}

/// [`call_store_func`] through values: wasm functions, and host functions
/// on values.
///
/// # Safety
/// As for [`call_store_func`].
#[inline(never)]
unsafe fn call_store_func_vals<T>(
    store: &mut Store<T>,
    instance: u32,
    func: u32,
    args: *mut u64,
) -> Result<u32, Error> {
    // The types are copied out (a host function gets the store mutably):
    // onto the stack when there are few, which avoids the atomic reference
    // count of cloning the function type.
    let mut tbuf = [ValType::I32; 16];
    let heap: Vec<ValType>;
    let (types, np) = {
        let ty = store.inner.func_type(func);
        let (p, r) = (ty.params(), ty.results());
        let all = p.len() + r.len();
        let types: &[ValType] = if all <= tbuf.len() {
            tbuf[..p.len()].copy_from_slice(p);
            tbuf[p.len()..all].copy_from_slice(r);
            &tbuf[..all]
        } else {
            heap = p.iter().chain(r).copied().collect();
            &heap
        };
        (types, p.len())
    };
    let (ptypes, rtypes) = types.split_at(np);
    let n = cells_of(ptypes).max(cells_of(rtypes));
    // SAFETY: the caller's guarantee.
    let slots = unsafe { core::slice::from_raw_parts_mut(args, n) };
    // Up to 8 parameters and results on the stack: no allocation per call.
    let (np, nr) = (ptypes.len(), rtypes.len());
    let (mut pbuf, mut rbuf) = ([Val::I32(0); 8], [Val::I32(0); 8]);
    let (mut pheap, mut rheap) = (Vec::new(), Vec::new());
    // The objects that cross here as values are rooted only for the call
    // (as wasmtime roots a host call's arguments): no collection runs
    // while this compiled frame is live, and a host that keeps a handle
    // beyond the call has it refused once its object is collected.
    let mark = store.inner.gc.begin_scope();
    let params = crate::values::scratch(&mut pbuf, &mut pheap, np);
    read_val_cells(Some(&store.inner), slots, ptypes, params);
    let params: &[Val] = params;
    let results = crate::values::scratch(&mut rbuf, &mut rheap, nr);
    for (r, &t) in results.iter_mut().zip(rtypes) {
        *r = Val::default_for(t);
    }
    let r = match store.inner.funcs[func as usize] {
        FuncEntity::Wasm { .. } => exec::invoke(store, func, params, results),
        FuncEntity::Host { host, .. } => {
            let f = store.hosts.get(host);
            in_host(store, instance, |caller| (f.call)(caller, params, results)).and_then(|r| {
                r?;
                for (v, &t) in results.iter().zip(rtypes) {
                    exec::check_host_result(&store.inner, v, t)?;
                }
                Ok(())
            })
        }
    };
    store.inner.gc.end_scope(mark);
    r?;
    write_val_cells(slots, results);
    Ok(0)
}

/// A SIMD instruction that compiled code does not inline: `op` (an index
/// in `Opcode::ALL`) on the operands in `args` (16 bytes each, scalars in
/// the low bytes), its result written over the first. The semantics are
/// the interpreter's (`interp::simd`); they cannot fail.
unsafe extern "sysv64" fn simd_op(op: u32, args: *mut u8) {
    use crate::interp::simd::{self as sem, SimdClass};
    let Some(&op) = nanowasm_core::Opcode::ALL.get(op as usize) else {
        return;
    };
    // SAFETY: compiled code passes its outgoing area, which holds 16 bytes
    // for each of the instruction's operands.
    let arg = |i: usize| unsafe { args.add(16 * i).cast::<u128>().read_unaligned() };
    let out = match sem::class(op) {
        Some(SimdClass::Unary) => sem::unary(op, arg(0)),
        Some(SimdClass::Binary) => sem::binary(op, arg(0), arg(1)),
        Some(SimdClass::Ternary) => sem::ternary(op, arg(0), arg(1), arg(2)),
        Some(SimdClass::Test) => u128::from(sem::test(op, arg(0))),
        Some(SimdClass::Shift) => sem::shift(op, arg(0), arg(1) as u32),
        Some(SimdClass::Splat) => sem::splat(op, arg(0) as u64),
        _ => return,
    };
    // SAFETY: as above.
    unsafe { args.cast::<u128>().write_unaligned(out) };
}

unsafe extern "sysv64" fn call_import<T>(vm: *mut VMContext, func: u32, args: *mut u64) -> u32 {
    // SAFETY: compiled code passes its context and an argument area that
    // fits the import's parameters and results.
    unsafe {
        // (The context is a separate allocation; its import table is
        // written only when the context is made.)
        let hosts: &[u32] = &(*vm).import_hosts;
        let host = hosts.get(func as usize).copied();
        libcall::<T>(vm, |store, instance| {
            if let Some(host) = host.filter(|&h| h != u32::MAX) {
                if let Some(r) = call_host_on_cells(store, instance, host, args) {
                    return r;
                }
            }
            let f = store.inner.instances[instance as usize].funcs[func as usize];
            let r = call_store_func(store, instance, f, args)?;
            // Compiled code calls a compiled function of another instance
            // directly from now on (its context exists after the call).
            if let Some((target, index)) = compiled_target(&store.inner, f) {
                let inner = &store.inner;
                if !crate::func::has_refs(inner.func_type(f)) {
                    if let Some(Some(cell)) = inner.compiled.vmctxs.get(target as usize) {
                        let slot = ImportSlot {
                            code: cell.module.func_code(index),
                            vmctx: cell.ctx.get(),
                        };
                        // (Sound by the block's guarantee: `vm` is the
                        // caller's context, a separate allocation, whose
                        // compiled code waits in this libcall; the slot is
                        // one of its imports, `func` being an import index.)
                        let caller = &mut *vm;
                        if let Some(s) = caller.import_slots.get_mut(func as usize) {
                            *s = slot;
                        }
                    }
                }
            }
            Ok(r)
        })
    }
}

unsafe extern "sysv64" fn call_indirect<T>(
    vm: *mut VMContext,
    ty: u32,
    table: u32,
    elem: u32,
    args: *mut u64,
) -> u32 {
    // SAFETY: as for `call_import`.
    unsafe {
        libcall::<T>(vm, |store, instance| {
            let inner = &store.inner;
            if table == CALL_REF {
                // `call_ref`: `elem` is the reference, typed by validation.
                if elem == 0 {
                    return Err(TrapCode::NullFunctionReference.into());
                }
                return call_store_func(store, instance, elem - 1, args);
            }
            let inst = &inner.instances[instance as usize];
            let expected = inst.type_ids[ty as usize];
            let table = &inner.tables[inst.tables[table as usize] as usize];
            let raw = *table
                .elements
                .get(elem as usize)
                .ok_or(TrapCode::UndefinedElement)?;
            if raw == 0 {
                return Err(TrapCode::UninitializedElement.into());
            }
            let target = (raw - 1) as u32;
            let actual = inner.funcs[target as usize].type_id();
            if actual != expected && !inner.engine.inner.types.is_subtype(actual, expected) {
                return Err(TrapCode::IndirectCallTypeMismatch.into());
            }
            call_store_func(store, instance, target, args)
        })
    }
}

/// The store index of memory `k` of `instance`.
fn memory_at(inner: &StoreInner, instance: u32, k: u32) -> Result<usize, Error> {
    inner.instances[instance as usize]
        .memories
        .get(k as usize)
        .map(|&m| m as usize)
        .ok_or_else(|| Error::bug("a memory instruction without its memory"))
}

/// `memory.fill` of store memory `m`: `(dst, val, len)`.
fn memory_fill_in(
    inner: &mut StoreInner,
    m: usize,
    (dst, val, len): (u64, u8, u64),
) -> Result<(), TrapCode> {
    let data: &mut [u8] = &mut inner.memories[m].data;
    let r = range(dst, len, data.len(), TrapCode::MemoryOutOfBounds)?;
    data[r].fill(val);
    Ok(())
}

/// `memory.copy` from store memory `s` to store memory `d` (the same or
/// two different ones): `(dst, src, len)`.
fn memory_copy_between(
    inner: &mut StoreInner,
    (d, s): (usize, usize),
    (dst, src, len): (u64, u64, u64),
) -> Result<(), TrapCode> {
    let oob = TrapCode::MemoryOutOfBounds;
    if d == s {
        let data: &mut [u8] = &mut inner.memories[d].data;
        let sr = range(src, len, data.len(), oob)?;
        let dr = range(dst, len, data.len(), oob)?;
        data.copy_within(sr, dr.start);
        return Ok(());
    }
    let (lo, hi) = (d.min(s), d.max(s));
    let (left, right) = inner.memories.split_at_mut(hi);
    let (a, b) = (&mut left[lo].data, &mut right[0].data);
    let (dm, sm): (&mut [u8], &[u8]) = if d < s { (a, b) } else { (b, a) };
    let sr = range(src, len, sm.len(), oob)?;
    let dr = range(dst, len, dm.len(), oob)?;
    dm[dr].copy_from_slice(&sm[sr]);
    Ok(())
}

unsafe extern "sysv64" fn memory_grow(vm: *mut VMContext, delta: u32) -> u32 {
    // SAFETY: compiled code passes its context.
    unsafe {
        libcall_inner(vm, |inner, instance| {
            let m = memory_at(inner, instance, 0)?;
            Ok(crate::memory::grow(inner, m as u32, u64::from(delta))
                .map_or(u32::MAX, |old| old as u32))
        })
    }
}

unsafe extern "sysv64" fn memory_fill(vm: *mut VMContext, dst: u32, val: u32, len: u32) -> u32 {
    // SAFETY: as for `memory_grow`.
    unsafe {
        libcall_inner(vm, |inner, instance| {
            let m = memory_at(inner, instance, 0)?;
            memory_fill_in(inner, m, (u64::from(dst), val as u8, u64::from(len)))?;
            Ok(0)
        })
    }
}

unsafe extern "sysv64" fn memory_copy(vm: *mut VMContext, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: as for `memory_grow`.
    unsafe {
        libcall_inner(vm, |inner, instance| {
            let m = memory_at(inner, instance, 0)?;
            memory_copy_between(
                inner,
                (m, m),
                (u64::from(dst), u64::from(src), u64::from(len)),
            )?;
            Ok(0)
        })
    }
}

/// The table, reference and segment instructions compiled code leaves to
/// the host (`host_op`): their operands and result go through the
/// outgoing area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum HostOp {
    RefFunc,
    TableGet,
    TableSet,
    TableSize,
    TableGrow,
    TableFill,
    TableCopy,
    TableInit,
    ElemDrop,
    MemoryInit,
    DataDrop,
    MemoryGrow,
    MemoryFill,
    MemoryCopy,
}

impl HostOp {
    const ALL: [HostOp; 14] = [
        HostOp::RefFunc,
        HostOp::TableGet,
        HostOp::TableSet,
        HostOp::TableSize,
        HostOp::TableGrow,
        HostOp::TableFill,
        HostOp::TableCopy,
        HostOp::TableInit,
        HostOp::ElemDrop,
        HostOp::MemoryInit,
        HostOp::DataDrop,
        HostOp::MemoryGrow,
        HostOp::MemoryFill,
        HostOp::MemoryCopy,
    ];
}

/// Runs host operation `op` with immediates `a` and `b` on the operands
/// in `args` (the result goes to `args[0]`).
///
/// # Safety
/// As for the other libcalls; `args` holds the operation's operands and
/// room for its result.
unsafe extern "sysv64" fn host_op(
    vm: *mut VMContext,
    op: u32,
    a: u32,
    b: u32,
    args: *mut u64,
) -> u32 {
    // SAFETY: compiled code passes its context and an outgoing area that
    // holds the operation's operands and its result.
    unsafe {
        libcall_inner(vm, |inner, instance| {
            // Bit 16 + i of `op`: operand i is an i64 (a 64-bit memory's
            // or table's address or length), else an i32.
            let wide = op >> 16;
            let arg = |i: usize| *args.add(i);
            let at = |i: usize| handlers::arg(arg(i), wide, i as u32);
            let op = HostOp::ALL
                .get((op & 0xffff) as usize)
                .copied()
                .ok_or_else(|| Error::bug("unknown host operation"))?;
            let r = match op {
                HostOp::RefFunc => {
                    *args = tables::func_ref(inner, instance, a);
                    Ok(())
                }
                HostOp::TableGet => tables::get(inner, instance, a, at(0)).map(|v| *args = v),
                HostOp::TableSet => tables::set(inner, instance, a, at(0), arg(1)),
                HostOp::TableSize => {
                    *args = tables::size(inner, instance, a);
                    Ok(())
                }
                HostOp::TableGrow => {
                    *args = tables::grow(inner, instance, a, arg(0), at(1))
                        .unwrap_or(handlers::minus_one(wide >> 1));
                    Ok(())
                }
                HostOp::TableFill => tables::fill(inner, instance, a, at(0), arg(1), at(2)),
                HostOp::TableCopy => tables::copy(inner, instance, a, b, at(0), at(1), at(2)),
                HostOp::TableInit => tables::init(inner, instance, b, a, at(0), at(1), at(2)),
                HostOp::ElemDrop => {
                    tables::elem_drop(inner, instance, a);
                    Ok(())
                }
                HostOp::MemoryInit => {
                    let m = memory_at(inner, instance, b)?;
                    let mem: *mut [u8] = &mut *inner.memories[m].data;
                    // SAFETY: the memory's bytes are a mapping of their own,
                    // apart from the store's tables `memory_init` reads.
                    let mem = &mut *mem;
                    tables::memory_init(inner, instance, mem, a, at(0), at(1), at(2))
                }
                HostOp::DataDrop => {
                    tables::data_drop(inner, instance, a);
                    Ok(())
                }
                HostOp::MemoryGrow => {
                    let m = memory_at(inner, instance, a)?;
                    *args = crate::memory::grow(inner, m as u32, at(0))
                        .unwrap_or(handlers::minus_one(wide));
                    Ok(())
                }
                HostOp::MemoryFill => {
                    let m = memory_at(inner, instance, a)?;
                    memory_fill_in(inner, m, (at(0), arg(1) as u8, at(2)))
                }
                HostOp::MemoryCopy => {
                    let mems = (
                        memory_at(inner, instance, a)?,
                        memory_at(inner, instance, b)?,
                    );
                    memory_copy_between(inner, mems, (at(0), at(1), at(2)))
                }
            };
            r.map(|()| 0).map_err(Error::from)
        })
    }
}
