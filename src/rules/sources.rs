//! Where rules come from: `--rules`, `$AXIOM_RULES`, `./.axiom/rules/`, the user's config dir, or
//! the default pack compiled into the binary — the first that applies.
//!
//! A `rules/` directory that merely sits in the working directory is never read: the working
//! directory is where the supervised agent writes, and a task that wrote `rules: []` there would
//! switch supervision off. Project rules live in `.axiom/rules/`, a place a user puts them on
//! purpose; even so, the hub warns when a task runs in a directory holding the rules in force.

use std::fmt;
use std::path::{Path, PathBuf};

use super::error::{RuleError, RuleErrors};
use super::load::RuleDocument;
use super::model::RuleSet;

/// Where a project's own rules live, relative to the working directory.
pub const PROJECT_RULES: &str = ".axiom/rules";

/// The default rule pack, `(file name, YAML)`, embedded from `rules/` at build time.
pub const DEFAULT_PACK: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/default_pack.rs"));

/// The same files as JSON, in the same order, made from the YAML at build time: loading the pack
/// reads these, since YAML took a fifth of `axiom check`'s start-up.
pub(crate) const DEFAULT_PACK_JSON: &[&str] = include!(concat!(env!("OUT_DIR"), "/default_pack_json.rs"));

/// What the build found in one of the pack's regexes (flagged as attributed: `(?i)` in front when
/// case-insensitive), so that starting `axiom` does not parse it to find out.
#[derive(Debug)]
pub(crate) struct PackRegex {
    pub regex: &'static str,
    /// [`required_prefixes`](super::prefixes::required_prefixes)' literals, if it found any.
    pub prefixes: Option<&'static [&'static [u8]]>,
    pub ascii_folded: bool,
    pub unicode_word_boundary: bool,
}

/// Every regex of the pack, sorted by its text (`rules::compile::tests` checks each entry against
/// what `axiom` finds at run time).
pub(crate) const DEFAULT_PACK_REGEXES: &[PackRegex] = include!(concat!(env!("OUT_DIR"), "/default_pack_regexes.rs"));

impl PackRegex {
    /// The pack's entry for `regex`, if it is one of the pack's.
    pub fn find(regex: &str) -> Option<&'static PackRegex> {
        DEFAULT_PACK_REGEXES.binary_search_by(|entry| entry.regex.cmp(regex)).ok().map(|at| &DEFAULT_PACK_REGEXES[at])
    }

    pub fn prefixes(&self) -> Option<super::prefixes::Prefixes> {
        self.prefixes.map(|literals| super::prefixes::Prefixes {
            literals: literals.iter().map(|literal| literal.to_vec()).collect(),
            ascii_folded: self.ascii_folded,
        })
    }
}

/// How a built-in pack file is named in rule locations (`built-in:10-planning.yaml:13:5`): not a
/// path, since the file is inside the binary; `axiom rules init DIR` writes it out as
/// `DIR/10-planning.yaml`, where the same line and column hold the same rule.
pub const BUILT_IN: &str = "built-in:";

/// The source a rule set was loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOrigin {
    /// Given as text through the library API.
    Inline,
    /// `--rules PATH` (files or directories), in the order given.
    Flag(Vec<PathBuf>),
    /// `$AXIOM_RULES`, a `:`-separated list of files or directories.
    Env(Vec<PathBuf>),
    /// `.axiom/rules/` in the working directory: the project's rules.
    ProjectDir(PathBuf),
    /// `$XDG_CONFIG_HOME/axiom/rules/` (or `~/.config/axiom/rules/`).
    ConfigDir(PathBuf),
    /// The pack built into the binary.
    Embedded,
}

impl RuleOrigin {
    /// Picks the first source that applies, given the paths passed with `--rules`.
    pub fn resolve(flag_paths: &[PathBuf]) -> RuleOrigin {
        Self::resolve_from(flag_paths, true)
    }

