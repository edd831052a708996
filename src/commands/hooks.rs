//! `axiom hooks install|uninstall`: the hooks block that runs `axiom hook` in Claude Code.
//!
//! Writes one command hook per event (`PreToolUse`, `PostToolUse`, `UserPromptSubmit`, `Stop`,
//! `SessionEnd`) into a Claude Code settings file, by default the project's
//! `.claude/settings.local.json` (not shared, not the user's global settings). Installing twice changes nothing; uninstall
//! removes exactly the entries whose command is axiom's hook command and leaves everything else
//! in the file as it was.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{json, Map, Value};

use crate::cli::{HooksArgs, HooksCommand, HooksInstallArgs, HooksScope};
use crate::rules::{names_the_pack, RuleOrigin, RuleSet, Scope, PROJECT_RULES};

/// The events `axiom hook` answers.
const EVENTS: [&str; 5] = ["PreToolUse", "PostToolUse", "UserPromptSubmit", "Stop", "SessionEnd"];

/// Seconds Claude Code gives the PreToolUse hook. It answers in milliseconds; a call that makes
/// it hang or crash (a shell line built to be slow to parse) must not get through for that, so a
/// failure of this hook blocks the call (`onFailure`, read by Claude Code 2.1.295 and later).
const GUARD_TIMEOUT_SECS: u64 = 30;

pub fn run(command: HooksCommand) -> anyhow::Result<ExitCode> {
    let (target, install) = match &command {
        HooksCommand::Install(args) => (&args.target, Some(args)),
        HooksCommand::Uninstall(args) => (&args.target, None),
    };
    let path = settings_path(target)?;
    let exe = std::env::current_exe().context("cannot find axiom's own path")?;
    let mut settings = read_settings(&path)?;
    let ours = AxiomHook::new(&exe);
    let changed = match install {
        Some(args) => {
            let rules = rules_to_name(args)?;
            add(&mut settings, &ours, &hook_command(&exe, &rules))
        }
        None => remove(&mut settings, &ours),
    }
    .with_context(|| format!("{}: not touching it", path.display()))?;
    if changed && install.is_none() && settings.is_empty() && leaves_no_trace(target.scope, &path) {
        // Nothing but the hooks was in the local settings, Claude Code's own untracked file: no
        // `{}` left behind.
        remove_settings(&path)?;
    } else if changed {
        write_settings(&path, &settings)?;
    }
    let install = install.is_some();
    let what = match (install, changed) {
        (true, true) => "installed in",
        (true, false) => "already installed in",
        (false, true) => "removed from",
        (false, false) => "not installed in",
    };
    crate::logging::note!("axiom: hooks ({}) {what} {}", EVENTS.join(", "), path.display());
    Ok(ExitCode::SUCCESS)
}

fn project_dir(args: &HooksArgs) -> anyhow::Result<PathBuf> {
    match &args.project {
        // A mistyped directory is an error, not a new `.claude/` in a directory made for it.
        Some(dir) if !dir.is_dir() => anyhow::bail!("--project {}: no such directory", dir.display()),
        Some(dir) => Ok(dir.clone()),
        None => std::env::current_dir().context("cannot find the current directory"),
    }
}

