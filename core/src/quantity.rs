//! Exact Kubernetes quantities.
//!
//! ECI sizes are compared against a table of vCPU/GiB pairs, and rounding
//! must go *up* (docs/sizing.md#round-up, docs/peers.md#rounding-units: peers that truncated
//! decimal units under-provisioned pods). Floating point cannot do that
//! reliably, so a quantity is kept as an exact rational
//! `digits × 10^exp10 × 2^exp2` and only converted to whole millicores or
//! bytes, rounding up, at the edge.
//!
//! Grammar (k8s.io/apimachinery `resource.Quantity`):
//! `[+-]digits[.digits](suffix)` where suffix is a binary SI suffix
//! (`Ki Mi Gi Ti Pi Ei`), a decimal SI suffix (`n u m k M G T P E`) or a
//! decimal exponent (`e3`, `E-2`).

use std::fmt;

/// A parsed quantity: `mantissa × 10^exp10 × 2^exp2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    mantissa: i128,
    exp10: i32,
    exp2: u32,
}

/// Why a quantity string is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Not a quantity at all.
    #[error("`{0}` is not a Kubernetes quantity (expected e.g. `500m`, `1.5`, `256Mi`)")]
    Malformed(String),
    /// Too many digits or too large an exponent to be exact.
    #[error("`{0}` is too large")]
    TooLarge(String),
}

const MAX_DIGITS: usize = 30;

impl Quantity {
    /// Parses a quantity string.
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        let malformed = || QuantityError::Malformed(text.to_string());
        let s = text.trim();
        let (negative, s) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let number_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
        let (number, suffix) = s.split_at(number_end);
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        if (int_part.is_empty() && frac_part.is_empty()) || frac_part.contains('.') {
            return Err(malformed());
        }
        let digits: String = format!("{int_part}{frac_part}");
        let significant = digits.trim_start_matches('0');
        if significant.len() > MAX_DIGITS {
            return Err(QuantityError::TooLarge(text.to_string()));
        }
        let mut mantissa: i128 = 0;
        for b in significant.bytes() {
            mantissa = mantissa * 10 + i128::from(b - b'0');
        }
        if negative {
            mantissa = -mantissa;
        }
        let frac_len = i32::try_from(frac_part.len()).map_err(|_| malformed())?;
        let (exp10, exp2) = match suffix {
            "" => (0, 0),
            "Ki" => (0, 10),
            "Mi" => (0, 20),
            "Gi" => (0, 30),
            "Ti" => (0, 40),
            "Pi" => (0, 50),
            "Ei" => (0, 60),
            "n" => (-9, 0),
            "u" => (-6, 0),
            "m" => (-3, 0),
            "k" => (3, 0),
            "M" => (6, 0),
            "G" => (9, 0),
            "T" => (12, 0),
            "P" => (15, 0),
            "E" => (18, 0),
            other => {
                let exp = other.strip_prefix('e').or_else(|| other.strip_prefix('E')).ok_or_else(malformed)?;
                let valid = !exp.is_empty()
                    && exp.trim_start_matches(['+', '-']).bytes().all(|b| b.is_ascii_digit())
                    && exp.len() <= 4;
                if !valid {
                    return Err(malformed());
                }
                (exp.parse::<i32>().map_err(|_| malformed())?, 0)
            }
        };
        Ok(Quantity { mantissa, exp10: exp10 - frac_len, exp2 })
    }

    /// True when the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    /// `value × scale`, rounded up to a whole number; `None` on overflow.
    fn scaled_ceil(&self, scale: i128) -> Option<i128> {
        let mut numerator = self.mantissa.checked_mul(scale)?;
        numerator = numerator.checked_mul(1i128.checked_shl(self.exp2)?)?;
        if self.exp10 >= 0 {
            numerator.checked_mul(10i128.checked_pow(self.exp10.unsigned_abs())?)
        } else {
            let denominator = 10i128.checked_pow(self.exp10.unsigned_abs())?;
            Some(div_ceil(numerator, denominator))
        }
    }

    /// The value in thousandths, rounded up (CPU millicores).
    pub fn millis_ceil(&self) -> Option<i128> {
        self.scaled_ceil(1000)
    }

    /// The value as a whole number, rounded up (memory bytes, GPU count).
    pub fn units_ceil(&self) -> Option<i128> {
        self.scaled_ceil(1)
    }
}

