//! Bearer tokens: 256-bit random, hex-encoded, compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq;

#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Token {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source is available");
        Token(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// A token read from a file or the environment; surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Option<Token> {
        let text = text.trim();
        (text.len() >= 32 && text.bytes().all(|b| b.is_ascii_graphic())).then(|| Token(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether an `Authorization` header value is `Bearer <this token>`, in constant time.
    pub fn authorizes(&self, header: Option<&str>) -> bool {
        let Some(presented) = header.and_then(|value| value.strip_prefix("Bearer ")) else { return false };
        bool::from(presented.trim().as_bytes().ct_eq(self.0.as_bytes()))
    }
}

/// Never print a secret by accident.
impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_must_carry_the_exact_token() {
        let token = Token::generate();
        assert_eq!(token.as_str().len(), 64);
        assert!(token.authorizes(Some(&format!("Bearer {}", token.as_str()))));
        assert!(!token.authorizes(Some(token.as_str())), "the scheme is required");
        assert!(!token.authorizes(Some(&format!("Bearer {}x", token.as_str()))));
        assert!(!token.authorizes(Some("Bearer ")));
        assert!(!token.authorizes(None));
        assert!(!Token::generate().authorizes(Some(&format!("Bearer {}", token.as_str()))));
        assert_eq!(format!("{token:?}"), "Token(…)");
    }
}
