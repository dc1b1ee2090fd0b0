//! Builds WASI 0.2 command components from a core-module body, in
//! component text: the component imports the WASI 0.2 interfaces a
//! preview1 adapter uses (at `VERSION`), lowers them into a core module
//! that holds helpers (`$print`, `$num`, `$open`, ...) and the test's
//! `run` body, and exports `wasi:cli/run@VERSION` with `run: func() ->
//! result`. Shared by the `nanowasm-wasi` and `nanowasm-cli` tests.
//!
//! Memory layout of the core module: return areas at 0..512, scratch for
//! numbers at 512..600, the test's data from 1024, the bump allocator
//! (`realloc`) from 64 KiB.

#![allow(dead_code)]

/// The `error-code` enum of `wasi:filesystem/types`, in order.
pub const ERROR_CODES: &[&str] = &[
    "access",
    "would-block",
    "already",
    "bad-descriptor",
    "busy",
    "deadlock",
    "quota",
    "exist",
    "file-too-large",
    "illegal-byte-sequence",
    "in-progress",
    "interrupted",
    "invalid",
    "io",
    "is-directory",
    "loop",
    "too-many-links",
    "message-size",
    "name-too-long",
    "no-device",
    "no-entry",
    "no-lock",
    "insufficient-memory",
    "insufficient-space",
    "not-directory",
    "not-empty",
    "not-recoverable",
    "unsupported",
    "no-tty",
    "no-such-device",
    "overflow",
    "not-permitted",
    "pipe",
    "read-only",
    "invalid-seek",
    "text-file-busy",
    "cross-device",
];

/// The index of an error code (what `$open` returns as `-1 - index`).
pub fn code(name: &str) -> i64 {
    ERROR_CODES
        .iter()
        .position(|c| *c == name)
        .expect("an error code") as i64
}

