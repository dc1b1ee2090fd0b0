//! wasmtime's README example, ported by changing only the crate name
//! (`examples/hello.rs`), runs.

#[path = "../examples/hello.rs"]
mod hello;

#[test]
fn wasmtime_readme_example_runs() {
    hello::main().expect("the example runs");
}
