//! The API in wasmtime's shape: text modules, `Module::from_file`,
//! `Linker::new(&engine)`, `Result`, `I32Exit` and downcasts.

use nanowasm_runtime::*;

const ADD: &str = r#"(module (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))"#;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nanowasm-parity-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn add(engine: &Engine, module: &Module) -> Result<i32> {
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, module)?;
    let add = instance.get_typed_func::<(i32, i32), i32>(&mut store, "add")?;
    add.call(&mut store, (40, 2))
}

#[test]
fn module_new_takes_text_and_binary() -> Result<()> {
    let engine = Engine::default();
    assert_eq!(add(&engine, &Module::new(&engine, ADD)?)?, 42);
    assert_eq!(add(&engine, &Module::new(&engine, ADD.as_bytes())?)?, 42);
    let binary = wat::parse_str(ADD).unwrap();
    assert_eq!(add(&engine, &Module::new(&engine, &binary)?)?, 42);
    // The text encodes to the same module as the reference encoder's.
    assert_eq!(
        Module::new(&engine, ADD)?.code_size(),
        Module::new(&engine, &binary)?.code_size()
    );
    Ok(())
}

#[test]
fn text_errors_name_line_and_column() {
    let engine = Engine::default();
    let err = Module::new(
        &engine,
        "(module\n  (func (result i32)\n    (i32.konst 1)))",
    )
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Text(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("<input>:3:6: "), "{text}");
    assert!(text.contains("(i32.konst 1)"), "{text}");
    assert!(text.ends_with('^'), "{text}");
    // Bytes that are neither a binary nor UTF-8.
    let err = Module::new(&engine, [0xff, 0xfe, 0x00]).unwrap_err();
    assert!(err.to_string().contains("nor UTF-8 text"), "{err}");
    // A binary with a bad magic is reported as text (which it then isn't).
    assert!(Module::new(&engine, b"\0asn\x01\0\0\0").is_err());
    // Valid text, invalid module: a validation error, not a text error.
    let err = Module::new(&engine, "(module (func (result i32) (i64.const 1)))").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Compile(_)), "{err:?}");
}

#[test]
fn module_from_file() -> Result<()> {
    let dir = scratch("from-file");
    let engine = Engine::default();
    std::fs::write(dir.join("add.wat"), ADD).unwrap();
    std::fs::write(dir.join("add.wasm"), wat::parse_str(ADD).unwrap()).unwrap();
    assert_eq!(
        add(&engine, &Module::from_file(&engine, dir.join("add.wat"))?)?,
        42
    );
    assert_eq!(
        add(&engine, &Module::from_file(&engine, dir.join("add.wasm"))?)?,
        42
    );

    std::fs::write(
        dir.join("bad.wat"),
        "(module\n  (func $f (i32.add)\n  ))\n)",
    )
    .unwrap();
    let err = Module::from_file(&engine, dir.join("bad.wat")).unwrap_err();
    let path = dir.join("bad.wat").display().to_string();
    assert!(err.to_string().starts_with(&format!("{path}:")), "{err}");

    let missing = dir.join("missing.wasm");
    let err = Module::from_file(&engine, &missing).unwrap_err();
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    Ok(())
}

#[test]
fn linker_belongs_to_an_engine() -> Result<()> {
    let a = Engine::default();
    let b = Engine::default();
    let module = Module::new(&b, ADD)?;
    let linker: Linker<()> = Linker::new(&a);
    assert!(Engine::same(linker.engine(), &a));
    let err = linker.instantiate_pre(&module).map(|_| ()).unwrap_err();
    assert!(err.to_string().contains("another engine"), "{err}");
    let mut store = Store::new(&a, ());
    assert!(linker.instantiate(&mut store, &module).is_err());
    // A clone serves the same engine.
    let module = Module::new(&a, ADD)?;
    assert!(linker.clone().instantiate(&mut store, &module).is_ok());
    Ok(())
}

#[test]
fn exits_and_traps_downcast() -> Result<()> {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "wasi" "exit" (func $exit (param i32)))
            (func (export "exit") (param i32) (call $exit (local.get 0)))
            (func (export "trap") unreachable))"#,
    )?;
    let mut linker = Linker::new(&engine);
    linker.func_wrap("wasi", "exit", |status: i32| -> Result<()> {
        Err(I32Exit(status).into())
    })?;
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module)?;
    let exit = instance.get_typed_func::<i32, ()>(&mut store, "exit")?;
    let err = exit.call(&mut store, 7).unwrap_err();
    assert_eq!(err.downcast_ref::<I32Exit>(), Some(&I32Exit(7)));
    assert_eq!(err.exit_status(), Some(7));
    assert!(err.downcast_ref::<Trap>().is_none());
    assert_eq!(err.to_string(), "exited with i32 exit status 7");

    let trap = instance.get_typed_func::<(), ()>(&mut store, "trap")?;
    let err = trap.call(&mut store, ()).unwrap_err();
    assert_eq!(err.downcast_ref::<TrapCode>(), Some(&TrapCode::Unreachable));
    assert!(err.is::<Trap>());
    assert!(!err.is::<I32Exit>());
    assert_eq!(err.exit_status(), None);

    // A host function's own error type comes back out.
    #[derive(Debug)]
    struct Mine(u8);
    impl std::fmt::Display for Mine {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "mine {}", self.0)
        }
    }
    impl std::error::Error for Mine {}
    let err = Error::new(Mine(9));
    assert_eq!(err.downcast_ref::<Mine>().map(|m| m.0), Some(9));
    Ok(())
}

#[test]
fn translate_all_front_loads_every_function() -> Result<()> {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "host" "f" (func))
            (func $a (result i32) (i32.const 1))
            (func $b (result i32) (call $a))
            (func (export "c") (result i32) (i32.add (call $a) (call $b))))"#,
    )?;
    module.translate_all()?;
    // Twice is fine (nothing is translated again), and the module runs.
    module.translate_all()?;
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "f", || {})?;
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module)?;
    let c = instance.get_typed_func::<(), i32>(&mut store, "c")?;
    assert_eq!(c.call(&mut store, ())?, 2);
    Ok(())
}