fn imports(v: &str) -> String {
    let codes: String = ERROR_CODES.iter().map(|c| format!(" \"{c}\"")).collect();
    format!(
        r#"
  (import "wasi:io/error@{v}" (instance $io-error
    (export "error" (type $e (sub resource)))
    (export "[method]error.to-debug-string" (func (param "self" (borrow $e)) (result string)))))
  (alias export $io-error "error" (type $error))
  (import "wasi:io/poll@{v}" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "[method]pollable.block" (func (param "self" (borrow $p))))
    (export "[method]pollable.ready" (func (param "self" (borrow $p)) (result bool)))
    (export "poll" (func (param "in" (list (borrow $p))) (result (list u32))))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:io/streams@{v}" (instance $streams
    (alias outer $root $error (type $e0))
    (export "error" (type $e (eq $e0)))
    (alias outer $root $pollable (type $p0))
    (export "pollable" (type $p (eq $p0)))
    (export "input-stream" (type $is (sub resource)))
    (export "output-stream" (type $os (sub resource)))
    (type $se0 (variant (case "last-operation-failed" (own $e)) (case "closed")))
    (export "stream-error" (type $se (eq $se0)))
    (export "[method]input-stream.read" (func (param "self" (borrow $is)) (param "len" u64) (result (result (list u8) (error $se)))))
    (export "[method]input-stream.blocking-read" (func (param "self" (borrow $is)) (param "len" u64) (result (result (list u8) (error $se)))))
    (export "[method]input-stream.subscribe" (func (param "self" (borrow $is)) (result (own $p))))
    (export "[method]output-stream.check-write" (func (param "self" (borrow $os)) (result (result u64 (error $se)))))
    (export "[method]output-stream.write" (func (param "self" (borrow $os)) (param "contents" (list u8)) (result (result (error $se)))))
    (export "[method]output-stream.blocking-write-and-flush" (func (param "self" (borrow $os)) (param "contents" (list u8)) (result (result (error $se)))))
    (export "[method]output-stream.blocking-flush" (func (param "self" (borrow $os)) (result (result (error $se)))))
    (export "[method]output-stream.subscribe" (func (param "self" (borrow $os)) (result (own $p))))))
  (alias export $streams "input-stream" (type $input-stream))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/environment@{v}" (instance $env
    (export "get-environment" (func (result (list (tuple string string)))))
    (export "get-arguments" (func (result (list string))))
    (export "initial-cwd" (func (result (option string))))))
  (import "wasi:cli/exit@{v}" (instance $exit
    (export "exit" (func (param "status" (result))))))
  (import "wasi:cli/stdin@{v}" (instance $stdin
    (alias outer $root $input-stream (type $is0))
    (export "input-stream" (type $is (eq $is0)))
    (export "get-stdin" (func (result (own $is))))))
  (import "wasi:cli/stdout@{v}" (instance $stdout
    (alias outer $root $output-stream (type $os0))
    (export "output-stream" (type $os (eq $os0)))
    (export "get-stdout" (func (result (own $os))))))
  (import "wasi:cli/stderr@{v}" (instance $stderr
    (alias outer $root $output-stream (type $os0))
    (export "output-stream" (type $os (eq $os0)))
    (export "get-stderr" (func (result (own $os))))))
  (import "wasi:cli/terminal-output@{v}" (instance $term-out
    (export "terminal-output" (type (sub resource)))))
  (alias export $term-out "terminal-output" (type $terminal-output))
  (import "wasi:cli/terminal-stdout@{v}" (instance $term-stdout
    (alias outer $root $terminal-output (type $t0))
    (export "terminal-output" (type $t (eq $t0)))
    (export "get-terminal-stdout" (func (result (option (own $t)))))))
  (import "wasi:clocks/monotonic-clock@{v}" (instance $mono
    (alias outer $root $pollable (type $p0))
    (export "pollable" (type $p (eq $p0)))
    (export "now" (func (result u64)))
    (export "resolution" (func (result u64)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $p))))
    (export "subscribe-instant" (func (param "when" u64) (result (own $p))))))
  (import "wasi:clocks/wall-clock@{v}" (instance $wall
    (type $dt0 (record (field "seconds" u64) (field "nanoseconds" u32)))
    (export "datetime" (type $dt (eq $dt0)))
    (export "now" (func (result $dt)))
    (export "resolution" (func (result $dt)))))
  (alias export $wall "datetime" (type $datetime))
  (import "wasi:random/random@{v}" (instance $random
    (export "get-random-bytes" (func (param "len" u64) (result (list u8))))
    (export "get-random-u64" (func (result u64)))))
  (import "wasi:random/insecure-seed@{v}" (instance $seed
    (export "insecure-seed" (func (result (tuple u64 u64))))))
  (import "wasi:filesystem/types@{v}" (instance $types
    (alias outer $root $input-stream (type $is0))
    (export "input-stream" (type $is (eq $is0)))
    (alias outer $root $output-stream (type $os0))
    (export "output-stream" (type $os (eq $os0)))
    (alias outer $root $error (type $e0))
    (export "error" (type $e (eq $e0)))
    (alias outer $root $datetime (type $dt0))
    (export "datetime" (type $dt (eq $dt0)))
    (export "descriptor" (type $d (sub resource)))
    (export "directory-entry-stream" (type $ds (sub resource)))
    (type $ec0 (enum{codes}))
    (export "error-code" (type $ec (eq $ec0)))
    (type $dty0 (enum "unknown" "block-device" "character-device" "directory" "fifo" "symbolic-link" "regular-file" "socket"))
    (export "descriptor-type" (type $dty (eq $dty0)))
    (type $df0 (flags "read" "write" "file-integrity-sync" "data-integrity-sync" "requested-write-sync" "mutate-directory"))
    (export "descriptor-flags" (type $df (eq $df0)))
    (type $pf0 (flags "symlink-follow"))
    (export "path-flags" (type $pf (eq $pf0)))
    (type $of0 (flags "create" "directory" "exclusive" "truncate"))
    (export "open-flags" (type $of (eq $of0)))
    (type $st0 (record (field "type" $dty) (field "link-count" u64) (field "size" u64)
      (field "data-access-timestamp" (option $dt)) (field "data-modification-timestamp" (option $dt))
      (field "status-change-timestamp" (option $dt))))
    (export "descriptor-stat" (type $st (eq $st0)))
    (type $de0 (record (field "type" $dty) (field "name" string)))
    (export "directory-entry" (type $de (eq $de0)))
    (export "[method]descriptor.read-via-stream" (func (param "self" (borrow $d)) (param "offset" u64) (result (result (own $is) (error $ec)))))
    (export "[method]descriptor.write-via-stream" (func (param "self" (borrow $d)) (param "offset" u64) (result (result (own $os) (error $ec)))))
    (export "[method]descriptor.append-via-stream" (func (param "self" (borrow $d)) (result (result (own $os) (error $ec)))))
    (export "[method]descriptor.get-type" (func (param "self" (borrow $d)) (result (result $dty (error $ec)))))
    (export "[method]descriptor.stat" (func (param "self" (borrow $d)) (result (result $st (error $ec)))))
    (export "[method]descriptor.stat-at" (func (param "self" (borrow $d)) (param "path-flags" $pf) (param "path" string) (result (result $st (error $ec)))))
    (export "[method]descriptor.open-at" (func (param "self" (borrow $d)) (param "path-flags" $pf) (param "path" string) (param "open-flags" $of) (param "flags" $df) (result (result (own $d) (error $ec)))))
    (export "[method]descriptor.read-directory" (func (param "self" (borrow $d)) (result (result (own $ds) (error $ec)))))
    (export "[method]directory-entry-stream.read-directory-entry" (func (param "self" (borrow $ds)) (result (result (option $de) (error $ec)))))
    (export "[method]descriptor.create-directory-at" (func (param "self" (borrow $d)) (param "path" string) (result (result (error $ec)))))
    (export "[method]descriptor.remove-directory-at" (func (param "self" (borrow $d)) (param "path" string) (result (result (error $ec)))))
    (export "[method]descriptor.unlink-file-at" (func (param "self" (borrow $d)) (param "path" string) (result (result (error $ec)))))
    (export "[method]descriptor.rename-at" (func (param "self" (borrow $d)) (param "old-path" string) (param "new-descriptor" (borrow $d)) (param "new-path" string) (result (result (error $ec)))))
    (export "[method]descriptor.symlink-at" (func (param "self" (borrow $d)) (param "old-path" string) (param "new-path" string) (result (result (error $ec)))))
    (export "[method]descriptor.readlink-at" (func (param "self" (borrow $d)) (param "path" string) (result (result string (error $ec)))))
    (export "[method]descriptor.set-size" (func (param "self" (borrow $d)) (param "size" u64) (result (result (error $ec)))))
    (export "[method]descriptor.read" (func (param "self" (borrow $d)) (param "length" u64) (param "offset" u64) (result (result (tuple (list u8) bool) (error $ec)))))
    (export "[method]descriptor.write" (func (param "self" (borrow $d)) (param "buffer" (list u8)) (param "offset" u64) (result (result u64 (error $ec)))))
    (export "filesystem-error-code" (func (param "err" (borrow $e)) (result (option $ec))))))
  (alias export $types "descriptor" (type $descriptor))
  (alias export $types "directory-entry-stream" (type $dir-stream))
  (import "wasi:filesystem/preopens@{v}" (instance $preopens
    (alias outer $root $descriptor (type $d0))
    (export "descriptor" (type $d (eq $d0)))
    (export "get-directories" (func (result (list (tuple (own $d) string)))))))
