//! What `printf` prints, for a pipe into a shell or a script given to `eval` or `sh -c`: its
//! format with the escapes decoded (`\x72m`) and the conversions filled in from its arguments
//! (`printf '%s -rf %s' rm '~'`), the format used again while arguments are left, as printf does.

use super::ansi_c::decode_escapes;

/// How much output is worked out at most (an agent can ask for a huge repetition).
const MAX_OUTPUT: usize = 1 << 20;

/// What `printf ARGS` prints; `None` for `printf -v NAME`, which assigns it instead.
pub fn printf_output(args: &[String]) -> Option<String> {
    let args = match args.first().map(String::as_str) {
        Some("-v") => return None,
        Some("--") => &args[1..],
        _ => args,
    };
    let (format, given) = args.split_first()?;
    let mut given = given.iter();
    let mut out = String::new();
    loop {
        let used = apply_format(format, &mut given, &mut out);
        if used == 0 || given.len() == 0 || out.len() > MAX_OUTPUT {
            return Some(out);
        }
    }
}

/// Writes `format` once, its conversions taking arguments from `given`; how many it took.
fn apply_format<'a>(format: &str, given: &mut impl Iterator<Item = &'a String>, out: &mut String) -> usize {
    let mut used = 0;
    let mut literal = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            literal.push('%');
            continue;
        }
        // Flags, width and precision: `%-10s`, `%.3d`, `%*s` (whose width is an argument).
        let mut conversion = None;
        for next in chars.by_ref() {
            if next == '*' {
                given.next();
                used += 1;
            } else if !matches!(
                next,
                '-' | '+' | ' ' | '#' | '0'..='9' | '.' | '\'' | 'l' | 'h' | 'L' | 'j' | 'z' | 't'
            ) {
                conversion = Some(next);
                break;
            }
        }
        out.push_str(&decode_escapes(&literal));
        literal.clear();
        let Some(conversion) = conversion else { break };
        let argument = given.next().map(String::as_str);
        used += usize::from(argument.is_some());
        let argument = argument.unwrap_or_default();
        match conversion {
            'b' => out.push_str(&decode_escapes(argument)),
            'c' => out.extend(argument.chars().next()),
            _ => out.push_str(argument),
        }
    }
    out.push_str(&decode_escapes(&literal));
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printf(args: &[&str]) -> Option<String> {
        printf_output(&args.iter().map(|arg| arg.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn escapes_in_the_format_are_decoded() {
        assert_eq!(printf(&[r"\x72\x6d -rf ~\n"]).unwrap(), "rm -rf ~\n");
        assert_eq!(printf(&[r"\162m -rf ~"]).unwrap(), "rm -rf ~");
    }

    #[test]
    fn conversions_take_the_arguments_and_the_format_repeats() {
        assert_eq!(printf(&["%s -rf %s", "rm", "~"]).unwrap(), "rm -rf ~");
        assert_eq!(printf(&["%s\\n", "a", "b"]).unwrap(), "a\nb\n");
        assert_eq!(printf(&["%b", r"\x72m"]).unwrap(), "rm");
        assert_eq!(printf(&["%s", r"\x72m"]).unwrap(), r"\x72m");
        assert_eq!(printf(&["%c%c -rf ~", "rx", "my"]).unwrap(), "rm -rf ~");
        assert_eq!(printf(&["%-5s|%05d|%%", "ab", "7"]).unwrap(), "ab|7|%");
        assert_eq!(printf(&["%*s", "3", "rm"]).unwrap(), "rm");
        assert_eq!(printf(&["--", "%s", "x"]).unwrap(), "x");
    }

    #[test]
    fn printf_v_prints_nothing_and_nothing_repeats_without_bound() {
        assert_eq!(printf(&["-v", "x", "%s", "rm"]), None);
        assert_eq!(printf(&[]), None);
        assert_eq!(printf(&["no conversions", "a", "b"]).unwrap(), "no conversions");
        let many: Vec<String> =
            std::iter::once("%s%s%s%s".to_owned()).chain((0..100_000).map(|_| "x".repeat(64))).collect();
        assert!(printf_output(&many).unwrap().len() <= MAX_OUTPUT + 4 * 64);
    }
}
