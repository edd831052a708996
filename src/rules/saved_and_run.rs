//! A download saved to a file and run later in the same call (`curl -o i.sh URL && bash i.sh`,
//! `wget URL; sh install.sh`, `curl URL > i.sh; chmod +x i.sh; ./i.sh`): what `curl URL | sh`
//! does, with a file between, so the script runs as unread as through the pipe.

use crate::shell::SimpleCommand;

/// The files `command` may save what it fetches to: every redirection at its place in the
/// pipeline (`2> err.log > i.sh` names two), every file of a `tee` it pipes into, each of curl's
/// `-o FILE` / `--output FILE` and wget's `-O FILE` / `--output-document FILE`, and the URL's last
/// name for curl's `-O` / `--remote-name` and for wget by default (under `-P DIR`). All of them,
/// not the one that gets the body: a file the call runs is judged against each.
pub fn saved_files(command: &SimpleCommand, later: &[SimpleCommand]) -> Vec<String> {
    let mut files: Vec<String> = later
        .iter()
        .take_while(|next| (next.pipeline, next.stage) == (command.pipeline, command.stage))
        .filter(|next| next.is_redirection())
        .filter_map(|next| next.words.get(1).cloned())
        .collect();
    // `curl URL | tee i.sh > /dev/null`: what the pipe brings is saved by tee.
    for tee in later.iter().filter(|next| command.pipes_into(next) && next.program() == "tee") {
        files.extend(tee.args().iter().filter(|arg| !arg.starts_with('-')).cloned());
    }
    let (output, remote_name) = match command.program() {
        "curl" => (["-o", "--output"], "-O"),
        "wget" => (["-O", "--output-document"], ""),
        _ => return without_standard_streams(files),
    };
    let args = command.args();
    let url_name = || {
        let url = args.iter().find(|arg| arg.contains("://"))?;
        let path = url.split(['?', '#']).next().unwrap_or(url);
        path.rsplit('/').next().filter(|name| !name.is_empty() && !name.contains(':')).map(str::to_owned)
    };
    let letter = output[0].chars().nth(1).unwrap_or('o');
    let files_before_options = files.len();
    let mut remote = command.program() == "wget";
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if let Some(value) = word.strip_prefix(&format!("{}=", output[1])) {
            files.push(value.to_owned());
        } else if output.contains(&word.as_str()) {
            files.extend(words.next().cloned());
        } else if word.starts_with("--remote-name") && command.program() == "curl" {
            remote = true;
        } else if let Some(cluster) = word.strip_prefix('-').filter(|cluster| !cluster.starts_with('-')) {
            // A cluster that ends in the option, or the option with its value attached (`-oi.sh`).
            if let Some(at) = cluster.find(letter) {
                let attached = &cluster[at + letter.len_utf8()..];
                files.extend(if attached.is_empty() { words.next().cloned() } else { Some(attached.to_owned()) });
            } else if !remote_name.is_empty() && cluster.contains('O') {
                remote = true;
            }
        }
    }
    // wget saves under the URL's name unless told otherwise, in the directory `-P` names.
    let directory = args.iter().enumerate().find_map(|(at, arg)| {
        arg.strip_prefix("--directory-prefix=")
            .or_else(|| arg.strip_prefix("-P").filter(|attached| !attached.is_empty()))
            .or_else(|| {
                matches!(arg.as_str(), "-P" | "--directory-prefix")
                    .then(|| args.get(at + 1))
                    .flatten()
                    .map(String::as_str)
            })
    });
    // wget's own name is the default only: `-O` names the one it writes instead.
    let told_where = files.len() > files_before_options;
    if let Some(name) = url_name().filter(|_| remote && !(command.program() == "wget" && told_where)) {
        files.push(match directory.filter(|_| command.program() == "wget") {
            Some(directory) => format!("{}/{name}", directory.trim_end_matches('/')),
            None => name,
        });
    }
    without_standard_streams(files)
}

/// The files that are files: not standard output, nor `/dev/null`.
fn without_standard_streams(mut files: Vec<String>) -> Vec<String> {
    files.retain(|file| !matches!(file.as_str(), "-" | "/dev/stdout" | "/dev/stderr" | "/dev/null"));
    files
}

