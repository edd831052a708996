//! Bash's ANSI-C quoting, `$'…'`, which `shlex` does not know: `$'\x72m' -rf ~` runs `rm`. Each
//! such string is decoded and written back single-quoted, so the words `shlex` gives are the
//! words bash runs.

use std::borrow::Cow;

/// `text` with every `$'…'` outside other quotes replaced by the single-quoted string it means.
pub fn decode_ansi_c_quotes(text: &str) -> Cow<'_, str> {
    if !text.contains("$'") {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_double = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.extend(chars.get(i..i + 2).unwrap_or(&chars[i..]));
                i += 2;
                continue;
            }
            '"' => in_double = !in_double,
            '\'' if !in_double => {
                let end = chars[i + 1..].iter().position(|&ch| ch == '\'').map_or(chars.len(), |at| i + 1 + at);
                out.extend(&chars[i..(end + 1).min(chars.len())]);
                i = end + 1;
                continue;
            }
            '$' if !in_double && chars.get(i + 1) == Some(&'\'') => {
                let (decoded, end) = decode_body(&chars, i + 2);
                out.push('\'');
                out.push_str(&decoded.replace('\'', r"'\''"));
                out.push('\'');
                i = end + 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    Cow::Owned(out)
}

/// Decodes the body of a `$'…'` that starts at `chars[from]`; returns it and where its closing
/// quote is (the end of the text when it is not closed).
fn decode_body(chars: &[char], from: usize) -> (String, usize) {
    let mut out = String::new();
    let mut i = from;
    while i < chars.len() && chars[i] != '\'' {
        if chars[i] != '\\' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let Some(&escape) = chars.get(i + 1) else {
            out.push('\\');
            break;
        };
        i += 2;
        let simple = match escape {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'e' | 'E' => Some('\x1b'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' | '\'' | '"' | '?' => Some(escape),
            _ => None,
        };
        if let Some(decoded) = simple {
            out.push(decoded);
            continue;
        }
        let (radix, most, skip) = match escape {
            '0'..='7' => (8, 3, 0),
            'x' => (16, 2, 1),
            'u' => (16, 4, 1),
            'U' => (16, 8, 1),
            'c' => {
                // `\cx` is control-x.
                if let Some(&letter) = chars.get(i) {
                    out.push(char::from_u32(u32::from(letter) & 0x1f).unwrap_or(letter));
                    i += 1;
                }
                continue;
            }
            other => {
                out.push('\\');
                out.push(other);
                continue;
            }
        };
        // Octal digits start at the escape itself; the others after their letter.
        let digits_from = i - 1 + skip;
        let digits: String = chars[digits_from..].iter().take(most).take_while(|ch| ch.is_digit(radix)).collect();
        match u32::from_str_radix(&digits, radix).ok().and_then(char::from_u32) {
            Some(decoded) => {
                out.push(decoded);
                i = digits_from + digits.chars().count();
            }
            None => {
                out.push('\\');
                out.push(escape);
            }
        }
    }
    (out, i)
}

#[cfg(test)]
mod tests {
    use super::decode_ansi_c_quotes;

    #[test]
    fn ansi_c_strings_become_the_single_quoted_text_they_mean() {
        let cases = [
            (r"$'rm' -rf ~", "'rm' -rf ~"),
            (r"$'\x72'm -rf ~", "'r'm -rf ~"),
            (r"$'\162\155' -rf ~", "'rm' -rf ~"),
            (r"$'\u0072m'", "'rm'"),
            (r"echo $'it\'s'", r"echo 'it'\''s'"),
            (r"echo $'a\tb'", "echo 'a\tb'"),
            (r"echo $'\q'", r"echo '\q'"),
            (r"echo $'\cA'", "echo '\x01'"),
        ];
        for (script, want) in cases {
            assert_eq!(decode_ansi_c_quotes(script), want, "{script}");
        }
    }

    #[test]
    fn dollar_quotes_inside_other_quotes_or_escaped_are_left_alone() {
        for script in [r#"echo "$'x'""#, r"echo '$'x", r"echo \$'x'", "plain text"] {
            assert_eq!(decode_ansi_c_quotes(script), script);
        }
    }

    #[test]
    fn an_unclosed_ansi_c_string_runs_to_the_end() {
        assert_eq!(decode_ansi_c_quotes(r"rm $'-rf"), "rm '-rf'");
        assert_eq!(decode_ansi_c_quotes("x $'\\"), "x '\\'");
    }
}
