//! Loops 5, 4 and 3 of the nest in [`super`] as data: the `(panel, k block)` steps (loops 5 and
//! 4), the tasks of a step (loop 3, `MC` rows × a chunk of the panel's columns), the packing jobs
//! that fill a step's buffers, and the one ordered list of jobs the threads claim
//! ([`super::schedule`]), with what each job waits for and what it signals.
//!
//! Nothing here touches a matrix: a plan is built from the dimensions, the block sizes and which
//! operands are packed, so the order of the work and its dependencies can be read (and tested)
//! apart from the copying ([`super::pack`]) and the arithmetic ([`super::task`]). The f32 and the
//! bf16 GEMM share it; each brings its own block sizes, packing and microkernel.

use std::ops::Range;

/// The block sizes of a microkernel and of the loops around it (see the sizes in [`super`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Blocks {
    /// Tile rows: `A` values broadcast per `p`.
    pub mr: usize,
    /// Tile columns: `B` values loaded per `p`.
    pub nr: usize,
    /// Depth of one `k` block (loop 4's step).
    pub kc: usize,
    /// Rows of one task's `A` block (loop 3's step), kept in the core's L2.
    pub mc: usize,
    /// Columns of one task, at most (a panel is cut into equal chunks no wider than this).
    pub chunk: usize,
    /// Columns of one packed `B` panel (loop 5's step), shared by the threads, in L3.
    pub nc: usize,
    /// What a `k` block's depth is rounded up to: 1 for f32, 2 for bf16, whose packed slivers hold
    /// `p` in pairs.
    pub k_align: usize,
}

/// Which slivers of `op(A)` a step packs; the others are read in place (see "Packing only where it
/// pays" in [`super`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PackA {
    /// Every sliver.
    All,
    /// Only the last, of fewer than `MR` rows (zero-padded in its buffer).
    Edge,
    /// None: `m` is a multiple of `MR` and every sliver is read in place.
    None,
}

/// How a step's `B` is packed: a row-major `B` a few rows of every sliver per job, a transposed one
/// a few whole slivers per job (see [`super::pack`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PackB {
    ByRows,
    BySlivers,
}

impl PackB {
    /// Rows for a `B` whose rows are contiguous (`cs == 1`), slivers for a transposed one.
    pub(crate) fn for_view(b: super::pack::View) -> PackB {
        if b.cs == 1 {
            PackB::ByRows
        } else {
            PackB::BySlivers
        }
    }
}

/// The threads a product's plan is split for: rayon's pool when `parallel`, else the caller's.
pub(crate) fn threads(parallel: bool) -> usize {
    if parallel {
        rayon::current_num_threads()
    } else {
        1
    }
}

/// One iteration of loops 5 and 4: a panel of `nc` columns of `B` and `C` from `jc`, and a block of
/// `kc` values of `k` from `p0`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    pub jc: usize,
    pub nc: usize,
    pub p0: usize,
    pub kc: usize,
    /// The first block of k, which applies β.
    pub first: bool,
    /// The last, which adds the bias.
    pub last: bool,
}

impl Step {
    /// What this step's tiles apply in their epilogue: the product's `β` on the first `k` block
    /// (later blocks add to what it wrote: 1), and the bias on the last block only.
    pub fn epilogue(self, beta: f32, bias: Option<&[f32]>) -> (f32, Option<&[f32]>) {
        (
            if self.first { beta } else { 1.0 },
            bias.filter(|_| self.last),
        )
    }
}

/// The bias of the tile whose columns start at `j`, as a microkernel takes it: null for none.
pub(crate) fn bias_at(bias: Option<&[f32]>, j: usize) -> *const f32 {
    bias.map_or(std::ptr::null(), |v| v[j..].as_ptr())
}

/// A unit of work handed to a thread; `s` is the step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Job {
    /// Slivers `first .. first + count` of the step's A into its packing buffer, sliver `slot0` at
    /// the buffer's start.
    PackA {
        s: usize,
        first: usize,
        count: usize,
        slot0: usize,
    },
    /// Rows `first .. first + count` of every sliver of the step's B ([`PackB::ByRows`]), or
    /// slivers `first .. first + count` ([`PackB::BySlivers`]), into its packing buffer.
    PackB {
        s: usize,
        first: usize,
        count: usize,
    },
    /// Task `t` of the step: loops 2 and 1 over its block of `C` ([`super::task`]).
    Compute { s: usize, t: usize },
}

