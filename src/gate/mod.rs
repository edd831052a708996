//! A tool call judged before it runs, by `axiom hook` and by the hub for the claude driver's
//! `can_use_tool`: the `tool` rules over each reading of the call, and over the files it runs.
//!
//! A rule reads a call's line as the agent wrote it. Three things it cannot see there are read
//! here, where the call is about to run:
//! - **the supervision's own paths** written elsewhere than their defaults (a state directory,
//!   rules or a program installed under another name): the call is judged again with them
//!   written as the defaults, which the rules know ([`own_paths`]);
//! - **where its paths lead on disk**, through `..` and links an earlier call made ([`on_disk`]);
//! - **the files it runs**, which an earlier call may have written: scripts, `package.json`
//!   scripts, make's recipes, each judged as a call of its own ([`files_run`]).

mod files_run;
mod on_disk;
mod own_paths;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::pipeline::Intervention;
use crate::rules::{guard_rule_files, names_the_pack, RuleOrigin};

pub use files_run::UNREAD_FILE;

/// Judges lines of `tool` scope as calls starting in the given directory.
pub type Judge<'a> = dyn FnMut(Option<&Path>, &[String]) -> Vec<Intervention> + 'a;

/// What one call's judging found: the interventions of every reading and file, and every line
/// judged beyond the call's own, for the record.
#[derive(Debug, Default)]
pub struct Judged {
    pub fired: Vec<Intervention>,
    pub also_judged: Vec<String>,
}

/// The paths this process's supervision stands on, each with the default the rules know it by.
static OWN: OnceLock<Vec<(PathBuf, String)>> = OnceLock::new();

/// Takes the rules this process judges with from `origin` as its own, with its state directory
/// (`state_dir`, a hub's `--state-dir`; else where one is by default) and its program. Called
/// once, by `axiom hook` and the hub as they load their rules; a gate used before knows only the
/// default state directory and the program.
pub fn guard(origin: &RuleOrigin, state_dir: Option<&Path>) {
    let _ = OWN.set(own_paths_of(Some(origin), state_dir));
}

fn own_paths_of(origin: Option<&RuleOrigin>, state_dir: Option<&Path>) -> Vec<(PathBuf, String)> {
    let mut own = Vec::new();
    if let Ok(state_dir) = crate::state::StateDir::resolve(state_dir) {
        own.push((state_dir.path().to_owned(), own_paths::STATE_SPELLING.to_owned()));
    }
    if let Some(RuleOrigin::Flag(paths) | RuleOrigin::Env(paths)) = origin {
        let files: Vec<PathBuf> = paths.iter().filter(|path| !names_the_pack(path)).cloned().collect();
        // For command rules too (`args_hold_own_program`), wherever a call names them.
        guard_rule_files(&files);
        for path in files {
            let Ok(path) = std::path::absolute(path) else { continue };
            let spelled = match path.file_name().filter(|_| path.is_file()) {
                Some(name) => format!("{}/{}", own_paths::RULES_SPELLING, name.to_string_lossy()),
                None => own_paths::RULES_SPELLING.to_owned(),
            };
            own.push((path, spelled));
        }
    }
    if let Ok(program) = std::env::current_exe() {
        let real = program.canonicalize().ok().filter(|real| *real != program);
        for path in std::iter::once(program).chain(real) {
            own.push((path, own_paths::PROGRAM_SPELLING.to_owned()));
        }
    }
    own
}

/// Where a call runs, for judging it.
#[derive(Debug, Clone)]
pub struct Gate {
    /// The directory the call starts in, when known.
    pub start: Option<PathBuf>,
    /// The task (or, offline, the name) the gate's own interventions are for.
    pub task: Arc<str>,
}

impl Gate {
    pub fn new(start: Option<PathBuf>, task: Arc<str>) -> Gate {
        Gate { start, task }
    }

    /// `line` with the own paths written as the rules know them.
    fn as_judged(&self, line: String) -> String {
        let own = OWN.get_or_init(|| own_paths_of(None, None));
        let own: Vec<(&Path, &str)> = own.iter().map(|(path, spelled)| (path.as_path(), spelled.as_str())).collect();
        own_paths::spelled_as_default(&line, &own).unwrap_or(line)
    }

    /// The `tool` rules, through `judge`, over `line` (`TOOL: ARGUMENT`): as written, with its own
    /// paths and its paths on disk written as the rules know them, and over the files it runs.
    pub fn judge(&self, line: &str, judge: &mut Judge) -> Judged {
        let on_disk = self.start.as_deref().and_then(|start| on_disk::line_as_on_disk(line, start));
        let mut readings: Vec<String> = Vec::new();
        for reading in std::iter::once(line.to_owned()).chain(on_disk.clone()) {
            for reading in [self.as_judged(reading.clone()), reading] {
                if !readings.contains(&reading) {
                    readings.push(reading);
                }
            }
        }
        let mut judged =
            Judged { fired: judge(self.start.as_deref(), &readings), also_judged: on_disk.into_iter().collect() };
        if let Some(start) = &self.start {
            let as_judged = |line: String| self.as_judged(line);
            judged.fired.extend(files_run::judge(line, start, &self.task, &as_judged, judge, &mut judged.also_judged));
        }
        judged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hubs_own_state_directory_is_guarded_as_the_default_one() {
        let own = own_paths_of(None, Some(Path::new("/srv/supervisor")));
        assert!(own.contains(&(PathBuf::from("/srv/supervisor"), own_paths::STATE_SPELLING.to_owned())), "{own:?}");
    }
}
