//! Running components (issue 17, third layer): instantiation, the
//! canonical ABI, resources and handle tables, and an embedding API in
//! wasmtime's shape (`wasmtime::component`): [`Component`], [`Linker`],
//! [`Instance`], [`Func`], [`Val`], [`ResourceType`], [`ResourceAny`].
//!
//! See `ARCHITECTURE.md`, "Running components".

mod abi;
mod adapter;
pub use abi::MAX_LIFTED_LIST;
mod fused;
mod instance;
mod state;
mod typed;
mod types;
mod val;
pub mod wave;

pub use instance::{Component, Func, HostDtor, HostFn, Instance, Linker, LinkerInstance};
pub use state::{AbiTrap, MAX_HANDLES};
pub use typed::{ComponentList, ComponentType, NotUnit, TypedFunc};
pub use types::{FuncType, ResourceType, Type};
pub use val::{ResourceAny, Val};
