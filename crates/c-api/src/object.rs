//! Runtime objects: references, traps, frames, foreign objects, modules,
//! functions, globals, tables, memories, externs and instances.

use std::cell::Cell;
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::Arc;

use nanowasm::{
    Caller, Error, ErrorKind, ExternRef, Func, FuncType, Global, Instance, Memory, Module, Table,
    TrapCode, Val,
};

use crate::store::{wasm_store_t, StoreCell, StoreData};
use crate::types::{wasm_exporttype_t, wasm_importtype_t, ExternType};
use crate::val::{from_c, ref_to_val, to_c, wasm_val_t, wasm_val_vec_t};
use crate::vec::{declare_vec, name_from, name_to_string, wasm_byte_vec_t, CVec};
use crate::{borrow, borrow_mut, from_raw, guard, into_raw, write_out};

/// What an [`Object`] is.
#[derive(Clone)]
pub(crate) enum Which {
    Func(Func),
    Global(Global),
    Table(Table),
    Memory(Memory),
    /// A tag (exception handling; `wasm_extern_kind` says
    /// `WASM_EXTERN_TAG`).
    Tag(nanowasm::Tag),
    Instance(Instance),
    Module(Module),
    Trap(Arc<TrapInfo>),
    /// A foreign object: an `externref` of the store.
    Foreign(ExternRef),
}

/// A finalizer of host info.
type Finalizer = unsafe extern "C" fn(*mut c_void);

/// Every runtime object of `wasm.h`: `wasm_ref_t`, and the objects that
/// convert to it and back (`wasm_func_t`, `wasm_global_t`,
/// `wasm_table_t`, `wasm_memory_t`, `wasm_extern_t`, `wasm_instance_t`,
/// `wasm_module_t`, `wasm_trap_t`, `wasm_foreign_t`): a handle, the store
/// it belongs to (none for modules and for traps made without one), and
/// the handle's host info.
pub struct Object {
    pub(crate) store: Option<Rc<StoreCell>>,
    pub(crate) which: Which,
    host_info: Cell<*mut c_void>,
    finalizer: Cell<Option<Finalizer>>,
}

impl Object {
    pub(crate) fn new(store: Option<Rc<StoreCell>>, which: Which) -> Object {
        Object {
            store,
            which,
            host_info: Cell::new(std::ptr::null_mut()),
            finalizer: Cell::new(None),
        }
    }

    /// An object of `store` handed to C.
    fn raw(store: &Rc<StoreCell>, which: Which) -> *mut Object {
        into_raw(Object::new(Some(store.clone()), which))
    }

    /// Whether two objects are the same entity.
    fn same(&self, other: &Object) -> bool {
        let same_store = match (&self.store, &other.store) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_store
            && match (&self.which, &other.which) {
                (Which::Func(a), Which::Func(b)) => a == b,
                (Which::Global(a), Which::Global(b)) => a == b,
                (Which::Table(a), Which::Table(b)) => a == b,
                (Which::Memory(a), Which::Memory(b)) => a == b,
                (Which::Tag(a), Which::Tag(b)) => a == b,
                (Which::Instance(a), Which::Instance(b)) => a == b,
                (Which::Module(a), Which::Module(b)) => Module::same(a, b),
                (Which::Trap(a), Which::Trap(b)) => Arc::ptr_eq(a, b),
                (Which::Foreign(a), Which::Foreign(b)) => a == b,
                _ => false,
            }
    }

    /// The store, and what to do with it.
    fn with_store<R>(
        &self,
        f: impl FnOnce(&mut nanowasm::Store<StoreData>, &Rc<StoreCell>) -> R,
    ) -> Option<R> {
        let cell = self.store.as_ref()?;
        Some(cell.with(|s| f(s, cell)))
    }

    fn func(&self) -> Option<Func> {
        match self.which {
            Which::Func(f) => Some(f),
            _ => None,
        }
    }

    fn global(&self) -> Option<Global> {
        match self.which {
            Which::Global(g) => Some(g),
            _ => None,
        }
    }

    fn table(&self) -> Option<Table> {
        match self.which {
            Which::Table(t) => Some(t),
            _ => None,
        }
    }

    fn memory(&self) -> Option<Memory> {
        match self.which {
            Which::Memory(m) => Some(m),
            _ => None,
        }
    }

    fn trap(&self) -> Option<&TrapInfo> {
        match &self.which {
            Which::Trap(t) => Some(t),
            _ => None,
        }
    }

    fn module(&self) -> Option<&Module> {
        match &self.which {
            Which::Module(m) => Some(m),
            _ => None,
        }
    }

    /// As an import for instantiation.
    pub(crate) fn as_extern(&self) -> Option<nanowasm::Extern> {
        Some(match self.which {
            Which::Func(f) => f.into(),
            Which::Global(g) => g.into(),
            Which::Table(t) => t.into(),
            Which::Memory(m) => m.into(),
            Which::Tag(t) => t.into(),
            _ => return None,
        })
    }

    fn from_extern(store: &Rc<StoreCell>, e: nanowasm::Extern) -> Object {
        let which = match e {
            nanowasm::Extern::Func(f) => Which::Func(f),
            nanowasm::Extern::Global(g) => Which::Global(g),
            nanowasm::Extern::Table(t) => Which::Table(t),
            nanowasm::Extern::Memory(m) => Which::Memory(m),
            nanowasm::Extern::Tag(t) => Which::Tag(t),
        };
        Object::new(Some(store.clone()), which)
    }
}

impl Clone for Object {
    /// A new handle to the same entity, without host info.
    fn clone(&self) -> Object {
        Object::new(self.store.clone(), self.which.clone())
    }
}

impl Drop for Object {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer.take() {
            // SAFETY: the C code registered `f` to be called with this
            // host info when the object is deleted.
            unsafe { f(self.host_info.get()) }
        }
    }
}

