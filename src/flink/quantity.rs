//! Memory strings and Kubernetes quantities, read the way the operator reads them
//! (FO §2.3, `ResourceConfigUtils.parseResourceMemoryString`):
//!
//! 1. Flink's `MemorySize.parse` first: leading digits, then a unit among
//!    `b|bytes`, `k|kb|kibibytes`, `m|mb|mebibytes`, `g|gb|gibibytes`, `t|tb|tebibytes`,
//!    all binary. So `2G` is 2 GiB here, not 10^9 bytes, and `2048m` is 2048 MiB.
//! 2. Otherwise a Kubernetes quantity (`2Gi`, `1e6`), after upper-casing, dropping a
//!    trailing `B` and turning a trailing `I` back into `i`; the value is the byte count.

use std::fmt;

/// A byte count together with the text Flink would print for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemorySize {
    /// The size in bytes.
    pub bytes: u64,
    /// Whether Flink's own parser read it (true) or the Kubernetes fallback did (false).
    pub flink_syntax: bool,
}

impl MemorySize {
    /// Whole mebibytes, rounded down: the container memory Flink requests.
    pub fn mebibytes(self) -> u64 {
        self.bytes / (1024 * 1024)
    }

    /// The value written into the Flink configuration: `MemorySize.toString()` for
    /// Flink-syntax input (`"2 gb"`), the plain byte count for the Kubernetes fallback
    /// (`"2147483648"`), exactly as the operator does.
    pub fn config_text(self) -> String {
        if self.flink_syntax { flink_memory_text(self.bytes) } else { self.bytes.to_string() }
    }
}

/// Flink's `MemorySize.toString()`: the largest unit that divides the byte count, printed
/// as `"<n> <unit>"`. Quirk kept on purpose: a multiple of 1 TiB prints as plain bytes,
/// because Flink looks for the first unit that does *not* divide and finds none.
pub fn flink_memory_text(bytes: u64) -> String {
    const UNITS: [(u64, &str); 5] = [(1, "bytes"), (1 << 10, "kb"), (1 << 20, "mb"), (1 << 30, "gb"), (1 << 40, "tb")];
    let first_not_dividing = UNITS.iter().position(|(multiplier, _)| !bytes.is_multiple_of(*multiplier));
    let (multiplier, unit) = match first_not_dividing {
        Some(0) | None => UNITS[0],
        Some(index) => UNITS[index - 1],
    };
    format!("{} {}", bytes / multiplier, unit)
}

/// Why a memory string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryParseError(pub String);

impl fmt::Display for MemoryParseError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Flink's `MemorySize.parse`.
pub fn parse_flink_memory(text: &str) -> Result<u64, MemoryParseError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(MemoryParseError("argument is an empty- or whitespace-only string".into()));
    }
    let digits_end = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(digits_end);
    if digits.is_empty() {
        return Err(MemoryParseError("text does not start with a number".into()));
    }
    let number: u64 = digits
        .parse()
        .map_err(|_| MemoryParseError(format!("the value '{digits}' cannot be represented as a 64-bit number")))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gibibytes" => 1 << 30,
        "t" | "tb" | "tebibytes" => 1 << 40,
        other => {
            return Err(MemoryParseError(format!(
                "Memory size unit '{other}' does not match any of the recognized units: (b | bytes) / (k | kb | kibibytes) / (m | mb | mebibytes) / (g | gb | gibibytes) / (t | tb | tebibytes)"
            )));
        }
    };
    number.checked_mul(multiplier).ok_or_else(|| {
        MemoryParseError(format!(
            "the value '{trimmed}' cannot be represented as 64-bit number of bytes (numeric overflow)"
        ))
    })
}

