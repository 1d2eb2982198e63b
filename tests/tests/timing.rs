//! Issue 12, item 5: a timing proof, dudect-style, for the comparisons an attacker could
//! probe: the API-key hash comparison and the refresh-token lookup. Two classes of inputs
//! are timed, interleaved at random: "right prefix, wrong tail" against "random". Welch's t
//! of the two timing distributions (after cropping the slowest samples, as dudect does) must
//! stay under the threshold; a deliberately leaky comparison (byte by byte, stopping at the
//! first difference) on the same inputs must go over it, which shows the test can fail.
//!
//! Each sample times a batch of calls, so that a difference of a few nanoseconds per call
//! stands out of the clock's resolution and the machine's noise.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{hint::black_box, time::Instant};

use auth_core::{
    apikey::KeyHash,
    login::{MemoryRefreshStore, RefreshHash, RefreshRecord, RefreshStore, Rotation, SessionGrant},
};

/// |t| above this says the two classes are timed differently. dudect calls 4.5 "probably
/// leaky" and 10 "definitely"; on a shared VM the constant-time code reads well under 5,
/// and the leaky comparison in the hundreds.
const THRESHOLD: f64 = 10.0;

/// The timing tests take turns: two measurements at once on two cores disturb each other.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

use auth_tests::rng::Rng;

/// Welch's t of two samples, each cropped to its fastest 90 %.
fn welch_t(mut a: Vec<f64>, mut b: Vec<f64>) -> f64 {
    fn cropped(v: &mut Vec<f64>) -> (f64, f64, f64) {
        v.sort_by(f64::total_cmp);
        v.truncate(v.len() * 9 / 10);
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var, n)
    }
    let (ma, va, na) = cropped(&mut a);
    let (mb, vb, nb) = cropped(&mut b);
    (ma - mb) / (va / na + vb / nb).sqrt()
}

/// Time `f` on inputs of class A and class B, interleaved at random: `samples` per class,
/// each the time of `batch` calls. Welch's t.
fn t_of<T>(
    samples: usize,
    batch: usize,
    class_a: &[T],
    class_b: &[T],
    mut f: impl FnMut(&T) -> bool,
) -> f64 {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut a, mut b) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    while a.len() < samples || b.len() < samples {
        let pick_a = (rng.next_u64() & 1 == 0 && a.len() < samples) || b.len() >= samples;
        let inputs = if pick_a { class_a } else { class_b };
        let start = (rng.next_u64() as usize) % inputs.len();
        let started = Instant::now();
        for i in 0..batch {
            black_box(f(black_box(&inputs[(start + i) % inputs.len()])));
        }
        let took = started.elapsed().as_nanos() as f64;
        if pick_a { &mut a } else { &mut b }.push(took);
    }
    welch_t(a, b)
}

/// The smallest |t| of up to three measurements, stopping at the first under the
/// threshold: a leak shows in every run, a burst of noise on a shared machine in one.
fn settled(mut measure: impl FnMut() -> f64) -> f64 {
    let mut smallest = f64::INFINITY;
    for _ in 0..3 {
        smallest = smallest.min(measure().abs());
        if smallest < THRESHOLD {
            break;
        }
    }
    smallest
}

/// Byte by byte, stopping at the first difference: the comparison not to write.
fn leaky_eq(x: &[u8; 32], y: &[u8; 32]) -> bool {
    for i in 0..32 {
        if black_box(x[i]) != black_box(y[i]) {
            return false;
        }
    }
    true
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The secret's hash, and the two classes of presented hashes: all but the last byte right,
/// and random.
fn hash_classes() -> ([u8; 32], Vec<[u8; 32]>, Vec<[u8; 32]>) {
    let mut rng = Rng(42);
    let secret = rng.bytes();
    let right_prefix = (0..256)
        .map(|i| {
            let mut h = secret;
            h[31] ^= (i as u8) | 1;
            h
        })
        .collect();
    let random = (0..256).map(|_| rng.bytes()).collect();
    (secret, right_prefix, random)
}

#[test]
fn the_api_key_hash_comparison_is_constant_time_and_the_test_catches_a_leaky_one() {
    let _alone = alone();
    let (secret, right_prefix, random) = hash_classes();
    let stored = KeyHash::from_hex(&hex(&secret)).unwrap();
    let as_hashes = |v: &[[u8; 32]]| -> Vec<KeyHash> {
        v.iter()
            .map(|h| KeyHash::from_hex(&hex(h)).unwrap())
            .collect()
    };
    let (a, b) = (as_hashes(&right_prefix), as_hashes(&random));
    let ours = settled(|| t_of(20_000, 64, &a, &b, |h| stored.ct_eq(h)));
    // Three runs, each over the threshold: the leak is caught every time.
    let leaky = (0..3)
        .map(|_| t_of(20_000, 64, &right_prefix, &random, |h| leaky_eq(&secret, h)).abs())
        .fold(f64::INFINITY, f64::min);
    println!("KeyHash::ct_eq |t| = {ours:.2}; byte-by-byte early exit |t| >= {leaky:.2}");
    assert!(
        leaky > THRESHOLD,
        "the test must catch a leaky comparison: |t| = {leaky:.2}"
    );
    assert!(ours < THRESHOLD, "KeyHash::ct_eq leaks: |t| = {ours:.2}");
}

#[test]
fn the_refresh_token_lookup_does_not_depend_on_a_right_prefix() {
    let _alone = alone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = MemoryRefreshStore::new();
    let now = auth_core::clock::now();
    let live = "a-live-refresh-token-0123456789abcdefghijk";
    rt.block_on(store.insert(
        RefreshHash::of(live),
        RefreshRecord::new("f", SessionGrant::new("u"), now + 3600, now + 7200),
    ))
    .unwrap();
    let mut rng = Rng(7);
    // Class A: the live token with its tail changed; class B: random tokens. Large pools,
    // so that what one token's hash happens to do in the map (a probe that meets the live
    // entry's tag) averages out in both classes.
    // Both classes as fixed arrays in one contiguous vector each: the same layout in
    // memory and caches, so that only their content differs.
    let (mut right_prefix, mut random) = (Vec::new(), Vec::new());
    for i in 0..4096usize {
        let mut a = [0u8; 42];
        a.copy_from_slice(live.as_bytes());
        for (slot, d) in a[39..].iter_mut().zip([i / 676, i / 26 % 26, i % 26]) {
            *slot = b'A' + d as u8;
        }
        right_prefix.push(a);
        let mut b = [0u8; 42];
        b.copy_from_slice(&hex(&rng.bytes()).as_bytes()[..42]);
        random.push(b);
    }
    let rotation = Rotation {
        new: RefreshHash::of("never-stored"),
        expires: now + 60,
        grace: 0,
    };
    // A presented token is hashed, then looked up: unknown either way. Polling the future
    // once completes it (the memory store does not wait).
    let lookup = |token: &[u8; 42]| {
        let hash = RefreshHash::of(std::str::from_utf8(token).unwrap_or_default());
        let mut future = std::pin::pin!(store.rotate(&hash, rotation));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        matches!(future.as_mut().poll(&mut cx), std::task::Poll::Ready(Ok(_)))
    };
    let t = settled(|| t_of(10_000, 16, &right_prefix, &random, &lookup));
    println!("refresh-token lookup |t| = {t:.2}");
    assert!(
        t < THRESHOLD,
        "the refresh-token lookup leaks: |t| = {t:.2}"
    );
}
