//! Java's number formatting, where Flink or the operator prints a number with it.

/// Java's `Double.toString` for the values YAML users write: integral values keep one
/// decimal (`1.0`), others use the shortest round-trip form. Jackson renders numbers in
/// `flinkConfiguration` this way, so `cpu: 1.0` stays `1.0`, and the operator writes cpu
/// amounts and limit factors the same way.
pub fn java_double_text(number: f64) -> String {
    if number.is_nan() {
        "NaN".to_string()
    } else if number.is_infinite() {
        if number > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if number.fract() == 0.0 && number.abs() < 1e7 {
        format!("{number:.1}")
    } else {
        let text = format!("{number}");
        if text.contains('.') || text.contains('e') { text } else { format!("{text}.0") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_text_matches_jackson() {
        assert_eq!(java_double_text(1.0), "1.0");
        assert_eq!(java_double_text(0.5), "0.5");
        assert_eq!(java_double_text(2.25), "2.25");
    }
}
