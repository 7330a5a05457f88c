//! Tables for people: columns that wrap to the terminal's width, as
//! `kubectl get` prints them. The width is `COLUMNS` when it is set (at
//! least [`MIN_WIDTH`]), else [`DEFAULT_WIDTH`]; the terminal is never
//! queried, so the output is the same on a terminal, in a pipe and in tests.
//!
//! Cells are measured in terminal columns (East Asian wide characters count
//! two). A cell that does not fit its column wraps at spaces, a word longer
//! than the column at its last `.` `,` `/` `-` `=` `:` that fits (else
//! anywhere); continuation lines are indented by two columns, so a line
//! that starts flush in a column always starts a new cell.

use eci_bridge_core::escape_text;
use unicode_width::UnicodeWidthStr;

/// The width without `COLUMNS`.
pub const DEFAULT_WIDTH: usize = 100;
/// The narrowest width honoured (a smaller `COLUMNS` counts as this).
pub const MIN_WIDTH: usize = 40;
/// Spaces between two columns.
const GAP: usize = 2;
/// Indentation of a cell's continuation lines.
const INDENT: usize = 2;

/// The width tables wrap to: `COLUMNS` when it is a number, else 100.
pub fn width() -> usize {
    width_from(std::env::var("COLUMNS").ok().as_deref())
}

/// [`width`] for a given `COLUMNS` value.
pub fn width_from(columns: Option<&str>) -> usize {
    columns.and_then(|c| c.trim().parse::<usize>().ok()).filter(|&c| c > 0).map_or(DEFAULT_WIDTH, |c| c.max(MIN_WIDTH))
}