/// What a job waits for or signals: a counter that finished jobs add one to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Event {
    /// A packing job of step `s` finished.
    Packed(usize),
    /// A task of step `s` finished.
    Computed(usize),
    /// Task `t` of step `s` finished.
    Tile(usize, usize),
}

/// Slivers of `A` or of a transposed `B` packed by one job: enough to outweigh a job's hand-off,
/// few enough to spread.
const PACK_SLIVERS: usize = 4;

/// Rows of a row-major `B` packed by one job: 16 rows of a 2048-column panel are 128 KiB, about
/// what four slivers of a transposed one are. Even, so that a bf16 job holds whole pairs of rows.
const PACK_ROWS: usize = 16;

/// Loops 5, 4 and 3 of one product, and the order in which its jobs are handed out.
#[derive(Debug)]
pub(crate) struct Plan {
    pub m: usize,
    pub blocks: Blocks,
    pub pack_a: PackA,
    pub pack_b: PackB,
    /// Every `(panel, k block)` step, in loop order: loop 5 outside, loop 4 inside.
    pub steps: Vec<Step>,
    /// Every job, in the order the threads claim them.
    pub jobs: Vec<Job>,
    /// The deepest `k` block, which the packing buffers are sized for.
    pub kc_max: usize,
    /// With one `k` block every panel multiplies the same block of `A`: it is packed once, by the
    /// first step, and read from there by all (at `W̄ = Xᵀ·Ȳ`, 1.2 MB once instead of once per
    /// panel, ten times).
    pub a_once: bool,
    /// Packing jobs of each step.
    pack_jobs: Vec<usize>,
    /// Task `t` of step `s` is tile slot `tile_slot0[s] + t` (for [`Plan::slot`]).
    tile_slot0: Vec<usize>,
    /// Tasks of all steps.
    tiles: usize,
}

impl Plan {
    /// The plan of an `m × n × k` product (`k ≥ 1`), its jobs ordered for `threads` threads.
    pub fn new(
        (m, n, k): (usize, usize, usize),
        blocks: Blocks,
        pack_a: PackA,
        pack_b: PackB,
        threads: usize,
    ) -> Plan {
        assert!(k > 0, "a plan needs k ≥ 1");
        // k is cut into equal blocks of at most KC (20,108 = 19 × 1006 + 994, not 19 × 1024 + 652),
        // each a multiple of `k_align` but the last.
        let k_blocks = k.div_ceil(blocks.kc);
        let kc_max = k.div_ceil(k_blocks).next_multiple_of(blocks.k_align);
        let k_blocks = k.div_ceil(kc_max);
        // Loop 5 (jc, panels of NC columns), loop 4 (p0, blocks of k) inside it.
        let steps: Vec<Step> = (0..n)
            .step_by(blocks.nc)
            .flat_map(|jc| {
                (0..k_blocks).map(move |kb| {
                    let p0 = kb * kc_max;
                    Step {
                        jc,
                        nc: blocks.nc.min(n - jc),
                        p0,
                        kc: kc_max.min(k - p0),
                        first: kb == 0,
                        last: kb + 1 == k_blocks,
                    }
                })
            })
            .collect();
        let mut plan = Plan {
            m,
            blocks,
            pack_a,
            pack_b,
            steps,
            jobs: Vec::new(),
            kc_max,
            a_once: k_blocks == 1,
            pack_jobs: Vec::new(),
            tile_slot0: Vec::new(),
            tiles: 0,
        };
        // Every job, in the order the threads claim them: the first step's packing, then each
        // step's tasks with the next step's packing woven in, one packing job after each task
        // once every thread has started on the step (by then the tasks of the step before, which
        // read the buffer pair being refilled, are almost always done). A thread copying (bound by
        // memory) then runs beside one computing (bound by the FMA units).
        let mut jobs: Vec<Job> = plan.packing(0).collect();
        let last = plan.steps.len() - 1;
        for s in 0..=last {
            let mut packs = (s < last)
                .then(|| plan.packing(s + 1))
                .into_iter()
                .flatten();
            for t in 0..plan.tasks(s) {
                jobs.push(Job::Compute { s, t });
                if t + 1 >= threads {
                    jobs.extend(packs.next());
                }
            }
            jobs.extend(packs);
        }
        plan.pack_jobs = (0..plan.steps.len())
            .map(|s| plan.packing(s).count())
            .collect();
        for s in 0..plan.steps.len() {
            plan.tile_slot0.push(plan.tiles);
            plan.tiles += plan.tasks(s);
        }
        plan.jobs = jobs;
        plan
    }

