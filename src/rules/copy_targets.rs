//! What a program that copies writes, for a rule that judges only that (`args_written`): `cp
//! .claude/settings.json /tmp/bak` reads the settings and writes `/tmp/bak`, and `cp nvim
//! ~/.config/` writes `~/.config/nvim`. And what a move takes away (`args_moved`): `mv ~
//! /tmp/old` takes the home directory, `mv tool /usr/local/bin/` only `tool`. And what a copy to
//! another machine sends (`args_sent`): `scp ~/.ssh/id_rsa host:/tmp/` sends the key, `scp
//! host:/srv/.env .` and `rsync --exclude .env ./ host:/srv/` send none.

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
    let short = |word: &String, letters: &[char]| {
        word.starts_with('-') && !word.starts_with("--") && word[1..].contains(letters)
    };
    // Where a source may be written too: rsync removing what it sent (any abbreviation GNU
    // getopt takes), `install -d` making every operand, cp making links to its sources, whose
    // writes then edit them.
    let every_operand_written = |word: &String| match program {
        "rsync" => word.starts_with("--remove-s"),
        "install" => word == "--directory" || short(word, &['d']),
        "cp" => word.starts_with("--link") || word.starts_with("--sym") || short(word, &['l', 's']),
        _ => false,
    };
    if args.iter().take_while(|word| *word != "--").any(every_operand_written) {
        return None;
    }
    // The name a source takes under the target, if it is known: not for what rsync copies of a
    // source written with a trailing `/` (what is in it), nor for a pattern (`s*`).
    let name_in_target = |source: &str| -> Option<String> {
        if program == "rsync" && source.ends_with('/') {
            return None;
        }
        // `host:path` names a remote file (scp, rsync).
        let local = source.split_once(':').filter(|(host, _)| !host.contains('/')).map_or(source, |(_, path)| path);
        let name = local.trim_end_matches('/').rsplit('/').next().filter(|name| !name.is_empty())?;
        (!name.contains(['*', '?', '[', '{'])).then(|| name.to_owned())
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
    // (rsync's and scp's `-t` is something else.)
    if let Some(directory) = target_directory(args).filter(|_| matches!(program, "cp" | "install")) {
        return Some(under(directory, operands));
    }
    let (target, sources) = operands.split_last()?;
    if sources.is_empty() {
        return None;
    }
    if target.ends_with('/') || sources.len() > 1 {
        Some(under(target, sources))
    } else {
        // One source: the target, or the source under it when that is a directory, which the
        // call does not show: for where the call runs (`cp -a /tmp/x/.claude .` writes
        // `./.claude`; so does the directory named by its own absolute path).
        let mut written = vec![target.to_string()];
        if may_be_where_the_call_runs(target) {
            written.extend(under(target, sources).into_iter().filter(|path| path != target.as_str()));
        }
        Some(written)
    }
}

/// Whether a copy's target is the directory the call runs in or the one above it (`.`, `..`,
/// `$PWD`), or the starting directory by its own path where that is known: where a directory
/// copied in lands as the project's own (`.claude`, `.axiom`).
fn may_be_where_the_call_runs(target: &str) -> bool {
    let target = target.trim_end_matches('/');
    if matches!(target, "." | ".." | "$PWD" | "${PWD}" | "$(pwd)") {
        return true;
    }
    super::workplace::working_directory().is_some_and(|start| {
        let start = start.to_string_lossy();
        target == start.trim_end_matches('/')
    })
}

/// The paths a move takes away, from its words after the program and its operands: every
/// operand but the directory `-t` names, else every operand but the last. `None` for any other
/// program and for a move of one operand, where every operand counts.
pub fn moved_by_move(program: &str, args: &[String], operands: &[&String]) -> Option<Vec<String>> {
    if program != "mv" {
        return None;
    }
    let sources: Vec<&String> = match target_directory(args) {
        Some(directory) => operands.iter().copied().filter(|operand| operand.as_str() != directory).collect(),
        None => operands.split_last().map(|(_, sources)| sources.to_vec()).unwrap_or_default(),
    };
    (!sources.is_empty()).then(|| sources.into_iter().cloned().collect())
}