/// `text` in the canonical form the API server stores a quantity in
/// (k8s.io/apimachinery `Quantity.String`, `CanonicalizeBytes`), so an object
/// written with it reads back unchanged: `1000000` → `1M`, `10000` → `10k`,
/// `0.5` → `500m`, `2048Mi` → `2Gi`, `1536Mi` stays, a binary quantity below
/// 1024 or not whole is written in decimal SI (`512Mi` is whole: it stays;
/// `0.5Ki` → `512`). The value is kept to the nano (the API server rounds
/// finer values up). `None` when `text` is not a quantity.
pub fn canonical(text: &str) -> Option<String> {
    let q = Quantity::parse(text).ok()?;
    let suffix = text.trim().trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | '+' | '-'));
    let binary = suffix.ends_with('i');
    let exponent_form = suffix.starts_with(['e', 'E']);
    let nanos = q.scaled_ceil(1_000_000_000)?;
    if nanos == 0 {
        return Some("0".into());
    }
    const NANO: i128 = 1_000_000_000;
    if binary && nanos.abs() >= 1024 * NANO && nanos % NANO == 0 {
        // The largest power of 1024 that divides the whole value.
        let (mut whole, mut power) = (nanos / NANO, 0);
        while power < 6 && whole % 1024 == 0 {
            whole /= 1024;
            power += 1;
        }
        return Some(format!("{whole}{}", ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power]));
    }
    // Decimal: strip factors of ten, then lower the exponent to a multiple of 3.
    let (mut mantissa, mut exponent) = (nanos, -9i32);
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exponent += 1;
    }
    while exponent.rem_euclid(3) != 0 {
        mantissa *= 10;
        exponent -= 1;
    }
    let si = match exponent {
        -9 => Some("n"),
        -6 => Some("u"),
        -3 => Some("m"),
        0 => Some(""),
        3 => Some("k"),
        6 => Some("M"),
        9 => Some("G"),
        12 => Some("T"),
        15 => Some("P"),
        18 => Some("E"),
        _ => None,
    };
    Some(match (exponent_form, si) {
        (false, Some(si)) => format!("{mantissa}{si}"),
        (true, _) if exponent == 0 => mantissa.to_string(),
        _ => format!("{mantissa}e{exponent}"),
    })
}

fn div_ceil(numerator: i128, denominator: i128) -> i128 {
    let q = numerator / denominator;
    if numerator % denominator != 0 && (numerator > 0) == (denominator > 0) { q + 1 } else { q }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}e{}*2^{}", self.mantissa, self.exp10, self.exp2)
    }
}

/// Bytes in one GiB.
pub const GIB: i128 = 1 << 30;
/// Bytes in one MiB.
#[cfg(test)]
const MIB: i128 = 1 << 20;

/// Millicores as the vCPU number ECI expects (`1500` → `1.5`).
pub fn millis_to_vcpu(millis: i128) -> f64 {
    // Exact for every value ECI accepts: the decimal text of m/1000 is the
    // shortest representation serde_json prints.
    millis as f64 / 1000.0
}

/// Bytes as the GiB number ECI expects. Exact: `bytes / 2^30` is a dyadic
/// rational, which f64 represents without error below 2^53 bytes.
pub fn bytes_to_gib(bytes: i128) -> f64 {
    bytes as f64 / GIB as f64
}

/// Renders millicores the way Kubernetes users write them (`500m`, `2`).
pub fn format_millis(millis: i128) -> String {
    if millis % 1000 == 0 { format!("{}", millis / 1000) } else { format!("{millis}m") }
}

