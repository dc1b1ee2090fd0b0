//! `nanowasm objdump MODULE`: the machine code the compiler makes for a
//! module (or that a `.cwasm` artifact holds), disassembled, function by
//! function, as `wasmtime objdump` shows a `.cwasm`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use iced_x86::{Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter};
use nanowasm::{Engine, Strategy};

/// Arguments of `nanowasm objdump`.
#[derive(ClapArgs)]
pub struct Args {
    /// A module (binary or text), compiled with the settings below, or a
    /// `.cwasm` artifact from `nanowasm compile` (loaded, never run).
    #[arg(value_name = "MODULE")]
    module: PathBuf,

    /// Only functions whose name (or `func[N]`) contains this string.
    #[arg(long = "funcs", value_name = "FILTER")]
    funcs: Option<String>,

    /// Show each instruction's bytes.
    #[arg(long)]
    bytes: bool,

    /// The settings compiled into the code, as for `nanowasm compile`.
    #[command(flatten)]
    settings: crate::compile::Settings,
}

/// Runs the subcommand: the listing on stdout and exit 0; 1 on an error
/// (printed), 2 for bad options.
pub fn run(args: Args) -> ExitCode {
    let mut config = match args.settings.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nanowasm objdump: {e}");
            return ExitCode::from(2);
        }
    };
    config.strategy(Strategy::Compiler);
    let engine = Engine::new(&config);
    // An artifact's code is only read here, never run, so its loading needs
    // no `--allow-precompiled`; its checksum is still verified.
    let module = match crate::run::load(&engine, &args.module, true) {
        Ok(m) => m,
        Err(e) => {
            crate::report(&e);
            return ExitCode::FAILURE;
        }
    };
    let funcs = module.compiled_functions();
    if funcs.is_empty() {
        // A module without functions, or an artifact that holds only its
        // WebAssembly (`compile -C strategy=auto` of a module the compiler
        // does not support): the interpreter runs it.
        eprintln!("`{}`: no compiled functions", args.module.display());
    }
    let mut out = String::new();
    for f in funcs {
        let label = match f.name {
            Some(n) => format!("{n} (func[{}])", f.index),
            None => format!("func[{}]", f.index),
        };
        if let Some(filter) = &args.funcs {
            if !label.contains(filter.as_str()) {
                continue;
            }
        }
        let _ = writeln!(out, "\n{:08x} <{label}>:", f.offset);
        disassemble(&mut out, f.code, u64::from(f.offset), args.bytes);
    }
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: cannot write the listing: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Appends the Intel-syntax listing of `code`, loaded at offset `ip`.
fn disassemble(out: &mut String, code: &[u8], ip: u64, bytes: bool) {
    let mut decoder = Decoder::with_ip(64, code, ip, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    formatter.options_mut().set_first_operand_char_index(8);
    let mut text = String::new();
    let mut instr = Instruction::default();
    while decoder.can_decode() {
        decoder.decode_out(&mut instr);
        text.clear();
        formatter.format(&instr, &mut text);
        let _ = write!(out, "  {:8x}:  ", instr.ip());
        if bytes {
            let start = (instr.ip() - ip) as usize;
            let mut hex = String::new();
            for b in &code[start..start + instr.len()] {
                let _ = write!(hex, "{b:02x} ");
            }
            let _ = write!(out, "{hex:<33}");
        }
        let _ = writeln!(out, "{text}");
    }
}