/// The reference functions of one object type (`wasm.h`'s
/// `WASM_DECLARE_REF_BASE`): delete, copy, same and host info.
macro_rules! ref_base {
    ($delete:ident, $copy:ident, $same:ident, $get_info:ident, $set_info:ident, $set_info_fin:ident) => {
        /// Deletes this handle (the entity lives as long as its store).
        ///
        /// # Safety
        ///
        /// `o` is null or an owned object.
        #[no_mangle]
        pub unsafe extern "C" fn $delete(o: *mut Object) {
            // SAFETY: the caller's contract.
            guard((), || drop(unsafe { from_raw(o) }))
        }

        /// A new handle to the same entity (without host info).
        ///
        /// # Safety
        ///
        /// `o` is null or a valid object.
        #[no_mangle]
        pub unsafe extern "C" fn $copy(o: *const Object) -> *mut Object {
            guard(std::ptr::null_mut(), || {
                // SAFETY: the caller's contract.
                unsafe { borrow(o) }.map_or(std::ptr::null_mut(), |o| into_raw(o.clone()))
            })
        }

        /// Whether two handles name the same entity.
        ///
        /// # Safety
        ///
        /// `a` and `b` are null or valid objects.
        #[no_mangle]
        pub unsafe extern "C" fn $same(a: *const Object, b: *const Object) -> bool {
            guard(false, || {
                // SAFETY: the caller's contract.
                match unsafe { (borrow(a), borrow(b)) } {
                    (Some(a), Some(b)) => a.same(b),
                    (None, None) => true,
                    _ => false,
                }
            })
        }

        /// This handle's host info (NULL if none was set).
        ///
        /// # Safety
        ///
        /// `o` is null or a valid object.
        #[no_mangle]
        pub unsafe extern "C" fn $get_info(o: *const Object) -> *mut c_void {
            guard(std::ptr::null_mut(), || {
                // SAFETY: the caller's contract.
                unsafe { borrow(o) }.map_or(std::ptr::null_mut(), |o| o.host_info.get())
            })
        }

        /// Sets this handle's host info (no finalizer).
        ///
        /// # Safety
        ///
        /// `o` is null or a valid object.
        #[no_mangle]
        pub unsafe extern "C" fn $set_info(o: *mut Object, info: *mut c_void) {
            // SAFETY: the caller's contract.
            unsafe { $set_info_fin(o, info, None) }
        }

        /// Sets this handle's host info and the finalizer called with it
        /// when the handle is deleted. A finalizer set before is not
        /// called.
        ///
        /// # Safety
        ///
        /// `o` is null or a valid object; `finalizer` is null or callable
        /// with `info`.
        #[no_mangle]
        pub unsafe extern "C" fn $set_info_fin(
            o: *mut Object,
            info: *mut c_void,
            finalizer: Option<Finalizer>,
        ) {
            guard((), || {
                // SAFETY: the caller's contract.
                if let Some(o) = unsafe { borrow(o) } {
                    o.host_info.set(info);
                    o.finalizer.set(finalizer);
                }
            })
        }
    };
}

/// The conversions between two views of one object (`wasm_func_t` and
/// `wasm_ref_t`, or `wasm_extern_t`): `$to` returns the same pointer, `$from`
/// the same pointer if the object is of kind `$is`, else NULL.
macro_rules! same_object {
    ($is:pat, $what:literal, $to:ident, $to_const:ident, $from:ident, $from_const:ident) => {
        #[doc = concat!("The same object, as ", $what, ".")]
        #[no_mangle]
        pub extern "C" fn $to(o: *mut Object) -> *mut Object {
            o
        }

        #[doc = concat!("The same object, as ", $what, ".")]
        #[no_mangle]
        pub extern "C" fn $to_const(o: *const Object) -> *const Object {
            o
        }

        #[doc = concat!("The same object if ", $what, " is of this kind, else NULL.")]
        ///
        /// # Safety
        ///
        /// `o` is null or a valid object.
        #[no_mangle]
        pub unsafe extern "C" fn $from(o: *mut Object) -> *mut Object {
            // SAFETY: the caller's contract.
            match unsafe { borrow(o) } {
                Some(Object { which: $is, .. }) => o,
                _ => std::ptr::null_mut(),
            }
        }

        #[doc = concat!("The same object if ", $what, " is of this kind, else NULL.")]
        ///
        /// # Safety
        ///
        /// `o` is null or a valid object.
        #[no_mangle]
        pub unsafe extern "C" fn $from_const(o: *const Object) -> *const Object {
            // SAFETY: the caller's contract.
            match unsafe { borrow(o) } {
                Some(Object { which: $is, .. }) => o,
                _ => std::ptr::null(),
            }
        }
    };
}

// These functions run no `guard`: they return their argument or test
// its kind (a `match` on a valid object), which cannot panic.
/// `WASM_DECLARE_REF`: the base functions and the conversions to and from
/// `wasm_ref_t` (the same object; from a reference, NULL unless it is of
/// this kind).
macro_rules! ref_type {
    ($is:pat, [$($base:ident),*], $as_ref:ident, $ref_as:ident, $as_ref_const:ident, $ref_as_const:ident) => {
        ref_base!($($base),*);
        same_object!($is, "a reference", $as_ref, $as_ref_const, $ref_as, $ref_as_const);
    };
}

ref_base!(
    wasm_ref_delete,
    wasm_ref_copy,
    wasm_ref_same,
    wasm_ref_get_host_info,
    wasm_ref_set_host_info,
    wasm_ref_set_host_info_with_finalizer
);

ref_type!(
    Which::Trap(_),
    [
        wasm_trap_delete,
        wasm_trap_copy,
        wasm_trap_same,
        wasm_trap_get_host_info,
        wasm_trap_set_host_info,
        wasm_trap_set_host_info_with_finalizer
    ],
    wasm_trap_as_ref,
    wasm_ref_as_trap,
    wasm_trap_as_ref_const,
    wasm_ref_as_trap_const
);
ref_type!(
    Which::Foreign(_),
    [
        wasm_foreign_delete,
        wasm_foreign_copy,
        wasm_foreign_same,
        wasm_foreign_get_host_info,
        wasm_foreign_set_host_info,
        wasm_foreign_set_host_info_with_finalizer
    ],
    wasm_foreign_as_ref,
    wasm_ref_as_foreign,
    wasm_foreign_as_ref_const,
    wasm_ref_as_foreign_const
);
ref_type!(
    Which::Module(_),
    [
        wasm_module_delete,
        wasm_module_copy,
        wasm_module_same,
        wasm_module_get_host_info,
        wasm_module_set_host_info,
        wasm_module_set_host_info_with_finalizer
    ],
    wasm_module_as_ref,
    wasm_ref_as_module,
    wasm_module_as_ref_const,
    wasm_ref_as_module_const
);
ref_type!(
    Which::Func(_),
    [
        wasm_func_delete,
        wasm_func_copy,
        wasm_func_same,
        wasm_func_get_host_info,
        wasm_func_set_host_info,
        wasm_func_set_host_info_with_finalizer
    ],
    wasm_func_as_ref,
    wasm_ref_as_func,
    wasm_func_as_ref_const,
    wasm_ref_as_func_const
);
ref_type!(
    Which::Global(_),
    [
        wasm_global_delete,
        wasm_global_copy,
        wasm_global_same,
        wasm_global_get_host_info,
        wasm_global_set_host_info,
        wasm_global_set_host_info_with_finalizer
    ],
    wasm_global_as_ref,
    wasm_ref_as_global,
    wasm_global_as_ref_const,
    wasm_ref_as_global_const
);
ref_type!(
    Which::Table(_),
    [
        wasm_table_delete,
        wasm_table_copy,
        wasm_table_same,
        wasm_table_get_host_info,
        wasm_table_set_host_info,
        wasm_table_set_host_info_with_finalizer
    ],
    wasm_table_as_ref,
    wasm_ref_as_table,
    wasm_table_as_ref_const,
    wasm_ref_as_table_const
);
ref_type!(
    Which::Memory(_),
    [
        wasm_memory_delete,
        wasm_memory_copy,
        wasm_memory_same,
        wasm_memory_get_host_info,
        wasm_memory_set_host_info,
        wasm_memory_set_host_info_with_finalizer
    ],
    wasm_memory_as_ref,
    wasm_ref_as_memory,
    wasm_memory_as_ref_const,
    wasm_ref_as_memory_const
);
ref_type!(
    Which::Func(_) | Which::Global(_) | Which::Table(_) | Which::Memory(_) | Which::Tag(_),
    [
        wasm_extern_delete,
        wasm_extern_copy,
        wasm_extern_same,
        wasm_extern_get_host_info,
        wasm_extern_set_host_info,
        wasm_extern_set_host_info_with_finalizer
    ],
    wasm_extern_as_ref,
    wasm_ref_as_extern,
    wasm_extern_as_ref_const,
    wasm_ref_as_extern_const
);
ref_type!(
    Which::Instance(_),
    [
        wasm_instance_delete,
        wasm_instance_copy,
        wasm_instance_same,
        wasm_instance_get_host_info,
        wasm_instance_set_host_info,
        wasm_instance_set_host_info_with_finalizer
    ],
    wasm_instance_as_ref,
    wasm_ref_as_instance,
    wasm_instance_as_ref_const,
    wasm_ref_as_instance_const
);