/// Renders millicores as a plain vCPU number (`250` → `0.25`, `2000` → `2`).
pub fn format_vcpu(millis: i128) -> String {
    let whole = millis / 1000;
    let frac = (millis % 1000).abs();
    if frac == 0 {
        format!("{whole}")
    } else {
        let digits = format!("{frac:03}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// Renders bytes with the largest exact binary suffix (`1.5Gi` → `1536Mi`).
pub fn format_bytes(bytes: i128) -> String {
    for (suffix, shift) in [("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] {
        let unit = 1i128 << shift;
        if bytes != 0 && bytes % unit == 0 {
            return format!("{}{suffix}", bytes / unit);
        }
    }
    format!("{bytes}")
}

/// Renders GiB for humans: `4`, `0.5`, `1.5`.
pub fn format_gib(bytes: i128) -> String {
    let gib = bytes_to_gib(bytes);
    if gib.fract() == 0.0 { format!("{}", gib as i64) } else { format!("{gib}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(s: &str) -> i128 {
        Quantity::parse(s).ok().and_then(|q| q.millis_ceil()).unwrap_or(-1)
    }
    fn bytes(s: &str) -> i128 {
        Quantity::parse(s).ok().and_then(|q| q.units_ceil()).unwrap_or(-1)
    }

    #[test]
    fn canonical_forms_are_the_api_servers() {
        // Pairs as the API server stores them (apimachinery quantity tests and
        // conformance/cluster_e2e.py on a real kube-apiserver).
        for (given, stored) in [
            ("1000000", "1M"),
            ("10000", "10k"),
            ("1500", "1500"),
            ("100", "100"),
            ("0", "0"),
            ("0.5", "500m"),
            ("1.5", "1500m"),
            ("2000m", "2"),
            ("30Ti", "30Ti"),
            ("6400Ti", "6400Ti"),
            ("2048Mi", "2Gi"),
            ("1536Mi", "1536Mi"),
            ("0.5Ki", "512"),
            ("1.5Gi", "1536Mi"),
            ("1e3", "1e3"),
            ("1000e0", "1e3"),
            ("12e6", "12e6"),
            ("1k", "1k"),
            ("1000k", "1M"),
            ("1e21", "1e21"),
        ] {
            assert_eq!(canonical(given).as_deref(), Some(stored), "{given}");
            // The same value, and canonical already.
            assert_eq!(canonical(stored).as_deref(), Some(stored), "{stored} is stable");
            let value = |t: &str| Quantity::parse(t).ok().and_then(|q| q.scaled_ceil(1_000_000_000));
            assert_eq!(value(given), value(stored), "{given} and {stored} differ in value");
        }
        assert_eq!(canonical("lots"), None);
    }

    #[test]
    fn cpu_forms() {
        assert_eq!(millis("500m"), 500);
        assert_eq!(millis("1.5"), 1500);
        assert_eq!(millis("2"), 2000);
        assert_eq!(millis("0.1"), 100);
        assert_eq!(millis("100u"), 1, "sub-millicore rounds up");
        assert_eq!(millis("1e3"), 1_000_000);
        assert_eq!(millis(".5"), 500);
        assert_eq!(millis("+1"), 1000);
    }

    #[test]
    fn memory_forms() {
        assert_eq!(bytes("1Gi"), GIB);
        assert_eq!(bytes("1.5Gi"), 3 * GIB / 2);
        assert_eq!(bytes("512Mi"), 512 * MIB);
        assert_eq!(bytes("1G"), 1_000_000_000);
        assert_eq!(bytes("128974848"), 128_974_848);
        assert_eq!(bytes("129e6"), 129_000_000);
        assert_eq!(bytes("123Mi"), 123 * MIB);
        assert_eq!(bytes("0.1Ki"), 103, "102.4 bytes rounds up");
    }

    #[test]
    fn malformed() {
        for bad in ["", "abc", "1.2.3", "1Xi", "--1", "1e", "1e+", ".", "1 Gi", "e3"] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert!(matches!(Quantity::parse("1234567890123456789012345678901234567890"), Err(QuantityError::TooLarge(_))));
        assert!(Quantity::parse("-1").map(|q| q.is_negative()).unwrap_or(false));
    }

    #[test]
    fn formatting() {
        assert_eq!(format_millis(1500), "1500m");
        assert_eq!(format_millis(2000), "2");
        assert_eq!(format_vcpu(250), "0.25");
        assert_eq!(format_vcpu(2000), "2");
        assert_eq!(format_vcpu(1500), "1.5");
        assert_eq!(format_bytes(3 * GIB / 2), "1536Mi");
        assert_eq!(format_bytes(4 * GIB), "4Gi");
        assert_eq!(format_gib(GIB / 2), "0.5");
        assert_eq!(format_gib(4 * GIB), "4");
        assert_eq!(millis_to_vcpu(250), 0.25);
        assert_eq!(bytes_to_gib(GIB / 8), 0.125);
    }
}
