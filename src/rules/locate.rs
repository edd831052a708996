//! Finds where in a rule file's text a rule, a key or a pattern was written.
//!
//! YAML parsers that serde can drive keep no spans for values, so problems found after parsing
//! (a duplicate id, a regex that does not compile) are located by reading the text again. The
//! locator understands the block style every example and the default pack use; for anything it
//! cannot find it falls back to the rule's `id:` line, and failing that to the top of the file.

/// A 1-based line and column.
pub type Position = (usize, usize);

pub struct Locator<'a> {
    lines: Vec<&'a str>,
    /// id → the lines where `id: <id>` is written, so finding a rule costs no rescan.
    ids: std::collections::HashMap<&'a str, Vec<usize>>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let mut ids: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
        for (index, line) in lines.iter().enumerate() {
            if let Some(id) = id_value(line) {
                ids.entry(id).or_default().push(index);
            }
        }
        Locator { lines, ids }
    }

    /// The `id:` line of the `occurrence`-th (0-based) rule with this id.
    pub fn rule(&self, id: &str, occurrence: usize) -> Position {
        self.rule_line(id, occurrence)
            .map(|line| (line + 1, self.lines[line].find("id:").map_or(1, |col| col + 1)))
            .unwrap_or((1, 1))
    }

    /// Whether the `occurrence`-th rule with this id is written where this locator can find it.
    pub fn finds_rule(&self, id: &str, occurrence: usize) -> bool {
        self.rule_line(id, occurrence).is_some()
    }

    /// The line where `key:` is written inside the rule, or the rule's own position.
    pub fn key(&self, id: &str, occurrence: usize, key: &str) -> Position {
        let Some(range) = self.rule_block(id, occurrence) else { return (1, 1) };
        let wanted = format!("{key}:");
        for line in range.clone() {
            let content = self.lines[line].trim_start().trim_start_matches("- ");
            if content.starts_with(&wanted) {
                return (line + 1, self.lines[line].find(&wanted).map_or(1, |col| col + 1));
            }
        }
        self.rule(id, occurrence)
    }

    /// Where the value of the rule's `key:` starts when it is written on the key's own line
    /// (`severity: loud`, `match: { … }`), else where `key:` is.
    pub fn value(&self, id: &str, occurrence: usize, key: &str) -> Position {
        let (line, column) = self.key(id, occurrence, key);
        let text = self.lines.get(line.wrapping_sub(1)).copied().unwrap_or_default();
        let after_key = column - 1 + key.len() + 1;
        match text.get(after_key..).map(|rest| (rest.len() - rest.trim_start().len(), rest.trim())) {
            Some((blanks, rest))
                if text[column - 1..].starts_with(key) && !rest.is_empty() && !rest.starts_with('#') =>
            {
                (line, after_key + blanks + 1)
            }
            _ => (line, column),
        }
    }

    /// Where `needle` (a pattern or a test input) is written inside the rule, or else where `key:` is.
    pub fn text(&self, id: &str, occurrence: usize, key: &str, needle: &str) -> Position {
        if let Some(range) = self.rule_block(id, occurrence) {
            if !needle.is_empty() {
                for line in range {
                    if let Some(col) = self.lines[line].find(needle) {
                        return (line + 1, col + 1);
                    }
                }
            }
        }
        self.key(id, occurrence, key)
    }

    /// Where the `index`-th (0-based) item of the rule's `key:` list starts (a test under
    /// `tests:`), when the list is written one `- ` item after another.
    pub fn list_item(&self, id: &str, occurrence: usize, key: &str, index: usize) -> Option<Position> {
        let range = self.rule_block(id, occurrence)?;
        let wanted = format!("{key}:");
        let key_line =
            range.clone().find(|&line| self.lines[line].trim_start().trim_start_matches("- ").starts_with(&wanted))?;
        let key_indent = indent_of(self.lines[key_line]);
        let mut items = (key_line + 1..range.end)
            .filter(|&line| self.lines[line].trim_start().starts_with("- "))
            .take_while(|&line| indent_of(self.lines[line]) > key_indent || self.lines[line].trim().is_empty());
        let first = items.next()?;
        let item_indent = indent_of(self.lines[first]);
        let line = std::iter::once(first)
            .chain(items.filter(|&line| indent_of(self.lines[line]) == item_indent))
            .nth(index)?;
        Some((line + 1, item_indent + 1))
    }

    fn rule_line(&self, id: &str, occurrence: usize) -> Option<usize> {
        self.ids.get(id)?.get(occurrence).copied()
    }

    /// The lines of one rule: from its `id:` line to the next list item at the same or a lower indent.
    fn rule_block(&self, id: &str, occurrence: usize) -> Option<std::ops::Range<usize>> {
        let start = self.rule_line(id, occurrence)?;
        let item_indent = indent_of(self.lines[start]);
        let end = (start + 1..self.lines.len())
            .find(|&line| {
                let text = self.lines[line];
                let indent = indent_of(text);
                let content = text.trim_start();
                (content.starts_with("- ") && indent <= item_indent) || (!content.is_empty() && indent < item_indent)
            })
            .unwrap_or(self.lines.len());
        Some(start..end)
    }
}