/// The local paths a copy to another machine sends: for scp, sftp, rsync, rclone and the cloud
/// storage copies (`aws s3 cp`, `gsutil cp`, `gcloud storage cp`), every operand but the last that
/// names a path here (for aws, the first of its two), when the last names a place elsewhere (`HOST:PATH`, `user@host:`,
/// `rsync://`, `s3://`, an rclone remote); for `gh gist create`, every file. `None` for any other
/// program; empty for a copy that stays on this machine.
pub fn sent_by_copy(program: &str, operands: &[&String]) -> Option<Vec<String>> {
    let verb = |at: usize, verbs: &[&str]| operands.get(at).is_some_and(|word| verbs.contains(&word.as_str()));
    let operands = match program {
        "scp" | "sftp" | "rsync" => operands,
        "rclone" => operands.get(1..).unwrap_or_default(),
        "gsutil" if verb(0, &["cp", "mv", "rsync"]) => &operands[1..],
        // `aws s3 cp SOURCE DESTINATION`: exactly two. Any word after them is the value of an
        // option this does not know takes one (`--acl public-read`).
        "aws" if verb(0, &["s3"]) && verb(1, &["cp", "mv", "sync"]) => &operands[2..operands.len().min(4)],
        "gcloud" if verb(0, &["storage"]) && verb(1, &["cp", "mv", "rsync"]) => &operands[2..],
        "gh" if verb(0, &["gist"]) && verb(1, &["create"]) => {
            return Some(operands[2..].iter().map(|file| file.to_string()).collect());
        }
        "gsutil" | "aws" | "gcloud" | "gh" => return Some(Vec::new()),
        _ => return None,
    };
    let Some((destination, sources)) = operands.split_last() else { return Some(Vec::new()) };
    let elsewhere =
        |path: &str| path.contains("://") || path.split('/').next().is_some_and(|first| first.contains(':'));
    if !elsewhere(destination) {
        return Some(Vec::new());
    }
    Some(sources.iter().filter(|source| !elsewhere(source)).map(|source| source.to_string()).collect())
}