declare_vec!(
    Option<Box<Object>>,
    wasm_extern_vec_t,
    wasm_extern_vec_new_empty,
    wasm_extern_vec_new_uninitialized,
    wasm_extern_vec_new,
    wasm_extern_vec_copy,
    wasm_extern_vec_delete
);

// Frames

/// `wasm_frame_t`: one frame of a trap's backtrace.
#[derive(Clone, Debug)]
pub struct wasm_frame_t {
    func_index: u32,
    func_offset: usize,
    module_offset: usize,
}

ref_free!(wasm_frame_t, wasm_frame_delete, wasm_frame_copy);

declare_vec!(
    Option<Box<wasm_frame_t>>,
    wasm_frame_vec_t,
    wasm_frame_vec_new_empty,
    wasm_frame_vec_new_uninitialized,
    wasm_frame_vec_new,
    wasm_frame_vec_copy,
    wasm_frame_vec_delete
);

/// Delete and copy of a plain owned type.
macro_rules! ref_free {
    ($t:ty, $delete:ident, $copy:ident) => {
        /// Deletes it.
        ///
        /// # Safety
        ///
        /// `p` is null or owned.
        #[no_mangle]
        pub unsafe extern "C" fn $delete(p: *mut $t) {
            // SAFETY: the caller's contract.
            guard((), || drop(unsafe { from_raw(p) }))
        }

        /// A copy.
        ///
        /// # Safety
        ///
        /// `p` is null or valid.
        #[no_mangle]
        pub unsafe extern "C" fn $copy(p: *const $t) -> *mut $t {
            guard(std::ptr::null_mut(), || {
                // SAFETY: the caller's contract.
                unsafe { borrow(p) }.map_or(std::ptr::null_mut(), |p| into_raw(p.clone()))
            })
        }
    };
}
use ref_free;

/// The instance of the frame's function: always NULL, as nanowasm's
/// backtraces name functions by index, not by instance.
#[no_mangle]
pub extern "C" fn wasm_frame_instance(_frame: *const wasm_frame_t) -> *mut Object {
    std::ptr::null_mut()
}

/// The index of the frame's function in its module.
///
/// # Safety
///
/// `f` is null or a valid frame.
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_func_index(f: *const wasm_frame_t) -> u32 {
    // SAFETY: the caller's contract.
    guard(0, || unsafe { borrow(f) }.map_or(0, |f| f.func_index))
}

/// The offset of the frame's instruction from the start of its function's
/// body; `SIZE_MAX` if the function's module is not known (see nanowasm.h).
///
/// # Safety
///
/// `f` is null or a valid frame.
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_func_offset(f: *const wasm_frame_t) -> usize {
    guard(usize::MAX, || {
        // SAFETY: the caller's contract.
        unsafe { borrow(f) }.map_or(usize::MAX, |f| f.func_offset)
    })
}

/// The offset of the frame's instruction in its module's binary.
///
/// # Safety
///
/// `f` is null or a valid frame.
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_module_offset(f: *const wasm_frame_t) -> usize {
    // SAFETY: the caller's contract.
    guard(0, || unsafe { borrow(f) }.map_or(0, |f| f.module_offset))
}

// Traps

/// What a trap says.
#[derive(Clone, Debug)]
pub(crate) struct TrapInfo {
    pub(crate) message: String,
    frames: Vec<wasm_frame_t>,
    pub(crate) code: Option<TrapCode>,
    pub(crate) exit: Option<i32>,
}

/// A trap raised by a host function, carried through wasm as a host error.
#[derive(Debug)]
struct HostTrap(TrapInfo);

impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for HostTrap {}

impl TrapInfo {
    fn message(message: String) -> TrapInfo {
        TrapInfo {
            message,
            frames: Vec::new(),
            code: None,
            exit: None,
        }
    }

    /// The trap for an error of a call or instantiation in `store`.
    pub(crate) fn from_error(e: Error, store: &StoreData) -> TrapInfo {
        match e.into_kind() {
            ErrorKind::Trap(t) => TrapInfo {
                message: format!("wasm trap: {}", t.code),
                frames: t
                    .backtrace
                    .iter()
                    .map(|f| wasm_frame_t {
                        func_index: f.func_index,
                        func_offset: func_offset(store, f),
                        module_offset: f.offset,
                    })
                    .collect(),
                code: Some(t.code),
                exit: None,
            },
            ErrorKind::Host(e) => match e.downcast::<HostTrap>() {
                Ok(t) => t.0,
                Err(e) => TrapInfo::message(e.to_string()),
            },
            kind => {
                let e = Error::from(kind);
                let exit = crate::ext::exit_status(&e);
                TrapInfo {
                    exit,
                    ..TrapInfo::message(e.to_string())
                }
            }
        }
    }
}

/// The offset of a frame's instruction in its function: found when the
/// store's instantiated modules of the frame's module name agree on where
/// the function's body starts.
fn func_offset(store: &StoreData, f: &nanowasm::FrameInfo) -> usize {
    let mut starts = store.modules.iter().filter_map(|m| {
        if m.name() != f.module_name.as_deref() {
            return None;
        }
        let start = m.func_body_offset(f.func_index)?;
        (start <= f.offset).then_some(start)
    });
    match starts.next() {
        Some(first) if starts.all(|s| s == first) => f.offset - first,
        _ => usize::MAX,
    }
}

/// A trap object of `store`.
pub(crate) fn trap_raw(store: Option<&Rc<StoreCell>>, info: TrapInfo) -> *mut Object {
    into_raw(Object::new(store.cloned(), Which::Trap(Arc::new(info))))
}

