//! The tools. Each one is a thin layer over the hub and its tasks: check the arguments, act,
//! and describe the outcome (or what to do instead) in words a model can act on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::ProgressNotificationParam;
use rmcp::service::RequestContext;
use rmcp::{tool, tool_router, Peer, RoleServer};

use super::output::{self, Window, DEFAULT_MAX_BYTES, LARGEST_MAX_BYTES};
use super::spawn::{build_argv, check_program, check_prompt, resolve_cwd, run_offline};
use super::types::*;
use super::AxiomMcp;
use crate::hub::SpawnRequest;
use crate::protocol::TaskStatus;
use crate::rules::{Action, RuleSummary, Scope, Subject};
use crate::tasks::{Task, TaskError};
use crate::worker::Driver;

/// How long `axiom_spawn` waits for the worker to report the command running (so it can return
/// the pid, or the reason it could not start). It never waits for output.
const SPAWN_SETTLE: Duration = Duration::from_millis(500);
/// How often `axiom_wait` reports progress when the request carries a progress token.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// The longest `axiom_wait`.
const LONGEST_WAIT_S: f64 = 3600.0;

/// A tool's failure, as the text of an `isError` result.
type Failure = String;

#[tool_router(vis = "pub(super)")]
impl AxiomMcp {
    #[tool(
        name = "axiom_spawn",
        description = "Start a command or a coding agent as a supervised background task and return at once \
(within a fraction of a second) with its task_id and pid; it does not wait for the task. axiom watches everything \
the task prints with its rules and steps in by itself: it types corrections into the agent's input, interrupts it, \
or kills it. Give `command` as argv (no shell; use [\"sh\",\"-c\",\"...\"] for pipes), or only `prompt` to run the \
configured agent command (default: claude -p {prompt}); `{prompt}` inside command elements is replaced by the \
prompt. The prompt is checked against the prompt rules first: a dangerous request is refused with the reason, a \
vague one starts with `warnings`. Next: axiom_wait (until exit or intervention) instead of polling, axiom_output to \
read what it printed, axiom_send / axiom_interrupt / axiom_kill to steer it.",
        annotations(
            title = "Start a supervised task",
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = true
        )
    )]
    async fn axiom_spawn(
        &self,
        Parameters(args): Parameters<SpawnArgs>,
        peer: Peer<RoleServer>,
    ) -> Result<Json<SpawnResult>, Failure> {
        let shared = &self.shared;
        // The configured agent command is the agent, whatever its program is called (a wrapper
        // script around claude, say); a command given is judged by its program unless told.
        let runs_the_agent_command = args.command.is_none();
        let (argv, note) = build_argv(args.command, args.prompt.as_deref(), &shared.config.agent_command)?;
        let mut warnings = Vec::new();
        if let Some(prompt) = args.prompt.as_deref() {
            let verdict = check_prompt(&shared.hub.tasks.rules(), prompt);
            if let Some(refusal) = verdict.refused {
                return Err(format!(
                    "spawn refused by prompt rule `{}` ({}): {} [matched: {:?}] Nothing was started; change the prompt and call axiom_spawn again.",
                    refusal.rule,
                    refusal.severity,
                    refusal.message.as_deref().unwrap_or("the prompt matched a rule that refuses spawns"),
                    refusal.matched,
                ));
            }
            warnings.extend(verdict.warnings.into_iter().map(|warning| PromptWarning {
                rule: warning.rule,
                severity: warning.severity.as_str().to_owned(),
                message: warning.message,
                matched: warning.matched,
            }));
        }
        if let Some(note) = note {
            warnings.push(PromptWarning {
                rule: "prompt-unused".into(),
                severity: "info".into(),
                message: Some(note),
                matched: String::new(),
            });
        }
        let cwd = resolve_cwd(args.cwd.as_deref())?;
        let env: Vec<(String, String)> = args.env.unwrap_or_default().into_iter().collect();
        let path_env = env.iter().rev().find(|(key, _)| key == "PATH").map(|(_, value)| value.into());
        check_program(&argv[0], cwd.as_deref(), path_env)?;

        let request = SpawnRequest {
            command: argv.clone(),
            cwd,
            env,
            driver: args.driver.map_or_else(|| Driver::default_for(&argv), Into::into),
            subject: match args.agent {
                Some(agent) => Some(if agent { Subject::Agent } else { Subject::Command }),
                None if runs_the_agent_command => Some(Subject::Agent),
                None => None,
            },
            pty_size: None,
            prompt_pattern: args.prompt_pattern,
        };
        let task = shared.hub.spawn_task(request).map_err(|err| format!("could not start the task: {err}"))?;
        super::events::watch_task(Arc::clone(shared), Arc::clone(&task), peer);

        settle(&task).await;
        let info = task.info();
        if let TaskStatus::Failed { message, .. } = &info.status {
            return Err(format!(
                "task {} could not start: {message}. Check `command` and `cwd`, then try again.",
                task.id
            ));
        }
        Ok(Json(SpawnResult {
            resource_uri: super::handler::output_uri(&task.id),
            task_id: info.task_id,
            pid: info.pid,
            status: info.status.name().to_owned(),
            command: argv,
            warnings,
        }))
    }

    #[tool(
        name = "axiom_status",
        description = "Show one task (task_id) or every task: status (starting, running, exited, killed, failed, lost), \
pid, exit_code or signal, runtime, bytes of output and number of interventions. Cheap; but to wait for a change, use \
axiom_wait rather than calling this repeatedly.",
        annotations(title = "Task status", read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn axiom_status(&self, Parameters(args): Parameters<StatusArgs>) -> Result<Json<StatusResult>, Failure> {
        let tasks = match args.task_id {
            Some(id) => vec![self.task(&id)?.info().into()],
            None => self.shared.hub.tasks.list().into_iter().map(TaskView::from).collect(),
        };
        Ok(Json(StatusResult { tasks }))
    }

    #[tool(
        name = "axiom_output",
        description = "Read what a task printed (stdout and stderr interleaved), as plain text with terminal escapes \
removed (raw: true keeps them). The result's `cursor` marks the end of what you read: pass it as `since` next time to \
get only new output. `tail_lines` returns just the last lines. Output beyond max_bytes is cut: without `since` the \
newest part is kept (truncated: true); with `since` it pages forward (more: true means call again with since: cursor).",
        annotations(
            title = "Read task output",
            read_only_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn axiom_output(&self, Parameters(args): Parameters<OutputArgs>) -> Result<Json<OutputResult>, Failure> {
        let task = self.task(&args.task_id)?;
        if args.max_bytes == Some(0) {
            return Err("max_bytes must be at least 1".to_owned());
        }
        let window = Window {
            since: args.since,
            tail_lines: args.tail_lines,
            max_bytes: args.max_bytes.unwrap_or(DEFAULT_MAX_BYTES).min(LARGEST_MAX_BYTES),
        };
        let slice = output::read(&task, window);
        let text =
            if args.raw.unwrap_or(false) { output::raw_text(&slice.bytes) } else { output::plain_text(&slice.bytes) };
        Ok(Json(OutputResult {
            task_id: task.id.clone(),
            text,
            cursor: slice.next,
            start: slice.start,
            truncated: slice.truncated,
            more: slice.more,
            status: task.status().name().to_owned(),
        }))
    }

    #[tool(
        name = "axiom_send",
        description = "Type text into a running task's input (its stdin, or its terminal with driver pty), followed by \
Enter unless enter is false. Use it to answer a prompt such as `Proceed? (y/n)` or to give an agent a follow-up \
instruction.",
        annotations(
            title = "Send input to a task",
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn axiom_send(&self, Parameters(args): Parameters<SendArgs>) -> Result<Json<SendResult>, Failure> {
        let task = self.task(&args.task_id)?;
        let enter = args.enter.unwrap_or(true);
        with_worker(&task, |task| task.send_input(&args.text, enter)).await?;
        Ok(Json(SendResult { task_id: task.id.clone(), bytes: args.text.len(), enter }))
    }

    #[tool(
        name = "axiom_interrupt",
        description = "Interrupt a running task like Ctrl-C (SIGINT to its process group, or Ctrl-C on its terminal), \
then type `message` into it: stop an agent going the wrong way and redirect it. A program that handles the interrupt \
keeps running; use axiom_kill to end it.",
        annotations(
            title = "Interrupt a task",
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn axiom_interrupt(
        &self,
        Parameters(args): Parameters<InterruptArgs>,
    ) -> Result<Json<InterruptResult>, Failure> {
        let task = self.task(&args.task_id)?;
        let message = args.message.filter(|message| !message.is_empty());
        let id = with_worker(&task, |task| task.intervene(Action::Interrupt, message.clone(), None)).await?;
        Ok(Json(InterruptResult { task_id: task.id.clone(), intervention_id: id }))
    }

    #[tool(
        name = "axiom_kill",
        description = "End a task and every process it started: SIGTERM to its whole process group, then SIGKILL after \
grace_ms (default: the server's --kill-grace, 3 s unless set). Waits until the task has ended (at most grace + 2 s) and returns its final status.",
        annotations(
            title = "Kill a task",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn axiom_kill(&self, Parameters(args): Parameters<KillArgs>) -> Result<Json<KillResult>, Failure> {
        let task = self.task(&args.task_id)?;
        let grace = args.grace_ms.map_or(self.shared.config.kill_grace, Duration::from_millis);
        if grace > Duration::from_secs(600) {
            return Err("grace_ms is at most 600000 (10 minutes)".to_owned());
        }
        task.kill(Some(grace)).map_err(|err| describe(err, &task))?;
        let ended = task.wait_finished(grace + Duration::from_secs(2)).await;
        Ok(Json(KillResult { ended, task: task.info().into() }))
    }

    #[tool(
        name = "axiom_wait",
        description = "Wait for something to happen to a task instead of polling: until `exit` (it ends), `intervention` \
(a rule fired on its output) or `output` (it printed something). Returns as soon as \
that happens (or the task ends) or after timeout_s, with `reason` (exit, intervention, output or timeout), the \
task's status and the interventions the rules made while it waited. Only what happens after the call counts, \
unless `since` says where you left off. Sends progress notifications while waiting.",
        annotations(
            title = "Wait for a task",
            read_only_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn axiom_wait(
        &self,
        Parameters(args): Parameters<WaitArgs>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<WaitResult>, Failure> {
        let task = self.task(&args.task_id)?;
        if !args.timeout_s.is_finite() || args.timeout_s < 0.0 {
            return Err("timeout_s must be a number of seconds, 0 or more".to_owned());
        }
        let timeout = Duration::from_secs_f64(args.timeout_s.min(LONGEST_WAIT_S));
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + timeout;
        // Subscribe before looking, so a change between the look and the sleep still wakes us.
        let mut changes = task.subscribe();
        let first = task.info();
        let seen_interventions = match args.until {
            WaitUntil::Intervention => args.since.map_or(first.interventions, |since| since as usize),
            WaitUntil::Exit | WaitUntil::Output => first.interventions,
        };
        let seen_output = args.since.unwrap_or(first.output_bytes);
        let progress = context.meta.get_progress_token();
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let reason = loop {
            let info = task.info();
            let happened = match args.until {
                WaitUntil::Exit => None,
                WaitUntil::Intervention => (info.interventions > seen_interventions).then_some("intervention"),
                WaitUntil::Output => (info.output_bytes > seen_output).then_some("output"),
            };
            if let Some(reason) = happened {
                break reason;
            }
            if info.status.is_finished() {
                break "exit";
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { break "exit" },
                () = tokio::time::sleep_until(deadline) => break "timeout",
                () = context.ct.cancelled() => return Err("the wait was cancelled".to_owned()),
                _ = ticker.tick(), if progress.is_some() => {
                    let token = progress.clone().expect("checked by the select guard");
                    let waited = started.elapsed().as_secs_f64();
                    let note = format!(
                        "waiting for {} of task {} ({}, {} of output, {})",
                        args.until.as_str(), task.id, info.status.name(), crate::human::bytes(info.output_bytes),
                        crate::human::count(info.interventions as u64, "intervention")
                    );
                    let param = ProgressNotificationParam::new(token, waited).with_total(timeout.as_secs_f64()).with_message(note);
                    let _ = context.peer.notify_progress(param).await;
                }
            }
        };
        // Whatever it waited for, what the rules did meanwhile is part of what happened.
        let interventions =
            task.interventions_since(seen_interventions).0.into_iter().map(InterventionView::from).collect();
        Ok(Json(WaitResult {
            reason: reason.to_owned(),
            task: task.info().into(),
            interventions,
            waited_s: started.elapsed().as_secs_f64(),
        }))
    }

    #[tool(
        name = "axiom_interventions",
        description = "List what the rules did to tasks (one task, or all): which rule fired on which text, its \
severity, the action taken (warn, inject = message typed into the task, interrupt, kill), the message sent, and \
whether it was delivered. With task_id, pass the returned `next` as `since` to see only new ones.",
        annotations(
            title = "List interventions",
            read_only_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn axiom_interventions(
        &self,
        Parameters(args): Parameters<InterventionsArgs>,
    ) -> Result<Json<InterventionsResult>, Failure> {
        match args.task_id {
            Some(id) => {
                let task = self.task(&id)?;
                let since = args.since.unwrap_or(0);
                let count = task.info().interventions;
                if since > count {
                    // An intervention's id is not its place in the list: ids are shared with the
                    // input sent to the task.
                    return Err(format!(
                        "`since` is {since}, but task {id} has had {}: `since` counts them (pass `next` from the last \
                         call), it is not an intervention's id",
                        crate::human::count(count as u64, "intervention")
                    ));
                }
                let (records, next) = task.interventions_since(since);
                Ok(Json(InterventionsResult {
                    interventions: records.into_iter().map(InterventionView::from).collect(),
                    next: Some(next),
                }))
            }
            None if args.since.is_some() => {
                Err("`since` counts one task's interventions; pass `task_id` with it, or omit `since`".to_owned())
            }
            None => {
                let mut all: Vec<InterventionView> = self
                    .shared
                    .hub
                    .tasks
                    .all()
                    .iter()
                    .flat_map(|task| task.newest_interventions(crate::tasks::INTERVENTIONS_PAGE))
                    .map(InterventionView::from)
                    .collect();
                // The newest page of them: every task's would not fit in one reply.
                all.sort_by_key(|record| record.at);
                all.drain(..all.len().saturating_sub(crate::tasks::INTERVENTIONS_PAGE));
                Ok(Json(InterventionsResult { interventions: all, next: None }))
            }
        }
    }

    #[tool(
        name = "axiom_rules",
        description = "List the rules in force: id, severity, action (warn, inject, interrupt, kill), scope (output = \
task output, prompt = spawn prompts, tool = an agent's tool calls), whether enabled, description and source file. Try text against them with \
axiom_check.",
        annotations(title = "List rules", read_only_hint = true, idempotent_hint = true, open_world_hint = false)
    )]
    async fn axiom_rules(&self, Parameters(_args): Parameters<RulesArgs>) -> Result<Json<RulesResult>, Failure> {
        let loaded = self.shared.hub.tasks.loaded_rules();
        let rules = &loaded.rules;
        let views = rules.rules().iter().map(RuleSummary::from).collect();
        Ok(Json(RulesResult { origin: rules.origin().to_string(), loaded_at: loaded.loaded_at, rules: views }))
    }

    #[tool(
        name = "axiom_check",
        description = "Run text through the rules offline, without starting anything, and return every match with the \
action a live task would get. Use it to test a prompt before spawning (scope: prompt) or to see which rules some \
output would trigger. Each line is judged on its own (cooldowns and thresholds apply only to live tasks).",
        annotations(
            title = "Check text against the rules",
            read_only_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn axiom_check(&self, Parameters(args): Parameters<CheckArgs>) -> Result<Json<CheckResult>, Failure> {
        let scope = match args.scope.unwrap_or_default() {
            ScopeArg::Output => Scope::Output,
            ScopeArg::Prompt => Scope::Prompt,
            ScopeArg::Tool => Scope::Tool,
        };
        let rules = self.shared.hub.tasks.rules();
        let fired = run_offline(&rules, scope, "text", &args.text);
        let lines = count_lines(&args.text);
        let matches = fired
            .into_iter()
            .map(|hit| CheckMatch {
                rule: hit.rule,
                severity: hit.severity.as_str().to_owned(),
                action: hit.action.as_str().to_owned(),
                line: hit.line,
                column: hit.column,
                matched: hit.matched,
                text: hit.text,
                message: hit.message,
            })
            .collect();
        Ok(Json(CheckResult { scope: scope.as_str().to_owned(), matches, lines }))
    }
}

impl AxiomMcp {
    /// The task, or a message that says where task ids come from.
    pub(super) fn task(&self, id: &str) -> Result<Arc<Task>, Failure> {
        self.shared.hub.tasks.get(id.trim()).ok_or_else(|| {
            format!(
                "no task `{id}`: task ids come from axiom_spawn; call axiom_status without arguments to list the tasks"
            )
        })
    }
}

/// Waits (a short, bounded time) until the worker reports the command started or failed.
async fn settle(task: &Task) {
    let mut changes = task.subscribe();
    let _ = tokio::time::timeout(SPAWN_SETTLE, async {
        while task.status() == TaskStatus::Starting {
            if changes.changed().await.is_err() {
                return;
            }
        }
    })
    .await;
}

/// Runs `act` on the task. (A task whose worker has not connected yet holds the request until it does.)
async fn with_worker<T>(task: &Task, mut act: impl FnMut(&Task) -> Result<T, TaskError>) -> Result<T, Failure> {
    act(task).map_err(|err| describe(err, task))
}

fn describe(err: TaskError, task: &Task) -> Failure {
    match err {
        TaskError::NotRunning(..) => {
            let view = TaskView::from(task.info());
            let how = match (view.message, view.exit_code, view.signal) {
                (Some(message), _, _) => message,
                (_, Some(code), _) => format!("exit code {code}"),
                (_, _, Some(signal)) => format!("signal {signal}"),
                _ => view.status.clone(),
            };
            format!(
                "task {} is not running (status: {}, {how}), so it cannot take input or be interrupted or killed. \
                 Read what it printed with axiom_output, or start a new task with axiom_spawn.",
                task.id, view.status
            )
        }
        other => other.to_string(),
    }
}

fn count_lines(text: &str) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64;
    newlines + u64::from(!text.is_empty() && !text.ends_with('\n'))
}
