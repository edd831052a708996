//! All tasks of a hub, by id.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::task::{Task, TaskConfig};
use crate::protocol::TaskInfo;
use crate::rules::RuleSet;

pub struct Tasks {
    tasks: RwLock<HashMap<String, Arc<Task>>>,
    rules: RwLock<Arc<RuleSet>>,
    config: TaskConfig,
}

impl Tasks {
    pub fn new(rules: Arc<RuleSet>, config: TaskConfig) -> Self {
        Tasks { tasks: RwLock::new(HashMap::new()), rules: RwLock::new(rules), config }
    }

    /// The rules new tasks start with.
    pub fn rules(&self) -> Arc<RuleSet> {
        Arc::clone(&self.rules.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Registers a new task with a fresh short id.
    pub fn create(&self, command: Vec<String>) -> Arc<Task> {
        let mut tasks = self.tasks.write().unwrap_or_else(|p| p.into_inner());
        let id = loop {
            let candidate = short_id();
            if !tasks.contains_key(&candidate) {
                break candidate;
            }
        };
        let task = Arc::new(Task::new(id.clone(), command, self.rules(), self.config.clone()));
        tasks.insert(id, Arc::clone(&task));
        task
    }

    pub fn get(&self, id: &str) -> Option<Arc<Task>> {
        self.tasks.read().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    /// Every task, oldest first.
    pub fn all(&self) -> Vec<Arc<Task>> {
        let mut all: Vec<_> = self.tasks.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        all.sort_by(|a, b| (a.started_at, &a.id).cmp(&(b.started_at, &b.id)));
        all
    }

    pub fn list(&self) -> Vec<TaskInfo> {
        self.all().iter().map(|task| task.info()).collect()
    }
}

/// Six characters from [a-z0-9] that start with a letter: short to type, 2 billion values.
fn short_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).expect("the OS random source is available");
    random
        .iter()
        .enumerate()
        .map(|(i, byte)| {
            let range = if i == 0 { 26 } else { ALPHABET.len() };
            ALPHABET[*byte as usize % range] as char
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_unique_and_start_with_a_letter() {
        let rules = Arc::new(RuleSet::from_documents(Vec::new()).unwrap());
        let tasks = Tasks::new(rules, TaskConfig::default());
        let ids: std::collections::HashSet<String> = (0..500).map(|_| tasks.create(vec!["x".into()]).id.clone()).collect();
        assert_eq!(ids.len(), 500);
        assert!(ids.iter().all(|id| id.len() == 6 && id.as_bytes()[0].is_ascii_lowercase()));
        assert_eq!(tasks.all().len(), 500);
    }
}
