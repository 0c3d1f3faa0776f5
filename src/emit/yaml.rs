//! Byte-stable YAML output. serde-saphyr quotes every string a YAML 1.1 reader would
//! retype (`on`, `yes`, `n`, `0777`, `1e3`, …), so the output survives PyYAML and Go's
//! yaml.v2 with every string intact; long strings are never folded (clean diffs) and
//! multi-line strings are literal blocks. Objects start with `apiVersion`, `kind`,
//! `metadata`; every other key is sorted.
//!
//! # How: a hybrid emitter, byte-identical to serde-saphyr
//!
//! Going through serde-saphyr's `Serializer` for every node was the largest single cost of
//! a render, so the emitter here writes the *structure* itself and hands serde-saphyr only
//! the scalars whose spelling takes judgement. The output is exactly what
//! [`to_yaml_document_reference`] (serde-saphyr, the old path) writes, for every input:
//!
//! - **Structure** follows serde-saphyr's block layout (indent step 2, compact lists): map
//!   entries one per line, a nested map two columns deeper than its key, a sequence under a
//!   key at the key's own column, the first entry or item of a collection inside a sequence
//!   item on the dash's line (`- a: 1`, `- - x`), and empty collections as `{}` and `[]`.
//! - **Scalars that need no judgement** are written directly: `null`, `true`/`false`,
//!   integers (serde-saphyr prints them with `Display` too), strings that serde-saphyr
//!   certainly writes plain (`plain_or_quoted`: printable ASCII from a small set, no
//!   indicator first, not a reserved word, not anything a YAML 1.1 reader could take for a
//!   number or a date), strings it certainly writes double-quoted verbatim (`"6124"`,
//!   `"1.0"`, `"true"`), and multi-line printable-ASCII strings, which it always writes as
//!   literal blocks (`|`, `|-`, `|+`, `|2-`, …; `Emitter::literal` follows its
//!   `serialize_str` line for line). These are most of a manifest's bytes (scripts,
//!   configuration files), so writing them here is where most of the time is saved.
//! - **Everything else is delegated**: floats, and every other string (escapes, `\r`,
//!   unicode, indicators, number-like spellings, …) are serialized by serde-saphyr alone, as a
//!   document of their own, and spliced in. That is exact because serde-saphyr lays a scalar
//!   out relative to where it starts: a literal block's body is one indent step past its
//!   key's (or dash's) column at every depth, its empty lines carry no indentation, and
//!   nothing else in a scalar spans lines. A standalone scalar starts at column 0 with its
//!   body at column 2, so prefixing every non-empty continuation line with the key's (or
//!   dash's) column reproduces it in place. Keys that are not certainly plain are delegated
//!   the same way (a one-entry map `{key: null}`), and a key too long to be a simple key
//!   (the explicit `? key` form) delegates its whole entry.
//!
//! `tests/yaml_emitter.rs` checks the two paths agree on every rendered fixture object and on
//! thousands of random trees whose strings come from a pool of YAML's nastiest spellings.

use std::fmt::Write as _;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Number, Value};
use serde_saphyr::SerializerOptions;

/// Keys written first, in this order, at the top of an object.
const LEADING_KEYS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// One YAML document (no `---`), ending with a newline.
pub fn to_yaml_document(value: &Value) -> String {
    let mut text = String::new();
    write_yaml_document(value, &mut text);
    text
}

/// Append one YAML document (no `---`), ending with a newline, to `out`.
pub fn write_yaml_document(value: &Value, out: &mut String) {
    let mut emitter = Emitter { out, scratch: String::new() };
    match value {
        Value::Object(fields) if !fields.is_empty() => emitter.map(ordered(fields), Position::LineStart),
        other => emitter.node(other, Position::LineStart),
    }
}

/// A stream of documents separated by `---` lines.
pub fn to_yaml_stream(values: &[Value]) -> String {
    let mut text = String::with_capacity(values.len() * 2048);
    for value in values {
        text.push_str("---\n");
        write_yaml_document(value, &mut text);
    }
    text
}

/// The top-level entries of a document: the leading keys, then the others in map order.
fn ordered(fields: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    let leading = LEADING_KEYS.iter().filter_map(|key| fields.get_key_value(*key));
    leading.chain(fields.iter().filter(|(key, _)| !LEADING_KEYS.contains(&key.as_str())))
}

/// Where the next node starts.
#[derive(Clone, Copy)]
enum Position {
    /// At the start of a document (column 0).
    LineStart,
    /// Right after `key:` (no space yet), the key at this column.
    AfterKey(usize),
    /// Right after `- `, the dash at this column.
    AfterDash(usize),
}

