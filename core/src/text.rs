//! Text helpers shared by every module: splitting comma lists, making
//! untrusted text safe to show, and finding the name a misspelling meant.
//!
//! Values from the input reach human-facing text (diagnostic messages, the
//! explain table, logs). A value holding `ESC]0;…BEL` would retitle a
//! terminal, `ESC[2J` clear it, a newline forge a diagnostic line, and a
//! right-to-left override (U+202E) make `gpj.exe` read as `exe.jpg`. Such
//! characters are shown escaped, the way Rust's `{:?}` shows them.

use std::borrow::Cow;

/// Splits a comma list, trimming items and dropping empty ones.
pub fn split_list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Whether `c` must not reach a terminal or a log line as itself: C0 and C1
/// controls, DEL, line and paragraph separators, and the bidirectional
/// embedding, override and isolate marks.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `text` with every [unsafe character](is_unsafe_char) escaped (`\n`,
/// `\t`, `\u{1b}`, `\u{202e}`), borrowed when there is none.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The longest prefix of `text` of at most `max_bytes` bytes that ends on a
/// character boundary (`String::truncate` panics inside a character).
pub fn prefix_within(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The edit (Levenshtein) distance between `a` and `b` when it is at most
/// `limit`, else `None`. The distance is at least the difference of the
/// lengths, so a pair whose lengths differ by more than `limit` is refused
/// before any distance is computed: a 100 KB name from a hostile pod costs one
/// length comparison per candidate, not 100 000 × its length.
pub fn edit_distance_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    let (a_len, b_len) = (a.chars().count(), b.chars().count());
    if a_len.abs_diff(b_len) > limit {
        return None;
    }
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    Some(row[b.len()]).filter(|d| *d <= limit)
}

/// The candidate `name` most likely misspells: the nearest by edit distance
/// among those within `limit(candidate)` edits, the first of equals.
pub fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    limit: impl Fn(&str) -> usize,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter_map(|c| edit_distance_within(name, c, limit(c)).map(|d| (d, c)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_end_on_character_boundaries() {
        assert_eq!(prefix_within("héllo", 2), "h");
        assert_eq!(prefix_within("héllo", 3), "hé");
        assert_eq!(prefix_within("abc", 10), "abc");
        assert_eq!(prefix_within("日本", 4), "日");
    }

    #[test]
    fn edit_distances_are_bounded() {
        assert_eq!(edit_distance_within("kitten", "sitting", 3), Some(3));
        assert_eq!(edit_distance_within("kitten", "sitting", 2), None);
        assert_eq!(edit_distance_within("", "abc", 3), Some(3));
        assert_eq!(edit_distance_within(&"k".repeat(100_000), "image", 2), None);
        assert_eq!(closest("imagee", ["name", "image", "images"], |_| 2), Some("image"));
        assert_eq!(closest("zzzzzz", ["name", "image"], |_| 2), None);
    }

    #[test]
    fn terminal_controls_are_shown_escaped() {
        assert_eq!(escape_text("plain ü"), "plain ü");
        assert!(matches!(escape_text("plain"), Cow::Borrowed(_)));
        assert_eq!(escape_text("a\u{1b}]0;x\u{7}\u{1b}[2J"), "a\\u{1b}]0;x\\u{7}\\u{1b}[2J");
        assert_eq!(escape_text("two\nlines\ttab"), "two\\nlines\\ttab");
        assert_eq!(escape_text("gpj\u{202e}.exe"), "gpj\\u{202e}.exe");
        assert_eq!(escape_text("nul\0"), "nul\\u{0}");
        assert_eq!(escape_text("c1\u{9b}"), "c1\\u{9b}");
    }
}
