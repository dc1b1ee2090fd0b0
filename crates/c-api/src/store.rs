//! Configurations, engines and stores.

use std::cell::{Cell, UnsafeCell};
use std::rc::Rc;

use nanowasm::wasi::WasiCtx;
use nanowasm::{Config, Engine, Module, Store};

use crate::{borrow, from_raw, guard, into_raw};

/// `wasm_config_t`: an engine configuration (see nanowasm.h for its
/// setters).
pub struct wasm_config_t {
    pub(crate) config: Config,
}

/// `wasm_engine_t`.
pub struct wasm_engine_t {
    pub(crate) engine: Engine,
}

/// What a store of the C API holds beside its instances.
pub struct StoreData {
    /// The WASI context WASI imports use (nanowasm.h); one granting
    /// nothing until `nanowasm_store_set_wasi`.
    pub(crate) wasi: WasiCtx,
    /// Every module instantiated in the store, to place trap frames in
    /// their functions (`wasm_frame_func_offset`).
    pub(crate) modules: Vec<Module>,
}

/// The store of a `wasm_store_t` and of every object made in it.
///
/// The C API hands out many objects that reach one store, and host
/// functions may use them while the store is running wasm (a callback
/// reading memory, say). So the store is reached only through
/// [`with`](StoreCell::with), which gives out the store's one live `&mut`:
/// the store itself when idle, or, while a host function runs, the store
/// of that function's `Caller` (a reborrow of the running call's), which
/// the callback trampoline records in `active` for the callback's
/// duration.
pub struct StoreCell {
    store: UnsafeCell<Store<StoreData>>,
    active: Cell<*mut Store<StoreData>>,
}

impl StoreCell {
    /// Runs `f` with the store. `f` must not call `with` on this cell again
    /// except through a host function call (which is what makes the nested
    /// access go through the caller's store).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Store<StoreData>) -> R) -> R {
        let active = self.active.get();
        let store = if active.is_null() {
            self.store.get()
        } else {
            active
        };
        // SAFETY: the store is single-threaded (`Rc`, `!Send`), and no
        // other `&mut` to it is in use: outside host calls no `with` is
        // running (this crate never nests them); inside one, the running
        // `with` has lent its `&mut` to the wasm call, whose `Caller`
        // pointer is `active`, derived from it and the only one in use
        // until the callback returns.
        f(unsafe { &mut *store })
    }

    /// Makes `store` (a host function's `Caller` store) the one `with`
    /// hands out, until the returned guard is dropped.
    pub(crate) fn enter(&self, store: *mut Store<StoreData>) -> ActiveGuard<'_> {
        let previous = self.active.replace(store);
        ActiveGuard {
            cell: self,
            previous,
        }
    }
}

/// Restores the previous active store.
pub(crate) struct ActiveGuard<'a> {
    cell: &'a StoreCell,
    previous: *mut Store<StoreData>,
}

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.cell.active.set(self.previous);
    }
}

/// `wasm_store_t`.
pub struct wasm_store_t {
    pub(crate) cell: Rc<StoreCell>,
}

impl wasm_store_t {
    pub(crate) fn engine(&self) -> Engine {
        self.cell.with(|s| s.engine().clone())
    }
}

/// A new default configuration.
#[no_mangle]
pub extern "C" fn wasm_config_new() -> *mut wasm_config_t {
    guard(std::ptr::null_mut(), || {
        into_raw(wasm_config_t {
            config: Config::new(),
        })
    })
}

/// Deletes a configuration.
///
/// # Safety
///
/// `c` is null or an owned configuration.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_delete(c: *mut wasm_config_t) {
    // SAFETY: the caller's contract.
    guard((), || drop(unsafe { from_raw(c) }))
}

/// A new engine with the default configuration.
#[no_mangle]
pub extern "C" fn wasm_engine_new() -> *mut wasm_engine_t {
    guard(std::ptr::null_mut(), || {
        into_raw(wasm_engine_t {
            engine: Engine::default(),
        })
    })
}

/// A new engine; takes ownership of `config` (NULL: the default).
///
/// # Safety
///
/// `config` is null or an owned configuration.
#[no_mangle]
pub unsafe extern "C" fn wasm_engine_new_with_config(
    config: *mut wasm_config_t,
) -> *mut wasm_engine_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let config = unsafe { from_raw(config) }.map_or_else(Config::new, |c| c.config);
        into_raw(wasm_engine_t {
            engine: Engine::new(&config),
        })
    })
}

/// Deletes an engine (stores and modules made with it keep it alive).
///
/// # Safety
///
/// `e` is null or an owned engine.
#[no_mangle]
pub unsafe extern "C" fn wasm_engine_delete(e: *mut wasm_engine_t) {
    // SAFETY: the caller's contract.
    guard((), || drop(unsafe { from_raw(e) }))
}

/// A new store; NULL if `engine` is null.
///
/// # Safety
///
/// `engine` is null or a valid engine.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_new(engine: *mut wasm_engine_t) -> *mut wasm_store_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let Some(engine) = (unsafe { borrow(engine) }) else {
            return std::ptr::null_mut();
        };
        let Ok(wasi) = WasiCtx::builder().build() else {
            return std::ptr::null_mut();
        };
        let data = StoreData {
            wasi,
            modules: Vec::new(),
        };
        into_raw(wasm_store_t {
            cell: Rc::new(StoreCell {
                store: UnsafeCell::new(Store::new(&engine.engine, data)),
                active: Cell::new(std::ptr::null_mut()),
            }),
        })
    })
}

/// Deletes a store handle. The store itself goes when its last object does.
///
/// # Safety
///
/// `s` is null or an owned store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_delete(s: *mut wasm_store_t) {
    // SAFETY: the caller's contract.
    guard((), || drop(unsafe { from_raw(s) }))
}