/// The operator's memory rule: Flink syntax first, then the Kubernetes quantity fallback.
/// A fallback value that is not a whole number of bytes (`1.5Gi`) is rejected here, since
/// Flink would fail to read the byte count the operator writes for it.
pub fn parse_resource_memory(text: &str) -> Result<MemorySize, MemoryParseError> {
    if let Ok(bytes) = parse_flink_memory(text) {
        return Ok(MemorySize { bytes, flink_syntax: true });
    }
    let mut normalized: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    if normalized.ends_with('B') {
        normalized.pop();
    }
    if normalized.ends_with('I') {
        normalized.pop();
        normalized.push('i');
    }
    let quantity = Quantity::parse(&normalized)
        .map_err(|error| MemoryParseError(format!("cannot read '{text}' as memory: {error}")))?;
    if quantity.is_negative() {
        return Err(MemoryParseError(format!("memory '{text}' is negative")));
    }
    let bytes = quantity
        .whole_number()
        .ok_or_else(|| MemoryParseError(format!("memory '{text}' is not a whole number of bytes")))?;
    let bytes = u64::try_from(bytes).map_err(|_| MemoryParseError(format!("memory '{text}' is too large")))?;
    Ok(MemorySize { bytes, flink_syntax: false })
}

/// A Kubernetes quantity: `<sign><digits>[.<digits>][e<exp>]<suffix>`, kept exact as
/// `mantissa × 10^exponent10 × 2^exponent2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    negative: bool,
    mantissa: u128,
    exponent10: i32,
    exponent2: u32,
}

impl Quantity {
    /// Parse a Kubernetes quantity such as `500m`, `2Gi`, `1e6` or `0.5`.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the quantity is empty".into());
        }
        let (negative, body) = match text.as_bytes()[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let mut mantissa: u128 = 0;
        let mut exponent10: i32 = 0;
        let mut seen_digit = false;
        let mut seen_point = false;
        let mut rest = body;
        while let Some(c) = rest.chars().next() {
            if c.is_ascii_digit() {
                seen_digit = true;
                if mantissa < u128::MAX / 100 {
                    mantissa = mantissa * 10 + u128::from(c as u8 - b'0');
                    if seen_point {
                        exponent10 -= 1;
                    }
                } else if !seen_point {
                    exponent10 += 1;
                }
            } else if c == '.' && !seen_point {
                seen_point = true;
            } else {
                break;
            }
            rest = &rest[1..];
        }
        if !seen_digit {
            let bad = rest.chars().next().unwrap_or(' ');
            return Err(format!(
                "Character {bad} is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark."
            ));
        }
        let (exponent2, extra10) = match rest {
            "" => (0, 0),
            "Ki" => (10, 0),
            "Mi" => (20, 0),
            "Gi" => (30, 0),
            "Ti" => (40, 0),
            "Pi" => (50, 0),
            "Ei" => (60, 0),
            "n" => (0, -9),
            "u" => (0, -6),
            "m" => (0, -3),
            "k" => (0, 3),
            "M" => (0, 6),
            "G" => (0, 9),
            "T" => (0, 12),
            "P" => (0, 15),
            "E" => (0, 18),
            exponent if exponent.starts_with(['e', 'E']) => {
                let value: i32 = exponent[1..].parse().map_err(|_| format!("invalid exponent in quantity '{text}'"))?;
                if value.abs() > 40 {
                    return Err(format!("exponent out of range in quantity '{text}'"));
                }
                (0, value)
            }
            suffix => return Err(format!("unknown suffix '{suffix}' in quantity '{text}'")),
        };
        Ok(Quantity { negative, mantissa, exponent10: exponent10 + extra10, exponent2 })
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative && self.mantissa != 0
    }

    /// Whether the amount is exactly zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// The amount as a float (cpu cores, or bytes for ratios).
    pub fn to_f64(&self) -> f64 {
        let magnitude = self.mantissa as f64 * 10f64.powi(self.exponent10) * 2f64.powi(self.exponent2 as i32);
        if self.negative { -magnitude } else { magnitude }
    }

    /// The amount as a whole number, when it is one and fits.
    pub fn whole_number(&self) -> Option<i128> {
        let mut value = self.mantissa;
        let mut exponent10 = self.exponent10;
        while exponent10 < 0 {
            if !value.is_multiple_of(10) {
                return None;
            }
            value /= 10;
            exponent10 += 1;
        }
        for _ in 0..exponent10 {
            value = value.checked_mul(10)?;
        }
        value = value.checked_mul(1u128.checked_shl(self.exponent2)?)?;
        let signed = i128::try_from(value).ok()?;
        Some(if self.negative { -signed } else { signed })
    }
}

