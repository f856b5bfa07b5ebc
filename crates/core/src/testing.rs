//! Test support (feature `test-support`, and the crate's own tests): a clock that stands
//! still until told to move and a seeded random source, so that every time- and
//! randomness-dependent rule of the core can be tested exactly and repeatably.
//!
//! Never for production: [`SeededRng`] is predictable by design.

use crate::ports::{Clock, Rng, UnixTime};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

/// A clock that reads what it was set to.
#[derive(Debug)]
pub struct FixedClock {
    millis: AtomicI64,
}

impl FixedClock {
    /// A clock standing at `now` (Unix seconds).
    pub fn at(now: UnixTime) -> Self {
        FixedClock {
            millis: AtomicI64::new(now.saturating_mul(1000)),
        }
    }
    /// Set it to `now` (Unix seconds).
    pub fn set(&self, now: UnixTime) {
        self.millis
            .store(now.saturating_mul(1000), Ordering::SeqCst);
    }
    /// Move it by `seconds` (negative: back).
    pub fn advance(&self, seconds: i64) {
        self.advance_millis(seconds.saturating_mul(1000));
    }
    /// Move it by `millis` milliseconds.
    pub fn advance_millis(&self, millis: i64) {
        self.millis.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        self.millis.load(Ordering::SeqCst).div_euclid(1000)
    }
    fn now_millis(&self) -> i64 {
        self.millis.load(Ordering::SeqCst)
    }
}

/// A deterministic byte stream: SHA-256 of the seed and a block counter. The same seed gives
/// the same bytes, in the same order, on every run.
#[derive(Debug)]
pub struct SeededRng {
    seed: [u8; 32],
    counter: Mutex<u64>,
}

impl SeededRng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&seed.to_be_bytes());
        SeededRng {
            seed: s,
            counter: Mutex::new(0),
        }
    }
}

impl Rng for SeededRng {
    fn fill(&self, dest: &mut [u8]) {
        let mut counter = match self.counter.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        for chunk in dest.chunks_mut(32) {
            let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
            ctx.update(&self.seed);
            ctx.update(&counter.to_be_bytes());
            let block = ctx.finish();
            chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
            *counter = counter.wrapping_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let c = FixedClock::at(1000);
        assert_eq!((c.now(), c.now_millis()), (1000, 1_000_000));
        c.advance_millis(999);
        assert_eq!(c.now(), 1000);
        c.advance_millis(1);
        assert_eq!(c.now(), 1001);
        c.advance(-2);
        assert_eq!(c.now(), 999);
        c.set(5);
        assert_eq!(c.now_millis(), 5000);
    }

    #[test]
    fn a_seeded_rng_repeats_for_its_seed_and_differs_across_seeds() {
        let (mut a, mut b, mut c) = ([0u8; 70], [0u8; 70], [0u8; 70]);
        SeededRng::new(1).fill(&mut a);
        SeededRng::new(1).fill(&mut b);
        SeededRng::new(2).fill(&mut c);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let r = SeededRng::new(1);
        let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
        r.fill(&mut x);
        r.fill(&mut y);
        assert_ne!(x, y, "successive draws differ");
        assert_eq!(x[..], a[..32]);
    }
}