"#
    )
}

/// Every lowered function: (core name, instance, function, core type).
const LOWERED: &[(&str, &str, &str, &str)] = &[
    ("get-stdout", "$stdout", "get-stdout", "(result i32)"),
    ("get-stderr", "$stderr", "get-stderr", "(result i32)"),
    ("get-stdin", "$stdin", "get-stdin", "(result i32)"),
    (
        "write",
        "$streams",
        "[method]output-stream.blocking-write-and-flush",
        "(param i32 i32 i32 i32)",
    ),
    (
        "write-nb",
        "$streams",
        "[method]output-stream.write",
        "(param i32 i32 i32 i32)",
    ),
    (
        "check-write",
        "$streams",
        "[method]output-stream.check-write",
        "(param i32 i32)",
    ),
    (
        "read",
        "$streams",
        "[method]input-stream.blocking-read",
        "(param i32 i64 i32)",
    ),
    ("args", "$env", "get-arguments", "(param i32)"),
    ("environ", "$env", "get-environment", "(param i32)"),
    ("exit", "$exit", "exit", "(param i32)"),
    ("mono-now", "$mono", "now", "(result i64)"),
    (
        "subscribe-duration",
        "$mono",
        "subscribe-duration",
        "(param i64) (result i32)",
    ),
    ("block", "$poll", "[method]pollable.block", "(param i32)"),
    ("poll", "$poll", "poll", "(param i32 i32 i32)"),
    ("wall-now", "$wall", "now", "(param i32)"),
    ("random-u64", "$random", "get-random-u64", "(result i64)"),
    (
        "random-bytes",
        "$random",
        "get-random-bytes",
        "(param i64 i32)",
    ),
    (
        "terminal-stdout",
        "$term-stdout",
        "get-terminal-stdout",
        "(param i32)",
    ),
    ("preopens", "$preopens", "get-directories", "(param i32)"),
    (
        "open-at",
        "$types",
        "[method]descriptor.open-at",
        "(param i32 i32 i32 i32 i32 i32 i32)",
    ),
    (
        "read-via-stream",
        "$types",
        "[method]descriptor.read-via-stream",
        "(param i32 i64 i32)",
    ),
    (
        "write-via-stream",
        "$types",
        "[method]descriptor.write-via-stream",
        "(param i32 i64 i32)",
    ),
    (
        "append-via-stream",
        "$types",
        "[method]descriptor.append-via-stream",
        "(param i32 i32)",
    ),
    (
        "stat",
        "$types",
        "[method]descriptor.stat",
        "(param i32 i32)",
    ),
    (
        "stat-at",
        "$types",
        "[method]descriptor.stat-at",
        "(param i32 i32 i32 i32 i32)",
    ),
    (
        "read-directory",
        "$types",
        "[method]descriptor.read-directory",
        "(param i32 i32)",
    ),
    (
        "read-directory-entry",
        "$types",
        "[method]directory-entry-stream.read-directory-entry",
        "(param i32 i32)",
    ),
    (
        "mkdir",
        "$types",
        "[method]descriptor.create-directory-at",
        "(param i32 i32 i32 i32)",
    ),
    (
        "rmdir",
        "$types",
        "[method]descriptor.remove-directory-at",
        "(param i32 i32 i32 i32)",
    ),
    (
        "unlink",
        "$types",
        "[method]descriptor.unlink-file-at",
        "(param i32 i32 i32 i32)",
    ),
    (
        "rename",
        "$types",
        "[method]descriptor.rename-at",
        "(param i32 i32 i32 i32 i32 i32 i32)",
    ),
    (
        "symlink",
        "$types",
        "[method]descriptor.symlink-at",
        "(param i32 i32 i32 i32 i32 i32)",
    ),
    (
        "readlink",
        "$types",
        "[method]descriptor.readlink-at",
        "(param i32 i32 i32 i32)",
    ),
    (
        "fs-error-code",
        "$types",
        "filesystem-error-code",
        "(param i32 i32)",
    ),
];

