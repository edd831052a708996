//! A task's interventions, numbered from its first, of which the newest are kept in memory: a task
//! that floods lines a rule fires on must not grow the hub without bound. The journal keeps what
//! it holds (within its own retention).

use std::collections::VecDeque;

use crate::protocol::InterventionRecord;

/// How many of a task's interventions are kept in memory.
pub const MOST_KEPT: usize = 10_000;

/// The most records, and about the most bytes of them, a reader gets at once: a page must fit
/// in one frame of the client protocol (16 MiB), whatever the records matched.
pub const PAGE: usize = 1_000;
const PAGE_BYTES: usize = 4 << 20;

#[derive(Debug, Default)]
pub struct Interventions {
    kept: VecDeque<InterventionRecord>,
    /// How many of the first ones are no longer kept.
    dropped: usize,
}

impl Interventions {
    pub fn push(&mut self, record: InterventionRecord) {
        if self.kept.len() == MOST_KEPT {
            self.kept.pop_front();
            self.dropped += 1;
        }
        self.kept.push_back(record);
    }

    /// Counts `count` records older than every kept one that are not kept (a restored task's
    /// history no longer holds them): the numbers of the kept ones stay what they were.
    pub fn forget_first(&mut self, count: usize) {
        self.dropped += count;
    }

    /// How many there have been, those no longer kept included.
    pub fn len(&self) -> usize {
        self.dropped + self.kept.len()
    }

    /// Up to [`PAGE`] of them from number `since` on (from the oldest kept, if that one is no
    /// longer), and the number of the one after the last given.
    pub fn since(&self, since: usize) -> (Vec<InterventionRecord>, usize) {
        let start = since.max(self.dropped);
        let mut page = Vec::new();
        let mut bytes = 0;
        for record in self.kept.iter().skip(start - self.dropped).take(PAGE) {
            bytes += 256 + record.matched.len() + record.message.as_ref().map_or(0, String::len);
            // One record at least, however large, so that a reader always gets on.
            if bytes > PAGE_BYTES && !page.is_empty() {
                break;
            }
            page.push(record.clone());
        }
        let next = (start + page.len()).min(self.len());
        (page, next)
    }

    /// Every kept one from number `since` on, unpaged (for a reader in this process, which
    /// streams them as they come: at most [`MOST_KEPT`]), and the number after the last.
    pub fn all_since(&self, since: usize) -> (Vec<InterventionRecord>, usize) {
        let start = since.max(self.dropped);
        (self.kept.iter().skip(start - self.dropped).cloned().collect(), self.len().max(since))
    }

    /// The one with message id `id`, if it is kept. Ids rise with the records, so this is a binary
    /// search: acknowledging each of 20,000 injections must not scan all the others.
    pub fn by_id(&mut self, id: u64) -> Option<&mut InterventionRecord> {
        let (older, newer) = self.kept.as_mut_slices();
        let found = |records: &mut [InterventionRecord]| records.binary_search_by_key(&id, |record| record.id).ok();
        match found(older) {
            Some(index) => older.get_mut(index),
            None => found(newer).and_then(|index| newer.get_mut(index)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Action, Severity};

    fn record(id: u64) -> InterventionRecord {
        InterventionRecord {
            id,
            at: 0,
            task_id: "t".into(),
            rule: "r".into(),
            severity: Severity::Warning,
            action: Action::Warn,
            message: None,
            matched: String::new(),
            line: None,
            delivered: None,
            error: None,
        }
    }

    #[test]
    fn only_the_newest_are_kept_and_numbers_go_on() {
        let mut interventions = Interventions::default();
        for id in 0..(MOST_KEPT as u64 + 5) {
            interventions.push(record(id));
        }
        assert_eq!(interventions.len(), MOST_KEPT + 5);
        // Asked from the start, the reader gets the oldest kept, and where to go on from.
        let (page, next) = interventions.since(0);
        assert_eq!((page.len(), page[0].id, next), (PAGE, 5, 5 + PAGE));
        let (page, next) = interventions.since(MOST_KEPT + 4);
        assert_eq!((page.len(), page[0].id, next), (1, MOST_KEPT as u64 + 4, MOST_KEPT + 5));
        let (page, next) = interventions.since(MOST_KEPT + 5);
        assert_eq!((page.len(), next), (0, MOST_KEPT + 5));
        // A reader in this process gets every kept one at once.
        let (all, next) = interventions.all_since(0);
        assert_eq!((all.len(), all[0].id, next), (MOST_KEPT, 5, MOST_KEPT + 5));
        assert_eq!(interventions.all_since(MOST_KEPT + 5), (Vec::new(), MOST_KEPT + 5));
        assert!(interventions.by_id(3).is_none());
        assert_eq!(interventions.by_id(MOST_KEPT as u64).map(|r| r.id), Some(MOST_KEPT as u64));
    }
}
