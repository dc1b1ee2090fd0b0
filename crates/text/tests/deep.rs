//! Deep nesting (issue 13, item 8): a valid module with 100,000 nested
//! blocks prints in space linear in its size, with the indentation capped
//! as wasmprinter caps it, and the text parses back to the same bytes.
//! Every parse runs on a thread with a 2 MiB stack (the default for spawned
//! threads), which recursion per level of nesting would overflow.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io;

use nanowasm_binary::Features;
use nanowasm_text::print::MAX_INDENT;
use nanowasm_text::wast::script::{Directive, ModuleSource};
use nanowasm_text::{parse_wat, print_bytes, write_module, MAX_NESTING};

const DEPTH: usize = 100_000;

/// The heap allocator, counting the live and peak bytes of each thread.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments,
// which satisfy `System`'s contract because they satisfy ours; the counting
// only reads and writes thread-local cells (const-initialized, so it never
// allocates).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            track(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: see the impl.
        unsafe { System.dealloc(ptr, layout) };
        track(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: see the impl.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns its result with the most heap it had allocated at
/// any one time, on this thread.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let r = f();
    (r, (PEAK.with(Cell::get) - start).max(0) as usize)
}

/// Runs `f` on a thread with a 2 MiB stack.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn leb(out: &mut Vec<u8>, mut v: usize) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    leb(out, body.len());
    out.extend_from_slice(body);
}

/// A module whose one function nests `depth` empty blocks, encoded as our
/// encoder encodes `(module (type (func)) (func (type 0) block ... end))`.
fn nested_blocks(depth: usize) -> Vec<u8> {
    let mut code = vec![0]; // no locals
    for _ in 0..depth {
        code.extend_from_slice(&[0x02, 0x40]);
    }
    code.resize(code.len() + depth + 1, 0x0b);
    let mut body = vec![1];
    leb(&mut body, code.len());
    body.extend(code);
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    section(&mut m, 1, &[1, 0x60, 0, 0]);
    section(&mut m, 3, &[1, 0]);
    section(&mut m, 10, &body);
    m
}

/// Counts what is written: bytes, lines, and the widest indentation.
#[derive(Default)]
struct Stats {
    bytes: usize,
    lines: usize,
    indent: usize,
    max_indent: usize,
    at_line_start: bool,
}