/// The `--rules` the hook gets: those given; else the rule directory axiom would find now, which
/// the hook does not look for by itself (see [`RuleOrigin::resolve_named`]); else none, and the
/// hook uses the built-in pack. The user's settings apply to every project, so they never name
/// one project's rules, and the project's are shared, so they never name a user's.
fn rules_to_name(args: &HooksInstallArgs) -> anyhow::Result<Vec<PathBuf>> {
    if !args.rules.is_empty() {
        // A hook whose rules do not load judges with the built-in pack, saying so only on its
        // stderr, which nobody reads: refused here, where the user is.
        if let Err(errors) = RuleSet::load(RuleOrigin::Flag(args.rules.clone())) {
            anyhow::bail!("--rules: these rules do not load, so the hook would not judge with them:\n{errors}");
        }
        warn_if_fewer_refusals(&args.rules);
        return Ok(args.rules.clone());
    }
    if std::env::var_os("AXIOM_RULES").is_some_and(|value| !value.is_empty()) {
        return Ok(Vec::new());
    }
    let project_rules = Some(project_dir(&args.target)?.join(PROJECT_RULES)).filter(|dir| dir.is_dir());
    let found = match args.target.scope {
        HooksScope::User => RuleOrigin::user_directory(),
        HooksScope::Project => project_rules,
        HooksScope::Local => project_rules.or_else(RuleOrigin::user_directory),
    };
    let Some(found) = found else { return Ok(Vec::new()) };
    crate::logging::note!(
        "axiom: the hooks will read {} (named with --rules). A task can edit files there like any of \
         yours; a rule like the built-in pack's tool-edit-own-supervision refuses tool calls that write them.",
        found.display()
    );
    let named = vec![found];
    warn_if_fewer_refusals(&named);
    Ok(named)
}

/// The rules named replace the built-in pack: a directory written for the output rules alone
/// would leave every tool call allowed. Say so, with what the pack would have refused.
fn warn_if_fewer_refusals(paths: &[PathBuf]) {
    let refusals = |rules: &crate::rules::RuleSet| {
        rules
            .rules()
            .iter()
            .filter(|rule| rule.scope == Scope::Tool && rule.action.refuses_call() && rule.enabled)
            .count()
    };
    let Ok(named) = RuleSet::load(RuleOrigin::Flag(paths.to_vec())) else { return };
    let Ok(built_in) = RuleSet::load(RuleOrigin::Embedded) else { return };
    let (named, built_in) = (refusals(&named), refusals(&built_in));
    if named < built_in {
        crate::logging::note!(
            "axiom: warning: {} has {} refusing tool calls where the built-in pack has {built_in}: named rules replace the \
             pack's, they do not add to them. `axiom rules init DIR` writes the pack out to start from.",
            paths.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", "),
            crate::human::count(named as u64, "rule"),
        );
    }
}

fn settings_path(args: &HooksArgs) -> anyhow::Result<PathBuf> {
    let project = project_dir(args)?;
    Ok(match args.scope {
        HooksScope::Local => project.join(".claude/settings.local.json"),
        HooksScope::Project => project.join(".claude/settings.json"),
        // Claude Code keeps its user settings in $CLAUDE_CONFIG_DIR when that is set.
        HooksScope::User => match std::env::var_os("CLAUDE_CONFIG_DIR").filter(|dir| !dir.is_empty()) {
            Some(dir) => Path::new(&dir).join("settings.json"),
            None => {
                let home = std::env::var_os("HOME").context("HOME is not set, so the user settings cannot be found")?;
                Path::new(&home).join(".claude/settings.json")
            }
        },
    })
}

/// `"/abs/path/axiom" hook [--rules …]`: quoted, since Claude Code runs it with a shell.
fn hook_command(exe: &Path, rules: &[PathBuf]) -> String {
    let mut words = vec![exe.to_string_lossy().into_owned(), "hook".to_owned()];
    for path in rules {
        // The hook runs where Claude Code works: a relative path would name another place. The
        // pack's name stays a name.
        let path = if names_the_pack(path) {
            path.clone()
        } else {
            std::path::absolute(path).unwrap_or_else(|_| path.clone())
        };
        words.push("--rules".to_owned());
        words.push(path.to_string_lossy().into_owned());
    }
    words.iter().map(|word| shell_quote(word)).collect::<Vec<_>>().join(" ")
}

