//! What `axiom_spawn` does before a worker starts: build the argv (the agent command, `{prompt}`
//! substitution), check the prompt against the prompt rules, and catch a missing program or
//! working directory early, with a message a model can act on.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::pipeline::{Intervention, Pipeline, PipelineOptions};
use crate::rules::{Action, RuleSet, Scope};

/// The placeholder replaced by the prompt in every argv element.
pub const PROMPT_PLACEHOLDER: &str = "{prompt}";

/// The agent `axiom_spawn` runs when no command is given.
pub const DEFAULT_AGENT_COMMAND: &str = "claude -p {prompt}";

/// Parses `--agent-command`: a JSON array of strings (`["claude","-p","{prompt}"]`), or words
/// separated by whitespace (no shell, no quoting).
pub fn parse_agent_command(text: &str) -> Result<Vec<String>, String> {
    let text = text.trim();
    let argv: Vec<String> = if text.starts_with('[') {
        serde_json::from_str(text).map_err(|err| format!("--agent-command is not a JSON array of strings: {err}"))?
    } else {
        text.split_whitespace().map(str::to_owned).collect()
    };
    if argv.is_empty() || argv[0].is_empty() {
        return Err("--agent-command is empty; give the program to run, e.g. 'claude -p {prompt}'".to_owned());
    }
    Ok(argv)
}

/// The argv to run: `command`, or the agent command, with `{prompt}` replaced. Also returns a
/// note when a prompt was given but nothing uses it.
pub fn build_argv(
    command: Option<Vec<String>>,
    prompt: Option<&str>,
    agent_command: &[String],
) -> Result<(Vec<String>, Option<String>), String> {
    let from_agent = command.is_none();
    let template = match command {
        Some(command) if command.is_empty() || command[0].is_empty() => {
            return Err("`command` is empty: give the program and its arguments, e.g. [\"npm\", \"test\"], \
                        or omit `command` to run the agent command with `prompt`"
                .to_owned())
        }
        Some(command) => command,
        None if prompt.is_none() => {
            return Err(format!(
                "give `command` (argv, e.g. [\"npm\", \"test\"]) or `prompt` (runs the agent command: {})",
                agent_command.join(" ")
            ))
        }
        None => agent_command.to_vec(),
    };
    let uses_prompt = template.iter().any(|arg| arg.contains(PROMPT_PLACEHOLDER));
    match prompt {
        Some(prompt) => {
            let argv = template.iter().map(|arg| arg.replace(PROMPT_PLACEHOLDER, prompt)).collect();
            let note = (!uses_prompt).then(|| {
                if from_agent {
                    "the agent command has no {prompt} placeholder, so the prompt was only checked, not passed"
                        .to_owned()
                } else {
                    "`command` has no {prompt} placeholder, so the prompt was only checked, not passed; \
                     put {prompt} where the command expects it"
                        .to_owned()
                }
            });
            Ok((argv, note))
        }
        None if uses_prompt => {
            Err("`command` contains {prompt} but no `prompt` was given; pass `prompt` or remove the placeholder"
                .to_owned())
        }
        None => Ok((template, None)),
    }
}

/// What the prompt rules say about a prompt.
#[derive(Debug, Default)]
pub struct PromptVerdict {
    /// A `kill` rule fired: the spawn is refused.
    pub refused: Option<Intervention>,
    /// Rules that fired without refusing.
    pub warnings: Vec<Intervention>,
}

/// Runs the prompt through the rules of scope `prompt`, in the same offline pipeline as
/// `axiom check --scope prompt`. Each line is judged on its own. A rule whose action is `kill`
/// refuses the spawn; any other action lets it through with a warning.
pub fn check_prompt(rules: &Arc<RuleSet>, prompt: &str) -> PromptVerdict {
    let mut verdict = PromptVerdict::default();
    for intervention in run_offline(rules, Scope::Prompt, "prompt", prompt) {
        if intervention.action == Action::Kill && verdict.refused.is_none() {
            verdict.refused = Some(intervention);
        } else {
            verdict.warnings.push(intervention);
        }
    }
    verdict
}