/// A trap with message `message` (NUL-terminated or not).
///
/// # Safety
///
/// `store` is null or a valid store; `message` is null (an empty message)
/// or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_new(
    store: *mut wasm_store_t,
    message: *const wasm_byte_vec_t,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let message = unsafe { borrow(message) }
            .map(name_to_string)
            .unwrap_or_default();
        // SAFETY: the caller's contract.
        let store = unsafe { borrow(store) }.map(|s| &s.cell);
        trap_raw(store, TrapInfo::message(message))
    })
}

/// The trap's message, NUL-terminated.
///
/// # Safety
///
/// `t` is null or a valid trap; `out` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_message(t: *const Object, out: *mut wasm_byte_vec_t) {
    guard((), || {
        // SAFETY: the caller's contract.
        let message = unsafe { borrow(t) }
            .and_then(Object::trap)
            .map_or("", |t| &t.message);
        // SAFETY: the caller's contract.
        unsafe { write_out(out, name_from(message, true)) }
    })
}

/// The innermost wasm frame; NULL if the trap has no backtrace (traps made
/// by `wasm_trap_new` or raised by host functions).
///
/// # Safety
///
/// `t` is null or a valid trap.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_origin(t: *const Object) -> *mut wasm_frame_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }
            .and_then(Object::trap)
            .and_then(|t| t.frames.first())
        {
            Some(f) => into_raw(f.clone()),
            None => std::ptr::null_mut(),
        }
    })
}

/// The wasm frames, innermost first.
///
/// # Safety
///
/// `t` is null or a valid trap; `out` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_trace(t: *const Object, out: *mut wasm_frame_vec_t) {
    guard((), || {
        // SAFETY: the caller's contract.
        let frames: Vec<Option<Box<wasm_frame_t>>> = unsafe { borrow(t) }
            .and_then(Object::trap)
            .map(|t| t.frames.iter().map(|f| Some(Box::new(f.clone()))).collect())
            .unwrap_or_default();
        // SAFETY: the caller's contract.
        unsafe { write_out(out, CVec::from(frames)) }
    })
}

/// The trap a C function received, if `t` is one.
pub(crate) fn trap_info(t: &Object) -> Option<&TrapInfo> {
    t.trap()
}

// Foreign objects

/// A payload marking the store's foreign objects.
struct Foreign;

/// A new foreign object: an `externref` of the store, which wasm code can
/// hold and pass back.
///
/// # Safety
///
/// `store` is null or a valid store.
#[no_mangle]
pub unsafe extern "C" fn wasm_foreign_new(store: *mut wasm_store_t) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(store) = (unsafe { borrow(store) }) else {
            return std::ptr::null_mut();
        };
        let r = store.cell.with(|s| ExternRef::new(s, Foreign));
        Object::raw(&store.cell, Which::Foreign(r))
    })
}

// Modules

/// Module `binary`, decoded and validated with `store`'s engine; NULL if
/// the module is malformed or invalid. Only the binary format is accepted,
/// as `wasm.h` specifies (`nanowasm_wat2wasm` encodes text).
///
/// # Safety
///
/// `store` and `binary` are null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_new(
    store: *mut wasm_store_t,
    binary: *const wasm_byte_vec_t,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (Some(store), Some(binary)) = (unsafe { (borrow(store), borrow(binary)) }) else {
            return std::ptr::null_mut();
        };
        match Module::from_binary(&store.engine(), binary.as_slice()) {
            Ok(m) => into_raw(Object::new(None, Which::Module(m))),
            Err(_) => std::ptr::null_mut(),
        }
    })
}

/// Whether `binary` is a valid module for `store`'s engine.
///
/// # Safety
///
/// `store` and `binary` are null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_validate(
    store: *mut wasm_store_t,
    binary: *const wasm_byte_vec_t,
) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        let (Some(store), Some(binary)) = (unsafe { (borrow(store), borrow(binary)) }) else {
            return false;
        };
        Module::validate(&store.engine(), binary.as_slice()).is_ok()
    })
}

/// The C API's extern type of a runtime one.
fn c_type(ty: nanowasm::ExternType) -> ExternType {
    match ty {
        nanowasm::ExternType::Func(t) => ExternType::func(t),
        nanowasm::ExternType::Table(t) => ExternType::table(t),
        nanowasm::ExternType::Memory(t) => ExternType::memory(t),
        nanowasm::ExternType::Global(t) => ExternType::global(t),
        nanowasm::ExternType::Tag(t) => ExternType::tag(t),
    }
}

/// The module's imports, in order.
///
/// # Safety
///
/// `m` is null or a valid module; `out` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_imports(
    m: *const Object,
    out: *mut crate::types::wasm_importtype_vec_t,
) {
    guard((), || {
        // SAFETY: the caller's contract.
        let imports: Vec<_> = match unsafe { borrow(m) }.and_then(Object::module) {
            Some(m) => m
                .imports()
                .map(|i| {
                    Some(Box::new(wasm_importtype_t::new(
                        i.module(),
                        i.name(),
                        c_type(i.ty()),
                    )))
                })
                .collect(),
            None => Vec::new(),
        };
        // SAFETY: the caller's contract.
        unsafe { write_out(out, CVec::from(imports)) }
    })
}

/// The module's exports, in order.
///
/// # Safety
///
/// `m` is null or a valid module; `out` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_exports(
    m: *const Object,
    out: *mut crate::types::wasm_exporttype_vec_t,
) {
    guard((), || {
        // SAFETY: the caller's contract.
        let exports: Vec<_> = match unsafe { borrow(m) }.and_then(Object::module) {
            Some(m) => m
                .exports()
                .map(|e| Some(Box::new(wasm_exporttype_t::new(e.name(), c_type(e.ty())))))
                .collect(),
            None => Vec::new(),
        };
        // SAFETY: the caller's contract.
        unsafe { write_out(out, CVec::from(exports)) }
    })
}

/// The module's serialized form: a compiled artifact (`Module::serialize`:
/// its machine code and its binary). `wasm_module_deserialize` takes it
/// back.
///
/// # Safety
///
/// `m` is null or a valid module; `out` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_serialize(m: *const Object, out: *mut wasm_byte_vec_t) {
    guard((), || {
        // SAFETY: the caller's contract.
        let bytes = unsafe { borrow(m) }
            .and_then(Object::module)
            .and_then(|m| m.serialize().ok())
            .unwrap_or_default();
        // SAFETY: the caller's contract.
        unsafe { write_out(out, CVec::from(bytes)) }
    })
}

/// A module from `wasm_module_serialize`'s output; NULL if the bytes are
/// not an artifact of this nanowasm with the engine's settings (damage is
/// detected by a checksum).
///
/// # Safety
///
/// `store` and `bytes` are null or valid, and `bytes` come from
/// `wasm_module_serialize` (their machine code runs as it is, as with
/// wasmtime's `wasm_module_deserialize`).
#[no_mangle]
pub unsafe extern "C" fn wasm_module_deserialize(
    store: *mut wasm_store_t,
    bytes: *const wasm_byte_vec_t,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (Some(store), Some(bytes)) = (unsafe { (borrow(store), borrow(bytes)) }) else {
            return std::ptr::null_mut();
        };
        // SAFETY: the caller's contract: the bytes are an artifact.
        match unsafe { Module::deserialize(&store.engine(), bytes.as_slice()) } {
            Ok(m) => into_raw(Object::new(None, Which::Module(m))),
            Err(_) => std::ptr::null_mut(),
        }
    })
}

