//! Help texts and schema descriptions as Markdown. They are written as plain sentences with
//! `code spans`, so code spans are kept and everything else is escaped: a `<id>` in a help
//! text must not become an HTML tag in the book, nor `*.yaml, *.yml` emphasis.

/// `text` with its line breaks folded: paragraphs (separated by blank lines) become one line
/// each, so they fit in a list item; lines starting with `- ` stay list items.
pub(super) fn paragraphs(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("- ") {
            if !current.is_empty() {
                out.push(inline(&std::mem::take(&mut current)));
            }
            if line.is_empty() {
                continue;
            }
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        out.push(inline(&current));
    }
    out
}

/// One line of prose: code spans verbatim, Markdown syntax outside them escaped.
pub(super) fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    let mut prev = ' ';
    // A lone backtick (no closing one) is escaped rather than opening a span.
    let backticks = text.matches('`').count();
    let mut seen = 0;
    for c in text.chars() {
        if c == '`' {
            seen += 1;
            if in_code || seen < backticks || backticks.is_multiple_of(2) {
                in_code = !in_code;
                out.push(c);
            } else {
                out.push_str("\\`");
            }
        } else if in_code {
            out.push(c);
        } else {
            let escape = matches!(c, '\\' | '<' | '>' | '*' | '[' | ']' | '|')
                || (c == '_' && !prev.is_alphanumeric());
            if escape {
                out.push('\\');
            }
            out.push(c);
        }
        prev = c;
    }
    out
}

/// `value` as a code span, whatever backticks it holds. (Not `crate::markdown::code`, which is
/// for table cells: outside a table a backslash before `|` would show.)
pub(super) use crate::markdown::span as code;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_stay_and_markup_is_escaped() {
        assert_eq!(
            inline("files (*.yaml, *.yml) named `<id>` or <id>"),
            "files (\\*.yaml, \\*.yml) named `<id>` or \\<id\\>"
        );
        assert_eq!(inline("AWS_REGION or _x_"), "AWS_REGION or \\_x_");
        assert_eq!(inline("a ` alone"), "a \\` alone");
        assert_eq!(code("a|b"), "`a|b`");
        assert_eq!(code("x`y"), "`` x`y ``");
    }

    #[test]
    fn paragraphs_fold_lines_and_keep_list_items() {
        assert_eq!(
            paragraphs("one\ntwo\n\nthree\n- four\n- five"),
            ["one two", "three", "- four", "- five"]
        );
    }
}