    /// The step whose buffer holds the packed `A` that step `s` reads: its own, or the first
    /// step's when `A` is packed once for all panels.
    pub fn a_step(&self, s: usize) -> usize {
        if self.a_once {
            0
        } else {
            s
        }
    }

    /// Slivers of `MR` rows of `op(A)`.
    pub fn m_slivers(&self) -> usize {
        self.m.div_ceil(self.blocks.mr)
    }

    /// Whether sliver `is` of `A` is read from a packing buffer (else in place), and from which
    /// slot of it.
    pub fn a_slot(&self, is: usize) -> Option<usize> {
        match self.pack_a {
            PackA::All => Some(is),
            PackA::Edge if is + 1 == self.m_slivers() => Some(0),
            _ => None,
        }
    }

    /// Values of one `A` packing buffer: every sliver, one edge sliver, or none (kept at one value
    /// so that every buffer has an address).
    pub fn a_buffer_len(&self) -> usize {
        let slivers = match self.pack_a {
            PackA::All => self.m_slivers(),
            PackA::Edge => 1,
            PackA::None => 0,
        };
        (slivers * self.blocks.mr * self.kc_max).max(1)
    }

    /// Values of one `B` packing buffer: the widest panel's slivers, `kc_max` deep.
    pub fn b_buffer_len(&self) -> usize {
        let nc = self.steps.iter().map(|st| st.nc).max().unwrap_or(0);
        nc.div_ceil(self.blocks.nr) * self.blocks.nr * self.kc_max
    }

    /// Loop 3 cuts step `s` into tasks: blocks of `MC` rows × chunks of the panel of equal width
    /// (600 = 320 + 280, not 512 + 88), so tasks weigh alike.
    pub fn tasks(&self, s: usize) -> usize {
        self.m.div_ceil(self.blocks.mc) * self.chunks(s)
    }

    fn chunks(&self, s: usize) -> usize {
        self.steps[s].nc.div_ceil(self.blocks.chunk)
    }

    /// The rows of `C` and the columns of the step's panel that task `t` of step `s` computes.
    pub fn task_block(&self, s: usize, t: usize) -> (Range<usize>, Range<usize>) {
        let (nc, nr) = (self.steps[s].nc, self.blocks.nr);
        let chunks = self.chunks(s);
        let width = nc.div_ceil(chunks).div_ceil(nr) * nr;
        let (i0, j0) = ((t / chunks) * self.blocks.mc, (t % chunks) * width);
        (
            i0..(i0 + self.blocks.mc).min(self.m),
            j0..(j0 + width).min(nc),
        )
    }

    /// Step `s`'s packing, as jobs of a few slivers (or rows) each: the slivers of `A` it packs
    /// (none when the first step's packed `A` serves), then every sliver of `B`.
    fn packing(&self, s: usize) -> impl Iterator<Item = Job> {
        let st = self.steps[s];
        let m_slivers = self.m_slivers();
        // The first sliver this step packs, and the one stored at the buffer's start.
        let (a_from, slot0) = match self.pack_a {
            _ if self.a_step(s) != s => (m_slivers, 0),
            PackA::All => (0, 0),
            PackA::Edge => (m_slivers - 1, m_slivers - 1),
            PackA::None => (m_slivers, 0),
        };
        let a = (a_from..m_slivers)
            .step_by(PACK_SLIVERS)
            .map(move |first| Job::PackA {
                s,
                first,
                count: PACK_SLIVERS.min(m_slivers - first),
                slot0,
            });
        let (units, per_job) = match self.pack_b {
            PackB::ByRows => (st.kc, PACK_ROWS),
            PackB::BySlivers => (st.nc.div_ceil(self.blocks.nr), PACK_SLIVERS),
        };
        let b = (0..units).step_by(per_job).map(move |first| Job::PackB {
            s,
            first,
            count: per_job.min(units - first),
        });
        a.chain(b)
    }