/// The directory given by `-t DIR` (also in a cluster, `-at DIR`, `-tDIR`) or by
/// `--target-directory` (any abbreviation GNU getopt takes: `--target`, `--ta=DIR`).
fn target_directory(args: &[String]) -> Option<&str> {
    let mut words = args.iter().take_while(|word| *word != "--");
    let mut found = None;
    while let Some(word) = words.next() {
        if let Some(long) = word.strip_prefix("--") {
            let (name, value) = crate::shell::name_and_value(long);
            if name.len() >= 2 && "target-directory".starts_with(name) {
                found = value.or_else(|| words.next().map(String::as_str));
            }
        } else if let Some(cluster) = word.strip_prefix('-') {
            if let Some(at) = cluster.find('t') {
                let attached = &cluster[at + 1..];
                found = if attached.is_empty() { words.next().map(String::as_str) } else { Some(attached) };
            }
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
        // One source: the target, or the source under it if it is a directory.
        assert_eq!(written("cp -r .claude/ /tmp/bak").unwrap(), ["/tmp/bak"]);
        assert_eq!(written("cp -r .claude/ bak").unwrap(), ["bak"]);
        assert_eq!(written("cp -a /tmp/evil/.claude .").unwrap(), [".", "./.claude"]);
        assert_eq!(written("cp starship.toml ~/.config/").unwrap(), ["~/.config/starship.toml"]);
        assert_eq!(written("cp -r axiom ~/.config/").unwrap(), ["~/.config/axiom"]);
        assert_eq!(written("cp a b .axiom").unwrap(), [".axiom/a", ".axiom/b"]);
        assert_eq!(written("cp -t .claude settings.json").unwrap(), [".claude/settings.json"]);
        assert_eq!(written("install --target-directory=/x a/b").unwrap(), ["/x/b"]);
        // rsync copies what a source ending in `/` holds: its names are not known.
        assert_eq!(written("rsync -a dotfiles/ ~/.config/").unwrap(), ["~/.config/"]);
        assert_eq!(written("rsync -a ~/.config/ /backup/config/").unwrap(), ["/backup/config/"]);
        // `-t` in a cluster or abbreviated; a pattern or a remote file as the source.
        assert_eq!(written("cp -at .claude /tmp/evil/settings.json").unwrap(), [".claude/settings.json"]);
        assert_eq!(written("cp --target=.claude /tmp/x/settings.json").unwrap(), [".claude/settings.json"]);
        assert_eq!(written("cp /tmp/evil/s* .claude/").unwrap(), [".claude/"]);
        assert_eq!(written("scp host:settings.json .claude/").unwrap(), [".claude/settings.json"]);
        assert_eq!(written("rsync -avt src/ dest/").unwrap(), ["dest/"]);
    }

    #[test]
    fn a_move_takes_away_its_sources_and_not_its_target() {
        let moved = |command: &str| {
            let words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
            let operands: Vec<&String> = words[1..].iter().filter(|word| !word.starts_with('-')).collect();
            moved_by_move(&words[0], &words[1..], &operands)
        };
        assert_eq!(moved("mv ~ /tmp/oldhome").unwrap(), ["~"]);
        assert_eq!(moved("mv -f tool /usr/local/bin/").unwrap(), ["tool"]);
        assert_eq!(moved("mv a b /srv/").unwrap(), ["a", "b"]);
        assert_eq!(moved("mv -t /usr/local/bin tool").unwrap(), ["tool"]);
        assert_eq!(moved("mv .git"), None, "one operand: every operand counts");
        assert_eq!(moved("cp ~ /tmp/x"), None);
    }

    #[test]
    fn a_copy_to_another_machine_sends_its_local_sources() {
        let sent = |command: &str| {
            let words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
            let operands: Vec<&String> = words[1..].iter().filter(|word| !word.starts_with('-')).collect();
            sent_by_copy(&words[0], &operands)
        };
        assert_eq!(sent("scp ~/.ssh/id_rsa a.txt user@host:/tmp/").unwrap(), ["~/.ssh/id_rsa", "a.txt"]);
        assert_eq!(sent("rsync -a ./ rsync://host/module/").unwrap(), ["./"]);
        assert_eq!(sent("rclone copy .env remote:bucket").unwrap(), [".env"]);
        assert!(sent("scp host:/srv/.env ./.env").unwrap().is_empty(), "copied from there");
        assert!(sent("rsync -a .env /backup/").unwrap().is_empty(), "copied here");
        assert_eq!(sent("aws s3 cp .env s3://bucket/").unwrap(), [".env"]);
        assert_eq!(sent("gsutil cp ~/.aws/credentials gs://b/").unwrap(), ["~/.aws/credentials"]);
        assert_eq!(sent("gh gist create .env notes.md").unwrap(), [".env", "notes.md"]);
        assert!(sent("aws s3 cp s3://bucket/.env .env").unwrap().is_empty(), "copied from there");
        assert!(sent("aws s3 ls s3://bucket/").unwrap().is_empty());
        assert_eq!(sent("cp .env /tmp/"), None);
    }

    #[test]
    fn every_operand_counts_where_a_copy_may_write_or_remove_them_all() {
        assert_eq!(written("rsync -a --remove-source-files .axiom/ /tmp/x/"), None);
        assert_eq!(written("install -d .axiom/rules"), None);
        assert_eq!(written("cp .axiom"), None);
        assert_eq!(written("mv .axiom /tmp/x"), None);
        assert_eq!(written("tar -cf x.tar .claude"), None);
        assert_eq!(written("ln -s .claude c"), None);
        assert_eq!(written("cp -al .claude /tmp/c"), None);
        assert_eq!(written("cp --link .claude/settings.json /tmp/s"), None);
        assert_eq!(written("rsync -a --remove-sent-files .axiom/ /tmp/x/"), None);
    }
}