/// Mebibytes, for container sizes.
pub fn mebibytes_text(mebibytes: u64) -> String {
    format!("{mebibytes}Mi")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_text(text: &str) -> String {
        parse_resource_memory(text).unwrap().config_text()
    }

    /// FO §9 fact 2: `2g`, `2G`, `2 g`, `2gb`, `2gib` → 2 GiB; `2Gi`, `2gi`, `2 Gi`, `2048Mi` → bytes.
    #[test]
    fn fo9_fact2_two_gigabyte_spellings() {
        for text in ["2g", "2G", "2 g", "2gb", "2gib"] {
            assert_eq!(parse_resource_memory(text).unwrap().bytes, 2 << 30, "{text}");
        }
        for text in ["2g", "2G", "2 g", "2gb"] {
            assert_eq!(config_text(text), "2 gb", "{text}");
        }
        for text in ["2Gi", "2gi", "2 Gi", "2048Mi"] {
            assert_eq!(config_text(text), "2147483648", "{text}");
        }
    }

    /// FO §9 fact 3: `512m` → 512 MiB; `512mi` → 536870912 B; `1024m` → 1 GiB; `1024mi` → bytes.
    #[test]
    fn fo9_fact3_mebibyte_spellings() {
        assert_eq!(config_text("512m"), "512 mb");
        assert_eq!(config_text("512mi"), "536870912");
        assert_eq!(config_text("1024m"), "1 gb");
        assert_eq!(config_text("1024mi"), "1073741824");
    }

    /// FO §9 fact 4: `1000000b`, `1000000 b`, `1e6`, `1e6 b` → 1000000 bytes.
    #[test]
    fn fo9_fact4_plain_bytes_and_exponents() {
        for text in ["1000000b", "1000000 b", "1e6", "1e6 b"] {
            assert_eq!(parse_resource_memory(text).unwrap().bytes, 1_000_000, "{text}");
        }
        assert_eq!(config_text("1000000b"), "1000000 bytes");
    }

    /// FO §9 fact 1: `2048m` → `"2 gb"`.
    #[test]
    fn fo9_fact1_2048m_is_two_gb() {
        assert_eq!(config_text("2048m"), "2 gb");
    }

    #[test]
    fn memory_size_to_string_quirk_for_tebibytes() {
        assert_eq!(flink_memory_text(1 << 40), format!("{} bytes", 1u64 << 40));
        assert_eq!(flink_memory_text(0), "0 bytes");
        assert_eq!(flink_memory_text(1536 << 20), "1536 mb");
    }

    #[test]
    fn fractional_kubernetes_memory_is_rejected() {
        assert!(parse_resource_memory("1.5Gi").is_err());
        assert_eq!(parse_resource_memory("1.5G").unwrap().bytes, 1_500_000_000);
    }

    #[test]
    fn kubernetes_quantities() {
        assert_eq!(Quantity::parse("500m").unwrap().to_f64(), 0.5);
        assert_eq!(Quantity::parse("2").unwrap().to_f64(), 2.0);
        assert_eq!(Quantity::parse("2Gi").unwrap().whole_number(), Some(2 << 30));
        assert!(Quantity::parse("-5Gi").unwrap().is_negative());
        assert_eq!(
            Quantity::parse("abc").unwrap_err(),
            "Character a is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark."
        );
    }
}
