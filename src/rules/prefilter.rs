//! The regexes that flag the lines a command rule with no `match` of its own parses: those that
//! may run one of its programs. The build finds its prefixes for the built-in pack (build.rs
//! includes this file), so it must depend on nothing but `regex-syntax`.

/// The program a `find … -delete` is read as (`crate::shell::DELETE_READ_AS`): a rule for it
/// flags `find` too, and `rimraf`, read as `rm -r -f` (`crate::shell::removers`).
const FIND_DELETES_AS: &str = "rm";

/// The interpreters whose one-liners are read as the shell commands they amount to
/// (`crate::shell::interpreters`): a line that names one may run any program.
const INTERPRETERS: &str = r"py(?:thon[23]?|py3?)|node(?:js)?|bun|deno|perl|ruby|php|[gmn]?awk";

/// The regexes that together flag every line where one of `programs` may run: the line names
/// one of them as a word, or is one every command rule parses (see [`any_program`]).
///
/// The shell takes quotes and backslashes out of a word, so `r''m`, `'r'm` and `r\<newline>m`
/// all run rm: they may stand between the name's characters (a tool call writes a line break as
/// the two characters `\n`). Two regexes, not one alternation: the second is the same for every
/// command rule, so a scope holds it once for all of them.
pub fn command_prefilters(programs: &[String]) -> [String; 2] {
    let mut names: Vec<String> = programs.iter().map(|program| name_as_written(program)).collect();
    if programs.iter().any(|program| program == FIND_DELETES_AS) {
        names.extend(["find", "rimraf"].map(name_as_written));
    }
    // `cd x\nrm -rf ~` has no word boundary before `rm`, so a `\n` before the name counts as one.
    [format!(r"(?:(?-u:\b)|\\n)(?:{})(?-u:\b)", names.join("|")), any_program()]
}

/// The lines where any program may run. An ANSI-C or translated string (`$'\x72'm`, `r$""m`) or
/// a brace list (`{r,}m`, `{r..r}m`) can spell any name, and so can a variable (`X=r; ${X}m`)
/// and a substitution (`$(printf 'r%s' m)`), so a line with one is always parsed; so is one with
/// an escape that printf or echo decodes (`printf '\x72m -rf ~' | sh`), and one that names an
/// interpreter, whose one-liner may amount to any command.
fn any_program() -> String {
    format!(
        r#"(?:(?-u:\b)|\\n)(?:{INTERPRETERS})(?-u:\b)|\$['"]|\$\{{?[A-Za-z0-9_@*]|\{{[^}}]*(?:,|\.\.)|\\[0-7xuU]|\$\(|`"#
    )
}

/// A regex for `program` with any run of quotes, backslashes and escaped line breaks between its
/// characters.
pub fn name_as_written(program: &str) -> String {
    let chars: Vec<String> = program.chars().map(|c| regex_syntax::escape(c.encode_utf8(&mut [0; 4]))).collect();
    chars.join(r#"(?:['"\\]|\\n)*"#)
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_agrees_with_the_shell_reader() {
        assert_eq!(super::FIND_DELETES_AS, crate::shell::DELETE_READ_AS);
        let rm = regex::Regex::new(&super::command_prefilters(&["rm".to_owned()])[0]).unwrap();
        for deleter in crate::shell::READ_AS_RM {
            assert!(rm.is_match(&format!("Bash: npx {deleter} ~")), "{deleter}");
        }
        let names = ["python", "python2", "python3", "pypy", "pypy3", "node", "nodejs", "bun", "deno", "perl", "ruby"];
        let whole = regex::Regex::new(&format!("^({})$", super::INTERPRETERS)).unwrap();
        for name in names.iter().chain(&["php", "awk", "gawk", "mawk", "nawk"]) {
            assert!(crate::shell::is_interpreter(name) && whole.is_match(name), "{name}");
        }
    }
}