/// `wasm_shared_module_t`: a module that may move to other threads.
pub struct wasm_shared_module_t {
    module: Module,
}

/// Deletes a shared module.
///
/// # Safety
///
/// `m` is null or owned.
#[no_mangle]
pub unsafe extern "C" fn wasm_shared_module_delete(m: *mut wasm_shared_module_t) {
    // SAFETY: the caller's contract.
    guard((), || drop(unsafe { from_raw(m) }))
}

/// A shareable handle to the module.
///
/// # Safety
///
/// `m` is null or a valid module.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_share(m: *const Object) -> *mut wasm_shared_module_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(m) }.and_then(Object::module) {
            Some(m) => into_raw(wasm_shared_module_t { module: m.clone() }),
            None => std::ptr::null_mut(),
        }
    })
}

/// The shared module, for use in `store`; NULL if `store`'s engine is not
/// the module's.
///
/// # Safety
///
/// `store` and `m` are null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_obtain(
    store: *mut wasm_store_t,
    m: *const wasm_shared_module_t,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (Some(store), Some(m)) = (unsafe { (borrow(store), borrow(m)) }) else {
            return std::ptr::null_mut();
        };
        if !nanowasm::Engine::same(&store.engine(), m.module.engine()) {
            return std::ptr::null_mut();
        }
        into_raw(Object::new(None, Which::Module(m.module.clone())))
    })
}

// Functions

/// `wasm_func_callback_t`.
pub type wasm_func_callback_t =
    unsafe extern "C" fn(args: *const wasm_val_vec_t, results: *mut wasm_val_vec_t) -> *mut Object;
/// `wasm_func_callback_with_env_t`.
pub type wasm_func_callback_with_env_t = unsafe extern "C" fn(
    env: *mut c_void,
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> *mut Object;

enum Callback {
    Plain(wasm_func_callback_t),
    Env(wasm_func_callback_with_env_t),
}

/// A host function of the C API: the callback, its environment and the
/// store's cell.
struct HostFunc {
    callback: Callback,
    env: *mut c_void,
    finalizer: Option<Finalizer>,
    /// The store owning this function (which owns the closure that owns
    /// this), from `Rc::into_raw` with its count given back: valid while
    /// the store is, so whenever the function runs.
    cell: *const StoreCell,
    ty: FuncType,
}

// SAFETY: the C API's stores are single-threaded (a `wasm_store_t` and its
// objects must not be used by two threads at once, as in every wasm.h
// implementation), so the host function, which only runs in its store, is
// never used from two threads at once; the runtime's `Send + Sync` bound
// is for stores that do move between threads.
unsafe impl Send for HostFunc {}
// SAFETY: as for `Send`.
unsafe impl Sync for HostFunc {}

impl Drop for HostFunc {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer {
            // SAFETY: the C code asked for `f(env)` when the function goes.
            unsafe { f(self.env) }
        }
    }
}

impl HostFunc {
    fn call(
        &self,
        mut caller: Caller<'_, StoreData>,
        args: &[Val],
        results: &mut [Val],
    ) -> Result<(), Error> {
        // SAFETY: `cell` came from `Rc::into_raw` and the store is alive
        // (it is running this function): taking a new count makes an `Rc`
        // of our own.
        let cell = unsafe {
            Rc::increment_strong_count(self.cell);
            Rc::from_raw(self.cell)
        };
        // While the callback runs, and while the values it saw are dropped
        // (their host-info finalizers may use the store), the store is the
        // caller's. Declared first, the guard is dropped last.
        let running: *mut nanowasm::Store<StoreData> =
            nanowasm::AsContextMut::as_context_mut(&mut caller);
        let _active = cell.enter(running);
        let c_args: Vec<wasm_val_t> = args
            .iter()
            .map(|v| to_c(*v, &cell))
            .collect::<Result<_, _>>()
            .map_err(Error::host)?;
        let c_args = CVec::from(c_args);
        let mut c_results: CVec<wasm_val_t> = CVec::from(
            std::iter::repeat_with(wasm_val_t::default)
                .take(results.len())
                .collect::<Vec<_>>(),
        );
        // SAFETY: the callback is the C function the embedder gave for this
        // type, called with valid vectors as `wasm.h` specifies.
        let trap = unsafe {
            match self.callback {
                Callback::Plain(f) => f(&c_args, &mut c_results),
                Callback::Env(f) => f(self.env, &c_args, &mut c_results),
            }
        };
        // SAFETY: a callback returns null or an owned trap.
        if let Some(trap) = unsafe { from_raw(trap) } {
            let info = trap
                .trap()
                .cloned()
                .unwrap_or_else(|| TrapInfo::message("host function returned a non-trap".into()));
            return Err(Error::new(HostTrap(info)));
        }
        for ((out, c), ty) in results
            .iter_mut()
            .zip(c_results.as_slice())
            .zip(self.ty.results())
        {
            *out = from_c(c, *ty, &cell)
                .map_err(|e| Error::host(format!("host function result: {e}")))?;
        }
        Ok(())
    }
}

fn new_func(
    store: *mut wasm_store_t,
    ty: *const ExternType,
    callback: Callback,
    env: *mut c_void,
    finalizer: Option<Finalizer>,
) -> *mut Object {
    // SAFETY: the callers' contract: null or valid.
    let (store, ty) = unsafe { (borrow(store), borrow(ty)) };
    let host = |ty: FuncType, cell: *const StoreCell| HostFunc {
        callback,
        env,
        finalizer,
        cell,
        ty,
    };
    let (Some(store), Some(ty)) = (store, ty.and_then(ExternType::func_type)) else {
        // Not created: the environment is still the caller's to finalize.
        drop(host(FuncType::new([], []), std::ptr::null()));
        return std::ptr::null_mut();
    };
    let raw = Rc::into_raw(store.cell.clone());
    // SAFETY: `raw` is from `Rc::into_raw`; giving its count back leaves
    // the pointer valid for as long as the store (see `HostFunc::cell`).
    unsafe { Rc::decrement_strong_count(raw) };
    let host = host(ty.clone(), raw);
    let f = store.cell.with(|s| {
        Func::new(s, ty.clone(), move |caller, args, results| {
            host.call(caller, args, results)
        })
    });
    Object::raw(&store.cell, Which::Func(f))
}

/// A host function of type `ty` calling `callback`.
///
/// # Safety
///
/// `store` and `ty` are null or valid; `callback` follows `wasm.h`.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_new(
    store: *mut wasm_store_t,
    ty: *const ExternType,
    callback: wasm_func_callback_t,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        new_func(
            store,
            ty,
            Callback::Plain(callback),
            std::ptr::null_mut(),
            None,
        )
    })
}

