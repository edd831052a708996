//! Bash's ANSI-C quoting, `$'…'`, which `shlex` does not know: `$'\x72m' -rf ~` runs `rm`.

/// Decodes the body of a `$'…'` that starts at `chars[from]` as bash does; returns it and where
/// its closing quote is (the end of the text when it is not closed). Bash cuts the string at its
/// first NUL (`\0`, `\x00`, `\c@`), and keeps the low 8 bits of an octal escape (`\562` is `r`).
pub fn decode_body(chars: &[char], from: usize) -> (String, usize) {
    let mut out = String::new();
    let mut cut = false;
    let mut i = from;
    while i < chars.len() && chars[i] != '\'' {
        let decoded = if chars[i] != '\\' {
            i += 1;
            chars[i - 1]
        } else {
            let Some(&escape) = chars.get(i + 1) else {
                out.push('\\');
                break;
            };
            i += 2;
            match escape {
                'a' => '\x07',
                'b' => '\x08',
                'e' | 'E' => '\x1b',
                'f' => '\x0c',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'v' => '\x0b',
                '\\' | '\'' | '"' | '?' => escape,
                'c' => match chars.get(i) {
                    // `\cx` is control-x.
                    Some(&letter) => {
                        i += 1;
                        char::from_u32(u32::from(letter) & 0x1f).unwrap_or(letter)
                    }
                    None => '\\',
                },
                // `\x{HH…}`: hexadecimal digits in braces.
                'x' if chars.get(i) == Some(&'{') => {
                    let digits: String = chars[i + 1..].iter().take_while(|ch| ch.is_ascii_hexdigit()).collect();
                    let closed = chars.get(i + 1 + digits.len()) == Some(&'}');
                    match u32::from_str_radix(&digits, 16).ok().map(|v| v & 0xff).and_then(char::from_u32) {
                        Some(decoded) if closed => {
                            i += digits.len() + 2;
                            decoded
                        }
                        _ => {
                            out.push('\\');
                            'x'
                        }
                    }
                }
                '0'..='7' | 'x' | 'u' | 'U' => {
                    let (radix, most, digits_from) = match escape {
                        'x' => (16, 2, i),
                        'u' => (16, 4, i),
                        'U' => (16, 8, i),
                        // Octal digits start at the escape itself.
                        _ => (8, 3, i - 1),
                    };
                    let digits: String =
                        chars[digits_from..].iter().take(most).take_while(|ch| ch.is_digit(radix)).collect();
                    let value = u32::from_str_radix(&digits, radix).ok();
                    let value = if radix == 8 { value.map(|v| v & 0xff) } else { value };
                    match value.and_then(char::from_u32) {
                        Some(decoded) => {
                            i = digits_from + digits.len();
                            decoded
                        }
                        None => {
                            out.push('\\');
                            escape
                        }
                    }
                }
                other => {
                    out.push('\\');
                    other
                }
            }
        };
        if decoded == '\0' {
            cut = true;
        }
        if !cut {
            out.push(decoded);
        }
    }
    (out, i)
}

/// `text` with the same escapes decoded, a `'` in it kept as it is: what `printf` makes of its
/// format and of a `%b` argument, and `echo -e` (or dash's `echo`) of its words.
pub fn decode_escapes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    loop {
        let (piece, end) = decode_body(&chars, from);
        out.push_str(&piece);
        if end >= chars.len() {
            return out;
        }
        out.push('\'');
        from = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::{decode_body, decode_escapes};

    #[test]
    fn escapes_decode_around_a_quote_kept_as_written() {
        assert_eq!(decode_escapes(r"\x72m -rf '~'"), "rm -rf '~'");
        assert_eq!(decode_escapes("it's"), "it's");
        assert_eq!(decode_escapes(r"a\nb'"), "a\nb'");
    }

    fn decode(body: &str) -> String {
        let chars: Vec<char> = body.chars().collect();
        decode_body(&chars, 0).0
    }

    #[test]
    fn escapes_decode_as_bash_decodes_them() {
        let cases = [
            (r"rm", "rm"),
            (r"\x72m", "rm"),
            (r"\162\155", "rm"),
            (r"\u0072m", "rm"),
            (r"it\'s", "it's"),
            (r"a\tb", "a\tb"),
            (r"\q", r"\q"),
            (r"\cA", "\x01"),
            // Octal keeps 8 bits; a NUL ends the string.
            (r"\562m", "rm"),
            (r"r\0zz", "r"),
            (r"ma\x00x", "ma"),
            (r"r\c@x", "r"),
            (r"\x", r"\x"),
            (r"\x{72}m", "rm"),
            (r"\x{zz}", r"\x{zz}"),
            (r"\U110000", r"\U110000"),
        ];
        for (body, want) in cases {
            assert_eq!(decode(body), want, "{body}");
        }
    }

    #[test]
    fn an_unclosed_string_runs_to_the_end() {
        let chars: Vec<char> = r"-rf".chars().collect();
        assert_eq!(decode_body(&chars, 0), ("-rf".to_owned(), 3));
        let chars: Vec<char> = "\\".chars().collect();
        assert_eq!(decode_body(&chars, 0), ("\\".to_owned(), 0));
    }
}
