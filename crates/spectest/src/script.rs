//! A parsed spec script (the types live in `nanowasm-text`, which parses
//! `.wast` files into them).

pub use nanowasm_text::wast::script::*;
