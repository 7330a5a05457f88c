//! The random values a request needs: signature nonces, client tokens and
//! the jitter of retries. From the operating system (`getrandom`); if that
//! fails, from std's randomly keyed hasher mixed with the time and a
//! counter, which still never repeats within a process.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The fallback: a randomly keyed SipHash of (counter, time).
fn fallback_bytes(out: &mut [u8]) {
    for chunk in out.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        let bytes = hasher.finish().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// `N` random bytes.
fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if getrandom::fill(&mut out).is_err() {
        fallback_bytes(&mut out);
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A signature nonce: 32 lowercase hex digits (128 random bits).
pub fn nonce() -> String {
    hex(&bytes::<16>())
}

/// A `ClientToken`: a random UUID (version 4 layout), 36 ASCII characters —
/// within the API's 64.
pub fn client_token() -> String {
    let mut b = bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// A uniform value in `[0, 1)` (53 random bits).
pub fn unit_random() -> f64 {
    let n = u64::from_le_bytes(bytes::<8>()) >> 11;
    n as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn nonces_are_unique_hex() {
        let set: BTreeSet<String> = (0..1000).map(|_| nonce()).collect();
        assert_eq!(set.len(), 1000);
        assert!(set.iter().all(|n| n.len() == 32 && n.bytes().all(|b| b.is_ascii_hexdigit())));
    }

    #[test]
    fn fallback_is_unique_too() {
        let set: BTreeSet<[u8; 16]> = (0..1000)
            .map(|_| {
                let mut b = [0u8; 16];
                fallback_bytes(&mut b);
                b
            })
            .collect();
        assert_eq!(set.len(), 1000);
    }

    #[test]
    fn client_tokens_look_like_uuids() {
        let t = client_token();
        assert_eq!(t.len(), 36);
        assert_eq!(t.as_bytes()[14], b'4');
        assert_eq!(t.matches('-').count(), 4);
        assert_ne!(t, client_token());
    }

    #[test]
    fn unit_random_in_range() {
        assert!((0..1000).map(|_| unit_random()).all(|u| (0.0..1.0).contains(&u)));
    }
}