/// Where the `index`-th test of `rule` is written (`- { input: …, expect: … }`), read again from its
/// file (or the pack built in); `None` where that cannot be told, for the rule's own place.
pub fn test_position(rule: &super::Rule, index: usize) -> Option<Position> {
    let file = rule.location.file.as_str();
    let text = match file.strip_prefix(super::BUILT_IN) {
        Some(name) => super::DEFAULT_PACK.iter().find(|(pack_name, _)| *pack_name == name)?.1.to_owned(),
        None => std::fs::read_to_string(file).ok()?,
    };
    // Duplicate ids are an error, so a rule that loaded is the first of its id in its file.
    Locator::new(&text).list_item(&rule.id, 0, "tests", index)
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The value of an `id:` key on this line, if the line holds one (`- id: x`, `id: "x"`).
fn id_value(line: &str) -> Option<&str> {
    let content = line.trim_start().trim_start_matches("- ").trim_start();
    let value = content.strip_prefix("id:")?;
    let value = value.split(" #").next().unwrap_or(value).trim();
    Some(value.trim_matches(|c| c == '"' || c == '\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "rules:\n  - id: first\n    match:\n      regex: ['a(']\n  - id: second # note\n    action: inject\n";

    #[test]
    fn finds_rules_keys_and_patterns() {
        let locator = Locator::new(TEXT);
        assert_eq!(locator.rule("first", 0), (2, 5));
        assert_eq!(locator.rule("second", 0), (5, 5));
        assert_eq!(locator.key("second", 0, "action"), (6, 5));
        assert_eq!(locator.text("first", 0, "regex", "a("), (4, 16));
        assert_eq!(locator.value("second", 0, "action"), (6, 13));
        // A block value starts on the next line: the key is the place.
        assert_eq!(locator.value("first", 0, "match"), (3, 5));
    }

    #[test]
    fn finds_the_items_of_a_rules_list() {
        let text = "rules:\n  - id: a\n    tests:\n      - { input: x, expect: match }\n      - input: |\n          - y\n        expect: no-match\n  - id: b\n";
        let locator = Locator::new(text);
        assert_eq!(locator.list_item("a", 0, "tests", 0), Some((4, 7)));
        assert_eq!(locator.list_item("a", 0, "tests", 1), Some((5, 7)));
        assert_eq!(locator.list_item("a", 0, "tests", 2), None);
        assert_eq!(locator.list_item("b", 0, "tests", 0), None);
    }

    #[test]
    fn stays_inside_the_rule_and_falls_back() {
        let locator = Locator::new(TEXT);
        // `action` belongs to the second rule, so the first rule's key lookup falls back to its id line.
        assert_eq!(locator.key("first", 0, "action"), (2, 5));
        assert_eq!(locator.rule("missing", 0), (1, 1));
        assert_eq!(locator.rule("first", 1), (1, 1));
    }
}
