//! The real Claude Code CLI, run offline against a stand-in for the Anthropic Messages API that
//! the tests own. Used by the `claude_*` tests (stream-json driver, hooks) and the PTY tests.
//!
//! - [`claude_cli`] finds the pinned CLI ([`CLAUDE_CODE_VERSION`]); without it a test skips with a
//!   printed reason, except under CI (`CI` set), where a missing CLI is a failure.
//! - [`FakeApi`] is the model: a loopback HTTP server that answers each streaming `/v1/messages`
//!   request with the next scripted [`Reply`] (text and `tool_use` blocks as SSE), and logs every
//!   request, so a test asserts on what the model actually received.
//! - [`ClaudeHome`] is an isolated `HOME` whose `~/.claude.json` skips every first-run question
//!   (onboarding, folder trust, the API-key prompt, the bypass-permissions warning), and
//!   [`ClaudeHome::apply`] gives a command exactly the environment the CLI needs, nothing inherited
//!   from the machine's own Claude setup.
#![allow(dead_code)] // each test crate uses a different part of this module

mod api;

use std::path::{Path, PathBuf};
use std::process::Command;

pub use api::{user_texts, FakeApi, Reply};
use tempfile::TempDir;

/// The CLI version the tests are written against; `.ci/run` installs exactly this one.
pub const CLAUDE_CODE_VERSION: &str = "2.1.332";

/// The API key the CLI is given. The stand-in accepts any key; the interactive UI asks about a key
/// it has not seen unless `~/.claude.json` approves its last 20 characters.
pub const API_KEY: &str = "sk-ant-api03-axiom-tests-0123456789abcdefghij";

/// Where the platform binary sits inside an npm install of `@anthropic-ai/claude-code`.
const BINARY_IN_INSTALL: &str = "node_modules/@anthropic-ai/claude-code-linux-x64/claude";

/// The Claude Code binary: `$AXIOM_CLAUDE_BIN`; else the install `.ci/run` makes in
/// `.ci/claude-code/`; else a shared development install in `../claude-code/` next to the clone.
/// `None` (with the reason printed) when there is none and `CI` is unset; under CI a missing CLI
/// panics, since the tests must run there.
pub fn claude_cli() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = std::env::var_os("AXIOM_CLAUDE_BIN")
        .map(PathBuf::from)
        .into_iter()
        .chain([manifest.join(".ci/claude-code").join(BINARY_IN_INSTALL)])
        .chain(manifest.parent().map(|parent| parent.join("claude-code").join(BINARY_IN_INSTALL)));
    let tried: Vec<PathBuf> = candidates.collect();
    if let Some(found) = tried.iter().find(|path| path.is_file()) {
        return Some(found.clone());
    }
    let reason = format!(
        "Claude Code {CLAUDE_CODE_VERSION} not found (tried {tried:?}); install it with \
         `npm install --prefix .ci/claude-code @anthropic-ai/claude-code@{CLAUDE_CODE_VERSION}` or set AXIOM_CLAUDE_BIN"
    );
    if std::env::var_os("CI").is_some() {
        panic!("{reason}");
    }
    eprintln!("skipped: {reason}");
    None
}

/// An isolated home directory and project directory for one CLI session.
pub struct ClaudeHome {
    root: TempDir,
}

impl ClaudeHome {
    /// `home/` with a `~/.claude.json` that trusts `project/`, and an empty `project/`.
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("create a temp dir");
        let home = ClaudeHome { root };
        std::fs::create_dir(home.home()).unwrap();
        std::fs::create_dir(home.project()).unwrap();
        home.trust(&home.project());
        home
    }

    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// The working directory of the session.
    pub fn project(&self) -> PathBuf {
        self.root.path().join("project")
    }

    /// Rewrites `~/.claude.json` so the CLI starts in `project` without a question.
    pub fn trust(&self, project: &Path) {
        let key_suffix = &API_KEY[API_KEY.len() - 20..];
        let config = serde_json::json!({
            "hasCompletedOnboarding": true,
            "bypassPermissionsModeAccepted": true,
            "customApiKeyResponses": { "approved": [key_suffix], "rejected": [] },
            "projects": {
                project.to_string_lossy(): {
                    "hasTrustDialogAccepted": true,
                    "hasCompletedProjectOnboarding": true,
                    "allowedTools": [],
                }
            },
        });
        std::fs::write(self.home().join(".claude.json"), serde_json::to_string_pretty(&config).unwrap()).unwrap();
    }

    /// The environment a CLI session needs, talking to `api`: a clean slate (no variable from the
    /// machine's own Claude or Anthropic setup leaks in) with `PATH` kept.
    pub fn env(&self, api: &FakeApi) -> Vec<(String, String)> {
        let mut env = vec![
            ("HOME".to_owned(), self.home().to_string_lossy().into_owned()),
            ("ANTHROPIC_BASE_URL".to_owned(), api.url()),
            ("ANTHROPIC_API_KEY".to_owned(), API_KEY.to_owned()),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC".to_owned(), "1".to_owned()),
            ("DISABLE_TELEMETRY".to_owned(), "1".to_owned()),
            ("DISABLE_AUTOUPDATER".to_owned(), "1".to_owned()),
            // As root, the CLI refuses --dangerously-skip-permissions outside a sandbox.
            ("IS_SANDBOX".to_owned(), "1".to_owned()),
        ];
        for key in ["PATH", "LANG", "TMPDIR", "TERM"] {
            if let Ok(value) = std::env::var(key) {
                env.push((key.to_owned(), value));
            }
        }
        env
    }

    /// Clears the command's environment and sets [`env`](Self::env); runs it in the project.
    pub fn apply<'c>(&self, command: &'c mut Command, api: &FakeApi) -> &'c mut Command {
        command.env_clear().envs(self.env(api)).current_dir(self.project())
    }
}

impl Default for ClaudeHome {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `command` to the end with stdin closed and its output collected; kills it and panics if it
/// takes longer than `timeout`.
pub fn output_within(command: &mut Command, timeout: std::time::Duration) -> std::process::Output {
    use std::process::Stdio;
    let child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let child = child.expect("start the command");
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(timeout) {
        Ok(output) => output.expect("collect the command's output"),
        Err(_) => {
            // SAFETY: kill(2) on the pid of a child we started and have not reaped.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("{command:?} did not finish within {timeout:?}");
        }
    }
}
