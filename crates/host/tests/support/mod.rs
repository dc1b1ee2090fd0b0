//! What the nanoprocess host's tests share: scratch directories, modules
//! written from WAT, systems built from manifest text, a watchdog.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use nanowasm_host::{Manifest, System, Value};

/// A fresh scratch directory for one test (named after the test binary,
/// `name` and the process).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "nanowasm-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the module `wat` as the binary `dir/name`.
pub fn write_wat(dir: &Path, name: &str, wat: &str) {
    std::fs::write(dir.join(name), nanowasm_text::parse_wat(wat).unwrap()).unwrap();
}

/// The system of manifest text `manifest`, with paths relative to `dir`.
pub fn system(dir: &Path, manifest: &str) -> System {
    System::new(&Manifest::parse(manifest, dir).unwrap()).unwrap()
}

/// Runs `f` on its own thread and fails the test if it has not finished
/// within `limit`: a regression to a deadlock fails instead of hanging.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => {
            worker.join().unwrap();
            v
        }
        // The worker panicked: re-raise its panic.
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(p) => std::panic::resume_unwind(p),
            Ok(()) => unreachable!("the worker sends before it ends"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("still running after {limit:?}: deadlocked or unbounded wait")
        }
    }
}

/// Calls `process.func`, of type `() -> i32`.
pub fn call_i32(sys: &System, process: &str, func: &str) -> i32 {
    match sys.call(process, func, "() -> i32", &[]) {
        Ok(Some(Value::I32(v))) => v,
        other => panic!("{process}.{func}: {other:?}"),
    }
}