impl io::Write for Stats {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for &b in buf {
            if b == b'\n' {
                self.lines += 1;
                self.indent = 0;
                self.at_line_start = true;
            } else if b == b' ' && self.at_line_start {
                self.indent += 1;
                self.max_indent = self.max_indent.max(self.indent);
            } else {
                self.at_line_start = false;
            }
        }
        self.bytes += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The most a printed line of `block`/`end` takes: the capped indentation,
/// the word and the newline.
const LINE: usize = 2 * MAX_INDENT + "block".len() + 1;

#[test]
fn nested_blocks_validate() {
    let wasm = nested_blocks(DEPTH);
    assert!(wasm.len() < 310_000, "{} bytes", wasm.len());
    on_small_stack(move || nanowasm_binary::validate(&wasm, Features::default())).unwrap();
}

#[test]
fn printed_text_is_linear_in_the_depth() {
    // 5,000 levels printed as 2 * depth^2 bytes (50 MB) before the cap.
    let depth = 5_000;
    let text = print_bytes(&nested_blocks(depth), Features::default()).unwrap();
    assert!(
        text.len() < 2 * depth * LINE + 200,
        "{} bytes for {depth} levels",
        text.len()
    );
    let widest = text.lines().map(|l| l.len() - l.trim_start().len()).max();
    assert_eq!(widest, Some(2 * MAX_INDENT));
    // Shallow lines keep their full indentation.
    assert!(
        text.contains("\n    block\n      block\n"),
        "{}",
        &text[..200]
    );
}

#[test]
fn printing_streams_in_small_memory() {
    let wasm = nested_blocks(DEPTH);
    let size = wasm.len();
    let (stats, decoding, printing) = on_small_stack(move || {
        let features = Features::default();
        let (module, decoding) = peak_heap(|| nanowasm_binary::decode(wasm, features).unwrap());
        let mut stats = Stats::default();
        let (r, printing) = peak_heap(|| write_module(&module, features, &mut stats));
        r.unwrap();
        (stats, decoding, printing)
    });
    eprintln!(
        "{size} bytes of module: {} bytes of text; peak heap {decoding} bytes decoding, \
         {printing} bytes printing",
        stats.bytes
    );
    assert_eq!(stats.lines, 2 * DEPTH + 5);
    assert_eq!(stats.max_indent, 2 * MAX_INDENT);
    assert!(
        stats.bytes < 2 * DEPTH * LINE + 200,
        "{} bytes",
        stats.bytes
    );
    // Decoding and validating take memory in proportion to the module;
    // printing it, only the current line: not the 21 MB of text, nor
    // anything that grows with the depth.
    assert!(decoding < 16 * size, "peak heap {decoding} bytes decoding");
    assert!(printing < 4096, "peak heap {printing} bytes printing");
}

#[test]
fn printed_deep_module_parses_back_to_the_same_bytes() {
    let wasm = nested_blocks(DEPTH);
    let back = on_small_stack({
        let wasm = wasm.clone();
        move || {
            let text = print_bytes(&wasm, Features::default()).unwrap();
            let (bytes, peak) = peak_heap(|| parse_wat(&text));
            eprintln!(
                "{} bytes of text: peak heap {peak} bytes parsing",
                text.len()
            );
            // Tokens, the encoded bytes and the nesting stack: linear.
            assert!(peak < 64 * text.len(), "peak heap {peak} bytes");
            bytes
        }
    });
    assert!(
        back.as_ref().unwrap() == &wasm,
        "the round trip changed the module"
    );
}

/// A module with one function, `func` (its head), whose body nests `depth`
/// times `open` ... `close` around `mid`.
fn nest(func: &str, depth: usize, open: &str, mid: &str, close: &str) -> String {
    let mut s = String::with_capacity(depth * (open.len() + close.len()) + 100);
    s.push_str("(module ");
    s.push_str(func);
    s.push('\n');
    for _ in 0..depth {
        s.push_str(open);
    }
    s.push_str(mid);
    for _ in 0..depth {
        s.push_str(close);
    }
    s.push_str("))\n");
    s
}

fn parse_and_validate(text: String) -> Vec<u8> {
    on_small_stack(move || {
        let bytes =
            parse_wat(&text).unwrap_or_else(|e| panic!("{}", e.display_with("deep.wat", &text)));
        nanowasm_binary::validate(&bytes, Features::default()).unwrap();
        bytes
    })
}

#[test]
fn deep_blocks_and_loops_parse_folded_and_flat() {
    let flat = parse_and_validate(nest("(func", DEPTH, "block\n", "", "end\n"));
    assert_eq!(flat, nested_blocks(DEPTH));
    let folded = parse_and_validate(nest("(func", DEPTH, "(block\n", "", ")\n"));
    assert_eq!(folded, flat);
    let labeled = parse_and_validate(nest("(func", DEPTH, "block $l\n", "br $l\n", "end $l\n"));
    assert!(labeled.len() > flat.len());
    let flat_loops = parse_and_validate(nest("(func", DEPTH, "loop\n", "", "end\n"));
    let folded_loops = parse_and_validate(nest("(func", DEPTH, "(loop\n", "", ")\n"));
    assert_eq!(flat_loops, folded_loops);
}

#[test]
fn deep_ifs_parse_folded_and_flat() {
    let flat = parse_and_validate(nest("(func", DEPTH, "i32.const 1\nif\n", "", "else\nend\n"));
    let folded = parse_and_validate(nest(
        "(func",
        DEPTH,
        "(if (i32.const 1) (then\n",
        "",
        ") (else))\n",
    ));
    assert_eq!(flat, folded);
    // Nested in the condition, rather than in `then`.
    parse_and_validate(nest(
        "(func (result i32)",
        DEPTH,
        "(if (result i32) (i32.eqz\n",
        "(i32.const 0)",
        ") (then (i32.const 1)) (else (i32.const 0)))\n",
    ));
}

#[test]
fn deep_folded_operands_parse() {
    let folded = parse_and_validate(nest(
        "(func (result i32)",
        DEPTH,
        "(i32.eqz ",
        "(i32.const 0)",
        ")",
    ));
    let flat = parse_and_validate(format!(
        "(module (func (result i32) i32.const 0 {}))",
        "i32.eqz ".repeat(DEPTH)
    ));
    assert_eq!(folded, flat);
}

#[test]
fn nesting_past_the_limit_is_an_error_at_its_place() {
    let text = on_small_stack(|| {
        let mut text = String::from("(module\n  (func\n");
        for _ in 0..=MAX_NESTING {
            text.push_str("block ");
        }
        text.push_str("))");
        let e = parse_wat(&text).unwrap_err();
        e.display_with("deep.wat", &text)
    });
    let col = 1 + "block ".len() * MAX_NESTING;
    assert!(
        text.starts_with(&format!(
            "deep.wat:3:{col}: nesting too deep: more than {MAX_NESTING} nested instructions"
        )),
        "{}",
        &text[..200.min(text.len())]
    );
}

#[test]
fn scripts_take_deep_modules() {
    let module = nest("(func", DEPTH, "(block ", "", ")");
    let broken = nest("(func", DEPTH, "(block ", "i32.nope", ")");
    let script = format!(
        "{module}\n(assert_malformed {broken} \"unknown operator\")\n(assert_return (invoke \"f\"))\n"
    );
    let directives = on_small_stack(move || nanowasm_text::wast::parse_script(&script)).unwrap();
    assert_eq!(directives.len(), 3);
    assert!(matches!(
        &directives[0].directive,
        Directive::Module {
            source: ModuleSource::Bytes(Ok(_)),
            ..
        }
    ));
    assert!(matches!(
        &directives[1].directive,
        Directive::AssertMalformed {
            source: ModuleSource::Bytes(Err(m)),
            ..
        } if m.contains("unknown operator")
    ));
}

#[test]
fn deep_either_is_an_error_not_an_overflow() {
    let script = format!(
        "(assert_return (invoke \"f\") {}(i32.const 0){})",
        "(either ".repeat(DEPTH),
        ")".repeat(DEPTH)
    );
    let e = on_small_stack(move || nanowasm_text::wast::parse_script(&script)).unwrap_err();
    assert!(e.message.contains("nesting too deep"), "{e}");
}
