//! What `find` does to the files it finds: its `-exec` commands and its `-delete`, as the commands
//! they amount to. `find .axiom -delete` deletes as surely as `rm -r -f .axiom` does, and
//! `find / -exec rm -rf {} +` as `rm -rf /`.
//!
//! Which files a search reaches is known only when it runs. They stand in as the first ones it
//! could reach: each starting point, joined with each name it looks for (`find . -name .git` →
//! `./.git`), or with `*` when it leaves the starting point itself out (`-mindepth 1`), or alone
//! with its hidden files (`.` and `./.*`: `find . -delete` takes `.git` with it; not for a plain
//! subdirectory, `find build -delete`); with `-empty`, `*` joined to each starting point, as when
//! it is left out (only once nothing is left in it is it empty); a `-path` pattern stands for itself; a
//! test after `!` or `-not`, or before `-prune -o`, names what is left alone; a walk written to
//! stay out of `.git`, `.claude` and `.axiom` (see [`find_exclusions`](super::find_exclusions))
//! stands for the other hidden directories one by one instead of `.*`. Those
//! are what a rule about a path can judge. An `rm` it runs is given `-r`: on every file the walk
//! finds, it deletes as `rm -r` does.
//!
//! A hostile command could ask for a cross product of thousands of starting points and names
//! and thousands of actions; the stand-ins are bounded instead. Past [`MAX_TARGETS`] pairs, each
//! starting point and each name stands in by itself (`find . x … -name .git` → `.`, `x`, `.git`:
//! more than the search reaches, never less); once [`MAX_COMMANDS`] commands or [`MAX_BYTES`] are
//! made, the actions left are judged by their own words, and what they do to the stand-ins is
//! taken as the worst, `rm -r -f`.

use super::find_exclusions::{after_prune_clauses, Exclusions};

/// The program `-delete` is read as; any it runs on the files the walk finds is given `-r`.
pub const DELETE_READ_AS: &str = "rm";

/// The most starting point and name pairs joined; past it, each stands in alone.
const MAX_TARGETS: usize = 256;
/// How many commands the actions given every stand-in may make.
const MAX_COMMANDS: usize = 1024;
/// How many `{}` of one word are replaced.
const MAX_REPLACED: usize = 4;
/// How many bytes the joined pairs, and the commands made, may take.
const MAX_BYTES: usize = 1 << 20;

/// The options before the starting points (`-H`, `-L`, `-P`, `-D debugopts`, `-O3`).
fn leading_options(args: &[String]) -> usize {
    let mut index = 0;
    while let Some(word) = args.get(index) {
        match word.as_str() {
            "-H" | "-L" | "-P" => index += 1,
            "-D" => index += 2,
            word if word.starts_with("-O") => index += 1,
            // `find -- / …`: what follows is a starting point even if it looks like an option.
            "--" => return (index + 1).min(args.len()),
            _ => break,
        }
    }
    index.min(args.len())
}

/// Whether `word` starts find's expression rather than naming a starting point.
fn starts_expression(word: &str) -> bool {
    word.starts_with('-') || matches!(word, "(" | "!" | ",")
}

/// A `find` command read: where it searches, what for, and what it runs on what it finds.
#[derive(Default)]
struct Search<'a> {
    starts: Vec<&'a str>,
    names: Vec<&'a str>,
    paths: Vec<&'a str>,
    skips_start: bool,
    /// `-empty` (not negated): only empty files and directories are reached, unless
    /// `alternatives` says another test may stand in for it.
    only_empty: bool,
    /// `-o`, `-or` or `,`: a test that narrows the search may be only one way through it.
    alternatives: bool,
    /// `-L`, `-H` or `-follow`: symbolic links are followed, so a plain name may lead anywhere.
    follows_links: bool,
    /// The expression, as written, for [`Exclusions::read`].
    expression: Vec<&'a str>,
    /// Commands with `{}` where the files found go.
    actions: Vec<Vec<&'a str>>,
    /// Files `-fprint` and the like write.
    written: Vec<&'a str>,
}