    /// Like [`resolve`](Self::resolve), but without looking for rule directories: `--rules`,
    /// else `$AXIOM_RULES`, else the built-in pack. For `axiom hook`, which Claude Code runs on
    /// every tool call of the agent it judges: a directory the agent created (`.axiom/rules/`
    /// where it works, or the user's `~/.config/axiom/rules/`) would otherwise hold the rules
    /// it is judged by from its next call on. `axiom hooks install` names the directory that
    /// applies when it runs.
    pub fn resolve_named(flag_paths: &[PathBuf]) -> RuleOrigin {
        Self::resolve_from(flag_paths, false)
    }

    /// The user's rule directory, `$XDG_CONFIG_HOME/axiom/rules/` (or `~/.config/axiom/rules/`),
    /// if there is one.
    pub fn user_directory() -> Option<PathBuf> {
        user_rules_dir()
    }

    fn resolve_from(flag_paths: &[PathBuf], look: bool) -> RuleOrigin {
        if !flag_paths.is_empty() {
            return RuleOrigin::Flag(flag_paths.to_vec());
        }
        if let Some(value) = std::env::var_os("AXIOM_RULES").filter(|v| !v.is_empty()) {
            return RuleOrigin::Env(std::env::split_paths(&value).collect());
        }
        if !look {
            return RuleOrigin::Embedded;
        }
        let project = Path::new(PROJECT_RULES).to_path_buf();
        if project.is_dir() {
            return RuleOrigin::ProjectDir(project);
        }
        user_rules_dir().map_or(RuleOrigin::Embedded, RuleOrigin::ConfigDir)
    }

    /// Why these rules are the ones in force, in words for a log line.
    pub fn reason(&self) -> &'static str {
        match self {
            RuleOrigin::Inline => "given inline",
            RuleOrigin::Flag(_) => "named with --rules",
            RuleOrigin::Env(_) => "named by $AXIOM_RULES (no --rules)",
            RuleOrigin::ProjectDir(_) => "the project's rules (no --rules or $AXIOM_RULES)",
            RuleOrigin::ConfigDir(_) => "the user's rules (no --rules, $AXIOM_RULES or .axiom/rules/)",
            RuleOrigin::Embedded => "no rules were found in any of the places axiom looks",
        }
    }

    /// The files and directories this origin reads; empty for the embedded pack (and the pack
    /// named among paths, `--rules built-in`, is no path).
    pub fn paths(&self) -> Vec<PathBuf> {
        match self {
            RuleOrigin::Flag(paths) | RuleOrigin::Env(paths) => {
                paths.iter().filter(|path| !names_the_pack(path)).cloned().collect()
            }
            RuleOrigin::ProjectDir(dir) | RuleOrigin::ConfigDir(dir) => vec![dir.clone()],
            RuleOrigin::Inline | RuleOrigin::Embedded => Vec::new(),
        }
    }

    /// The rule files the paths name now: each file named, and the `*.yaml`/`*.yml` files of each
    /// directory named (one that cannot be listed gives none).
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for path in self.paths() {
            if path.is_dir() {
                files.extend(rule_files_in(&path).unwrap_or_default());
            } else {
                files.push(path);
            }
        }
        files
    }

    /// Whether the built-in pack is among the rules: alone, or named among paths.
    pub fn includes_the_pack(&self) -> bool {
        match self {
            RuleOrigin::Embedded => true,
            RuleOrigin::Flag(paths) | RuleOrigin::Env(paths) => paths.iter().any(|path| names_the_pack(path)),
            _ => false,
        }
    }

    fn documents(&self) -> Result<Vec<RuleDocument>, RuleErrors> {
        match self {
            RuleOrigin::Inline => Ok(Vec::new()),
            RuleOrigin::Embedded => Ok(pack_documents()),
            RuleOrigin::Flag(paths) | RuleOrigin::Env(paths) => read_paths(paths),
            _ => read_paths(&self.paths()),
        }
    }
}

