//! Every fuzzer finding, replayed through its oracle: the inputs under
//! `tests/regressions/<target>/` (raw fuzzer input, named
//! `<date>-<slug>.bin`), plus hand-minimized cases.

use std::path::Path;

/// The `wasi` oracle bounds what each WASI call allocates through this
/// allocator.
#[global_allocator]
static ALLOC: nanowasm_fuzzing::wasi::CountingAlloc = nanowasm_fuzzing::wasi::CountingAlloc;

fn replay(target: &str, f: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&data)));
        assert!(r.is_ok(), "{} fails again", path.display());
    }
}

#[test]
fn fuzzer_findings() {
    use nanowasm_fuzzing::*;
    replay("decode_validate", oracles::decode_validate);
    replay("wat_parse", oracles::wat_parse);
    replay("roundtrip", |d| {
        if let Some(m) = generate(d) {
            oracles::roundtrip(&m);
        }
    });
    replay("execute", |d| {
        if let Some(m) = generate(d) {
            oracles::execute(&m);
        }
    });
    replay("differential", |d| {
        if let Some(m) = generate_for_differential(d) {
            differential::differential(&m);
        }
    });
    replay("wasi", wasi::wasi);
}

/// The allocation check of the `wasi` oracle refuses a block past its
/// limit (a fallible reservation sees the refusal instead of aborting).
#[test]
fn wasi_oracle_refuses_allocations_past_the_limit() {
    use nanowasm_fuzzing::wasi::{counting, measure};
    assert!(counting(), "the counting allocator is installed");
    let (refused, _) = measure(1 << 20, || Vec::<u8>::new().try_reserve(2 << 20).is_err());
    assert!(refused, "a 2 MiB block passed a 1 MiB limit");
    let (small, a) = measure(1 << 20, || Vec::<u8>::with_capacity(1000).capacity());
    assert!(
        small >= 1000 && a.largest >= 1000 && a.peak >= 1000,
        "{a:?}"
    );
}

/// Issue 13, item 2: `fd_write`, `fd_pwrite` and `sock_send` with 131,064
/// `iovec`s each covering the whole 1 MiB memory asked the host for 8 GiB
/// and aborted the process. Under the `wasi` oracle every call must stay
/// within 64 MiB plus twice the guest memory (the oracle aborts the test
/// process otherwise, with "memory allocation of N bytes failed").
#[test]
fn whole_memory_iovecs_stay_bounded() {
    use nanowasm::wasi::ctx::rights;
    use nanowasm::Val::{I32, I64};
    use nanowasm_fuzzing::wasi::{run, Clocks, Deadline, Input, Op, Random, Setup, FUNCS};
    let mem = 16 * 65536u32;
    let count = 131_064; // the array itself fills memory up to the last 64 bytes
    let path = mem - 64;
    let out = mem - 8;
    let call = |name: &str, args: Vec<nanowasm::Val>| Op::Call {
        func: FUNCS.iter().position(|(n, _)| *n == name).unwrap(),
        args,
    };
    let iovs = I32(0);
    let n = I32(count as i32);
    let input = Input {
        setup: Setup {
            pages: 16,
            fill: 0,
            readonly: false,
            sub_readonly: false,
            stdin: None,
            stdout_limit: Some(1 << 16),
            prefix: true,
            clocks: Clocks::Denied,
            random: Random::Denied,
            args: Vec::new(),
            env: Vec::new(),
            listener: None,
            unstable: false,
            deadline: Deadline::Far,
        },
        ops: vec![
            Op::Iovecs {
                at: 0,
                count,
                ptr: 0,
                stride: 0,
                len: mem,
            },
            Op::Write {
                at: path,
                bytes: b"f".to_vec(),
            },
            // `f` opened for reading and writing: descriptor 5.
            call(
                "path_open",
                vec![
                    I32(3),
                    I32(0),
                    I32(path as i32),
                    I32(1),
                    I32(0),
                    I64(rights::FILE as i64),
                    I64(0),
                    I32(0),
                    I32(out as i32),
                ],
            ),
            call("fd_write", vec![I32(1), iovs, n, I32(out as i32)]),
            call("fd_write", vec![I32(2), iovs, n, I32(out as i32)]),
            call("fd_write", vec![I32(5), iovs, n, I32(out as i32)]),
            call("fd_pwrite", vec![I32(5), iovs, n, I64(0), I32(out as i32)]),
            call("sock_send", vec![I32(1), iovs, n, I32(0), I32(out as i32)]),
            call("fd_read", vec![I32(5), iovs, n, I32(out as i32)]),
            call("fd_pread", vec![I32(5), iovs, n, I64(0), I32(out as i32)]),
            call(
                "sock_recv",
                vec![I32(5), iovs, n, I32(0), I32(out as i32), I32(out as i32)],
            ),
        ],
    };
    run(&input);
}

/// Found by the smoke test on its first run: wasmi 2.0.0 (the first oracle
/// version) computes `1 / select(1, x, x == 0)` as 1 for x = 7; nanowasm,
/// wasmtime, V8 and wasmi 1.1 give 0. The oracle is pinned to wasmi 1.1;
/// this keeps both nanowasm's answer and the agreement checked.
#[test]
fn select_eqz_div_from_the_wasmi_2_discrepancy() {
    let wasm = nanowasm_text::parse_wat(
        r#"(module (func (export "f") (result i32) (local i32)
             i32.const 1 i32.const 7 local.set 0
             i32.const 1 local.get 0 local.get 0 i32.eqz select
             i32.div_u))"#,
    )
    .unwrap();
    let engine = nanowasm::Engine::default();
    let module = nanowasm::Module::new(&engine, &wasm).unwrap();
    let mut store = nanowasm::Store::new(&engine, ());
    let instance = nanowasm::Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = instance.get_typed_func::<(), i32>(&mut store, "f").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 0);
    nanowasm_fuzzing::differential::differential(&wasm);
}

/// The first `wasi` campaign's only finding was the oracle's: a guest's
/// listener is blocking, so `sock_accept` with no connection pending
/// rightly waits, until the call's deadline (then the interrupt trap).
/// The oracle gives every call a 20 ms deadline when a socket is
/// preopened, and accepts the trap once that deadline has passed.
#[test]
fn wasi_oracle_lets_accept_wait_for_its_deadline() {
    use nanowasm::Val::I32;
    use nanowasm_fuzzing::wasi::{run, Clocks, Deadline, Input, Op, Random, Setup, FUNCS};
    let accept = FUNCS.iter().position(|(n, _)| *n == "sock_accept").unwrap();
    let mut input = Input {
        setup: Setup {
            pages: 1,
            fill: 0,
            readonly: false,
            sub_readonly: false,
            stdin: None,
            stdout_limit: None,
            prefix: false,
            clocks: Clocks::Host,
            random: Random::Denied,
            args: Vec::new(),
            env: Vec::new(),
            // Descriptor 5 (after the two preopened directories), one
            // connection pending.
            listener: Some(1),
            unstable: false,
            deadline: Deadline::Soon,
        },
        // The first accept takes the connection, the second waits.
        ops: vec![
            Op::Call {
                func: accept,
                args: vec![I32(5), I32(0), I32(0)],
            },
            Op::Call {
                func: accept,
                args: vec![I32(5), I32(0), I32(0)],
            },
        ],
    };
    run(&input);
    input.setup.deadline = Deadline::Past;
    run(&input);
}
