//! The pipe driver: stdin, stdout and stderr as three pipes, the child in a process group of its own.

use std::process::Stdio;

use super::handle::Started;
use super::input::CloseMode;
use super::signals;
use super::{OutputStream, SpawnError, SpawnSpec};

/// Start `spec` on pipes. The caller checked that `argv` is not empty and `cwd` exists.
pub(crate) fn start(spec: &SpawnSpec) -> Result<Started, SpawnError> {
    let program = spec.program();
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(&spec.argv[1..])
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // pgid = pid: signals reach the child's own children too, and never the worker.
        .process_group(0);
    let worker = signals::this_process();
    // SAFETY: the closure only calls async-signal-safe functions (see `prepare_child`).
    unsafe {
        cmd.pre_exec(move || signals::prepare_child(worker));
    }
    if let Some(cwd) = &spec.cwd {
        cmd.current_dir(cwd);
    }
    let mut child = cmd.spawn().map_err(|err| SpawnError::from_spawn(program, err))?;

    let missing = |what: &str| SpawnError::Io {
        program: program.to_string(),
        source: std::io::Error::other(format!("the child's {what} was not captured")),
    };
    let stdin = child.stdin.take().ok_or_else(|| missing("stdin"))?;
    let stdout = child.stdout.take().ok_or_else(|| missing("stdout"))?;
    let stderr = child.stderr.take().ok_or_else(|| missing("stderr"))?;
    Ok(Started {
        child,
        outputs: vec![(OutputStream::Stdout, Box::pin(stdout)), (OutputStream::Stderr, Box::pin(stderr))],
        input: Box::pin(stdin),
        close: CloseMode::Drop,
        pty: None,
    })
}
