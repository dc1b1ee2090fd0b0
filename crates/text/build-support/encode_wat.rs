// The WAT-to-wasm step of the build scripts that embed a module written in
// WAT (`examples/minimal`, `crates/no-std-check`), shared by `include!`: a
// build script cannot depend on another package's build script, and a
// library function here would put Cargo's build-script protocol into
// nanowasm-text. The including script depends on `nanowasm-text`.

/// Encodes the WAT file `src_path` (relative to the package) into
/// `$OUT_DIR/out_name` with nanowasm's text encoder, so no binary module is
/// committed, and has Cargo rerun the build script when the file changes.
/// Fails the build (a panic in a build script) with the file's error,
/// pointing into the source on a parse error.
fn encode_wat(src_path: &str, out_name: &str) {
    println!("cargo::rerun-if-changed={src_path}");
    let src =
        std::fs::read_to_string(src_path).unwrap_or_else(|e| panic!("cannot read {src_path}: {e}"));
    let bytes = nanowasm_text::parse_wat(&src)
        .unwrap_or_else(|e| panic!("{}", e.display_with(src_path, &src)));
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join(out_name);
    std::fs::write(&out, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