/// The name that stands for the built-in pack among rule paths (`--rules built-in --rules
/// .axiom/rules`: the pack and the project's rules beside it). Always the pack, whatever is on
/// disk: the hook reads its rule paths where the agent works, and a directory the agent made
/// under that name must not replace the pack (`./built-in` names such a directory).
pub const PACK_NAME: &str = "built-in";

pub fn names_the_pack(path: &Path) -> bool {
    path.as_os_str() == PACK_NAME || path.as_os_str() == "builtin"
}

fn pack_documents() -> Vec<RuleDocument> {
    DEFAULT_PACK
        .iter()
        .zip(DEFAULT_PACK_JSON)
        .map(|((name, text), json)| RuleDocument::new(format!("{BUILT_IN}{name}"), *text).with_json(json))
        .collect()
}

impl fmt::Display for RuleOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |paths: &[PathBuf]| paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        match self {
            RuleOrigin::Inline => f.write_str("inline rules"),
            RuleOrigin::Flag(paths) => write!(f, "--rules {}", list(paths)),
            RuleOrigin::Env(paths) => write!(f, "$AXIOM_RULES ({})", list(paths)),
            RuleOrigin::ProjectDir(dir) => write!(f, "{}/ in the working directory", dir.display()),
            RuleOrigin::ConfigDir(dir) => write!(f, "{}", dir.display()),
            RuleOrigin::Embedded => f.write_str("the built-in default pack"),
        }
    }
}

impl RuleSet {
    /// Loads every rule file of `origin`.
    pub fn load(origin: RuleOrigin) -> Result<RuleSet, RuleErrors> {
        let documents = origin.documents()?;
        RuleSet::build(documents, origin)
    }
}

/// `$XDG_CONFIG_HOME/axiom/rules/` (or `~/.config/axiom/rules/`), if it is a directory.
fn user_rules_dir() -> Option<PathBuf> {
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")));
    config_home.map(|home| home.join("axiom").join("rules")).filter(|dir| dir.is_dir())
}

/// Reads files as given and directories as their `*.yaml`/`*.yml` files in name order.
fn read_paths(paths: &[PathBuf]) -> Result<Vec<RuleDocument>, RuleErrors> {
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if names_the_pack(path) {
            documents.extend(pack_documents());
            continue;
        }
        let files = if path.is_dir() {
            match rule_files_in(path) {
                Ok(files) if files.is_empty() => {
                    errors.push(file_error(path, "no rule files (*.yaml, *.yml) in this directory".into()));
                    continue;
                }
                Ok(files) => files,
                Err(err) => {
                    errors.push(file_error(path, format!("cannot list directory: {err}")));
                    continue;
                }
            }
        } else {
            vec![path.clone()]
        };
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => documents.push(RuleDocument::new(file.display().to_string(), text)),
                Err(err) => errors.push(file_error(&file, format!("cannot read rule file: {err}"))),
            }
        }
    }
    if errors.is_empty() {
        Ok(documents)
    } else {
        Err(RuleErrors(errors))
    }
}

fn rule_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() && matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn file_error(path: &Path, message: String) -> RuleError {
    RuleError { file: path.display().to_string(), line: 0, column: 0, rule: None, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packs_name_is_the_pack_whatever_is_on_disk_and_a_path_to_a_directory_is_that_directory() {
        let place = tempfile::tempdir().unwrap();
        std::fs::create_dir(place.path().join(PACK_NAME)).unwrap();
        std::fs::write(place.path().join(PACK_NAME).join("x.yaml"), "rules: []\n").unwrap();
        assert!(names_the_pack(Path::new(PACK_NAME)));
        assert!(!names_the_pack(&Path::new(".").join(PACK_NAME)));
        assert!(!names_the_pack(&place.path().join(PACK_NAME)));
        let pack = RuleSet::load(RuleOrigin::Flag(vec![PathBuf::from(PACK_NAME)])).unwrap();
        assert_eq!(pack.rules().len(), RuleSet::load(RuleOrigin::Embedded).unwrap().rules().len());
    }
}