/// Terminal columns of `text`.
pub fn columns(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` in lines of at most `width` columns; lines after the first are
/// indented by two (and hold two columns less). Never empty.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(INDENT + 2);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let limit = |lines: &Vec<String>| if lines.is_empty() { width } else { width - INDENT };
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word = word;
        loop {
            let room = limit(&lines);
            let used = columns(&line);
            let sep = usize::from(!line.is_empty());
            if used + sep + columns(word) <= room {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                break;
            }
            // A word that fits a line of its own starts one; a longer one is cut,
            // filling the current line unless too little of it is left.
            if !line.is_empty() && (columns(word) <= width - INDENT || room.saturating_sub(used + sep) < 8) {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            let (head, tail) = split_word(word, room - used - sep);
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(head);
            lines.push(std::mem::take(&mut line));
            word = tail;
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    let indent = " ".repeat(INDENT);
    lines.into_iter().enumerate().map(|(i, l)| if i == 0 { l } else { format!("{indent}{l}") }).collect()
}

/// The longest head of `word` within `room` columns, ending at a break
/// character when one leaves at least a third of the room used; at least one
/// character.
fn split_word(word: &str, room: usize) -> (&str, &str) {
    let mut fit = 0;
    let mut at_break = None;
    for (i, c) in word.char_indices() {
        let end = i + c.len_utf8();
        if columns(&word[..end]) > room {
            break;
        }
        fit = end;
        if matches!(c, '.' | ',' | '/' | '-' | '=' | ':') && end < word.len() {
            at_break = Some(end);
        }
    }
    let cut = match at_break {
        Some(b) if columns(&word[..b]) * 3 >= room => b,
        _ => fit,
    };
    let cut = if cut == 0 { word.chars().next().map_or(word.len(), char::len_utf8) } else { cut };
    word.split_at(cut)
}

/// Widths for columns that want `natural` columns, within `total` columns
/// of cells: the narrow ones get what they want, the others share the rest
/// evenly (the widest taking the remainder).
pub fn fit(natural: &[usize], total: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..natural.len()).collect();
    order.sort_by_key(|&i| natural[i]);
    let mut widths = vec![0; natural.len()];
    let mut left = total;
    for (k, &i) in order.iter().enumerate() {
        let share = left / (natural.len() - k);
        widths[i] = natural[i].min(share).max(INDENT + 2);
        left = left.saturating_sub(widths[i]);
    }
    widths
}

/// Lays out cells already wrapped: each line is the columns padded to their
/// widths, two spaces apart, trailing spaces cut.
fn lay_out(columns_lines: &[Vec<String>], widths: &[usize], out: &mut String) {
    let height = columns_lines.iter().map(Vec::len).max().unwrap_or(0);
    for row in 0..height {
        let mut line = String::new();
        for (c, lines) in columns_lines.iter().enumerate() {
            let cell = lines.get(row).map_or("", String::as_str);
            line.push_str(cell);
            if c + 1 < columns_lines.len() {
                let pad = widths[c].saturating_sub(columns(cell)) + GAP;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// A table: a header row and rows of cells (escaped here), wrapped to
/// `width`. A column with a non-zero `keep` keeps its natural width up to
/// that many columns (and half the line), so names that are copied do not
/// wrap; the others share the rest.
pub fn render(headers: &[&str], rows: &[Vec<String>], keep: &[usize], width: usize) -> String {
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| escape_text(c).into_owned()).collect()).collect();
    let natural: Vec<usize> = (0..headers.len())
        .map(|c| rows.iter().map(|r| columns(&r[c])).chain([columns(headers[c])]).max().unwrap_or(0))
        .collect();
    let cells = width.saturating_sub(GAP * headers.len().saturating_sub(1));
    let cap = |c: usize| keep.get(c).copied().unwrap_or(0).min(cells / 2);
    let kept: usize = (0..headers.len()).map(|c| natural[c].min(cap(c))).sum();
    let flexible: Vec<usize> = (0..headers.len()).filter(|&c| cap(c) == 0).collect();
    let shared = fit(&flexible.iter().map(|&c| natural[c]).collect::<Vec<_>>(), cells.saturating_sub(kept));
    let widths: Vec<usize> = (0..headers.len())
        .map(|c| match flexible.iter().position(|&f| f == c) {
            Some(k) => shared[k],
            None => natural[c].min(cap(c)),
        })
        .collect();
    let mut out = String::new();
    let header: Vec<Vec<String>> = headers.iter().map(|h| vec![(*h).to_string()]).collect();
    lay_out(&header, &widths, &mut out);
    for row in &rows {
        let cells: Vec<Vec<String>> = row.iter().zip(&widths).map(|(cell, &w)| wrap(cell, w)).collect();
        lay_out(&cells, &widths, &mut out);
    }
    out
}

/// One row of `-o explain`.
#[derive(Debug)]
pub struct ExplainLine<'a> {
    /// The wire name (or the input's name when not sent).
    pub field: &'a str,
    /// The value as sent (redacted by the core).
    pub value: &'a str,
    /// False for an input that sets no parameter.
    pub sent: bool,
    /// The rule.
    pub rule: &'a str,
    /// Where the value was read, as displayed.
    pub inputs: Vec<String>,
}

/// `-o explain`: FIELD, VALUE, RULE, wrapped to `width`. Consecutive rows
/// with the same rule and inputs form a group whose rule is printed once,
/// beside its first row (the group's other rows have a blank or continued
/// rule cell); the inputs follow the rule as `from …`.
pub fn explain(rows: &[ExplainLine<'_>], width: usize) -> String {
    let field = |r: &ExplainLine<'_>| escape_text(r.field).into_owned();
    let value = |r: &ExplainLine<'_>| format!("{}{}", escape_text(r.value), if r.sent { "" } else { " (not sent)" });
    let rule = |r: &ExplainLine<'_>| escape_text(r.rule).into_owned();
    let from =
        |r: &ExplainLine<'_>| (!r.inputs.is_empty()).then(|| format!("from {}", escape_text(&r.inputs.join(", "))));
    let natural = |f: &dyn Fn(&ExplainLine<'_>) -> String, header: &str| {
        rows.iter().map(|r| columns(&f(r))).chain([columns(header)]).max().unwrap_or(0)
    };
    let (field_natural, value_natural) = (natural(&field, "FIELD"), natural(&value, "VALUE"));
    let rule_natural = rows
        .iter()
        .map(|r| columns(&rule(r)).max(from(r).map_or(0, |f| columns(&f) + INDENT)))
        .chain([columns("RULE")])
        .max()
        .unwrap_or(0);
    let cells = width.saturating_sub(2 * GAP);
    // The rule is the longest text: it keeps at least 45 % of the line.
    let rule_reserved = rule_natural.min((cells * 45 / 100).max(30));
    let left = fit(&[field_natural, value_natural], cells.saturating_sub(rule_reserved));
    let rule_width = rule_natural.min(cells.saturating_sub(left[0] + left[1])).max(INDENT + 2);
    let widths = [left[0], left[1], rule_width];

    let mut out = String::new();
    lay_out(&[vec!["FIELD".into()], vec!["VALUE".into()], vec!["RULE".into()]], &widths, &mut out);
    let mut start = 0;
    while start < rows.len() {
        let same = |r: &ExplainLine<'_>| r.rule == rows[start].rule && r.inputs == rows[start].inputs;
        let end = start + rows[start..].iter().take_while(|r| same(r)).count();
        let (mut fields, mut values) = (Vec::new(), Vec::new());
        for r in &rows[start..end] {
            let (f, v) = (wrap(&field(r), widths[0]), wrap(&value(r), widths[1]));
            let height = f.len().max(v.len());
            fields.extend(f.into_iter().chain(std::iter::repeat(String::new())).take(height));
            values.extend(v.into_iter().chain(std::iter::repeat(String::new())).take(height));
        }
        let mut rule_lines = wrap(&rule(&rows[start]), widths[2]);
        if let Some(from) = from(&rows[start]) {
            let indent = " ".repeat(INDENT);
            rule_lines.extend(wrap(&from, widths[2] - INDENT).into_iter().map(|l| format!("{indent}{l}")));
        }
        lay_out(&[fields, values, rule_lines], &widths, &mut out);
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_within_the_width_with_hanging_indent() {
        let lines = wrap("dnsPolicy ClusterFirst → ECI DnsPolicy None: cluster DNS, then dnsConfig", 24);
        assert!(lines.iter().all(|l| columns(l) <= 24), "{lines:?}");
        assert_eq!(lines[0], "dnsPolicy ClusterFirst →");
        assert!(lines[1..].iter().all(|l| l.starts_with("  ") && !l.starts_with("   ")), "{lines:?}");
        let long = wrap("Volume.1.ConfigFileVolume.ConfigFileToPath.3.Path", 20);
        assert_eq!(long[0], "Volume.1.");
        assert!(long.iter().all(|l| columns(l) <= 20), "{long:?}");
        assert_eq!(long.concat().replace(' ', ""), "Volume.1.ConfigFileVolume.ConfigFileToPath.3.Path");
        assert!(wrap("中文中文中文中文中文", 8).iter().all(|l| columns(l) <= 8));
        assert_eq!(wrap("", 10), [""]);
    }

    #[test]
    fn columns_come_from_the_environment_value_only() {
        assert_eq!(width_from(None), 100);
        assert_eq!(width_from(Some("132")), 132);
        assert_eq!(width_from(Some("10")), MIN_WIDTH);
        assert_eq!(width_from(Some("wide")), 100);
    }

    #[test]
    fn narrow_columns_keep_their_width() {
        assert_eq!(fit(&[5, 50, 50], 60), [5, 27, 28]);
        assert_eq!(fit(&[5, 10], 60), [5, 10]);
    }

    #[test]
    fn kept_columns_do_not_wrap() {
        let rows = vec![vec!["k8s.aliyun.com/eci-schedule-strategy".to_string(), "word ".repeat(40)]];
        let text = render(&["KEY", "TEXT"], &rows, &[usize::MAX], 80);
        assert!(text.lines().nth(1).is_some_and(|l| l.starts_with("k8s.aliyun.com/eci-schedule-strategy  word")));
        assert!(text.lines().all(|l| columns(l) <= 80), "{text}");
    }

    #[test]
    fn a_group_prints_its_rule_once() {
        let row = |field, value| ExplainLine {
            field,
            value,
            sent: true,
            rule: "identifies the pod",
            inputs: vec!["/metadata/name".into()],
        };
        let text = explain(&[row("Tag.3.Key", "PodName"), row("Tag.3.Value", "web")], 100);
        assert_eq!(text.matches("identifies the pod").count(), 1, "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("FIELD") && lines[0].contains("VALUE") && lines[0].ends_with("RULE"));
        assert!(lines[1].starts_with("Tag.3.Key") && lines[1].ends_with("identifies the pod"), "{text}");
        assert!(lines[2].starts_with("Tag.3.Value") && lines[2].ends_with("  from /metadata/name"), "{text}");
    }
}
