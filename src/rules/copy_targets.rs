//! What a program that copies writes, for a rule that judges only that (`args_written`): `cp
//! .claude/settings.json /tmp/bak` reads the settings and writes `/tmp/bak`, and `cp nvim
//! ~/.config/` writes `~/.config/nvim`.

/// The programs whose operands are sources and a target. Not ln: a link to a file is a way to
/// write it (`ln -s .claude c && echo x > c/settings.json`).
const COPIERS: [&str; 4] = ["cp", "scp", "rsync", "install"];

/// The paths a copy writes, from its words after the program and its operands: under the
/// directory `-t` names, each source's name; else the last operand, with each source's name
/// under it when it ends with `/` or there are several sources. `None` for any other program,
/// and where every operand may be written: `rsync --remove-source-files`, `install -d`, a copy
/// of one operand.
pub fn written_by_copy(program: &str, args: &[String], operands: &[&String]) -> Option<Vec<String>> {
    if !COPIERS.contains(&program) {
        return None;
    }
    let every_operand_written = |word: &String| match program {
        "rsync" => word == "--remove-source-files",
        "install" => word == "--directory" || (word.starts_with('-') && !word.starts_with("--") && word.contains('d')),
        _ => false,
    };
    if args.iter().take_while(|word| *word != "--").any(every_operand_written) {
        return None;
    }
    // rsync copies what is in a source written with a trailing `/`, not the source itself.
    let name_in_target = |source: &str| -> Option<String> {
        if program == "rsync" && source.ends_with('/') {
            return None;
        }
        let name = source.trim_end_matches('/').rsplit('/').next().filter(|name| !name.is_empty())?;
        Some(name.to_owned())
    };
    let under = |directory: &str, sources: &[&String]| -> Vec<String> {
        sources
            .iter()
            // `cp -t DIR` with DIR read as an operand, where the option's value is not known.
            .filter(|source| source.as_str() != directory)
            .map(|source| match name_in_target(source) {
                Some(name) => format!("{}/{name}", directory.trim_end_matches('/')),
                None => directory.to_owned(),
            })
            .collect()
    };
    if let Some(directory) = target_directory(args) {
        return Some(under(directory, operands));
    }
    let (target, sources) = operands.split_last()?;
    if sources.is_empty() {
        return None;
    }
    if target.ends_with('/') || sources.len() > 1 {
        Some(under(target, sources))
    } else {
        Some(vec![target.to_string()])
    }
}

/// The directory given by `-t DIR`, `-tDIR`, `--target-directory DIR` or `--target-directory=DIR`.
fn target_directory(args: &[String]) -> Option<&str> {
    let mut words = args.iter().take_while(|word| *word != "--");
    let mut found = None;
    while let Some(word) = words.next() {
        if word == "-t" || word == "--target-directory" {
            found = words.next().map(String::as_str);
        } else if let Some(directory) = word.strip_prefix("--target-directory=") {
            found = Some(directory);
        } else if let Some(directory) =
            word.strip_prefix("-t").filter(|rest| !rest.is_empty() && !rest.starts_with('-'))
        {
            found = Some(directory);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(command: &str) -> Option<Vec<String>> {
        let words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        let args = &words[1..];
        let operands: Vec<&String> = args.iter().filter(|word| !word.starts_with('-')).collect();
        written_by_copy(&words[0], args, &operands)
    }

    #[test]
    fn a_copy_writes_its_target_and_not_its_sources() {
        assert_eq!(written("cp -r .claude/ /tmp/bak").unwrap(), ["/tmp/bak"]);
        assert_eq!(written("cp starship.toml ~/.config/").unwrap(), ["~/.config/starship.toml"]);
        assert_eq!(written("cp -r axiom ~/.config/").unwrap(), ["~/.config/axiom"]);
        assert_eq!(written("cp a b .axiom").unwrap(), [".axiom/a", ".axiom/b"]);
        assert_eq!(written("cp -t .claude settings.json").unwrap(), [".claude/settings.json"]);
        assert_eq!(written("install --target-directory=/x a/b").unwrap(), ["/x/b"]);
        // rsync copies what a source ending in `/` holds: its names are not known.
        assert_eq!(written("rsync -a dotfiles/ ~/.config/").unwrap(), ["~/.config/"]);
        assert_eq!(written("rsync -a ~/.config/ /backup/config/").unwrap(), ["/backup/config/"]);
    }

    #[test]
    fn every_operand_counts_where_a_copy_may_write_or_remove_them_all() {
        assert_eq!(written("rsync -a --remove-source-files .axiom/ /tmp/x/"), None);
        assert_eq!(written("install -d .axiom/rules"), None);
        assert_eq!(written("cp .axiom"), None);
        assert_eq!(written("mv .axiom /tmp/x"), None);
        assert_eq!(written("tar -cf x.tar .claude"), None);
        assert_eq!(written("ln -s .claude c"), None);
    }
}