    /// What `job` waits for, as `(event, count)`: the event counted `count` times.
    ///
    /// A task of step `s`: all of the step's packing jobs (and the first step's too when that
    /// step packed `A` for all), and past the first `k` block the same task of the block before
    /// (same panel, same tiles of `C`, which it adds to). A packing job of step `s`: the tasks of
    /// step `s − 2`, which read the buffer pair it overwrites.
    pub fn waits(&self, job: Job) -> impl Iterator<Item = (Event, usize)> {
        let mut w = [None, None, None];
        match job {
            Job::PackA { s, .. } | Job::PackB { s, .. } => {
                if s >= 2 {
                    w[0] = Some((Event::Computed(s - 2), self.tasks(s - 2)));
                }
            }
            Job::Compute { s, t } => {
                w[0] = Some((Event::Packed(s), self.pack_jobs[s]));
                let a = self.a_step(s);
                if a != s {
                    w[1] = Some((Event::Packed(a), self.pack_jobs[a]));
                }
                if !self.steps[s].first {
                    w[2] = Some((Event::Tile(s - 1, t), 1));
                }
            }
        }
        w.into_iter().flatten()
    }

    /// What `job` signals when it finishes.
    pub fn signals(&self, job: Job) -> impl Iterator<Item = Event> {
        match job {
            Job::PackA { s, .. } | Job::PackB { s, .. } => [Some(Event::Packed(s)), None],
            Job::Compute { s, t } => [Some(Event::Computed(s)), Some(Event::Tile(s, t))],
        }
        .into_iter()
        .flatten()
    }

    /// Counters an [`Event`] may use: [`Plan::slot`] maps each to one below this.
    pub fn slots(&self) -> usize {
        2 * self.steps.len() + self.tiles
    }

