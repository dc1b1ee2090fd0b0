//! Which WebAssembly proposals a module may use.
//!
//! A [`Features`] value travels with every decode/validate call. The
//! WebAssembly 2.0 proposals are on by default. The Wasm 3.0 proposals are
//! known by name so that a module using them is rejected with a clear
//! "feature not enabled" error (never a panic); their implementations land
//! one by one and are switched on here when they do.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

macro_rules! features {
    ($( $(#[$doc:meta])* $variant:ident = $bit:literal, $name:literal, $in_2_0:literal, $supported:literal; )*) => {
        /// One WebAssembly proposal.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Feature {
            $( $(#[$doc])* $variant = $bit, )*
        }

        impl Feature {
            /// Every proposal nanowasm knows, in declaration order.
            pub const ALL: &'static [Feature] = &[$(Feature::$variant),*];

            /// The proposal's name as used by `--features` (kebab-case, as the
            /// proposal repositories name them).
            pub const fn name(self) -> &'static str {
                match self { $(Feature::$variant => $name,)* }
            }

            /// Whether the proposal is part of WebAssembly 2.0.
            pub const fn in_wasm_2_0(self) -> bool {
                match self { $(Feature::$variant => $in_2_0,)* }
            }

            /// Whether nanowasm implements the proposal (so it may be enabled).
            pub const fn is_supported(self) -> bool {
                match self { $(Feature::$variant => $supported,)* }
            }

            /// Whether nanowasm's front end (the decoder, the validator and
            /// the text format) handles the proposal: today exactly the
            /// supported ones (a proposal may reach the front end before
            /// the engines; GC did).
            pub const fn is_decoded(self) -> bool {
                self.is_supported()
            }

            /// Looks a proposal up by its [`name`](Self::name).
            pub fn from_name(name: &str) -> Option<Feature> {
                Feature::ALL.iter().copied().find(|f| f.name() == name)
            }

            const fn bit(self) -> u32 {
                1 << (self as u8)
            }
        }
    };
}

features! {
    /// The 1.0 instruction set and module structure; always on.
    Mvp = 0, "mvp", true, true;
    /// Import and export of mutable globals.
    MutableGlobal = 1, "mutable-global", true, true;
    /// `i32.extend8_s` and friends.
    SignExtension = 2, "sign-extension", true, true;
    /// `i32.trunc_sat_f32_s` and friends.
    SaturatingFloatToInt = 3, "saturating-float-to-int", true, true;
    /// Blocks and functions with several results.
    MultiValue = 4, "multi-value", true, true;
    /// `funcref`/`externref` values, several tables, `table.*` instructions.
    ReferenceTypes = 5, "reference-types", true, true;
    /// `memory.copy`, `memory.fill`, passive segments, `data.drop`, `elem.drop`.
    BulkMemory = 6, "bulk-memory", true, true;
    /// 128-bit packed SIMD.
    Simd = 7, "simd", true, true;
    /// `return_call` and `return_call_indirect` (Wasm 3.0).
    TailCall = 8, "tail-call", false, true;
    /// Arithmetic in constant expressions (Wasm 3.0).
    ExtendedConst = 9, "extended-const", false, true;
    /// Several memories in one module (Wasm 3.0).
    MultiMemory = 10, "multi-memory", false, true;
    /// 64-bit memory indices (Wasm 3.0).
    Memory64 = 11, "memory64", false, true;
    /// `try_table`, `throw`, `throw_ref`, tags (Wasm 3.0).
    Exceptions = 12, "exceptions", false, true;
    /// Typed function references, `call_ref` (Wasm 3.0).
    FunctionReferences = 13, "function-references", false, true;
    /// Structs, arrays, `i31ref`, subtyping (Wasm 3.0).
    Gc = 14, "gc", false, true;
    /// Relaxed SIMD (Wasm 3.0).
    RelaxedSimd = 15, "relaxed-simd", false, true;
    /// Shared memories and atomics.
    Threads = 16, "threads", false, false;
    /// 128-bit integer arithmetic (`i64.add128`, `i64.mul_wide_s`, ...).
    WideArithmetic = 17, "wide-arithmetic", false, false;
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of enabled proposals.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Features(u32);

impl Features {
    /// Only the 1.0 MVP.
    pub const MVP: Features = Features(Feature::Mvp.bit());

    /// Every WebAssembly 2.0 proposal (the default).
    pub const WASM2: Features = {
        let mut bits = 0;
        let mut i = 0;
        while i < Feature::ALL.len() {
            if Feature::ALL[i].in_wasm_2_0() {
                bits |= Feature::ALL[i].bit();
            }
            i += 1;
        }
        Features(bits)
    };

    /// The set as bits (one per [`Feature`], in table order), for
    /// comparing sets stored elsewhere (compiled artifacts).
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether `feature` is enabled.
    #[inline]
    pub const fn has(self, feature: Feature) -> bool {
        self.0 & feature.bit() != 0
    }

    /// Returns `self` with `feature` switched on or off. The MVP cannot be
    /// switched off.
    #[must_use]
    pub const fn with(self, feature: Feature, on: bool) -> Features {
        if matches!(feature, Feature::Mvp) {
            return self;
        }
        if on {
            Features(self.0 | feature.bit())
        } else {
            Features(self.0 & !feature.bit())
        }
    }

    /// Enables `feature`, or says why it cannot be enabled.
    pub fn enable(&mut self, feature: Feature) -> Result<(), String> {
        if !feature.is_supported() {
            return Err(format!(
                "the `{feature}` proposal is not implemented by nanowasm yet"
            ));
        }
        *self = self.with(feature, true);
        Ok(())
    }

    /// Every proposal the front end handles ([`Feature::is_decoded`]): for
    /// tools that decode, validate or print modules without running them.
    pub fn front_end() -> Features {
        let mut f = Features::MVP;
        for &feature in Feature::ALL.iter().filter(|f| f.is_decoded()) {
            f = f.with(feature, true);
        }
        f
    }

    /// Like [`apply_list`](Self::apply_list), for the front end alone: it
    /// also enables the proposals only the front end handles (GC), and
    /// `all` enables every one of those.
    pub fn apply_list_front_end(&mut self, list: &str) -> Result<(), String> {
        self.apply_list_with(list, Feature::is_decoded)
    }

    /// Applies a comma-separated list like `simd,-bulk-memory,all`
    /// (`-name` disables, `all` enables every supported proposal, `mvp`
    /// disables everything beyond the MVP).
    pub fn apply_list(&mut self, list: &str) -> Result<(), String> {
        self.apply_list_with(list, Feature::is_supported)
    }

    fn apply_list_with(&mut self, list: &str, allowed: fn(Feature) -> bool) -> Result<(), String> {
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (on, name) = match item.strip_prefix('-') {
                Some(rest) => (false, rest),
                None => (true, item.strip_prefix('+').unwrap_or(item)),
            };
            match (name, on) {
                ("all", true) => {
                    for f in Feature::ALL.iter().filter(|f| allowed(**f)) {
                        *self = self.with(*f, true);
                    }
                }
                ("mvp", true) => *self = Features::MVP,
                _ => {
                    let feature = Feature::from_name(name).ok_or_else(|| {
                        let known: Vec<&str> = Feature::ALL.iter().map(|f| f.name()).collect();
                        format!("unknown feature `{name}` (known: {})", known.join(", "))
                    })?;
                    if on && !allowed(feature) {
                        return Err(format!(
                            "the `{feature}` proposal is not implemented by nanowasm yet"
                        ));
                    } else if on {
                        *self = self.with(feature, true);
                    } else {
                        *self = self.with(feature, false);
                    }
                }
            }
        }
        Ok(())
    }

    /// The enabled proposals.
    pub fn iter(self) -> impl Iterator<Item = Feature> {
        Feature::ALL.iter().copied().filter(move |f| self.has(*f))
    }
}

impl Default for Features {
    fn default() -> Self {
        Features::WASM2
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_wasm2() {
        let f = Features::default();
        assert!(f.has(Feature::Simd) && f.has(Feature::BulkMemory));
        assert!(!f.has(Feature::TailCall) && !f.has(Feature::Gc));
    }

    #[test]
    fn list_parsing() {
        let mut f = Features::default();
        f.apply_list("-simd, -bulk-memory").unwrap();
        assert!(!f.has(Feature::Simd) && !f.has(Feature::BulkMemory));
        assert!(f.has(Feature::ReferenceTypes));
        f.apply_list("mvp").unwrap();
        assert_eq!(f, Features::MVP);
        f.apply_list("all").unwrap();
        assert_eq!(
            f,
            Features::WASM2
                .with(Feature::TailCall, true)
                .with(Feature::ExtendedConst, true)
                .with(Feature::RelaxedSimd, true)
                .with(Feature::MultiMemory, true)
                .with(Feature::Memory64, true)
                .with(Feature::Exceptions, true)
                .with(Feature::FunctionReferences, true)
                .with(Feature::Gc, true)
        );
        assert!(f
            .apply_list("threads")
            .unwrap_err()
            .contains("not implemented"));
        assert!(f
            .apply_list("nope")
            .unwrap_err()
            .contains("unknown feature"));
    }
}