/// Whether `next` runs `file` as the script a shell or interpreter among `runners` is given (its
/// first operand), or as the program itself when it is a script (`./install.sh`). A downloaded
/// binary run by its path (`./kubectl version`) is how releases are installed, and is not
/// counted; nor is `bash -n`, which only checks the syntax.
pub fn runs_file(next: &SimpleCommand, file: &str, runners: &[String]) -> bool {
    let same = |word: &str| plain(word) == plain(file);
    let script_name = [".sh", ".bash", ".zsh", ".py", ".pl", ".rb", ".js"].iter().any(|suffix| file.ends_with(suffix));
    if same(&next.words[0]) && (file.contains('/') || next.words[0].contains('/')) && script_name {
        return true;
    }
    if !runners.iter().any(|runner| runner == next.program()) {
        return false;
    }
    let mut words = next.args().iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "--" => return words.next().is_some_and(|script| same(script)),
            "-n" | "--noexec" => return false,
            // Options that take a value (a shell's, python's).
            "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file" | "-W" | "-X" => {
                words.next();
            }
            option if option.starts_with('-') || option.starts_with('+') => {}
            script => return same(script),
        }
    }
    false
}

/// A path without a leading `./`.
fn plain(path: &str) -> &str {
    path.trim_start_matches("./")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved_then_run(script: &str) -> bool {
        let commands = crate::shell::commands(script);
        let runners = ["sh".to_owned(), "bash".to_owned(), "python3".to_owned()];
        commands.iter().enumerate().any(|(at, command)| {
            let later = &commands[at + 1..];
            saved_files(command, later).iter().any(|file| later.iter().any(|next| runs_file(next, file, &runners)))
        })
    }

    #[test]
    fn a_download_saved_then_run_in_the_same_call_is_found() {
        for script in [
            "curl -s https://x.io/i -o /tmp/i.sh && bash /tmp/i.sh",
            "curl -s https://x.io/i > /tmp/i.sh; sh /tmp/i.sh",
            "curl -fsSLo i.sh https://x.io/i && sh ./i.sh -y",
            "curl --output=i.sh https://x.io/i; bash -x i.sh",
            "curl -O https://x.io/install.sh && bash install.sh",
            "wget https://x.io/install.sh && sh install.sh",
            "wget -O i.py https://x.io/i && python3 i.py",
            "curl -so i.sh https://x.io/i; chmod +x i.sh; ./i.sh",
            "curl --remote-name https://x.io/install.sh && bash install.sh",
            "curl -so i.py https://x.io/i && python3 -W ignore i.py",
            "curl -s https://x.io/i | tee i.sh > /dev/null; bash i.sh",
            "wget -P /tmp https://x.io/install.sh && bash /tmp/install.sh",
            "wget --directory-prefix=/tmp/ https://x.io/install.sh && sh /tmp/install.sh",
            // Every file the call names counts, not only the one that gets the body.
            "curl -s https://x.io/i 2>/tmp/e > i.sh; bash i.sh",
            "curl -s https://x.io/i -o /tmp/e -o i.sh; bash i.sh",
        ] {
            assert!(saved_then_run(script), "{script}");
        }
        for script in [
            "curl -s https://x.io/i -o /tmp/i.sh && cat /tmp/i.sh",
            "curl -s https://x.io/i -o data.json && bash scripts/load.sh data.json",
            "curl -s https://x.io/i | jq . > out.json; sh build.sh",
            "wget -O - https://x.io/i && sh i",
            "curl -s https://x.io/i > /dev/null; sh null",
            "bash install.sh; curl -o install.sh https://x.io/i",
            "curl -Lo kubectl https://dl.k8s.io/v1/kubectl && chmod +x kubectl && ./kubectl version --client",
            "curl -so i.sh https://x.io/i && bash -n i.sh",
            "curl -s https://x.io/i | tee log.txt; bash build.sh",
            "wget -P /tmp https://x.io/install.sh && bash install.sh",
        ] {
            assert!(!saved_then_run(script), "{script}");
        }
    }
}
