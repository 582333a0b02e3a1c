//! Putting manifest and live values into Markdown (plan comments on pull requests) as inert text.
//!
//! A value a committer wrote, or one read from AWS, must not become live HTML, a link or an image
//! in the rendered comment, nor break out of the table cell or code span it is put in. So every
//! such value goes through [`code`] (a code span) or [`text`] (escaped prose); both also keep a
//! table row whole (`|` escaped, newlines folded).

/// `value` as a code span in a table cell: `|` escaped and newlines folded, so the row stays
/// whole, then [`span`].
#[must_use]
pub fn code(value: &str) -> String {
    span(&value.replace('\n', " ").replace('|', "\\|"))
}

/// `value` as a code span that holds it verbatim: the fence is one backtick longer than the
/// longest run of backticks in it, so no backtick in the value can close it, and inside a code
/// span `<`, `>`, `[` and `]` are plain characters.
#[must_use]
pub fn span(value: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in value.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A space on both sides is stripped by the renderer, and lets a value that starts or ends
    // with a backtick sit next to the fence.
    if longest > 0 || value.starts_with(' ') {
        format!("{fence} {value} {fence}")
    } else {
        format!("{fence}{value}{fence}")
    }
}

/// `value` as prose with every character Markdown or HTML could act on escaped with a backslash.
#[must_use]
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '(' | ')' | '#' | '!' | '|' | '&'
            | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_outlast_the_backticks_of_the_value() {
        assert_eq!(code("a:1"), "`a:1`");
        assert_eq!(code("x`y"), "`` x`y ``");
        assert_eq!(code("``a```"), "```` ``a``` ````");
        assert_eq!(code("a|b\nc"), "`a\\|b c`");
    }

    #[test]
    fn text_escapes_markup() {
        assert_eq!(
            text("<img src=x> [a](b) `c`"),
            "\\<img src=x\\> \\[a\\]\\(b\\) \\`c\\`"
        );
    }
}
