//! A total parser for the Go `fmt` text the FinFocus host sends for nested Pulumi properties:
//! maps as `map[k:v k2:map[a:b]]`, lists as `[a b]`.
//!
//! The text is ambiguous (values may contain spaces and colons), so the parser reads it the way
//! Go prints it: a map entry is `key:value`; a value ends at the closing `]` of its map or at a
//! space followed by something shaped like a key (`word:`). Anything that does not parse as a
//! map or list is returned as [`GoValue::Text`]. Nesting deeper than [`MAX_DEPTH`] is kept as
//! text rather than recursed into, so hostile input can neither panic nor exhaust the stack, and
//! the work is linear in the input length.

/// Maps or lists nested deeper than this are left as text.
pub const MAX_DEPTH: usize = 16;

/// A value printed by Go's `fmt`.
#[derive(Debug, Clone, PartialEq)]
pub enum GoValue<'a> {
    /// A scalar, or anything that is not a well-formed map or list.
    Text(&'a str),
    /// `map[k:v ...]`, entries in text order.
    Map(Vec<(&'a str, GoValue<'a>)>),
    /// `[a b ...]`.
    List(Vec<GoValue<'a>>),
}

impl<'a> GoValue<'a> {
    /// The entry of a map whose key equals `key` ignoring ASCII case, `_` and `-`.
    pub fn get(&self, key: &str) -> Option<&GoValue<'a>> {
        match self {
            GoValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| same_key(k, key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar text, if this is a scalar.
    pub fn as_text(&self) -> Option<&'a str> {
        match self {
            GoValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// List items; a scalar counts as a one-item list (Pulumi sends `x86_64` or `[x86_64]`).
    pub fn items(&self) -> Vec<&GoValue<'a>> {
        match self {
            GoValue::List(items) => items.iter().collect(),
            GoValue::Text("") => Vec::new(),
            other => vec![other],
        }
    }
}

/// Compares property names the way Pulumi spellings vary: `volumeSize`, `volume_size` and
/// `VolumeSize` are the same key. Allocation-free.
pub fn same_key(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes()
            .filter(|b| *b != b'_' && *b != b'-')
            .map(|b| b.to_ascii_lowercase())
    }
    a == b || norm(a).eq(norm(b))
}

/// Parses `text`; never fails (see the module doc for how ambiguity is resolved).
pub fn parse(text: &str) -> GoValue<'_> {
    let trimmed = text.trim();
    let mut parser = Parser {
        s: trimmed.as_bytes(),
        src: trimmed,
        pos: 0,
    };
    let structured = trimmed.starts_with("map[") || trimmed.starts_with('[');
    if structured
        && let Some(value) = parser.value(0, Context::Top)
        && parser.pos == trimmed.len()
    {
        return value;
    }
    GoValue::Text(trimmed)
}

#[derive(Clone, Copy, PartialEq)]
enum Context {
    Top,
    MapValue,
    ListItem,
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn rest_starts_with(&self, prefix: &[u8]) -> bool {
        self.s
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(prefix))
    }

    // Slices only at positions of ASCII bytes, which are always char boundaries in UTF-8.
    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.src.get(from..to).unwrap_or_default()
    }

    fn value(&mut self, depth: usize, ctx: Context) -> Option<GoValue<'a>> {
        if depth < MAX_DEPTH {
            if self.rest_starts_with(b"map[") {
                return self.map(depth);
            }
            if self.peek() == Some(b'[') {
                return self.list(depth);
            }
        }
        Some(GoValue::Text(self.scalar(ctx)))
    }

    fn map(&mut self, depth: usize) -> Option<GoValue<'a>> {
        self.pos += 4;
        let mut entries = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek()? {
                b']' => {
                    self.pos += 1;
                    return Some(GoValue::Map(entries));
                }
                _ => {
                    let key = self.key()?;
                    let value = self.value(depth + 1, Context::MapValue)?;
                    entries.push((key, value));
                    if !matches!(self.peek()?, b' ' | b']') {
                        return None;
                    }
                }
            }
        }
    }

    fn list(&mut self, depth: usize) -> Option<GoValue<'a>> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek()? {
                b']' => {
                    self.pos += 1;
                    return Some(GoValue::List(items));
                }
                _ => {
                    let start = self.pos;
                    items.push(self.value(depth + 1, Context::ListItem)?);
                    if self.pos == start {
                        return None;
                    }
                }
            }
        }
    }

    /// A map key: the bytes up to the next `:`, with no space or bracket in between.
    fn key(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let len = key_len(&self.s[start..])?;
        self.pos = start + len + 1;
        Some(self.slice(start, start + len))
    }

    /// A scalar up to the end of its container (see module doc); brackets inside it must
    /// balance, which also swallows containers nested beyond [`MAX_DEPTH`].
    fn scalar(&mut self, ctx: Context) -> &'a str {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'[' => depth += 1,
                b']' if depth == 0 && ctx != Context::Top => break,
                b']' => depth = depth.saturating_sub(1),
                b' ' if depth == 0 => match ctx {
                    Context::ListItem => break,
                    Context::MapValue if key_len(&self.s[self.pos + 1..]).is_some() => break,
                    _ => {}
                },
                _ => {}
            }
            self.pos += 1;
        }
        self.slice(start, self.pos)
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }
}

