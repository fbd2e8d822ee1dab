//! Jobs taken in turns by owner: each owner's jobs wait in the order they
//! came, and the owners with jobs waiting are served one job each in
//! rotation. An owner that sends a hundred jobs delays another owner's one
//! job by at most one of its own, not by a hundred.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// Jobs of type `J` waiting, by owner `K`.
#[derive(Debug)]
pub(crate) struct FairQueue<K, J> {
    queues: HashMap<K, VecDeque<J>>,
    /// Owners with at least one job waiting, the next to be served first.
    turns: VecDeque<K>,
    len: usize,
}

impl<K: Hash + Eq + Clone, J> Default for FairQueue<K, J> {
    fn default() -> Self {
        Self {
            queues: HashMap::new(),
            turns: VecDeque::new(),
            len: 0,
        }
    }
}

impl<K: Hash + Eq + Clone, J> FairQueue<K, J> {
    /// Jobs waiting, of every owner.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Jobs of `owner` waiting.
    pub(crate) fn len_of(&self, owner: &K) -> usize {
        self.queues.get(owner).map_or(0, VecDeque::len)
    }

    /// Adds `job` after `owner`'s other jobs; an owner with none waiting
    /// takes its turn after every owner that has some.
    pub(crate) fn push(&mut self, owner: K, job: J) {
        let queue = self.queues.entry(owner.clone()).or_default();
        if queue.is_empty() {
            self.turns.push_back(owner);
        }
        queue.push_back(job);
        self.len += 1;
    }

    /// The oldest job of the owner whose turn it is; that owner's turn
    /// then comes again after every other owner's.
    pub(crate) fn pop(&mut self) -> Option<J> {
        let owner = self.turns.pop_front()?;
        let queue = self.queues.get_mut(&owner)?;
        let job = queue.pop_front();
        if queue.is_empty() {
            self.queues.remove(&owner);
        } else {
            self.turns.push_back(owner);
        }
        if job.is_some() {
            self.len -= 1;
        }
        job
    }

    /// The oldest job of `owner`, whether or not it is its turn; that counts
    /// as its turn, which then comes again after every other owner's.
    pub(crate) fn pop_of(&mut self, owner: &K) -> Option<J> {
        let queue = self.queues.get_mut(owner)?;
        let job = queue.pop_front()?;
        self.len -= 1;
        let empty = queue.is_empty();
        self.turns.retain(|o| o != owner);
        if empty {
            self.queues.remove(owner);
        } else {
            self.turns.push_back(owner.clone());
        }
        Some(job)
    }

    /// The owner with the most jobs waiting among those `counted`, and how
    /// many (the earliest in turn among equals).
    pub(crate) fn longest(&self, counted: impl Fn(&K) -> bool) -> Option<(K, usize)> {
        let mut best: Option<(K, usize)> = None;
        for owner in self.turns.iter().filter(|o| counted(o)) {
            let n = self.len_of(owner);
            if best.as_ref().is_none_or(|(_, most)| n > *most) {
                best = Some((owner.clone(), n));
            }
        }
        best
    }

    /// Takes out `owner`'s newest job (the one it sent last).
    pub(crate) fn pop_newest(&mut self, owner: &K) -> Option<J> {
        let queue = self.queues.get_mut(owner)?;
        let job = queue.pop_back()?;
        self.len -= 1;
        if queue.is_empty() {
            self.queues.remove(owner);
            self.turns.retain(|o| o != owner);
        }
        Some(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut FairQueue<char, u32>) -> Vec<u32> {
        std::iter::from_fn(|| q.pop()).collect()
    }

    #[test]
    fn owners_are_served_one_job_each_in_turn_and_each_owners_jobs_in_order() {
        let mut q = FairQueue::default();
        for n in 1..=5 {
            q.push('a', n);
        }
        q.push('b', 10);
        q.push('c', 20);
        q.push('b', 11);
        assert_eq!(q.len(), 8);
        assert_eq!(
            drain(&mut q),
            [1, 10, 20, 2, 11, 3, 4, 5],
            "b's and c's jobs wait behind one of a's, not all five"
        );
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn an_owner_that_comes_back_waits_behind_the_owners_already_waiting() {
        let mut q = FairQueue::default();
        q.push('a', 1);
        q.push('b', 10);
        q.push('b', 11);
        assert_eq!(q.pop(), Some(1));
        q.push('a', 2);
        assert_eq!(drain(&mut q), [10, 2, 11]);
    }

    #[test]
    fn an_owner_served_out_of_turn_has_had_its_turn() {
        let mut q = FairQueue::default();
        q.push('a', 1);
        q.push('a', 2);
        q.push('b', 10);
        q.push('b', 11);
        assert_eq!(q.pop_of(&'b'), Some(10));
        assert_eq!(q.pop_of(&'c'), None);
        assert_eq!(q.len(), 3);
        assert_eq!(drain(&mut q), [1, 11, 2], "a's turn, then b's, then a's");
        q.push('b', 12);
        assert_eq!(q.pop_of(&'b'), Some(12));
        assert_eq!(q.pop(), None, "b's turn went with its last job");
    }

    #[test]
    fn the_newest_job_of_the_longest_queue_can_be_taken_out() {
        let mut q = FairQueue::default();
        for n in 1..=3 {
            q.push('a', n);
        }
        q.push('b', 10);
        q.push('c', 20);
        q.push('c', 21);
        q.push('c', 22);
        assert_eq!(
            q.longest(|_| true),
            Some(('a', 3)),
            "the earlier in turn among equals"
        );
        assert_eq!(q.longest(|o| *o != 'a'), Some(('c', 3)));
        assert_eq!(q.pop_newest(&'a'), Some(3));
        assert_eq!(q.len_of(&'a'), 2);
        assert_eq!(q.pop_newest(&'b'), Some(10));
        assert_eq!(q.len_of(&'b'), 0);
        assert_eq!(q.len(), 5);
        assert_eq!(
            drain(&mut q),
            [1, 20, 2, 21, 22],
            "b's turn went with its job"
        );
        assert_eq!(q.longest(|_| true), None);
        assert_eq!(q.pop_newest(&'a'), None);
    }
}
