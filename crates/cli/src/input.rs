//! Reading a module from a file: a binary as it is, anything else as text
//! (WAT) lowered to binary, as wasmtime does.

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
    nanowasm_text::binary_or_wat(bytes, &path.display().to_string())
}