/// Length of a `key:` prefix of `s` (the key without the colon), if `s` starts with one.
fn key_len(s: &[u8]) -> Option<usize> {
    let end = s
        .iter()
        .position(|b| matches!(b, b':' | b' ' | b'[' | b']'))?;
    (end > 0 && s[end] == b':').then_some(end)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn parses_flat_and_nested_maps() {
        let v = parse("map[volumeSize:20 volumeType:gp3]");
        assert_eq!(v.get("volumeSize").unwrap().as_text(), Some("20"));
        assert_eq!(v.get("volume_type").unwrap().as_text(), Some("gp3"));
        let v = parse("map[a:map[b:c d:[x y]] e:f]");
        let inner = v.get("a").unwrap();
        assert_eq!(inner.get("b").unwrap().as_text(), Some("c"));
        assert_eq!(
            inner.get("d").unwrap(),
            &GoValue::List(vec![GoValue::Text("x"), GoValue::Text("y")])
        );
        assert_eq!(v.get("e").unwrap().as_text(), Some("f"));
        assert_eq!(parse("map[]"), GoValue::Map(vec![]));
    }

    #[test]
    fn values_may_hold_spaces_and_colons() {
        let v = parse("map[arn:arn:aws:iam::1:role/x description:hello big world name:y]");
        assert_eq!(
            v.get("arn").unwrap().as_text(),
            Some("arn:aws:iam::1:role/x")
        );
        assert_eq!(
            v.get("description").unwrap().as_text(),
            Some("hello big world")
        );
        assert_eq!(v.get("name").unwrap().as_text(), Some("y"));
        let v = parse("map[empty: next:1]");
        assert_eq!(v.get("empty").unwrap().as_text(), Some(""));
        assert_eq!(v.get("next").unwrap().as_text(), Some("1"));
    }

    #[test]
    fn parses_lists() {
        assert_eq!(parse("[arm64]").items(), vec![&GoValue::Text("arm64")]);
        let v = parse("[map[volumeSize:10] map[volumeSize:30 volumeType:io1]]");
        let items = v.items();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].get("volumeType").unwrap().as_text(), Some("io1"));
        assert_eq!(parse("x86_64").items(), vec![&GoValue::Text("x86_64")]);
        assert!(parse("[]").items().is_empty());
    }

    #[test]
    fn malformed_text_stays_text() {
        for s in [
            "map[",
            "map[a",
            "map[a:b",
            "[a b",
            "map[:x]",
            "map[a b]",
            "]",
            "map[a:b]]",
        ] {
            assert_eq!(parse(s), GoValue::Text(s), "{s:?}");
        }
        assert_eq!(parse("  gp3 "), GoValue::Text("gp3"));
        assert_eq!(parse("über:map[ä:ö]"), GoValue::Text("über:map[ä:ö]"));
        let v = parse("map[ä:ö ü:map[é:ß]]");
        assert_eq!(v.get("ü").unwrap().get("é").unwrap().as_text(), Some("ß"));
    }

    #[test]
    fn deep_nesting_is_bounded_and_kept_as_text() {
        let depth = 100_000;
        let deep = format!("{}x{}", "map[k:".repeat(depth), "]".repeat(depth));
        let v = parse(&deep);
        // The outer levels parse; the part beyond MAX_DEPTH is one balanced text.
        let mut cur = &v;
        for _ in 0..MAX_DEPTH {
            cur = cur.get("k").unwrap();
        }
        assert!(cur.as_text().unwrap().starts_with("map[k:map[k:"));
        let lists = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(matches!(parse(&lists), GoValue::List(_)));
        let unbalanced = "map[k:".repeat(depth);
        assert_eq!(parse(&unbalanced), GoValue::Text(unbalanced.as_str()));
    }

    #[test]
    fn huge_and_hostile_values_are_linear_and_total() {
        let big = format!("map[a:{} b:1]", "x ".repeat(500_000));
        let v = parse(&big);
        assert_eq!(v.get("b").unwrap().as_text(), Some("1"));
        let nul = "map[a:\0 b:\0\0]";
        assert_eq!(parse(nul).get("b").unwrap().as_text(), Some("\0\0"));
        let colons = ":".repeat(1 << 20);
        assert_eq!(parse(&colons), GoValue::Text(colons.as_str()));
        let spaces = format!("map[{}]", " a:b".repeat(100_000));
        assert!(matches!(parse(&spaces), GoValue::Map(e) if e.len() == 100_000));
    }

    #[test]
    fn same_key_ignores_case_and_separators() {
        assert!(same_key("volumeSize", "volume_size"));
        assert!(same_key("VolumeSize", "volume-size"));
        assert!(!same_key("volumeSize", "volumeType"));
        assert!(!same_key("a", &"a".repeat(100)));
    }
}