impl Position {
    /// The column continuation lines of a scalar starting here are relative to.
    fn base_column(self) -> usize {
        match self {
            Position::LineStart => 0,
            Position::AfterKey(column) | Position::AfterDash(column) => column,
        }
    }
}

struct Emitter<'a> {
    out: &'a mut String,
    /// Reused buffer for what serde-saphyr writes for delegated scalars.
    scratch: String,
}

impl Emitter<'_> {
    fn node(&mut self, value: &Value, at: Position) {
        match value {
            Value::Null => self.scalar("null", at),
            Value::Bool(flag) => self.scalar(if *flag { "true" } else { "false" }, at),
            Value::Number(number) => self.number(number, at),
            Value::String(text) => self.string(text, at),
            Value::Array(items) if items.is_empty() => self.scalar("[]", at),
            Value::Object(fields) if fields.is_empty() => self.scalar("{}", at),
            Value::Array(items) => self.sequence(items, at),
            Value::Object(fields) => self.map(fields.iter(), at),
        }
    }

    /// A one-line scalar: `key: text`, `- text` or `text`.
    fn scalar(&mut self, text: &str, at: Position) {
        if let Position::AfterKey(_) = at {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn number(&mut self, number: &Number, at: Position) {
        if number.is_f64() {
            // serde-saphyr's float spelling (shortest round-trip, `.0`, exponent sign): delegate.
            self.delegate(number, at);
            return;
        }
        if let Position::AfterKey(_) = at {
            self.out.push(' ');
        }
        // Integers: serde-saphyr writes `{v}` for u64 and i64 alike, as does `Number`.
        write!(self.out, "{number}").expect("writing to a String cannot fail");
        self.out.push('\n');
    }

    fn string(&mut self, text: &str, at: Position) {
        match plain_or_quoted(text, false) {
            Some(Style::Plain) => self.scalar(text, at),
            Some(Style::Quoted) => self.quoted(text, at),
            None if is_ascii_literal(text) => self.literal(text, at),
            None => self.delegate(&text, at),
        }
    }

    /// A literal block scalar, written as serde-saphyr's `serialize_str` writes one: header
    /// `|`, `2` if the first non-empty line starts with a space, chomping `-` (no final
    /// newline), none (one) or `+` (more, or nothing but newlines); then the lines, each
    /// non-empty one indented a step past the key's or dash's column.
    fn literal(&mut self, text: &str, at: Position) {
        if let Position::AfterKey(_) = at {
            self.out.push(' ');
        }
        let content = text.trim_end_matches('\n');
        let trailing = text.len() - content.len();
        self.out.push('|');
        let first_line = content.split('\n').find(|line| !line.is_empty()).unwrap_or_default();
        if first_line.starts_with(' ') {
            self.out.push('2');
        }
        match trailing {
            0 => self.out.push_str("-\n"),
            1 if !content.is_empty() => self.out.push('\n'),
            _ => self.out.push_str("+\n"),
        }
        if content.is_empty() {
            (0..trailing).for_each(|_| self.out.push('\n'));
            return;
        }
        let column = at.base_column() + 2;
        for line in content.split('\n') {
            if !line.is_empty() {
                indent(self.out, column);
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
        (1..trailing).for_each(|_| self.out.push('\n'));
    }

    /// `"text"`, for text that needs no escape.
    fn quoted(&mut self, text: &str, at: Position) {
        if let Position::AfterKey(_) = at {
            self.out.push(' ');
        }
        self.out.push('"');
        self.out.push_str(text);
        self.out.push_str("\"\n");
    }

    /// A block mapping of `entries` (at least one) starting at `at`.
    fn map<'v>(&mut self, entries: impl Iterator<Item = (&'v String, &'v Value)>, at: Position) {
        let (column, mut inline) = match at {
            Position::LineStart => (0, false),
            Position::AfterKey(key) => {
                self.out.push('\n');
                (key + 2, false)
            }
            Position::AfterDash(dash) => (dash + 2, true),
        };
        for (key, value) in entries {
            if !inline {
                indent(self.out, column);
            }
            inline = false;
            self.entry(key, value, column);
        }
    }

    /// One `key: value` entry; the key's indentation is already written.
    fn entry(&mut self, key: &str, value: &Value, column: usize) {
        match plain_or_quoted(key, true) {
            Some(Style::Plain) => self.out.push_str(key),
            Some(Style::Quoted) => {
                self.out.push('"');
                self.out.push_str(key);
                self.out.push('"');
            }
            None => {
                if !self.delegated_key(key) {
                    self.delegate_entry(key, value, column);
                    return;
                }
            }
        }
        self.out.push(':');
        self.node(value, Position::AfterKey(column));
    }

    /// A block sequence of `items` (at least one) starting at `at`.
    fn sequence(&mut self, items: &[Value], at: Position) {
        let (column, mut inline) = match at {
            Position::LineStart => (0, false),
            // Compact lists: the dashes sit at the key's own column.
            Position::AfterKey(key) => {
                self.out.push('\n');
                (key, false)
            }
            Position::AfterDash(dash) => (dash + 2, true),
        };
        for item in items {
            if !inline {
                indent(self.out, column);
            }
            inline = false;
            self.out.push_str("- ");
            self.node(item, Position::AfterDash(column));
        }
    }

    /// Write `value` as serde-saphyr writes it standing alone, moved to `at`.
    fn delegate<T: Serialize>(&mut self, value: &T, at: Position) {
        if let Position::AfterKey(_) = at {
            self.out.push(' ');
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        reference_into(&mut scratch, value);
        splice(self.out, &scratch, at.base_column());
        self.scratch = scratch;
    }

    /// Write `key` as serde-saphyr spells a simple key; false if it takes the explicit form.
    fn delegated_key(&mut self, key: &str) -> bool {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        reference_into(&mut scratch, &OneEntry(key, &Value::Null));
        let simple = match scratch.strip_suffix(": null\n") {
            Some(text) if !text.starts_with("? ") && !text.contains('\n') => {
                self.out.push_str(text);
                true
            }
            _ => false,
        };
        self.scratch = scratch;
        simple
    }

    /// Write a whole entry (an explicit `? key`) as serde-saphyr writes it, keys at `column`.
    fn delegate_entry(&mut self, key: &str, value: &Value, column: usize) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        reference_into(&mut scratch, &OneEntry(key, value));
        splice(self.out, &scratch, column);
        self.scratch = scratch;
    }
}

/// How serde-saphyr certainly writes a string, when that is easy to tell.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    /// As it is.
    Plain,
    /// In double quotes, with nothing to escape.
    Quoted,
}

/// Longest key taken on the fast path; serde-saphyr writes keys over 1024 characters
/// (quotes included) in the explicit `? key` form.
const MAX_FAST_KEY: usize = 1000;

/// `Some` when serde-saphyr certainly writes `text` (a value, or a key if `key`) plain or
/// double-quoted without escapes; `None` when in doubt (the caller delegates).
///
/// serde-saphyr (`ser/quoting.rs`) writes a one-line string without control characters plain
/// unless it is "ambiguous" (empty, `~`, a null/bool/inf/nan spelling, YAML 1.1 bool
/// `y`/`yes`/`on`/…, anything a YAML 1.1 or Go reader might take for a number or a
/// timestamp, `<<`, `=`), a document marker, starts with an indicator or `- `, has edge
/// white space, `: `, a trailing `:`, or ` #` (keys: any `:`, `,`, `[`, `]`, `{`, `}`).
/// Those it writes double-quoted, escaped; the one-character strings `.`, `#` and `-`
/// single-quoted. Here only printable ASCII without `"`, `\`, `#` or `` ` `` is judged.
fn plain_or_quoted(text: &str, key: bool) -> Option<Style> {
    let bytes = text.as_bytes();
    let table = if key { &KEY_BYTES } else { &VALUE_BYTES };
    if bytes.is_empty() || (key && bytes.len() > MAX_FAST_KEY) || !bytes.iter().all(|&b| table[usize::from(b)]) {
        return None;
    }
    let first = bytes[0];
    if first.is_ascii_alphabetic() {
        if is_reserved_word(text) {
            return Some(Style::Quoted);
        }
    } else if first.is_ascii_digit() && bytes.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
        // `[0-9][0-9.]*` is a YAML 1.1 int or float (even `1.2.3`): always quoted.
        return Some(Style::Quoted);
    } else if matches!(first, b'0'..=b'9' | b'+' | b'-' | b'.' | b'_') {
        // Could start a number or a timestamp: plain only with a byte no number or timestamp
        // spelling contains, not a document marker and not a `- ` indicator.
        let marker = text.starts_with("---") || text.starts_with("...");
        let dash_indicator = first == b'-' && bytes.get(1) == Some(&b' ');
        if marker || dash_indicator || bytes.iter().all(|&b| NUMERIC_BYTES[usize::from(b)]) {
            return None;
        }
    } else if first != b'/' && first != b'$' {
        return None;
    }
    let last = bytes[bytes.len() - 1];
    if last == b' ' || last == b':' || bytes.windows(2).any(|pair| pair == b": ") {
        return None;
    }
    Some(Style::Plain)
}

