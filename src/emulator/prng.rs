//! The one source of randomness (object ids, request ids, token signatures, injected faults). A seeded splitmix64, so a
//! run with `--seed N` and the same sequence of requests produces the same ids and the same faults.

use std::sync::Mutex;

/// splitmix64: tiny, fast, and good enough for ids and coin flips; not for secrets.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1) from the top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    /// A random (version 4) GUID in Graph's lowercase hyphenated form.
    pub fn guid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.fill(&mut bytes);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string()
    }
}

/// The emulator-wide generator, shared by every request handler.
#[derive(Debug)]
pub struct Random(Mutex<SplitMix64>);

impl Random {
    pub fn new(seed: u64) -> Self {
        Random(Mutex::new(SplitMix64::new(seed)))
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut SplitMix64) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn guid(&self) -> String {
        self.with(SplitMix64::guid)
    }

    pub fn next_f64(&self) -> f64 {
        self.with(SplitMix64::next_f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_repeats_and_another_differs() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let mut c = SplitMix64::new(8);
        let from_a: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let from_b: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        let from_c: Vec<u64> = (0..5).map(|_| c.next_u64()).collect();
        assert_eq!(from_a, from_b);
        assert_ne!(from_a, from_c);
    }

    #[test]
    fn guids_are_version_4_and_distinct() {
        let mut rng = SplitMix64::new(1);
        let first = rng.guid();
        let second = rng.guid();
        assert_ne!(first, second);
        let parsed = uuid::Uuid::parse_str(&first).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(first, first.to_lowercase());
    }

    #[test]
    fn floats_stay_in_the_unit_interval_and_spread() {
        let mut rng = SplitMix64::new(99);
        let draws: Vec<f64> = (0..10_000).map(|_| rng.next_f64()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        let below_half = draws.iter().filter(|x| **x < 0.5).count();
        assert!(
            (4_500..5_500).contains(&below_half),
            "{below_half} of 10000 below 0.5"
        );
    }
}