/// Text through a fresh offline pipeline of `scope`: what `axiom check` reports for it.
pub fn run_offline(rules: &Arc<RuleSet>, scope: Scope, source: &str, text: &str) -> Vec<Intervention> {
    let mut pipeline = Pipeline::new(Arc::clone(rules), scope, source, PipelineOptions::offline());
    let now = Instant::now();
    let mut fired = pipeline.push(text.as_bytes(), now);
    fired.extend(pipeline.finish(now));
    fired
}

/// Resolves `cwd` against the server's working directory and checks that it is a directory.
pub fn resolve_cwd(cwd: Option<&str>) -> Result<Option<PathBuf>, String> {
    let Some(cwd) = cwd else { return Ok(None) };
    let path = PathBuf::from(cwd);
    let path = if path.is_relative() {
        std::env::current_dir().map_err(|err| format!("cannot resolve `cwd` {cwd}: {err}"))?.join(path)
    } else {
        path
    };
    if !path.is_dir() {
        return Err(format!(
            "working directory `{}` does not exist or is not a directory; pass an existing directory as `cwd`",
            path.display()
        ));
    }
    Ok(Some(path))
}

/// Checks that `program` can be run: a path (relative to `cwd`) must be an executable file, a
/// bare name must be found in `PATH` (the task's, when `env` sets one).
pub fn check_program(program: &str, cwd: Option<&Path>, path_env: Option<OsString>) -> Result<(), String> {
    if program.contains('/') {
        let path = match cwd {
            Some(cwd) if Path::new(program).is_relative() => cwd.join(program),
            _ => PathBuf::from(program),
        };
        return match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o111 != 0 => Ok(()),
            Ok(meta) if meta.is_file() => {
                Err(format!("`{program}` is not executable; make it executable or run it through its interpreter"))
            }
            Ok(_) => Err(format!("`{program}` is a directory, not a program")),
            Err(_) => Err(format!("`{program}` does not exist (looked at {}); check the path", path.display())),
        };
    }
    let search = path_env.or_else(|| std::env::var_os("PATH")).unwrap_or_default();
    let found = std::env::split_paths(&search).any(|dir| {
        let dir = match cwd {
            Some(cwd) if dir.is_relative() => cwd.join(dir),
            _ => dir,
        };
        std::fs::metadata(dir.join(program))
            .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    });
    if found {
        Ok(())
    } else {
        Err(format!("command not found: `{program}` is not in PATH; check the name, install it, or give its full path"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn prompt_is_substituted_in_every_element() {
        let (built, note) =
            build_argv(Some(argv(&["agent", "--task={prompt}", "{prompt}"])), Some("fix it"), &[]).unwrap();
        assert_eq!(built, argv(&["agent", "--task=fix it", "fix it"]));
        assert!(note.is_none());
    }

    #[test]
    fn agent_command_runs_when_command_is_omitted() {
        let agent = parse_agent_command(DEFAULT_AGENT_COMMAND).unwrap();
        let (built, _) = build_argv(None, Some("add tests"), &agent).unwrap();
        assert_eq!(built, argv(&["claude", "-p", "add tests"]));
        assert!(build_argv(None, None, &agent).is_err());
        assert_eq!(parse_agent_command(r#"["my agent", "{prompt}"]"#).unwrap(), argv(&["my agent", "{prompt}"]));
    }

    #[test]
    fn placeholder_without_prompt_and_prompt_without_placeholder() {
        assert!(build_argv(Some(argv(&["a", "{prompt}"])), None, &[]).is_err());
        let (_, note) = build_argv(Some(argv(&["a"])), Some("p"), &[]).unwrap();
        assert!(note.unwrap().contains("only checked"));
        assert!(build_argv(Some(Vec::new()), None, &[]).is_err());
    }

    #[test]
    fn programs_are_looked_up_like_exec_does() {
        assert!(check_program("sh", None, None).is_ok());
        assert!(check_program("definitely-not-a-program-axiom", None, None).unwrap_err().contains("not in PATH"));
        assert!(check_program("/bin/sh", None, None).is_ok());
        assert!(check_program("./nope.sh", Some(Path::new("/")), None).unwrap_err().contains("does not exist"));
    }
}
