//! The integration tests of `nanowasm-component`.

mod abi_props;
mod compiled_adapter_attacks;
mod compiled_adapters;
mod no_panic;
mod runtime;
mod verdict;
mod wave;
mod wit;
