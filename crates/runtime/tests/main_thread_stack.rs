//! Host↔wasm recursion on the process's main thread (8 MiB by default),
//! where the issue saw the abort at depth 5,000. A test harness runs tests
//! on spawned threads, so this binary has none (`harness = false`).

#[path = "support/reentrant.rs"]
mod reentrant;

fn main() {
    let engine = nanowasm_runtime::Engine::default();
    reentrant::recursion_traps_and_store_survives(&reentrant::reentrant_module(&engine));
    println!("main thread: host↔wasm recursion trapped with `call stack exhausted`");
}