/// Whether serde-saphyr certainly writes `text` as a literal block (it does for every string
/// with a line break whose characters may all stand in one) that `Emitter::literal` can
/// write: multi-line, printable ASCII and tabs only (no `\r`, no other control character,
/// nothing beyond ASCII: those are delegated).
fn is_ascii_literal(text: &str) -> bool {
    let allowed = |b: u8| matches!(b, b' '..=b'~' | b'\n' | b'\t');
    // Chunks without an early exit inside: the check vectorizes.
    text.as_bytes().contains(&b'\n')
        && text.as_bytes().chunks(64).all(|chunk| chunk.iter().fold(true, |ok, &b| ok & allowed(b)))
}

/// The all-letter spellings serde-saphyr treats as ambiguous (any case): YAML null, bools
/// (1.1 and 1.2), and the undotted float names.
fn is_reserved_word(text: &str) -> bool {
    const WORDS: [&str; 11] = ["null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf"];
    text.len() <= 5 && WORDS.iter().any(|word| text.eq_ignore_ascii_case(word))
}

/// Bytes judged in a value: ASCII letters, digits, space and punctuation except `"`, `\`,
/// `#` and `` ` ``.
const VALUE_BYTES: [bool; 256] = byte_table(b" -_./:=+,@%()[]{};~^$!*&?'<>|");
/// Bytes judged in a key: as for values, less the flow indicators and `:`.
const KEY_BYTES: [bool; 256] = byte_table(b" -_./=+@%();~^$!*&?'<>|");
/// Every byte that occurs in some spelling of a YAML 1.1/1.2 or Go number (radix prefixes,
/// hex digits, exponents, `.inf`, `.nan`, sexagesimal `1:20`) or YAML 1.1 timestamp. A string
/// with any other byte is neither.
const NUMERIC_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let bytes = b"0123456789_.+-:, \tTtZzEeXxOoBbAaCcDdFfIiNn";
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
};

