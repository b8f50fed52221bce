//! How the threads share a GEMM's jobs: one list in a fixed order, each thread claiming the next
//! unclaimed job, a job waiting (briefly) only for the earlier jobs whose output it reads or whose
//! buffer it overwrites. No thread waits at the end of a step for the other to finish its last
//! tile, as it would if each step were a batch joined before the next.
//!
//! Why this cannot deadlock: a thread claims jobs in list order and finishes each before claiming
//! the next, and a job waits only for jobs earlier in the list. Those were claimed before it, by
//! threads that are running them (or waiting for jobs earlier still), so the earliest unfinished
//! job always runs. A thread that never gets to start (the pool busy elsewhere) leaves its share
//! to the others. That a job waits only for earlier jobs is a property of the [`Plan`], tested
//! there (`every_job_waits_only_on_earlier_jobs`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::plan::{Job, Plan};

/// Runs the jobs of `plan` in its order (see [`run_in_order`]), each after what it waits for
/// ([`Plan::waits`]), signalling what it finished ([`Plan::signals`]).
pub(crate) fn run_plan(plan: &Plan, parallel: bool, run: &(dyn Fn(Job) + Sync)) {
    let failed = AtomicBool::new(false);
    let done = Done::new(plan.slots(), &failed);
    run_in_order(&plan.jobs, parallel, &failed, &|&job| {
        for (event, n) in plan.waits(job) {
            done.wait(plan.slot(event), n);
        }
        run(job);
        for event in plan.signals(job) {
            done.add(plan.slot(event));
        }
    });
}

/// Counts of finished jobs, one counter a slot (a step's packing, a step's tiles, one tile).
pub(super) struct Done<'a> {
    counts: Vec<AtomicUsize>,
    /// Set when a job panicked (see [`run_in_order`]): a job waiting for it would wait forever.
    failed: &'a AtomicBool,
}

impl<'a> Done<'a> {
    pub fn new(slots: usize, failed: &'a AtomicBool) -> Done<'a> {
        Done {
            counts: (0..slots).map(|_| AtomicUsize::new(0)).collect(),
            failed,
        }
    }

    /// Records one more finished job in `slot`; what the job wrote is visible to whoever then
    /// sees the count (release, paired with the acquire in [`Done::wait`]).
    pub fn add(&self, slot: usize) {
        self.counts[slot].fetch_add(1, Ordering::Release);
    }

    /// Returns once `slot` counts `n` finished jobs: spinning first (the job waited for is
    /// usually running on another core, a few microseconds from its end), then yielding the core,
    /// in case the thread running it was descheduled. Panics if a job panicked meanwhile.
    pub fn wait(&self, slot: usize, n: usize) {
        let mut spins = 0u32;
        while self.counts[slot].load(Ordering::Acquire) < n {
            assert!(
                !self.failed.load(Ordering::Relaxed),
                "sgemm: a job on another thread panicked"
            );
            if spins < 1 << 10 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// Runs every job of `jobs`, on all of rayon's threads if `parallel` (else in order on this one),
/// each thread claiming the next job of the list as it finishes one. A job that panics sets
/// `failed`, so that jobs waiting for it panic too rather than spin forever; the panic then reaches
/// the caller.
pub(super) fn run_in_order<J: Sync>(
    jobs: &[J],
    parallel: bool,
    failed: &AtomicBool,
    run: &(dyn Fn(&J) + Sync),
) {
    let next = AtomicUsize::new(0);
    let claim = || {
        let _watch = SetOnPanic(failed);
        while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
            run(job);
        }
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

/// Sets its flag if dropped while its thread unwinds from a panic.
struct SetOnPanic<'a>(&'a AtomicBool);

impl Drop for SetOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
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
            let failed = AtomicBool::new(false);
            let done = Done::new(n, &failed);
            run_in_order(&jobs, parallel, &failed, &|&i| {
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

    #[test]
    fn a_panicking_job_reaches_the_caller_instead_of_leaving_its_waiters_spinning() {
        // Job 0 panics; every later job waits for it. Without the flag the other threads would
        // spin forever: the call runs on a thread of its own, and a watchdog fails the test if it
        // has not returned after 20 s.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(3)
                .build()
                .unwrap();
            let jobs: Vec<usize> = (0..8).collect();
            let failed = AtomicBool::new(false);
            let done = Done::new(1, &failed);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.install(|| {
                    run_in_order(&jobs, true, &failed, &|&i| {
                        if i == 0 {
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            panic!("job 0 fails");
                        }
                        done.wait(0, 1);
                    })
                })
            }));
            tx.send((result.is_err(), failed.load(Ordering::Relaxed)))
                .unwrap();
        });
        let outcome = rx.recv_timeout(std::time::Duration::from_secs(20));
        assert_eq!(
            outcome,
            Ok((true, true)),
            "the call should have returned with the job's panic"
        );
    }
}
