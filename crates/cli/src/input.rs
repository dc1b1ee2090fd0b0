//! Reading a module from a file: `.wat` text is lowered to binary, as
//! wasmtime does; anything else is taken as binary.

use std::path::Path;

/// The module's binary bytes, or an error message ready to print. The path
/// `-` is standard input, as in wasmtime.
pub fn read_module(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .map_err(|e| format!("standard input: cannot read: {e}"))?;
        bytes
    } else {
        std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?
    };
    let is_text =
        path.extension().is_some_and(|e| e == "wat" || e == "wast") || !bytes.starts_with(b"\0asm");
    if !is_text {
        return Ok(bytes);
    }
    let src = String::from_utf8(bytes)
        .map_err(|_| format!("{}: not UTF-8 text nor a wasm binary", path.display()))?;
    nanowasm_text::parse_wat(&src).map_err(|e| e.display_with(&path.display().to_string(), &src))
}
