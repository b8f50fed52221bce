//! How the threads share a GEMM's jobs: one list in a fixed order, each thread claiming the next
//! unclaimed job, a job waiting (briefly) only for the earlier jobs whose output it reads or whose
//! buffer it overwrites. No thread waits at the end of a step for the other to finish its last
//! tile, as it would if each step were a batch joined before the next.
//!
//! Why this cannot deadlock: a thread claims jobs in list order and finishes each before claiming
//! the next, and a job waits only for jobs earlier in the list. Those were claimed before it, by
//! threads that are running them (or waiting for jobs earlier still), so the earliest unfinished
//! job always runs. A thread that never gets to start (the pool busy elsewhere) leaves its share
//! to the others.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts of finished jobs, one counter a slot (a step's packing, a step's tiles, one tile).
pub(super) struct Done(Vec<AtomicUsize>);

impl Done {
    pub fn new(slots: usize) -> Done {
        Done((0..slots).map(|_| AtomicUsize::new(0)).collect())
    }

    /// Records one more finished job in `slot`; what the job wrote is visible to whoever then
    /// sees the count (release, paired with the acquire in [`Done::wait`]).
    pub fn add(&self, slot: usize) {
        self.0[slot].fetch_add(1, Ordering::Release);
    }

    /// Returns once `slot` counts `n` finished jobs: spinning first (the job waited for is
    /// usually running on another core, a few microseconds from its end), then yielding the core,
    /// in case the thread running it was descheduled.
    pub fn wait(&self, slot: usize, n: usize) {
        let mut spins = 0u32;
        while self.0[slot].load(Ordering::Acquire) < n {
            if spins < 1 << 10 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
            spins += 1;
        }
    }
}

/// Runs every job of `jobs`, on all of rayon's threads if `parallel` (else in order on this one),
/// each thread claiming the next job of the list as it finishes one.
pub(super) fn run_in_order<J: Sync>(jobs: &[J], parallel: bool, run: &(dyn Fn(&J) + Sync)) {
    let next = AtomicUsize::new(0);
    let claim = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = jobs.get(i) else { break };
        run(job);
    };
    if !parallel {
        return claim();
    }
    rayon::scope(|s| {
        for _ in 1..rayon::current_num_threads() {
            s.spawn(|_| claim());
        }
        claim();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_runs_once_and_after_the_jobs_it_waits_for() {
        // Job i waits for job i − 1 (slot i − 1) and records itself in slot i: a chain, so any
        // thread count must run them one after another, each exactly once.
        let n = 200;
        let ran: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
        let jobs: Vec<usize> = (0..n).collect();
        for parallel in [false, true] {
            let done = Done::new(n);
            run_in_order(&jobs, parallel, &|&i| {
                if i > 0 {
                    done.wait(i - 1, 1);
                    assert_eq!(ran[i - 1].load(Ordering::Relaxed), 1 + parallel as usize);
                }
                ran[i].fetch_add(1, Ordering::Relaxed);
                done.add(i);
            });
        }
        assert!(ran.iter().all(|r| r.load(Ordering::Relaxed) == 2));
    }
}
