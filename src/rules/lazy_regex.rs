//! A regex that is checked when the rules load and compiled the first time it is used.

use std::sync::OnceLock;

use regex::Regex;
use regex_automata::util::syntax;

use super::size;

/// A `regex::Regex` that a rule may never need: loading only parses it (and bounds its size), so
/// a command that never reaches the rule never pays for compiling it.
#[derive(Debug, Clone)]
pub struct LazyRegex {
    pattern: String,
    compiled: OnceLock<Regex>,
}

impl LazyRegex {
    /// Checks `pattern` as `Regex::new` would; the error is `regex`'s own message.
    pub fn new(pattern: &str) -> Result<LazyRegex, String> {
        Self::check(pattern)?;
        Ok(Self::checked(pattern))
    }

    /// Whether `pattern` would compile, without compiling it: parsing takes 30–50 µs a regex,
    /// which the rules loader spends on a user's file and not on the built-in pack (tested).
    pub fn check(pattern: &str) -> Result<(), String> {
        let hir = syntax::parse_with(pattern, &syntax::Config::new()).map_err(|err| err.to_string())?;
        if size::exceeds(&hir, size::REGEX_SIZE_LIMIT) {
            // Possibly too large: only compiling it tells.
            Regex::new(pattern).map_err(|err| err.to_string())?;
        }
        Ok(())
    }

    /// A pattern [`check`](Self::check) accepted, or one of the built-in pack's.
    pub fn checked(pattern: &str) -> LazyRegex {
        LazyRegex { pattern: pattern.to_owned(), compiled: OnceLock::new() }
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_match(text)
    }

    fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            // It parses and its bound is under the size limit, so it compiles.
            regex::RegexBuilder::new(&self.pattern)
                .size_limit(usize::MAX)
                .build()
                .expect("a regex checked when the rules were loaded compiles")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_the_regex_crates_own_words() {
        for pattern in ["a(", "[z-a]", r"\w{1000}{1000}"] {
            let expected = Regex::new(pattern).unwrap_err().to_string();
            assert_eq!(LazyRegex::new(pattern).unwrap_err(), expected, "{pattern}");
        }
    }

    #[test]
    fn matches_as_the_compiled_regex_does() {
        let lazy = LazyRegex::new(r"(?i)\bstub\b").unwrap();
        assert!(lazy.is_match("a STUB here") && !lazy.is_match("stubborn"));
        assert_eq!(lazy.as_str(), r"(?i)\bstub\b");
    }
}
