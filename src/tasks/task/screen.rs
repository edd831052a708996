//! A pty task's virtual terminal: what it was built from, resizes, and rebuilding it after a restart.

use std::time::Instant;

use super::*;

/// What a pty task's screen stage was built from: kept to record resizes and rebuild after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ScreenSetup {
    pub(super) rows: u16,
    pub(super) cols: u16,
    pub(super) prompt_pattern: Option<String>,
}

impl ScreenSetup {
    fn event(&self) -> Event {
        Event::Screen { rows: self.rows, cols: self.cols, prompt_pattern: self.prompt_pattern.clone() }
    }
}

impl Task {
    /// The task's output is drawn on a terminal of `rows` x `cols` (pty driver): from now on its
    /// rules match the rows of a virtual terminal as they settle, not the byte stream, and `prompt`
    /// tells when the agent waits at its own prompt (idle, not silent). Called before any output.
    ///
    /// # Errors
    ///
    /// `prompt_pattern` is not a usable regex (see [`PromptSpec::custom`](crate::pipeline::PromptSpec::custom)).
    pub fn use_screen(&self, rows: u16, cols: u16, prompt_pattern: Option<String>) -> Result<(), String> {
        crate::pipeline::PromptSpec::from_pattern(prompt_pattern.as_deref())?;
        let setup = ScreenSetup { rows, cols, prompt_pattern };
        let mut pipeline = self.pipeline();
        *pipeline = screen_pipeline(self, &pipeline, &setup);
        self.log(&setup.event());
        self.state().screen = Some(setup);
        Ok(())
    }

    /// The task's terminal was resized: the virtual terminal follows, and the worker is told to
    /// resize the child's. Does nothing for a task on pipes beyond telling the worker.
    pub fn resize(&self, rows: u16, cols: u16) -> Result<(), TaskError> {
        let now = Instant::now();
        let mut pipeline = self.pipeline();
        let fired = pipeline.resize(rows, cols, now);
        let mut state = self.state();
        let messages = self.record(&mut state, &mut pipeline, fired, now);
        if state.status.is_finished() {
            return Err(TaskError::NotRunning(self.id.clone(), state.status.name()));
        }
        if let Some(setup) = state.screen.as_mut().filter(|setup| (setup.rows, setup.cols) != (rows, cols)) {
            (setup.rows, setup.cols) = (rows, cols);
            self.log(&setup.event());
        }
        // Interventions are in the command log and go with the next attach if this send fails. A
        // resize is not logged: a worker that is away misses it, and the next resize catches up.
        if let Some(worker) = &state.worker {
            for message in messages.into_iter().chain([HubToWorker::Resize { rows, cols }]) {
                let _ = worker.try_send(message);
            }
        }
        drop(state);
        drop(pipeline);
        self.bump();
        Ok(())
    }
}

/// A pipeline over the same rules and options as `current`, drawing on a virtual terminal as
/// `setup` says. A pattern that no longer compiles (a history edited by hand) falls back to
/// Claude Code's prompt, with a warning.
pub(super) fn screen_pipeline(task: &Task, current: &Pipeline, setup: &ScreenSetup) -> Pipeline {
    let options = current.options().on_screen(setup.rows, setup.cols);
    let mut pipeline = Pipeline::new(Arc::clone(current.rules()), Scope::Output, task.id.as_str(), options);
    let prompt = crate::pipeline::PromptSpec::from_pattern(setup.prompt_pattern.as_deref()).unwrap_or_else(|err| {
        tracing::warn!(task = %task.id, "prompt pattern: {err}; using Claude Code's");
        crate::pipeline::PromptSpec::claude_code()
    });
    pipeline.set_prompt(Some(prompt));
    pipeline
}