impl<'a> Search<'a> {
    /// Reads a `find` command's words, `find` first.
    fn read(words: &'a [String]) -> Search<'a> {
        let args = words.get(1..).unwrap_or_default();
        let args = &args[leading_options(args)..];
        let follows_links = words.iter().skip(1).any(|word| matches!(word.as_str(), "-L" | "-H" | "-follow"));
        let starts = args.iter().take_while(|word| !starts_expression(word)).map(String::as_str).collect();
        let mut search = Search { starts, follows_links, ..Search::default() };
        search.expression = args[search.starts.len()..].iter().map(String::as_str).collect();
        let mut expression = after_prune_clauses(&search.expression).iter().copied().peekable();
        // A test after `!` or `-not` names what is left alone, as does one followed by `-prune`.
        let mut negated = false;
        // Whether the test just before was a name (or else a path), when it was kept.
        let mut last_test: Option<bool> = None;
        while let Some(word) = expression.next() {
            let was_negated = std::mem::take(&mut negated);
            match word {
                "!" | "-not" => negated = true,
                "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-iwholename" => {
                    let Some(value) = expression.next() else { continue };
                    let is_name = word.ends_with("name") && !word.ends_with("wholename");
                    last_test = (!was_negated).then_some(is_name);
                    match (was_negated, is_name) {
                        (true, _) => {}
                        (false, true) => search.names.push(value),
                        (false, false) => search.paths.push(value),
                    }
                }
                // The test just before it (the last one kept) is what is pruned and left alone,
                // when an `-o` follows for the rest of the walk (`-name .git -prune -o -delete`);
                // otherwise what follows acts on what is pruned (`-name x -prune -exec rm …`).
                "-prune" => {
                    let left_alone = last_test.take().filter(|_| matches!(expression.peek(), Some(&("-o" | "-or"))));
                    if let Some(is_name) = left_alone {
                        let kept = if is_name { &mut search.names } else { &mut search.paths };
                        kept.pop();
                    }
                }
                // They write the list of what is found to a file.
                "-fprint" | "-fprint0" | "-fls" | "-fprintf" => {
                    search.written.extend(expression.next());
                }
                "-mindepth" => search.skips_start |= expression.next().is_some_and(|depth| depth != "0"),
                "-empty" => search.only_empty |= !was_negated,
                "-o" | "-or" | "," => search.alternatives = true,
                "-delete" => search.actions.push(vec![DELETE_READ_AS, "-f", "{}"]),
                "-exec" | "-execdir" | "-ok" | "-okdir" => {
                    // The command runs up to `;` (once a file) or `{} +` (with many at once); a
                    // `+` elsewhere is one of its words (`-exec rm -rf + {} +`).
                    let mut command: Vec<&str> = Vec::new();
                    for word in expression.by_ref() {
                        if word == ";" || (word == "+" && command.last() == Some(&"{}")) {
                            break;
                        }
                        command.push(word);
                    }
                    if !command.is_empty() {
                        search.actions.push(command);
                    }
                }
                _ => {}
            }
        }
        if search.starts.is_empty() {
            search.starts.push(".");
        }
        search
    }

    /// The files the search could reach first, as the module's comment says.
    fn targets(&self) -> Vec<String> {
        let mut found: Vec<String> = self.paths.iter().map(|path| path.to_string()).collect();
        let bytes = |words: &[&str]| words.iter().map(|word| word.len() + 1).sum::<usize>();
        let pairs = self.starts.len().saturating_mul(self.names.len().max(1));
        let pair_bytes = bytes(&self.starts).saturating_mul(self.names.len().max(1))
            + bytes(&self.names).saturating_mul(self.starts.len());
        if pairs > MAX_TARGETS || pair_bytes > MAX_BYTES {
            found.extend(self.starts.iter().chain(&self.names).map(|word| word.to_string()));
            return found;
        }
        let join = |start: &str, name: &str| format!("{}/{name}", start.trim_end_matches('/'));
        // A walk that follows links may reach a hidden directory under another name.
        let exclusions = (!self.follows_links).then(|| Exclusions::read(&self.expression)).flatten();
        for start in &self.starts {
            // `-path '*claude/settings*'`: find's `*` takes dots and slashes too, so a pattern
            // written around a guarded file's name finds it.
            for pattern in &self.paths {
                found.extend(guarded_files_matching(start, pattern));
            }
            match (self.names.is_empty(), self.skips_start) {
                (false, _) => {
                    found.extend(self.names.iter().map(|name| join(start, name)));
                    // A name the supervision's files could have is found inside `.claude` and
                    // `.axiom` too (`find . -name settings.json -exec sed -i …`), unless the walk
                    // stays out of them.
                    let reaches_hidden = self.follows_links || !is_plain_subdirectory(start);
                    let left_alone = |directory: &str| exclusions.as_ref().is_some_and(|e| e.leaves_alone(directory));
                    for (hidden, below, files) in GUARDED_INSIDE {
                        if reaches_hidden && !left_alone(&join(start, hidden)) {
                            let directory = join(start, &format!("{hidden}{below}"));
                            let names = self.names.iter().filter(|name| may_name_one_of(name, files));
                            found.extend(names.map(|name| join(&directory, name)));
                        }
                    }
                }
                (true, true) => {
                    found.push(join(start, "*"));
                    // `-mindepth 1` spares the starting point, not the hidden files in it.
                    let reaches_hidden = self.follows_links || !is_plain_subdirectory(start);
                    if self.paths.is_empty() && !self.only_empty && reaches_hidden {
                        found.extend(hidden_stand_ins(start, exclusions.as_ref()));
                    }
                }
                // Everything under it, hidden files too (`find . -delete` takes `.git` with it),
                // unless only empty ones are reached or it is a plain directory below where the
                // command runs: the hidden files that matter (`.git`, `.claude`) are where a
                // project or a home directory starts, not in `build/`.
                // A walk that deletes only what is empty deletes the starting point only once
                // nothing is left in it: it stands for what is under it.
                (true, false) if self.paths.is_empty() && self.only_empty && !self.alternatives => {
                    found.push(join(start, "*"));
                }
                (true, false) if self.paths.is_empty() => {
                    found.push(start.to_string());
                    if self.follows_links || !is_plain_subdirectory(start) {
                        found.extend(hidden_stand_ins(start, exclusions.as_ref()));
                    }
                }
                (true, false) => {}
            }
        }
        found
    }
}

/// The hidden names at the top of a project or a home directory that rules guard, which stand in
/// for `.*` when the walk stays out of `.git`, `.claude` and `.axiom`.
const HIDDEN_NAMES: &[&str] = &[".git", ".axiom", ".claude", ".config", ".local", ".ssh", ".gnupg"];

/// What stands in for the hidden files under `start`: `start/.*`, unless the walk stays out of
/// `.git`, `.claude` and `.axiom` (a whole-project edit written to leave the repository and the
/// supervision alone); then each hidden directory it still reaches.
fn hidden_stand_ins(start: &str, exclusions: Option<&Exclusions>) -> Vec<String> {
    let join = |name: &str| format!("{}/{name}", start.trim_end_matches('/'));
    match exclusions {
        Some(exclusions) if [".git", ".claude", ".axiom"].iter().all(|name| exclusions.leaves_alone(&join(name))) => {
            HIDDEN_NAMES.iter().map(|name| join(name)).filter(|path| !exclusions.leaves_alone(path)).collect()
        }
        _ => vec![join(".*")],
    }
}

/// Files that supervise the agent or hold what no walk should take, under a project or a home
/// directory, that a `-path` pattern may be written to find.
const GUARDED_FILES: &[&str] = &[
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude/hooks/hook.sh",
    ".axiom/rules/00.yaml",
    ".config/axiom/rules/00.yaml",
    ".local/state/axiom/token",
    ".git/config",
    ".git/HEAD",
    ".ssh/id_ed25519",
    ".ssh/authorized_keys",
];

/// The guarded files under `start` that find's `-path` (or `-ipath`, `-wholename`) `pattern`
/// matches, as find prints them: from `start` as written, or from the home directory a `~` stands for.
fn guarded_files_matching(start: &str, pattern: &str) -> Vec<String> {
    let Ok(glob) = globset::GlobBuilder::new(pattern).case_insensitive(true).build() else { return Vec::new() };
    let glob = glob.compile_matcher();
    let home = std::env::var("HOME").ok();
    let printed = |path: &str| -> Option<String> {
        let rest = path.strip_prefix('~')?;
        Some(format!("{}{rest}", home.as_deref()?))
    };
    GUARDED_FILES
        .iter()
        .map(|file| format!("{}/{file}", start.trim_end_matches('/')))
        .filter(|path| glob.is_match(path) || printed(path).is_some_and(|path| glob.is_match(path)))
        .collect()
}

/// Hidden directories whose files supervise the agent, where in them the files are, and names
/// they have: a `-name` that matches one of them is found there too.
const GUARDED_INSIDE: [(&str, &str, &[&str]); 2] = [
    (".claude", "", &["settings.json", "settings.local.json"]),
    (".axiom", "/rules", &["00.yaml", "10-planning.yaml", "x.yml", "rules.yaml"]),
];

/// Whether find's `-name` pattern `name` may match one of `files`: it matches one (in any case,
/// as `-iname` would), or ends as their names do (`0*.yaml`, which the examples miss). A pattern
/// written for one rule file by its own name (`m*` for `my.yaml`) is not foreseen.
fn may_name_one_of(name: &str, files: &[&str]) -> bool {
    let matches = globset::GlobBuilder::new(name)
        .case_insensitive(true)
        .build()
        .map(|glob| glob.compile_matcher())
        .map_or(true, |glob| files.iter().any(|file| glob.is_match(file)));
    let lowered = name.to_ascii_lowercase();
    matches || [".yaml", ".yml", ".json"].iter().any(|end| lowered.ends_with(end))
}

/// Whether `start` names a directory below the current one by plain names (`build`,
/// `./logs/`, `src/gen`): none hidden, none a parent, a home, a variable or a pattern.
fn is_plain_subdirectory(start: &str) -> bool {
    let relative = start.trim_start_matches("./");
    !relative.starts_with('/')
        && !relative.trim_matches('/').is_empty()
        && relative
            .split('/')
            .filter(|part| !part.is_empty())
            .all(|part| !part.starts_with(['.', '~', '-']) && !part.contains(['$', '`', '*', '?', '[', '{', '\\']))
}

/// The commands a `find` command's actions amount to (its words, `find` first), each with `{}`
/// replaced by the files the search stands for. Empty for a search that only lists.
pub fn actions(words: &[String]) -> Vec<Vec<String>> {
    let search = Search::read(words);
    // `-fprint FILE` writes FILE as `> FILE` does.
    let mut commands: Vec<Vec<String>> =
        search.written.iter().map(|file| vec![">".to_owned(), file.to_string()]).collect();
    if search.actions.is_empty() {
        return commands;
    }
    let targets = search.targets();
    let with_target = |action: &[&str], target: &str| -> Vec<String> {
        // find replaces every `{}`; a few are as good to judge by, and a word of thousands cannot
        // multiply a long path into megabytes.
        action.iter().map(|word| word.replacen("{}", target, MAX_REPLACED)).collect()
    };
    let mut bytes = 0;
    let mut expanded = 0;
    'actions: for action in &search.actions {
        for target in &targets {
            let command = with_target(action, target);
            bytes += command.iter().map(String::len).sum::<usize>();
            commands.push(command);
            if commands.len() > MAX_COMMANDS || bytes > MAX_BYTES {
                break 'actions;
            }
        }
        expanded += 1;
    }
    if expanded < search.actions.len() {
        // The actions left are judged by their own words, and what they do to every file is not
        // worked out: taken as the worst, a delete.
        let own_words =
            |action: &Vec<&str>| action.iter().filter(|word| **word != "{}").map(|word| word.to_string()).collect();
        commands.extend(search.actions[expanded..].iter().map(own_words));
        commands.push([DELETE_READ_AS, "-f"].iter().map(|word| word.to_string()).chain(targets).collect());
    }
    commands.into_iter().map(|command| walked(super::wrappers::strip(command))).collect()
}

/// An `rm` run on every file a walk finds deletes recursively: it is given `-r`.
fn walked(mut command: Vec<String>) -> Vec<String> {
    if command.first().is_some_and(|program| super::program_name(program) == DELETE_READ_AS) {
        command.insert(1, "-r".to_owned());
    }
    command
}

/// The files a `find` command's search stands for: what a program reading its output
/// (`find … | xargs rm`) is given.
pub fn found_paths(words: &[String]) -> Vec<String> {
    Search::read(words).targets()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(command: &str) -> Vec<String> {
        found_paths(&command.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
    }

    #[test]
    fn a_path_pattern_written_around_a_guarded_file_finds_it() {
        assert!(found("find ~ -path *claude/settings* -delete").contains(&"~/.claude/settings.json".to_owned()));
        assert!(found("find . -ipath *AXIOM/RULES/*").contains(&"./.axiom/rules/00.yaml".to_owned()));
        assert!(found("find . -path */build/* -delete").iter().all(|path| !path.contains(".claude")));
    }
}