const fn byte_table(punctuation: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < punctuation.len() {
        table[punctuation[i] as usize] = true;
        i += 1;
    }
    table
}

/// Append `column` spaces.
fn indent(out: &mut String, column: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = column;
    while left > SPACES.len() {
        out.push_str(SPACES);
        left -= SPACES.len();
    }
    out.push_str(&SPACES[..left]);
}

/// Append serde-saphyr's standalone `text` with every non-empty line after the first moved
/// `column` columns right (a block scalar's empty lines carry no indentation).
fn splice(out: &mut String, text: &str, column: usize) {
    let mut lines = text.split_inclusive('\n');
    out.push_str(lines.next().unwrap_or_default());
    for line in lines {
        if line != "\n" {
            indent(out, column);
        }
        out.push_str(line);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

/// A one-entry mapping, for delegated keys and entries.
struct OneEntry<'a>(&'a str, &'a Value);

impl Serialize for OneEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

/// The previous emitter, kept as the reference the fast one must match byte for byte: the
/// whole document through serde-saphyr. For tests and benchmarks only.
#[doc(hidden)]
pub fn to_yaml_document_reference(value: &Value) -> String {
    let mut text = String::new();
    reference_into(&mut text, &Ordered(value));
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// serde-saphyr with this crate's options: never fold long strings.
fn reference_into<T: Serialize>(out: &mut String, value: &T) {
    let mut options = SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    serde_saphyr::to_fmt_writer_with_options(out, value, options).expect("JSON values always serialize");
}

/// The top-level object with its leading keys first.
struct Ordered<'a>(&'a Value);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in ordered(fields) {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Style, plain_or_quoted};

    #[test]
    fn judged_strings() {
        for plain in ["flink:2.2", "2 gb", "1024m", "-Dx=y", "/opt/flink", "app.kubernetes.io/name", "a b"] {
            assert_eq!(plain_or_quoted(plain, false), Some(Style::Plain), "{plain}");
        }
        for quoted in ["6124", "1.0", "1.2.3", "true", "No", "ON", "y", "null", "Inf"] {
            assert_eq!(plain_or_quoted(quoted, false), Some(Style::Quoted), "{quoted}");
        }
        for doubt in ["", "-", ".", "1e3", "0x1F", "12:30", "2024-01-01", "- x", "a: b", "a:", "a ", "~", "--- x", "é"]
        {
            assert_eq!(plain_or_quoted(doubt, false), None, "{doubt}");
        }
        assert_eq!(plain_or_quoted("flink:2.2", true), None);
    }
}