/// A host function of type `ty` calling `callback` with `env`;
/// `finalizer`, if not null, is called with `env` when the store goes.
///
/// # Safety
///
/// `store` and `ty` are null or valid; `callback` and `finalizer` follow
/// `wasm.h`.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_new_with_env(
    store: *mut wasm_store_t,
    ty: *const ExternType,
    callback: wasm_func_callback_with_env_t,
    env: *mut c_void,
    finalizer: Option<Finalizer>,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        new_func(store, ty, Callback::Env(callback), env, finalizer)
    })
}

fn func_type(f: *const Object) -> Option<FuncType> {
    // SAFETY: the callers' contract: null or valid.
    let f = unsafe { borrow(f) }?;
    let func = f.func()?;
    f.with_store(|s, _| func.ty(s).ok()).flatten()
}

/// The function's type; NULL if `f` is not a function.
///
/// # Safety
///
/// `f` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_type(f: *const Object) -> *mut ExternType {
    guard(std::ptr::null_mut(), || {
        func_type(f).map_or(std::ptr::null_mut(), |t| into_raw(ExternType::func(t)))
    })
}

/// The number of parameters.
///
/// # Safety
///
/// `f` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_param_arity(f: *const Object) -> usize {
    guard(0, || func_type(f).map_or(0, |t| t.params().len()))
}

/// The number of results.
///
/// # Safety
///
/// `f` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_result_arity(f: *const Object) -> usize {
    guard(0, || func_type(f).map_or(0, |t| t.results().len()))
}

/// Calls `f` with `args`; writes the results to `results` and returns
/// NULL, or returns the trap (also for wrong arguments, and, after the
/// call, if `results` has no room for the results).
///
/// # Safety
///
/// `f` is null or a valid function; `args` and `results` are null or valid
/// vectors.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_call(
    f: *const Object,
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (f, args, results) = unsafe { (borrow(f), borrow(args), borrow_mut(results)) };
        let Some(f) = f else {
            return trap_raw(
                None,
                TrapInfo::message("wasm_func_call: null function".into()),
            );
        };
        let (Some(func), Some(cell)) = (f.func(), f.store.clone()) else {
            return trap_raw(
                None,
                TrapInfo::message("wasm_func_call: not a function".into()),
            );
        };
        let args = args.map_or(&[][..], CVec::as_slice);
        let slots = results.map_or(&mut [][..], CVec::as_mut_slice);
        let room = slots.len();
        let outcome = cell.with(|s| -> Result<Vec<Val>, TrapInfo> {
            let ty = func
                .ty(&*s)
                .map_err(|e| TrapInfo::message(format!("wasm_func_call: {e}")))?;
            if args.len() != ty.params().len() {
                return Err(TrapInfo::message(format!(
                    "wasm_func_call: {} arguments for a function of type {ty}",
                    args.len()
                )));
            }
            let params = args
                .iter()
                .zip(ty.params())
                .map(|(a, t)| from_c(a, *t, &cell))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| TrapInfo::message(format!("wasm_func_call: argument: {e}")))?;
            let mut outs = vec![Val::I32(0); ty.results().len()];
            func.call(&mut *s, &params, &mut outs)
                .map_err(|e| TrapInfo::from_error(e, s.data()))?;
            Ok(outs)
        });
        let outs = match outcome {
            Ok(outs) => outs,
            Err(info) => return trap_raw(Some(&cell), info),
        };
        // Checked after the call, as upstream's own examples call functions
        // that trap with no room for their results.
        if room < outs.len() {
            return trap_raw(
                Some(&cell),
                TrapInfo::message(format!(
                    "wasm_func_call: room for {room} results, the function returned {}",
                    outs.len()
                )),
            );
        }
        for (slot, v) in slots.iter_mut().zip(outs) {
            match to_c(v, &cell) {
                // SAFETY: `slot` is an element of the caller's vector,
                // whose contents are uninitialized output: written, not
                // dropped.
                Ok(c) => unsafe { std::ptr::write(slot, c) },
                Err(e) => {
                    return trap_raw(
                        Some(&cell),
                        TrapInfo::message(format!("wasm_func_call: result: {e}")),
                    )
                }
            }
        }
        std::ptr::null_mut()
    })
}

// Globals

/// A global of type `ty` holding `val`; NULL if `val` is not of its type.
///
/// # Safety
///
/// Each argument is null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_new(
    store: *mut wasm_store_t,
    ty: *const ExternType,
    val: *const wasm_val_t,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (store, ty, val) = unsafe { (borrow(store), borrow(ty), borrow(val)) };
        let (Some(store), Some(ty), Some(val)) = (store, ty.and_then(ExternType::global_type), val)
        else {
            return std::ptr::null_mut();
        };
        let Ok(v) = from_c(val, ty.content, &store.cell) else {
            return std::ptr::null_mut();
        };
        match store.cell.with(|s| Global::new(s, ty, v)) {
            Ok(g) => Object::raw(&store.cell, Which::Global(g)),
            Err(_) => std::ptr::null_mut(),
        }
    })
}

/// The global's type.
///
/// # Safety
///
/// `g` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_type(g: *const Object) -> *mut ExternType {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(g) = (unsafe { borrow(g) }) else {
            return std::ptr::null_mut();
        };
        let Some(global) = g.global() else {
            return std::ptr::null_mut();
        };
        g.with_store(|s, _| global.ty(s).ok())
            .flatten()
            .map_or(std::ptr::null_mut(), |ty| into_raw(ExternType::global(ty)))
    })
}

/// The global's value (an `i32` 0 if `g` is not a global).
///
/// # Safety
///
/// `g` is null or a valid object; `out` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_get(g: *const Object, out: *mut wasm_val_t) {
    guard((), || {
        // SAFETY: the caller's contract.
        let value = unsafe { borrow(g) }
            .and_then(|g| {
                let global = g.global()?;
                g.with_store(|s, cell| to_c(global.get(&*s).ok()?, cell).ok())
                    .flatten()
            })
            .unwrap_or_default();
        // SAFETY: the caller's contract.
        unsafe { write_out(out, value) }
    })
}

/// Sets a mutable global. Does nothing if the global is immutable or the
/// value not of its type (`wasm.h` has no way to report it).
///
/// # Safety
///
/// `g` and `val` are null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_set(g: *mut Object, val: *const wasm_val_t) {
    guard((), || {
        // SAFETY: the caller's contract.
        let (Some(g), Some(val)) = (unsafe { (borrow(g), borrow(val)) }) else {
            return;
        };
        let Some(global) = g.global() else {
            return;
        };
        g.with_store(|s, cell| {
            let Ok(ty) = global.ty(&*s) else {
                return;
            };
            if let Ok(v) = from_c(val, ty.content, cell) {
                let _ = global.set(s, v);
            }
        });
    })
}

