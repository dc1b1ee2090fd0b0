//! No input makes the decoder or the validator panic: random bytes behind a
//! component preamble, and mutants of the reference tests' components.

use proptest::prelude::*;

fn run(bytes: &[u8]) {
    if let Ok(c) = nanowasm_component::decode(bytes) {
        let _ = nanowasm_component::validate(&c);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut bytes = b"\0asm\x0d\x00\x01\x00".to_vec();
        bytes.extend_from_slice(&body);
        run(&bytes);
        run(&body);
    }
}

/// A small deterministic generator (xorshift), so the mutants are
/// reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutants_of_reference_components() {
    let all = crate::verdict::components();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (_, bytes) in &all {
        run(bytes);
        for _ in 0..40 {
            let mut m = bytes.clone();
            match rng.below(4) {
                0 => {
                    let i = rng.below(m.len());
                    m[i] = rng.next() as u8;
                }
                1 => {
                    let i = rng.below(m.len());
                    m.truncate(i.max(8));
                }
                2 => {
                    let i = rng.below(m.len());
                    m.insert(i, rng.next() as u8);
                }
                _ => {
                    let i = rng.below(m.len());
                    m[i] ^= 1 << rng.below(8);
                }
            }
            run(&m);
        }
    }
}
