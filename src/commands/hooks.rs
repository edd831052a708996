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
use crate::rules::{RuleOrigin, RuleSet, Scope, PROJECT_RULES};

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
    let changed = match install {
        Some(args) => {
            let rules = rules_to_name(args)?;
            add(&mut settings, &hook_command(&exe, &[]), &hook_command(&exe, &rules))
        }
        None => remove(&mut settings, &hook_command(&exe, &[])),
    };
    let install = install.is_some();
    if changed {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&settings)? + "\n";
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
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
        HooksScope::User => {
            let home = std::env::var_os("HOME").context("HOME is not set, so the user settings cannot be found")?;
            Path::new(&home).join(".claude/settings.json")
        }
    })
}

/// `"/abs/path/axiom" hook [--rules …]`: quoted, since Claude Code runs it with a shell.
fn hook_command(exe: &Path, rules: &[PathBuf]) -> String {
    let mut words = vec![exe.to_string_lossy().into_owned(), "hook".to_owned()];
    for path in rules {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
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
            Err(err) => anyhow::bail!("{}:{}:{}: {err}; not touching it", path.display(), err.line(), err.column()),
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(err) => Err(err).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Whether `entry` runs `hook` exactly, or, with `any_rules`, `hook` with whatever `--rules`
/// (uninstall and reinstall must not depend on what the project held at install time).
fn is_ours(entry: &Value, hook: &str, any_rules: bool) -> bool {
    entry["hooks"].as_array().is_some_and(|hooks| {
        hooks.iter().any(|h| h["command"].as_str().is_some_and(|command| runs_hook(command, hook, any_rules)))
    })
}

fn runs_hook(command: &str, hook: &str, any_rules: bool) -> bool {
    command == hook || (any_rules && command.strip_prefix(hook).is_some_and(|rest| rest.starts_with(" --rules ")))
}

/// Adds axiom's entry `hook` to each event that lacks it, in place of one axiom installed with
/// other `--rules` (`base` is the hook without any), so two hooks never judge the same call;
/// whether anything changed.
fn add(settings: &mut Map<String, Value>, base: &str, hook: &str) -> bool {
    let hooks = settings.entry("hooks").or_insert_with(|| json!({}));
    let Value::Object(hooks) = hooks else { return false };
    let mut changed = false;
    for event in EVENTS {
        let entries = hooks.entry(event).or_insert_with(|| json!([]));
        let Value::Array(entries) = entries else { continue };
        if let Some(old) = entries.iter_mut().find(|entry| is_ours(entry, base, true)) {
            for command in old["hooks"].as_array_mut().into_iter().flatten() {
                if command["command"].as_str().is_some_and(|c| runs_hook(c, base, true)) {
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
    changed
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

/// Removes axiom's entries, `hook` with any `--rules` (and the lists and block they leave empty);
/// whether anything changed.
fn remove(settings: &mut Map<String, Value>, hook: &str) -> bool {
    let Some(Value::Object(hooks)) = settings.get_mut("hooks") else { return false };
    let mut changed = false;
    for event in EVENTS {
        let Some(Value::Array(entries)) = hooks.get_mut(event) else { continue };
        let before = entries.len();
        entries.retain(|entry| !is_ours(entry, hook, true));
        changed |= entries.len() != before;
        if entries.is_empty() && before > 0 {
            hooks.remove(event);
        }
    }
    if hooks.is_empty() && changed {
        settings.remove("hooks");
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_is_idempotent_and_uninstall_restores_the_file_exactly() {
        let original: Map<String, Value> = serde_json::from_value(json!({
            "permissions": { "allow": ["Bash(npm test)"] },
            "hooks": { "Stop": [{ "hooks": [{ "type": "command", "command": "notify-send done" }] }] }
        }))
        .unwrap();
        let mut settings = original.clone();
        assert!(add(&mut settings, "/bin/axiom hook", "/bin/axiom hook"));
        let once = settings.clone();
        assert!(!add(&mut settings, "/bin/axiom hook", "/bin/axiom hook"), "a second install changed the file");
        assert_eq!(settings, once);
        assert_eq!(settings["hooks"]["Stop"].as_array().unwrap().len(), 2);
        assert_eq!(settings["hooks"]["PreToolUse"][0]["matcher"], "*");
        // A tool call that makes the hook hang or fail is blocked, not let through.
        assert_eq!(settings["hooks"]["PreToolUse"][0]["hooks"][0]["onFailure"], "block");
        assert_eq!(settings["hooks"]["PreToolUse"][0]["hooks"][0]["timeout"], GUARD_TIMEOUT_SECS);
        assert!(settings["hooks"]["Stop"][1]["hooks"][0].get("onFailure").is_none());
        assert!(remove(&mut settings, "/bin/axiom hook"));
        assert_eq!(settings, original);
        assert!(!remove(&mut settings, "/bin/axiom hook"));

        assert!(add(&mut settings, "/bin/axiom hook", "/bin/axiom hook --rules /p/.axiom/rules"));
        assert!(
            add(&mut settings, "/bin/axiom hook-other", "/bin/axiom hook-other"),
            "another command is not axiom's hook"
        );
        let one_each = |settings: &Map<String, Value>| settings["hooks"]["Stop"].as_array().unwrap().len();
        assert_eq!(one_each(&settings), 3, "{settings:?}");
        assert!(add(&mut settings, "/bin/axiom hook", "/bin/axiom hook --rules /q"), "a reinstall with other rules");
        assert_eq!(one_each(&settings), 3, "replaces the entry rather than adding a second: {settings:?}");
        assert!(is_ours(&settings["hooks"]["Stop"][1], "/bin/axiom hook --rules /q", false));
        assert!(remove(&mut settings, "/bin/axiom hook"), "uninstall removes the hook whatever its rules");
        assert!(settings["hooks"]["Stop"].as_array().unwrap().iter().any(|e| is_ours(
            e,
            "/bin/axiom hook-other",
            false
        )));
        assert_eq!(settings["hooks"]["Stop"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn an_install_from_before_the_guard_gets_it() {
        let mut settings: Map<String, Value> = serde_json::from_value(json!({
            "hooks": { "PreToolUse": [{ "matcher": "*", "hooks": [{ "type": "command", "command": "/bin/axiom hook" }] }] }
        }))
        .unwrap();
        assert!(add(&mut settings, "/bin/axiom hook", "/bin/axiom hook"));
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
