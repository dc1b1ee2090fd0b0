//! The `spectest` host module that the spec scripts import.

use nanowasm::{
    Error, FuncType, Global, GlobalType, Limits, Linker, Memory, MemoryType, RefType, Store, Table,
    TableType, Val, ValType,
};

/// Defines the `spectest` module in `linker`, with its memory, table and
/// globals allocated in `store`.
pub fn define<T>(linker: &mut Linker<T>, store: &mut Store<T>) -> Result<(), Error> {
    let print = |params: Vec<ValType>| FuncType::new(params, []);
    for (name, params) in [
        ("print", vec![]),
        ("print_i32", vec![ValType::I32]),
        ("print_i64", vec![ValType::I64]),
        ("print_f32", vec![ValType::F32]),
        ("print_f64", vec![ValType::F64]),
        ("print_i32_f32", vec![ValType::I32, ValType::F32]),
        ("print_f64_f64", vec![ValType::F64, ValType::F64]),
    ] {
        linker.func_new("spectest", name, print(params), |_, _, _| Ok(()))?;
    }
    let global = |store: &mut Store<T>, content, value| {
        Global::new(
            store,
            GlobalType {
                content,
                mutable: false,
            },
            value,
        )
    };
    let g = global(store, ValType::I32, Val::I32(666))?;
    linker.define("spectest", "global_i32", g)?;
    let g = global(store, ValType::I64, Val::I64(666))?;
    linker.define("spectest", "global_i64", g)?;
    let g = global(store, ValType::F32, Val::F32(666.6f32.to_bits()))?;
    linker.define("spectest", "global_f32", g)?;
    let g = global(store, ValType::F64, Val::F64(666.6f64.to_bits()))?;
    linker.define("spectest", "global_f64", g)?;
    // `table` and its 64-bit twin `table64` (memory64's tests import it).
    for (name, table64) in [("table", false), ("table64", true)] {
        let table = Table::new(
            &mut *store,
            TableType {
                element: RefType::FUNCREF,
                limits: Limits {
                    min: 10,
                    max: Some(20),
                },
                table64,
            },
            Val::FuncRef(None),
        )?;
        linker.define("spectest", name, table)?;
    }
    let memory = Memory::new(
        &mut *store,
        MemoryType {
            limits: Limits {
                min: 1,
                max: Some(2),
            },
            memory64: false,
            shared: false,
        },
    )?;
    linker.define("spectest", "memory", memory)?;
    Ok(())
}