// Tables

/// A table of type `ty`, every element `init` (NULL: null); NULL on
/// failure.
///
/// # Safety
///
/// Each argument is null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_new(
    store: *mut wasm_store_t,
    ty: *const ExternType,
    init: *mut Object,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (store, ty, init) = unsafe { (borrow(store), borrow(ty), borrow(init)) };
        let (Some(store), Some(ty)) = (store, ty.and_then(ExternType::table_type)) else {
            return std::ptr::null_mut();
        };
        let Ok(init) = ref_to_val(init, nanowasm::ValType::Ref(ty.element), &store.cell) else {
            return std::ptr::null_mut();
        };
        match store.cell.with(|s| Table::new(s, ty, init)) {
            Ok(t) => Object::raw(&store.cell, Which::Table(t)),
            Err(_) => std::ptr::null_mut(),
        }
    })
}

/// The table's type (its current size as minimum).
///
/// # Safety
///
/// `t` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_type(t: *const Object) -> *mut ExternType {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(t) = (unsafe { borrow(t) }) else {
            return std::ptr::null_mut();
        };
        let Some(table) = t.table() else {
            return std::ptr::null_mut();
        };
        t.with_store(|s, _| table.ty(s).ok())
            .flatten()
            .map_or(std::ptr::null_mut(), |ty| into_raw(ExternType::table(ty)))
    })
}

/// Element `index`: NULL if it is null or out of bounds.
///
/// # Safety
///
/// `t` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_get(t: *const Object, index: u32) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(t) = (unsafe { borrow(t) }) else {
            return std::ptr::null_mut();
        };
        let Some(table) = t.table() else {
            return std::ptr::null_mut();
        };
        t.with_store(
            |s, cell| match table.get(&*s, u64::from(index)).ok().flatten() {
                Some(Val::FuncRef(Some(f))) => Object::raw(cell, Which::Func(f)),
                Some(Val::ExternRef(Some(e))) => Object::raw(cell, Which::Foreign(e)),
                _ => std::ptr::null_mut(),
            },
        )
        .unwrap_or(std::ptr::null_mut())
    })
}

/// Sets element `index` to `r` (NULL: null); false if out of bounds or of
/// the wrong type.
///
/// # Safety
///
/// `t` and `r` are null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_set(t: *mut Object, index: u32, r: *mut Object) -> bool {
    // SAFETY: the caller's contract.
    unsafe {
        with_table_ref(t, r, |table, s, v| {
            table.set(s, u64::from(index), v).is_ok()
        })
    }
}

/// Runs `f` on table `t`, its store and `r` as a value of the table's
/// element type; false if `t` is not a live table or `r` does not fit.
///
/// # Safety
///
/// `t` and `r` are null or valid.
unsafe fn with_table_ref(
    t: *mut Object,
    r: *mut Object,
    f: impl FnOnce(Table, &mut nanowasm::Store<StoreData>, Val) -> bool,
) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        let (Some(t), r) = (unsafe { (borrow(t), borrow(r)) }) else {
            return false;
        };
        let Some(table) = t.table() else {
            return false;
        };
        t.with_store(|s, cell| {
            let Ok(ty) = table.ty(&*s) else {
                return false;
            };
            match ref_to_val(r, nanowasm::ValType::Ref(ty.element), cell) {
                Ok(v) => f(table, s, v),
                Err(_) => false,
            }
        })
        .unwrap_or(false)
    })
}

/// The number of elements.
///
/// # Safety
///
/// `t` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_size(t: *const Object) -> u32 {
    guard(0, || {
        // SAFETY: the caller's contract.
        let Some(t) = (unsafe { borrow(t) }) else {
            return 0;
        };
        let Some(table) = t.table() else {
            return 0;
        };
        t.with_store(|s, _| {
            table
                .size(&*s)
                .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
        })
        .unwrap_or(0)
    })
}

/// Grows by `delta` elements set to `init` (NULL: null); false if the
/// table cannot grow that much.
///
/// # Safety
///
/// `t` and `init` are null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_grow(t: *mut Object, delta: u32, init: *mut Object) -> bool {
    // SAFETY: the caller's contract.
    unsafe {
        with_table_ref(t, init, |table, s, v| {
            table.grow(s, u64::from(delta), v).is_ok()
        })
    }
}

// Memories

/// A memory of type `ty`; NULL on failure.
///
/// # Safety
///
/// Each argument is null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_new(
    store: *mut wasm_store_t,
    ty: *const ExternType,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (store, ty) = unsafe { (borrow(store), borrow(ty)) };
        let (Some(store), Some(ty)) = (store, ty.and_then(ExternType::memory_type)) else {
            return std::ptr::null_mut();
        };
        match store.cell.with(|s| Memory::new(s, ty)) {
            Ok(m) => Object::raw(&store.cell, Which::Memory(m)),
            Err(_) => std::ptr::null_mut(),
        }
    })
}

/// The memory's type (its current size as minimum).
///
/// # Safety
///
/// `m` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_type(m: *const Object) -> *mut ExternType {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(m) = (unsafe { borrow(m) }) else {
            return std::ptr::null_mut();
        };
        let Some(memory) = m.memory() else {
            return std::ptr::null_mut();
        };
        m.with_store(|s, _| memory.ty(&*s).ok())
            .flatten()
            .map_or(std::ptr::null_mut(), |ty| into_raw(ExternType::memory(ty)))
    })
}

/// The memory's bytes: valid until the memory grows or the store goes.
///
/// # Safety
///
/// `m` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_data(m: *mut Object) -> *mut u8 {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(m) = (unsafe { borrow(m) }) else {
            return std::ptr::null_mut();
        };
        let Some(memory) = m.memory() else {
            return std::ptr::null_mut();
        };
        m.with_store(|s, _| memory.data_mut(s).map(<[u8]>::as_mut_ptr).ok())
            .flatten()
            .unwrap_or(std::ptr::null_mut())
    })
}

/// The memory's size in bytes.
///
/// # Safety
///
/// `m` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_data_size(m: *const Object) -> usize {
    guard(0, || {
        // SAFETY: the caller's contract.
        let Some(m) = (unsafe { borrow(m) }) else {
            return 0;
        };
        let Some(memory) = m.memory() else {
            return 0;
        };
        m.with_store(|s, _| memory.data(&*s).map_or(0, <[u8]>::len))
            .unwrap_or(0)
    })
}

/// The memory's size in pages.
///
/// # Safety
///
/// `m` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_size(m: *const Object) -> u32 {
    guard(0, || {
        // SAFETY: the caller's contract.
        let Some(m) = (unsafe { borrow(m) }) else {
            return 0;
        };
        let Some(memory) = m.memory() else {
            return 0;
        };
        m.with_store(|s, _| {
            memory
                .size(&*s)
                .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
        })
        .unwrap_or(0)
    })
}

