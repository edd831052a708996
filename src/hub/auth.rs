//! Bearer tokens: 256-bit random, hex-encoded, compared in constant time.

use std::fmt;

use sha2::{Digest as _, Sha256};
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

/// What the hub keeps of a worker's token: its SHA-256. Enough to check the token a worker
/// presents, useless for presenting one, so a task's history (and a hub restarted from it) never
/// holds a live worker credential.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    pub fn of(token: &Token) -> TokenDigest {
        TokenDigest(Sha256::digest(token.as_str().as_bytes()).into())
    }

    /// A digest written by [`to_hex`](Self::to_hex).
    pub fn from_hex(text: &str) -> Option<TokenDigest> {
        let text = text.trim();
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        Some(TokenDigest(bytes))
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether an `Authorization` header value is `Bearer <a token with this digest>`; the digests
    /// are compared in constant time.
    pub fn authorizes(&self, header: Option<&str>) -> bool {
        let Some(presented) = header.and_then(|value| value.strip_prefix("Bearer ")) else { return false };
        let presented: [u8; 32] = Sha256::digest(presented.trim().as_bytes()).into();
        bool::from(presented.ct_eq(&self.0))
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenDigest({})", self.to_hex())
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

    #[test]
    fn a_digest_checks_its_token_and_gives_nothing_away() {
        let token = Token::generate();
        let digest = TokenDigest::of(&token);
        assert!(digest.authorizes(Some(&format!("Bearer {}", token.as_str()))));
        assert!(!digest.authorizes(Some(&format!("Bearer {}", digest.to_hex()))), "the digest is no token");
        assert!(!digest.authorizes(Some(token.as_str())), "the scheme is required");
        assert!(!digest.authorizes(Some(&format!("Bearer {}", Token::generate().as_str()))));
        assert!(!digest.authorizes(None));
        assert!(!digest.to_hex().contains(token.as_str()));
        assert_eq!(TokenDigest::from_hex(&digest.to_hex()), Some(digest.clone()));
        assert_eq!(TokenDigest::from_hex("zz"), None);
        assert_eq!(TokenDigest::from_hex(&"g".repeat(64)), None);
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        let abc = TokenDigest(Sha256::digest(b"abc").into());
        assert_eq!(abc.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