/// Resource drops: (core name, resource type).
const DROPS: &[(&str, &str)] = &[
    ("drop-output", "$output-stream"),
    ("drop-input", "$input-stream"),
    ("drop-descriptor", "$descriptor"),
    ("drop-dir-stream", "$dir-stream"),
    ("drop-pollable", "$pollable"),
    ("drop-error", "$error"),
];

/// Helpers every guest has.
const HELPERS: &str = r#"
    (global $out (mut i32) (i32.const -1))
    ;; Writes `n` bytes at `p` to standard output; returns 0, or 1 if the
    ;; stream failed.
    (func $write-out (param $p i32) (param $n i32) (result i32)
      (if (i32.lt_s (global.get $out) (i32.const 0)) (then (global.set $out (call $get-stdout))))
      (call $write (global.get $out) (local.get $p) (local.get $n) (i32.const 0))
      (i32.load8_u (i32.const 0)))
    (func $print (param $p i32) (param $n i32) (drop (call $write-out (local.get $p) (local.get $n))))
    ;; Prints `v` in decimal and a newline.
    (func $num (param $v i64)
      (local $i i32)
      (local.set $i (i32.const 590))
      (i32.store8 (local.get $i) (i32.const 10))
      (loop $l
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (i32.store8 (local.get $i) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
        (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
        (br_if $l (i64.ne (local.get $v) (i64.const 0))))
      (call $print (local.get $i) (i32.sub (i32.const 591) (local.get $i))))
    (func $snum (param $v i32)
      (if (i32.lt_s (local.get $v) (i32.const 0))
        (then (call $print (i32.const 600) (i32.const 1)) (call $num (i64.extend_i32_u (i32.sub (i32.const 0) (local.get $v)))))
        (else (call $num (i64.extend_i32_u (local.get $v))))))
    ;; The first preopen's descriptor.
    (func $dir (result i32)
      (call $preopens (i32.const 32))
      (if (i32.eqz (i32.load (i32.const 36))) (then (unreachable)))
      (i32.load (i32.load (i32.const 32))))
    ;; A `result<own<T>, error-code>` at `r`: the handle, or `-1 - code`.
    (func $handle (param $r i32) (result i32)
      (if (result i32) (i32.load8_u (local.get $r))
        (then (i32.sub (i32.const -1) (i32.load8_u offset=4 (local.get $r))))
        (else (i32.load offset=4 (local.get $r)))))
    ;; A `result<_, error-code>` at `r`: 0, or `-1 - code`.
    (func $status (param $r i32) (result i32)
      (if (result i32) (i32.load8_u (local.get $r))
        (then (i32.sub (i32.const -1) (i32.load8_u offset=1 (local.get $r))))
        (else (i32.const 0))))
    ;; open-at(dir, path, open-flags, descriptor-flags): a handle or `-1 - code`.
    (func $open (param $d i32) (param $p i32) (param $n i32) (param $of i32) (param $df i32) (result i32)
      (call $open-at (local.get $d) (i32.const 0) (local.get $p) (local.get $n) (local.get $of) (local.get $df) (i32.const 64))
      (call $handle (i32.const 64)))
    ;; Writes all of `n` bytes at `p` to a new stream on file `f` at
    ;; offset 0; returns 0 or the failure.
    (func $write-file (param $f i32) (param $p i32) (param $n i32) (result i32)
      (local $s i32)
      (call $write-via-stream (local.get $f) (i64.const 0) (i32.const 96))
      (local.set $s (call $handle (i32.const 96)))
      (if (i32.lt_s (local.get $s) (i32.const 0)) (then (return (local.get $s))))
      (call $write (local.get $s) (local.get $p) (local.get $n) (i32.const 96))
      (call $drop-output (local.get $s))
      (i32.load8_u (i32.const 96)))
    ;; Prints the contents of file `f` (up to 4096 bytes).
    (func $cat (param $f i32)
      (local $s i32)
      (call $read-via-stream (local.get $f) (i64.const 0) (i32.const 128))
      (local.set $s (call $handle (i32.const 128)))
      (if (i32.lt_s (local.get $s) (i32.const 0)) (then (call $snum (local.get $s)) (return)))
      (call $read (local.get $s) (i64.const 4096) (i32.const 128))
      (if (i32.eqz (i32.load8_u (i32.const 128)))
        (then (call $print (i32.load (i32.const 132)) (i32.load (i32.const 136)))))
      (call $drop-input (local.get $s)))
"#;

/// A command component at interface version `version` whose core module
/// holds `body`: more core functions and data, and `(func $run (result
/// i32) ...)` (0: `run` returns ok, else err).
pub fn command_at(version: &str, body: &str) -> String {
    let imports = imports(version);
    let mut lowers = String::new();
    let mut core_imports = String::new();
    let mut with = String::new();
    for (core, inst, func, ty) in LOWERED {
        lowers.push_str(&format!(
            "  (core func ${core} (canon lower (func {inst} \"{func}\") (memory $mem) (realloc $realloc)))\n"
        ));
        core_imports.push_str(&format!(
            "    (import \"wasi\" \"{core}\" (func ${core} {ty}))\n"
        ));
        with.push_str(&format!(" (export \"{core}\" (func ${core}))"));
    }
    for (core, ty) in DROPS {
        lowers.push_str(&format!(
            "  (core func ${core} (canon resource.drop {ty}))\n"
        ));
        core_imports.push_str(&format!(
            "    (import \"wasi\" \"{core}\" (func ${core} (param i32)))\n"
        ));
        with.push_str(&format!(" (export \"{core}\" (func ${core}))"));
    }
    format!(
        r#"(component $root
{imports}
  (core module $Libc
    (memory (export "memory") 4)
    (global $bump (mut i32) (i32.const 65536))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $new i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $bump (i32.add (local.get $p) (local.get $new)))
      (if (i32.gt_u (global.get $bump) (i32.const 262144)) (then (unreachable)))
      (local.get $p)))
  (core instance $libc (instantiate $Libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
{lowers}
  (core module $Main
    (import "libc" "memory" (memory 4))
{core_imports}
    (data (i32.const 600) "-")
{HELPERS}
{body}
    (func (export "run") (result i32) (call $run)))
  (core instance $main (instantiate $Main
    (with "libc" (instance $libc))
    (with "wasi" (instance{with}))))
  (func $run (result (result)) (canon lift (core func $main "run")))
  (instance $run-inst (export "run" (func $run)))
  (export "wasi:cli/run@{version}" (instance $run-inst)))"#
    )
}

/// [`command_at`] version 0.2.0.
pub fn command(body: &str) -> String {
    command_at("0.2.0", body)
}

/// The component's binary.
pub fn binary(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|e| panic!("component text: {e}\n{text}"))
}