/// Grows by `delta` pages; false if the memory cannot grow that much.
///
/// # Safety
///
/// `m` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_grow(m: *mut Object, delta: u32) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        let Some(m) = (unsafe { borrow(m) }) else {
            return false;
        };
        let Some(memory) = m.memory() else {
            return false;
        };
        m.with_store(|s, _| memory.grow(s, u64::from(delta)).is_ok())
            .unwrap_or(false)
    })
}

// Externs

/// The extern's kind (`WASM_EXTERN_FUNC` for a non-extern).
///
/// # Safety
///
/// `e` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_kind(e: *const Object) -> u8 {
    guard(0, || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(e) }.map(|e| &e.which) {
            Some(Which::Global(_)) => crate::types::WASM_EXTERN_GLOBAL,
            Some(Which::Table(_)) => crate::types::WASM_EXTERN_TABLE,
            Some(Which::Memory(_)) => crate::types::WASM_EXTERN_MEMORY,
            Some(Which::Tag(_)) => crate::types::WASM_EXTERN_TAG,
            _ => crate::types::WASM_EXTERN_FUNC,
        }
    })
}

/// The extern's type; NULL if `e` is not an extern.
///
/// # Safety
///
/// `e` is null or a valid object.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_type(e: *const Object) -> *mut ExternType {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(e) = (unsafe { borrow(e) }) else {
            return std::ptr::null_mut();
        };
        e.with_store(|s, _| {
            let ty = match e.which {
                Which::Func(f) => ExternType::func(f.ty(&*s).ok()?),
                Which::Global(g) => ExternType::global(g.ty(&*s).ok()?),
                Which::Table(t) => ExternType::table(t.ty(&*s).ok()?),
                Which::Memory(m) => ExternType::memory(m.ty(&*s).ok()?),
                Which::Tag(t) => ExternType::tag(t.ty(&*s).ok()?),
                _ => return None,
            };
            Some(into_raw(ty))
        })
        .flatten()
        .unwrap_or(std::ptr::null_mut())
    })
}

// These functions run no `guard`: they return their argument or test
// its kind (a `match` on a valid object), which cannot panic.
/// `X_as_extern[_const]`: the same object. `extern_as_X[_const]`: the same
/// object if the extern is an `X`, else NULL.
macro_rules! extern_conversions {
    ($is:pat, $to:ident, $to_const:ident, $from:ident, $from_const:ident) => {
        same_object!($is, "an extern", $to, $to_const, $from, $from_const);
    };
}

extern_conversions!(
    Which::Func(_),
    wasm_func_as_extern,
    wasm_func_as_extern_const,
    wasm_extern_as_func,
    wasm_extern_as_func_const
);
extern_conversions!(
    Which::Global(_),
    wasm_global_as_extern,
    wasm_global_as_extern_const,
    wasm_extern_as_global,
    wasm_extern_as_global_const
);
extern_conversions!(
    Which::Table(_),
    wasm_table_as_extern,
    wasm_table_as_extern_const,
    wasm_extern_as_table,
    wasm_extern_as_table_const
);
extern_conversions!(
    Which::Memory(_),
    wasm_memory_as_extern,
    wasm_memory_as_extern_const,
    wasm_extern_as_memory,
    wasm_extern_as_memory_const
);

// Instances

/// Finds a definition for import `module::name` in the store.
pub(crate) type Resolver<'a> =
    dyn Fn(&mut nanowasm::Store<StoreData>, &str, &str) -> Option<nanowasm::Extern> + 'a;

/// Instantiates `module` in `store` with `imports` in the module's import
/// order; entries that are null are resolved by `resolve` (nanowasm.h's
/// WASI instantiation), or fail.
pub(crate) fn instantiate(
    store: &wasm_store_t,
    module: &Object,
    imports: &[Option<Box<Object>>],
    resolve: Option<&Resolver<'_>>,
) -> Result<*mut Object, TrapInfo> {
    let Some(m) = module.module() else {
        return Err(TrapInfo::message("wasm_instance_new: not a module".into()));
    };
    let cell = &store.cell;
    cell.with(|s| {
        let wanted: Vec<_> = m.imports().collect();
        let mut externs = Vec::with_capacity(wanted.len());
        for (i, import) in wanted.iter().enumerate() {
            let given = imports.get(i).and_then(|o| o.as_deref());
            let e = match given {
                Some(o) => {
                    if !o.store.as_ref().is_some_and(|c| Rc::ptr_eq(c, cell)) {
                        return Err(TrapInfo::message(format!(
                            "import `{}::{}` belongs to another store",
                            import.module(),
                            import.name()
                        )));
                    }
                    o.as_extern()
                }
                None => resolve.and_then(|r| r(s, import.module(), import.name())),
            };
            match e {
                Some(e) => externs.push(e),
                None => {
                    return Err(TrapInfo::message(format!(
                        "missing import `{}::{}`",
                        import.module(),
                        import.name()
                    )))
                }
            }
        }
        if imports.len() > wanted.len() && resolve.is_none() {
            return Err(TrapInfo::message(format!(
                "{} imports given, the module has {}",
                imports.len(),
                wanted.len()
            )));
        }
        if !s.data().modules.iter().any(|k| Module::same(k, m)) {
            s.data_mut().modules.push(m.clone());
        }
        match Instance::new(&mut *s, m, &externs) {
            Ok(i) => Ok(Object::raw(cell, Which::Instance(i))),
            Err(e) => Err(TrapInfo::from_error(e, s.data())),
        }
    })
}

/// Instantiates `module` with `imports`; NULL on failure, with the trap
/// (the start function's, or one saying why linking failed) in `*trap`
/// if `trap` is not null.
///
/// # Safety
///
/// Each argument is null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_new(
    store: *mut wasm_store_t,
    module: *const Object,
    imports: *const wasm_extern_vec_t,
    trap: *mut *mut Object,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (store, module, imports) = unsafe { (borrow(store), borrow(module), borrow(imports)) };
        let (Some(store), Some(module)) = (store, module) else {
            return std::ptr::null_mut();
        };
        let imports = imports.map_or(&[][..], CVec::as_slice);
        match instantiate(store, module, imports, None) {
            Ok(i) => i,
            Err(info) => {
                // SAFETY: the caller's contract.
                unsafe { write_out(trap, trap_raw(Some(&store.cell), info)) };
                std::ptr::null_mut()
            }
        }
    })
}

/// The instance's exports, in the module's export order.
///
/// # Safety
///
/// `i` is null or a valid object; `out` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_exports(i: *const Object, out: *mut wasm_extern_vec_t) {
    guard((), || {
        // SAFETY: the caller's contract.
        let exports = unsafe { borrow(i) }
            .and_then(|o| {
                let Which::Instance(instance) = o.which else {
                    return None;
                };
                o.with_store(|s, cell| {
                    instance
                        .exports(s)
                        .into_iter()
                        .map(|(_, e)| Some(Box::new(Object::from_extern(cell, e))))
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default();
        // SAFETY: the caller's contract.
        unsafe { write_out(out, CVec::from(exports)) }
    })
}
