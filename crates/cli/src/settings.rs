//! `nanowasm settings`: what the engine supports and does by default, and
//! what the host CPU offers (wasmtime's `settings` prints Cranelift's
//! settings and the features it inferred for the host; nanowasm has no
//! Cranelift, so it prints its own engine's).

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use nanowasm::{Config, StoreLimits};
use nanowasm_core::Feature;

/// Arguments of `nanowasm settings`.
#[derive(ClapArgs)]
pub struct Args {
    /// Print as JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// The host CPU's features that matter to a WebAssembly engine (SIMD
/// lowering, bit manipulation, atomics), as detected at run time.
pub fn cpu_features() -> Vec<(&'static str, bool)> {
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! detect {
            ($($f:tt),*) => { vec![$(($f, std::arch::is_x86_feature_detected!($f))),*] };
        }
        detect!(
            "sse2",
            "sse3",
            "ssse3",
            "sse4.1",
            "sse4.2",
            "popcnt",
            "lzcnt",
            "bmi1",
            "bmi2",
            "avx",
            "avx2",
            "fma",
            "avx512f",
            "avx512vl",
            "avx512bw",
            "avx512dq",
            "cmpxchg16b"
        )
    }
    #[cfg(target_arch = "aarch64")]
    {
        macro_rules! detect {
            ($($f:tt),*) => { vec![$(($f, std::arch::is_aarch64_feature_detected!($f))),*] };
        }
        detect!("neon", "lse", "fp16", "dotprod", "crc", "aes", "sha2")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        Vec::new()
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn limit(v: Option<impl std::fmt::Display>) -> String {
    v.map_or_else(|| "unlimited".to_owned(), |v| v.to_string())
}

/// The proposals: name, on by default, implemented.
fn proposals() -> Vec<(&'static str, bool, bool)> {
    let defaults = Config::new().get_features();
    Feature::ALL
        .iter()
        .map(|&f| (f.name(), defaults.has(f), f.is_supported()))
        .collect()
}

/// The engine's defaults, from [`Config::new`]'s getters.
fn config_fields() -> Vec<(&'static str, String)> {
    let c = Config::new();
    vec![
        ("strategy", c.get_strategy().name().to_owned()),
        ("consume-fuel", c.get_consume_fuel().to_string()),
        ("epoch-interruption", c.get_epoch_interruption().to_string()),
        ("max-wasm-stack", c.get_max_wasm_stack().to_string()),
        ("max-call-depth", c.get_max_call_depth().to_string()),
        ("memory-init-cow", c.get_memory_init_cow().to_string()),
        ("signals-based-traps", c.get_guard_regions().to_string()),
        ("avx2", c.get_avx2().to_string()),
    ]
}

fn text() -> String {
    let mut out = String::new();
    let target = format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS);
    let _ = writeln!(out, "nanowasm {} on {target}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out);
    let _ = writeln!(out, "Strategy:");
    let _ = writeln!(
        out,
        "  {} (what `auto` resolves to; `-C strategy=auto|compiler|interpreter`)",
        nanowasm::Strategy::Auto.resolve().name()
    );
    let _ = writeln!(
        out,
        "  `auto` runs modules the compiler does not support yet (SIMD, tail calls, \
         multi-memory) in the interpreter"
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "WebAssembly proposals (defaults; `-W NAME=y|n`, `validate --features`):"
    );
    for (name, on, supported) in proposals() {
        let state = match (on, supported) {
            (true, _) => "on",
            (false, true) => "off",
            (false, false) => "off (not implemented)",
        };
        let _ = writeln!(out, "  {name:<26} {state}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Engine defaults (`Config::new()`):");
    for (key, value) in config_fields() {
        let _ = writeln!(out, "  {key:<20} {value}");
    }
    let _ = writeln!(out);
    let l = StoreLimits::default();
    let _ = writeln!(out, "Store limits (defaults; `-W max-...=N`):");
    let _ = writeln!(out, "  max-memory-size     {}", limit(l.memory_size));
    let _ = writeln!(out, "  max-table-elements  {}", limit(l.table_elements));
    let _ = writeln!(out, "  max-instances       {}", l.instances);
    let _ = writeln!(out, "  max-memories        {}", l.memories);
    let _ = writeln!(out, "  max-tables          {}", l.tables);
    let _ = writeln!(out, "  call-depth          {}", limit(l.call_depth));
    let _ = writeln!(out);
    let _ = writeln!(out, "Host CPU features ({}):", std::env::consts::ARCH);
    let found = cpu_features();
    if found.is_empty() {
        let _ = writeln!(out, "  (not detected on this architecture)");
    }
    for (name, present) in found {
        let _ = writeln!(out, "  {name:<12} {}", if present { "yes" } else { "no" });
    }
    out
}

fn json() -> String {
    let l = StoreLimits::default();
    let opt = |v: Option<u64>| v.map_or_else(|| "null".to_owned(), |v| v.to_string());
    let proposals: Vec<String> = proposals()
        .into_iter()
        .map(|(n, on, s)| {
            format!(
                "{{\"name\":{},\"default\":{on},\"implemented\":{s}}}",
                json_str(n)
            )
        })
        .collect();
    let cpu: Vec<String> = cpu_features()
        .into_iter()
        .map(|(n, p)| format!("{}:{p}", json_str(n)))
        .collect();
    format!(
        "{{\"version\":{},\"arch\":{},\"os\":{},\"strategy\":{},\
         \"proposals\":[{}],\"config\":{{{}}},\"limits\":{{\"max-memory-size\":{},\
         \"max-table-elements\":{},\"max-instances\":{},\"max-memories\":{},\
         \"max-tables\":{},\"call-depth\":{}}},\"cpu\":{{{}}}}}\n",
        json_str(env!("CARGO_PKG_VERSION")),
        json_str(std::env::consts::ARCH),
        json_str(std::env::consts::OS),
        json_str(nanowasm::Strategy::Auto.resolve().name()),
        proposals.join(","),
        config_fields()
            .iter()
            .map(|(k, v)| format!("{}:{}", json_str(k), json_str(v)))
            .collect::<Vec<_>>()
            .join(","),
        opt(l.memory_size.map(|v| v as u64)),
        opt(l.table_elements),
        l.instances,
        l.memories,
        l.tables,
        opt(l.call_depth.map(|v| v as u64)),
        cpu.join(",")
    )
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    if args.json {
        print!("{}", json());
    } else {
        print!("{}", text());
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_names_proposals_limits_and_cpu() {
        let t = text();
        assert!(t.contains("  simd "), "{t}");
        assert!(t.contains("off (not implemented)"), "{t}");
        assert!(t.contains("max-instances       10000"), "{t}");
        assert!(t.contains("  consume-fuel         false\n"), "{t}");
        assert!(t.contains("Host CPU features"), "{t}");
        #[cfg(target_arch = "x86_64")]
        assert!(t.contains("sse2         yes"), "{t}");
    }

    #[test]
    fn json_escapes() {
        assert_eq!(json_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert!(json().starts_with("{\"version\":"));
    }
}
