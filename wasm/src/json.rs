//! The response JSON, written by hand where it is big: a rendered stream is tens of kilobytes
//! of YAML, and it goes out twice (`stdout` and each object's `yaml`). serde_json escapes a
//! string byte by byte through `io::Write`; here the escaper finds the next byte to escape
//! eight bytes at a time, and each document is escaped once and copied into both places.
//!
//! The bytes are exactly serde_json's: the same escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
//! `\t`, other controls as `\u00xx`), nothing else escaped (tested against serde_json).

/// A JSON text under construction.
#[derive(Default)]
pub struct Json {
    text: String,
}

impl Json {
    /// Room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Json {
        Json { text: String::with_capacity(capacity) }
    }

    /// Append JSON text as it is (punctuation, keys, numbers, escaped contents).
    pub fn raw(&mut self, text: &str) -> &mut Json {
        self.text.push_str(text);
        self
    }

    /// Append `value` as a JSON string.
    pub fn string(&mut self, value: &str) -> &mut Json {
        self.text.push('"');
        escape_into(&mut self.text, value);
        self.text.push('"');
        self
    }

    /// Append any serializable value as serde_json writes it (compact).
    pub fn value<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> &mut Json {
        self.text.push_str(&serde_json::to_string(value).expect("responses serialize"));
        self
    }

    /// The text.
    pub fn finish(self) -> String {
        self.text
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The top bit of each byte of `word` (little-endian) that is below 0x20, `"` or `\`, and
/// possibly of bytes after such a one: the classic zero-byte tests, whose borrows run only
/// upwards from a byte that matches. So a word with no match gives 0, and the lowest bit set
/// is always the first match.
#[inline(always)]
fn special_bytes(word: u64) -> u64 {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = quote.wrapping_sub(ONES) & !quote;
    let backslash = backslash.wrapping_sub(ONES) & !backslash;
    (control | quote | backslash) & HIGHS
}

/// Whether `byte` is escaped in a JSON string.
fn is_special(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Append the JSON escape of `value` (without quotes) to `out`. Every byte that is escaped is
/// ASCII, so the unescaped runs between them are whole characters.
pub fn escape_into(out: &mut String, value: &str) {
    let bytes = value.as_bytes();
    let mut run = 0;
    let mut at = 0;
    loop {
        // The next byte to escape: eight bytes at a time, the tail byte by byte.
        let special = loop {
            if let Some(word) = bytes.get(at..at + 8) {
                let found = special_bytes(u64::from_le_bytes(word.try_into().expect("eight bytes")));
                if found == 0 {
                    at += 8;
                    continue;
                }
                break Some(at + found.trailing_zeros() as usize / 8);
            }
            break bytes[at..].iter().position(|&byte| is_special(byte)).map(|offset| at + offset);
        };
        let Some(special) = special else { break };
        out.push_str(&value[run..special]);
        let byte = bytes[special];
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
        }
        run = special + 1;
        at = special + 1;
    }
    out.push_str(&value[run..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(value: &str) -> String {
        let mut json = Json::default();
        json.string(value);
        json.finish()
    }

    #[test]
    fn escapes_as_serde_json_does() {
        let mut cases: Vec<String> = [
            "",
            "plain",
            "exactly8",
            "line\nline\n",
            "\"quoted\" and \\back\\slashed\\",
            "\u{0}\u{1}\u{7}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1b}\u{1f} \u{7f}",
            "é — 😀 ｜ \u{2028}\u{2029} \u{fffd}",
            "éé\"ü\\😀\n\u{1}ÿ\u{80}\u{7ff}\u{800}\"",
            "---\napiVersion: v1\nkind: ConfigMap\ndata:\n  script: |\n    echo \"$X\" \\\n      | tee\n",
        ]
        .iter()
        .map(|case| case.to_string())
        .collect();
        // Every byte value below 0x80 at every offset of a word, and runs around them.
        for byte in 0u8..0x80 {
            for offset in 0..17 {
                let mut case = "abcdefghijklmnopq".to_string();
                case.insert(offset, byte as char);
                cases.push(case.clone());
                cases.push(case.repeat(3) + "ü");
            }
        }
        for case in &cases {
            assert_eq!(escaped(case), serde_json::to_string(case).unwrap(), "{case:?}");
        }
    }
}
