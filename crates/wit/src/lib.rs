//! Internal crate of nanowasm; not a stable API.
//!
//! A parser for WIT, the WebAssembly Interface Type language (issue 17,
//! first layer): [`lexer`] → [`parser`] → [`ast`] → [`resolve`]. One
//! package (one file or a directory of files) is resolved on its own:
//! names resolve within the package, paths into other packages are kept
//! unresolved ([`resolve::ForeignItem`]). Errors render with file:line:col
//! and a caret line ([`Error`]).
//!
//! ```
//! let group = nanowasm_wit::parse_package("api.wit", "
//!     package demo:api@0.1.0;
//!     interface greet { greet: func(name: string) -> string; }
//!     world hello { export greet; }
//! ").unwrap();
//! assert_eq!(group.main.interfaces[0].functions[0].name, "greet");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ast;
pub mod error;
pub mod lexer;
pub mod parser;
pub mod resolve;

pub use error::{Error, ParseError};
pub use resolve::Package;

use std::path::Path;

/// A package and the packages nested in its files (`package a:b { ... }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageGroup {
    /// The package named by the `package ns:name;` headers.
    pub main: Package,
    /// Nested packages, in source order.
    pub nested: Vec<Package>,
    /// The parsed files, in the order they were resolved (by name).
    pub files: Vec<(String, ast::File)>,
}

struct SourceFile {
    name: String,
    text: String,
    base: u32,
}

/// The files of one package. Spans are offsets into all of them, one file
/// after the other, so an error can name its file.
#[derive(Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    next: u32,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file (`name` is used in error messages).
    pub fn push(&mut self, name: impl Into<String>, text: impl Into<String>) {
        let text = text.into();
        let base = self.next;
        // Offsets are u32: a file past 4 GiB is cut off (and an error).
        self.next = base
            .saturating_add(u32::try_from(text.len()).unwrap_or(u32::MAX))
            .saturating_add(1);
        self.files.push(SourceFile {
            name: name.into(),
            text,
            base,
        });
    }

    /// Adds every `*.wit` file of a directory (not its subdirectories).
    pub fn push_dir(&mut self, dir: &Path) -> std::io::Result<()> {
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "wit") && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path)?;
            self.push(path.display().to_string(), text);
        }
        Ok(())
    }

    /// The file holding `offset`: its name, text and base offset.
    pub(crate) fn file_at(&self, offset: u32) -> (&str, &str, u32) {
        let i = self
            .files
            .partition_point(|f| f.base <= offset)
            .saturating_sub(1);
        match self.files.get(i) {
            Some(f) => (&f.name, &f.text, f.base),
            None => ("<input>", "", 0),
        }
    }

    /// Parses and resolves the files as one package.
    pub fn resolve(&self) -> Result<PackageGroup, Error> {
        self.resolve_inner().map_err(|e| Error::new(self, e))
    }

    fn resolve_inner(&self) -> Result<PackageGroup, ParseError> {
        if self
            .files
            .iter()
            .any(|f| f.text.len() >= u32::MAX as usize / 2)
        {
            return Err(ParseError::new(
                ast::Span::default(),
                "file too large".into(),
            ));
        }
        let mut order: Vec<&SourceFile> = self.files.iter().collect();
        order.sort_by(|a, b| a.name.cmp(&b.name));
        let mut files = Vec::new();
        for f in order {
            files.push((f.name.clone(), parser::parse_file(&f.text, f.base)?));
        }
        let mut name: Option<ast::PackageName> = None;
        let mut docs: Option<ast::Docs> = None;
        let mut main_files = Vec::new();
        let mut nested = Vec::new();
        for (_, file) in &files {
            if let Some((d, n)) = &file.package {
                if let Some(prev) = &name {
                    if prev.to_string() != n.to_string() {
                        return Err(ParseError::new(
                            n.span,
                            format!(
                                "package identifier `{n}` does not match previous package name of `{prev}`"
                            ),
                        ));
                    }
                }
                name = Some(n.clone());
                if d.any_comment {
                    if docs.is_some() {
                        return Err(ParseError::new(
                            d.span,
                            "found doc comments on multiple 'package' items".into(),
                        ));
                    }
                    docs = Some(d.clone());
                }
            }
            let mut items = Vec::new();
            for item in &file.items {
                match item {
                    ast::Item::Package(p) => {
                        let mut inner = Vec::new();
                        for i in &p.items {
                            if let ast::Item::Package(pp) = i {
                                return Err(ParseError::new(
                                    pp.name.span,
                                    "nested packages must be placed at the top-level".into(),
                                ));
                            }
                            inner.push(i);
                        }
                        let unit = resolve::Unit {
                            name: p.name.clone(),
                            docs: p.docs.clone(),
                            files: vec![inner],
                        };
                        nested.push(resolve::resolve(&unit)?);
                    }
                    other => items.push(other),
                }
            }
            main_files.push(items);
        }
        let Some(name) = name else {
            let start = self.files.first().map_or(0, |f| f.base);
            return Err(ParseError::new(
                ast::Span::new(start, start),
                "no `package` header was found in any WIT file for this package".into(),
            ));
        };
        let unit = resolve::Unit {
            name,
            docs: docs.unwrap_or_default(),
            files: main_files,
        };
        let main = resolve::resolve(&unit)?;
        Ok(PackageGroup {
            main,
            nested,
            files,
        })
    }
}

/// Parses one file into its syntax tree, without resolving names.
pub fn parse_file(name: &str, text: &str) -> Result<ast::File, Error> {
    let mut map = SourceMap::new();
    map.push(name, text);
    parser::parse_file(text, 0).map_err(|e| Error::new(&map, e))
}

/// Parses and resolves a package written in one file.
pub fn parse_package(name: &str, text: &str) -> Result<PackageGroup, Error> {
    let mut map = SourceMap::new();
    map.push(name, text);
    map.resolve()
}

/// Parses and resolves a package spread over the `*.wit` files of `dir`.
pub fn parse_package_dir(dir: &Path) -> Result<PackageGroup, Box<dyn std::error::Error>> {
    let mut map = SourceMap::new();
    map.push_dir(dir)?;
    Ok(map.resolve()?)
}