    /// The counter of `event`.
    pub fn slot(&self, event: Event) -> usize {
        let steps = self.steps.len();
        match event {
            Event::Packed(s) => s,
            Event::Computed(s) => steps + s,
            Event::Tile(s, t) => 2 * steps + self.tile_slot0[s] + t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn blocks() -> impl Strategy<Value = Blocks> {
        (
            prop_oneof![Just((4, 8)), Just((6, 16)), Just((12, 32))],
            1usize..=6,
            1usize..=4,
            1usize..=4,
            1usize..=5,
            1usize..=2,
        )
            .prop_map(|((mr, nr), kc, mc, chunk, nc, k_align)| Blocks {
                mr,
                nr,
                kc: kc * 16 * k_align,
                mc: mc * mr,
                chunk: chunk * nr,
                nc: nc * chunk * nr,
                k_align,
            })
    }

    fn plans() -> impl Strategy<Value = Plan> {
        (
            (1usize..=60, 1usize..=200, 1usize..=150),
            blocks(),
            prop_oneof![Just(PackA::All), Just(PackA::Edge), Just(PackA::None)],
            prop_oneof![Just(PackB::ByRows), Just(PackB::BySlivers)],
            1usize..=5,
        )
            .prop_map(|((m, n, k), blocks, pack_a, pack_b, threads)| {
                // Edge and None are what a row-major A gets when m is, or is not, a multiple of MR.
                let pack_a = match pack_a {
                    PackA::All => PackA::All,
                    _ if m % blocks.mr != 0 => PackA::Edge,
                    _ => PackA::None,
                };
                Plan::new((m, n, k), blocks, pack_a, pack_b, threads)
            })
    }

    /// Which buffer (`0` or `1`) a job writes or reads, for `A` and for `B`.
    #[derive(Default)]
    struct Access {
        writes_a: Option<usize>,
        writes_b: Option<usize>,
        reads_a: Option<usize>,
        reads_b: Option<usize>,
    }

    fn access(plan: &Plan, job: Job) -> Access {
        match job {
            Job::PackA { s, .. } => Access {
                writes_a: Some(s % 2),
                ..Access::default()
            },
            Job::PackB { s, .. } => Access {
                writes_b: Some(s % 2),
                ..Access::default()
            },
            Job::Compute { s, .. } => Access {
                reads_a: (plan.pack_a != PackA::None).then_some(plan.a_step(s) % 2),
                reads_b: Some(s % 2),
                ..Access::default()
            },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// The invariant [`super::super::schedule`] relies on not to deadlock: every job waits
        /// only for jobs earlier in the list, and for all the jobs that signal what it waits for
        /// (run in list order, each wait is already met when its job is reached, and met by
        /// every signal of that event there will ever be).
        #[test]
        fn every_job_waits_only_on_earlier_jobs(plan in plans()) {
            let mut total: HashMap<Event, usize> = HashMap::new();
            for &job in &plan.jobs {
                for e in plan.signals(job) {
                    *total.entry(e).or_default() += 1;
                }
            }
            let mut seen: HashMap<Event, usize> = HashMap::new();
            for (i, &job) in plan.jobs.iter().enumerate() {
                for (e, n) in plan.waits(job) {
                    let have = seen.get(&e).copied().unwrap_or(0);
                    prop_assert_eq!(have, n, "job {} {:?} waits for {} × {:?}, {} before it", i, job, n, e, have);
                    prop_assert_eq!(total.get(&e).copied().unwrap_or(0), n, "{:?}: not every signal", e);
                }
                for e in plan.signals(job) {
                    *seen.entry(e).or_default() += 1;
                }
            }
        }

        /// What the waits are for: each job runs once, every tile of `C` is computed by one task a
        /// `k` block, in `k` order, and no buffer is overwritten while a task may still read it or
        /// read before it is filled: for every pair of jobs that touch the same buffer or tile, one
        /// is ordered before the other by the chain of waits.
        #[test]
        fn the_waits_order_every_conflicting_pair_of_jobs(plan in plans()) {
            let n = plan.jobs.len();
            let index: HashMap<Job, usize> =
                plan.jobs.iter().enumerate().map(|(i, &j)| (j, i)).collect();
            prop_assert_eq!(index.len(), n, "a job listed twice");
            // before[i][j]: job j finishes before job i starts, by the waits (transitively).
            let mut signalled_by: HashMap<Event, Vec<usize>> = HashMap::new();
            for (i, &job) in plan.jobs.iter().enumerate() {
                for e in plan.signals(job) {
                    signalled_by.entry(e).or_default().push(i);
                }
            }
            // Bit sets, job j at bit j % 64 of word j / 64; filled in list order, which the test
            // above shows is enough (a job waits only for earlier ones).
            let words = n.div_ceil(64);
            let mut before = vec![vec![0u64; words]; n];
            for (i, &job) in plan.jobs.iter().enumerate() {
                for (e, _) in plan.waits(job) {
                    for &j in &signalled_by[&e] {
                        prop_assert!(j < i);
                        let (done, row) = before.split_at_mut(i);
                        for (x, y) in row[0].iter_mut().zip(&done[j]) {
                            *x |= y;
                        }
                        row[0][j / 64] |= 1 << (j % 64);
                    }
                }
            }
            let is_before = |i: usize, j: usize| before[i][j / 64] >> (j % 64) & 1 == 1;
            let ordered = |i: usize, j: usize| is_before(i, j) || is_before(j, i);
            for i in 0..n {
                for j in 0..i {
                    let (x, y) = (access(&plan, plan.jobs[i]), access(&plan, plan.jobs[j]));
                    let conflict = |w: Option<usize>, r: Option<usize>| w.is_some() && w == r;
                    let clash = conflict(x.writes_a, y.reads_a) || conflict(y.writes_a, x.reads_a)
                        || conflict(x.writes_b, y.reads_b) || conflict(y.writes_b, x.reads_b);
                    prop_assert!(!clash || ordered(i, j), "{:?} and {:?} share a buffer", plan.jobs[j], plan.jobs[i]);
                    // Two packing jobs of the same buffer write disjoint parts only within a step.
                    if let (Job::PackA { s: a, .. }, Job::PackA { s: b, .. }) | (Job::PackB { s: a, .. }, Job::PackB { s: b, .. })
                        = (plan.jobs[i], plan.jobs[j]) {
                        prop_assert!(a == b || a % 2 != b % 2 || ordered(i, j));
                    }
                }
            }
            // Tiles: the tasks that write each element of C, in k order, each after the last.
            let mut writers: HashMap<(usize, usize), Vec<(usize, usize)>> = HashMap::new();
            for (i, &job) in plan.jobs.iter().enumerate() {
                if let Job::Compute { s, t } = job {
                    let st = plan.steps[s];
                    let (rows, cols) = plan.task_block(s, t);
                    for r in rows.step_by(plan.blocks.mr) {
                        for c in cols.clone().step_by(plan.blocks.nr) {
                            writers.entry((r, st.jc + c)).or_default().push((st.p0, i));
                        }
                    }
                }
            }
            let k_blocks = plan.steps.iter().filter(|st| st.jc == 0).count();
            let panel_tiles: usize = plan.m.div_ceil(plan.blocks.mr)
                * plan.steps.iter().filter(|st| st.first).map(|st| st.nc.div_ceil(plan.blocks.nr)).sum::<usize>();
            prop_assert_eq!(writers.len(), panel_tiles, "a tile of C not computed");
            for w in writers.values_mut() {
                prop_assert_eq!(w.len(), k_blocks);
                w.sort();
                for pair in w.windows(2) {
                    prop_assert!(is_before(pair[1].1, pair[0].1), "k blocks of a tile out of order");
                }
            }
        }
    }
}
