//! Running two independent parts of one job on two cores.

/// Jobs over at least this many changes run their two parts on two
/// threads (a batch's apply beside its rows; an answer's post reading
/// beside its signature lookups); below it, a thread costs more than it
/// saves.
pub(crate) const MIN_ITEMS: usize = 256;

/// Runs `first` on a scoped thread while `second` runs on this one, and
/// returns both results (one after the other if not `parallel`). A panic
/// in `first` goes on in this thread, as it would without the second.
pub(crate) fn beside<A: Send, B>(
    parallel: bool,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B,
) -> (A, B) {
    if !parallel {
        return (first(), second());
    }
    std::thread::scope(|scope| {
        let handle = scope.spawn(first);
        let b = second();
        let a = handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (a, b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_returns_both_results_and_runs_the_first_on_another_thread_only_when_parallel() {
        let here = std::thread::current().id();
        let (a, b) = beside(true, || std::thread::current().id(), || 2);
        assert_ne!(a, here, "parallel: the first part ran on a second thread");
        assert_eq!(b, 2);
        let (a, b) = beside(false, || std::thread::current().id(), || 3);
        assert_eq!(a, here, "not parallel: both parts ran here");
        assert_eq!(b, 3);
    }

    #[test]
    #[should_panic(expected = "first part failed")]
    fn a_panic_in_the_first_part_goes_on_in_the_caller() {
        let _ = beside(true, || -> u8 { panic!("first part failed") }, || 1);
    }
}