fn shell_quote(word: &str) -> String {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn read_settings(path: &Path) -> anyhow::Result<Map<String, Value>> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(Map::new()),
        Ok(text) => match serde_json::from_str(&text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => anyhow::bail!("{} is not a JSON object; not touching it", path.display()),
            // serde_json counts a column 0 at a line's start (an early end of file): 1-based here.
            Err(err) => {
                anyhow::bail!("{}:{}:{}: {err}; not touching it", path.display(), err.line(), err.column().max(1))
            }
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(err) => Err(err).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Whether a settings file left empty may go: only the project's local one (not shared, not
/// tracked), and never a link (kept with the user's dotfiles, where `{}` may be committed). The
/// user's and the project's shared settings are written back as `{}`.
fn leaves_no_trace(scope: HooksScope, path: &Path) -> bool {
    scope == HooksScope::Local && std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_file())
}

fn remove_settings(path: &Path) -> anyhow::Result<()> {
    std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))
}

/// Writes the settings whole or not at all (a new file renamed over the old one), so that Claude
/// Code, which may be reading them, never sees half a file. A settings file that is a link (kept
/// with the user's dotfiles) stays one: its target is replaced. The new file has the old one's mode
/// from the start (settings may hold secrets in `env`).
fn write_settings(path: &Path, settings: &Map<String, Value>) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let path = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::canonicalize(path).with_context(|| format!("cannot follow the link {}", path.display()))?
        }
        _ => path.to_path_buf(),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let text = serde_json::to_string_pretty(settings)? + "\n";
    let mode = std::fs::metadata(&path).map_or(0o644, |old| old.permissions().mode() & 0o777);
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let staged = dir.join(format!(".{name}.axiom-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&staged)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .and_then(|()| std::fs::rename(&staged, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

/// Which hook commands are axiom's: `axiom hook`, with any `--rules`, run by this binary or by
/// any other program named `axiom` (or named as this one is). An install from another build (a
/// `cargo install` after trying `./target/release/axiom`) is then replaced, not doubled, and
/// uninstall removes it, whatever the binary's path.
struct AxiomHook {
    names: Vec<String>,
}

impl AxiomHook {
    fn new(exe: &Path) -> Self {
        let own = exe.file_name().map(|name| name.to_string_lossy().into_owned());
        AxiomHook { names: ["axiom".to_owned()].into_iter().chain(own).collect() }
    }

    fn runs(&self, command: &str) -> bool {
        let Some(words) = shlex::split(command) else { return false };
        let program = words.first().map(|first| first.rsplit('/').next().unwrap_or(first));
        if !program.is_some_and(|program| self.names.iter().any(|name| name == program))
            || words.get(1).map(String::as_str) != Some("hook")
        {
            return false;
        }
        // What may follow is what `hook_command` writes: `--rules PATH`, any number of times.
        words[2..].chunks(2).all(|pair| pair.len() == 2 && pair[0] == "--rules")
    }

    /// Whether a settings entry holds one of axiom's hook commands.
    fn in_entry(&self, entry: &Value) -> bool {
        entry["hooks"]
            .as_array()
            .is_some_and(|hooks| hooks.iter().any(|h| h["command"].as_str().is_some_and(|c| self.runs(c))))
    }
}

/// The `hooks` block, which must be an object of lists (`hooks.EVENT: [...]`) if it is there.
fn hooks_block(settings: &mut Map<String, Value>) -> anyhow::Result<Option<&mut Map<String, Value>>> {
    match settings.get_mut("hooks") {
        None => Ok(None),
        Some(Value::Object(hooks)) => {
            if let Some((event, _)) =
                hooks.iter().find(|(event, entries)| EVENTS.contains(&event.as_str()) && !entries.is_array())
            {
                anyhow::bail!("`hooks.{event}` is not a list of hook entries");
            }
            Ok(Some(hooks))
        }
        Some(_) => anyhow::bail!("`hooks` is not an object of events (`\"hooks\": {{\"PreToolUse\": [...]}}`)"),
    }
}

/// Adds axiom's entry `hook` to each event that lacks it, in place of one axiom installed before
/// (other `--rules`, another binary), so two hooks never judge the same call; whether anything
/// changed.
fn add(settings: &mut Map<String, Value>, ours: &AxiomHook, hook: &str) -> anyhow::Result<bool> {
    if hooks_block(settings)?.is_none() {
        settings.insert("hooks".to_owned(), json!({}));
    }
    let hooks = hooks_block(settings)?.expect("just made");
    let mut changed = false;
    for event in EVENTS {
        let Value::Array(entries) = hooks.entry(event).or_insert_with(|| json!([])) else { unreachable!("checked") };
        if let Some(old) = entries.iter_mut().find(|entry| ours.in_entry(entry)) {
            for command in old["hooks"].as_array_mut().into_iter().flatten() {
                if command["command"].as_str().is_some_and(|c| ours.runs(c)) {
                    changed |= command["command"] != hook;
                    command["command"] = json!(hook);
                    changed |= guard(event, command);
                }
            }
            continue;
        }
        let mut command = json!({ "type": "command", "command": hook });
        guard(event, &mut command);
        let mut entry = json!({ "hooks": [command] });
        if event.ends_with("ToolUse") {
            entry["matcher"] = json!("*");
        }
        entries.push(entry);
        changed = true;
    }
    Ok(changed)
}

/// Makes a failure of the PreToolUse hook block the call; whether that changed `command`.
fn guard(event: &str, command: &mut Value) -> bool {
    if event != "PreToolUse" {
        return false;
    }
    let before = command.clone();
    command["timeout"] = json!(GUARD_TIMEOUT_SECS);
    command["onFailure"] = json!("block");
    *command != before
}

/// Removes axiom's entries (and the lists and block they leave empty); whether anything changed.
fn remove(settings: &mut Map<String, Value>, ours: &AxiomHook) -> anyhow::Result<bool> {
    let Some(hooks) = hooks_block(settings)? else { return Ok(false) };
    let mut changed = false;
    for event in EVENTS {
        let Some(Value::Array(entries)) = hooks.get_mut(event) else { continue };
        let before = entries.len();
        entries.retain(|entry| !ours.in_entry(entry));
        changed |= entries.len() != before;
        if entries.is_empty() && before > 0 {
            hooks.shift_remove(event);
        }
    }
    if hooks.is_empty() && changed {
        settings.shift_remove("hooks");
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours() -> AxiomHook {
        AxiomHook::new(Path::new("/bin/axiom"))
    }

    #[test]
    fn install_is_idempotent_and_uninstall_restores_the_file_exactly() {
        let original: Map<String, Value> = serde_json::from_value(json!({
            "permissions": { "allow": ["Bash(npm test)"] },
            "hooks": { "Stop": [{ "hooks": [{ "type": "command", "command": "notify-send done" }] }] },
            "env": { "B": "1", "A": "2" }
        }))
        .unwrap();
        let mut settings = original.clone();
        assert!(add(&mut settings, &ours(), "/bin/axiom hook").unwrap());
        let once = settings.clone();
        assert!(!add(&mut settings, &ours(), "/bin/axiom hook").unwrap(), "a second install changed the file");
        assert_eq!(settings, once);
        assert_eq!(settings["hooks"]["Stop"].as_array().unwrap().len(), 2);
        assert_eq!(settings["hooks"]["PreToolUse"][0]["matcher"], "*");
        // A tool call that makes the hook hang or fail is blocked, not let through.
        assert_eq!(settings["hooks"]["PreToolUse"][0]["hooks"][0]["onFailure"], "block");
        assert_eq!(settings["hooks"]["PreToolUse"][0]["hooks"][0]["timeout"], GUARD_TIMEOUT_SECS);
        assert!(settings["hooks"]["Stop"][1]["hooks"][0].get("onFailure").is_none());
        assert!(remove(&mut settings, &ours()).unwrap());
        assert_eq!(settings, original);
        // Written back in the order the user wrote it, not sorted.
        let text = serde_json::to_string(&settings).unwrap();
        assert!(text.find("permissions") < text.find("hooks") && text.find("\"B\"") < text.find("\"A\""), "{text}");
        assert!(!remove(&mut settings, &ours()).unwrap());

        assert!(add(&mut settings, &ours(), "/bin/axiom hook --rules /p/.axiom/rules").unwrap());
        let foreign = json!({ "hooks": [{ "type": "command", "command": "/bin/axiom-dev hook-other" }] });
        settings["hooks"]["Stop"].as_array_mut().unwrap().push(foreign);
        assert!(
            !add(&mut settings, &ours(), "/bin/axiom hook --rules /p/.axiom/rules").unwrap(),
            "another command is not axiom's hook"
        );
        let one_each = |settings: &Map<String, Value>| settings["hooks"]["Stop"].as_array().unwrap().len();
        assert_eq!(one_each(&settings), 3, "{settings:?}");
        assert!(add(&mut settings, &ours(), "/bin/axiom hook --rules /q").unwrap(), "a reinstall with other rules");
        assert_eq!(one_each(&settings), 3, "replaces the entry rather than adding a second: {settings:?}");
        assert_eq!(settings["hooks"]["Stop"][1]["hooks"][0]["command"], "/bin/axiom hook --rules /q");
        assert!(remove(&mut settings, &ours()).unwrap(), "uninstall removes the hook whatever its rules");
        assert_eq!(settings["hooks"]["Stop"][1]["hooks"][0]["command"], "/bin/axiom-dev hook-other");
        assert_eq!(settings["hooks"]["Stop"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_hook_another_axiom_binary_installed_is_replaced_and_removed() {
        let mut settings = Map::new();
        assert!(add(&mut settings, &ours(), "'/home/me/src/axiom/target/release/axiom' hook").unwrap());
        let installed = AxiomHook::new(Path::new("/home/me/.cargo/bin/axiom"));
        assert!(add(&mut settings, &installed, "/home/me/.cargo/bin/axiom hook").unwrap());
        let pre = settings["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 1, "one hook judges each call: {pre:?}");
        assert_eq!(pre[0]["hooks"][0]["command"], "/home/me/.cargo/bin/axiom hook");
        assert!(remove(&mut settings, &AxiomHook::new(Path::new("/opt/axiom-1.2/axiom"))).unwrap());
        assert!(settings.is_empty(), "{settings:?}");
        // Not axiom's: another program's `hook`, or axiom's with more than it writes.
        for command in ["/bin/git hook run pre-commit", "/bin/axiom hook --fail-closed", "/bin/axiom hooks install"] {
            assert!(!ours().runs(command), "{command}");
        }
    }

    #[test]
    fn a_hooks_block_of_another_shape_is_an_error_not_a_success() {
        for settings in [json!({"hooks": []}), json!({"hooks": {"PreToolUse": "oops"}})] {
            let mut settings: Map<String, Value> = serde_json::from_value(settings).unwrap();
            let before = settings.clone();
            assert!(add(&mut settings, &ours(), "/bin/axiom hook").is_err(), "{settings:?}");
            assert!(remove(&mut settings, &ours()).is_err(), "{settings:?}");
            assert_eq!(settings, before, "nothing was changed");
        }
    }

    #[test]
    fn an_install_from_before_the_guard_gets_it() {
        let mut settings: Map<String, Value> = serde_json::from_value(json!({
            "hooks": { "PreToolUse": [{ "matcher": "*", "hooks": [{ "type": "command", "command": "/bin/axiom hook" }] }] }
        }))
        .unwrap();
        assert!(add(&mut settings, &ours(), "/bin/axiom hook").unwrap());
        let entries = settings["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0]["hooks"][0]["onFailure"], "block");
    }

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("/usr/bin/axiom"), "/usr/bin/axiom");
        assert_eq!(shell_quote("/my rules/it's"), "'/my rules/it'\\''s'");
    }
}
