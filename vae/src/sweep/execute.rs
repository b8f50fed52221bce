//! Running a sweep's points: one `vae train` process per point (the program given, normally the
//! running `vae` itself), `jobs` at a time, in grid order, each writing stdout and stderr to the
//! `train.log` of its folder. A finished point (its `results.json`) is skipped, an unfinished one
//! resumed from its checkpoint, the rest started; `sweep.csv` is rewritten after each point ends.
//! A rerun waits for its annealing run and takes β at that run's best epoch as its cap.
//!
//! Each child runs in its own process group, so a Ctrl-C at the terminal reaches the sweep alone,
//! which passes one SIGTERM to each child: each checkpoints after its step and exits. On Linux a
//! child is also sent SIGTERM if the sweep dies (`PR_SET_PDEATHSIG`), so that no training outlives
//! a killed sweep and holds a folder's lock against the sweep that continues it.

use super::error::{io, Result};
use super::point::{Phase, Point};
use super::sweep_dir::{SweepDir, SweepSpec, TRAIN_LOG};
use super::table;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the points run.
#[derive(Debug, Clone)]
pub struct Execution {
    /// The `vae` program whose `train` command runs each point.
    pub program: PathBuf,
    /// Points trained at once.
    pub jobs: usize,
    /// `--threads` of each point.
    pub threads: usize,
    /// Set (by a signal handler) to stop: running points checkpoint and exit, none is started.
    pub stop: Arc<AtomicBool>,
}

/// What a sweep did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Points finished before this sweep began.
    pub skipped: usize,
    /// Points this sweep finished.
    pub finished: usize,
    /// Points that failed: name and why (the log's path, or the annealing run that failed).
    pub failed: Vec<(String, String)>,
    /// Points not finished because of a stop request.
    pub unfinished: usize,
    pub interrupted: bool,
}

enum State {
    Pending,
    Running {
        child: Child,
        started: Instant,
        signalled: bool,
    },
    Done,
    Failed,
}

/// What a point is told to do.
fn train_command(
    exec: &Execution,
    sweep: &SweepDir,
    spec: &SweepSpec,
    point: &Point,
    cap: Option<String>,
) -> (Command, &'static str) {
    let dir = sweep.point(point);
    let mut c = Command::new(&exec.program);
    c.arg("train").arg("--data").arg(&spec.data);
    // A checkpoint lets the run go on where it stopped; a run stopped before its first one (or
    // never begun) starts again, `--overwrite` replacing only its own files beside the log.
    let how = if dir.join("config.json").exists() && dir.join("last.safetensors").exists() {
        c.arg("--resume").arg(&dir);
        "resumed"
    } else {
        c.arg("--out").arg(&dir).arg("--overwrite");
        c.args(point.train_flags());
        if let Some(cap) = cap {
            c.args(["--anneal-cap", &cap]);
        }
        for (flag, value) in &spec.fixed {
            c.arg(format!("--{flag}")).arg(value);
        }
        "started"
    };
    c.args(["--threads", &exec.threads.to_string()]);
    (c, how)
}

fn spawn(
    exec: &Execution,
    sweep: &SweepDir,
    spec: &SweepSpec,
    point: &Point,
    cap: Option<String>,
    say: &mut dyn FnMut(&str),
) -> Result<Child> {
    let dir = sweep.point(point);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let (mut command, how) = train_command(exec, sweep, spec, point, cap);
    let log_path = dir.join(TRAIN_LOG);
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io(&log_path))?;
    let shown = format!("{command:?}").replace('"', "");
    writeln!(log, "## vae sweep: {shown}").map_err(io(&log_path))?;
    let err = log.try_clone().map_err(io(&log_path))?;
    command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .env("RUST_BACKTRACE", "0")
        .process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe, and the closure touches nothing else of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().map_err(io(&exec.program))?;
    say(&format!(
        "{how} {} (log {})",
        point.name(),
        log_path.display()
    ));
    Ok(child)
}

/// Runs the points of `spec` not yet finished; `say` hears each start, end and failure.
pub fn run(
    exec: &Execution,
    sweep: &SweepDir,
    spec: &SweepSpec,
    say: &mut dyn FnMut(&str),
) -> Result<Outcome> {
    let points = spec.points();
    let mut outcome = Outcome::default();
    let mut states: Vec<State> = Vec::with_capacity(points.len());
    for p in &points {
        let done = table::read_results(&sweep.point(p))?.is_some();
        outcome.skipped += usize::from(done);
        states.push(if done { State::Done } else { State::Pending });
    }
    if outcome.skipped > 0 {
        say(&format!(
            "{} of {} points already finished, skipped",
            outcome.skipped,
            points.len()
        ));
    }
    loop {
        let stop = exec.stop.load(Ordering::SeqCst);
        outcome.interrupted |= stop;
        let mut changed = false;
        for (i, state) in states.iter_mut().enumerate() {
            let State::Running {
                child,
                started,
                signalled,
            } = state
            else {
                continue;
            };
            if stop && !*signalled {
                // SAFETY: kill(2) on the pid of our own child, which has not been reaped.
                unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
                *signalled = true;
            }
            let Some(status) = child.try_wait().map_err(io(&exec.program))? else {
                continue;
            };
            let name = points[i].name();
            let log = sweep.point(&points[i]).join(TRAIN_LOG);
            let finished = table::read_results(&sweep.point(&points[i]))?.is_some();
            *state = if status.success() && finished {
                outcome.finished += 1;
                say(&format!(
                    "finished {name} in {:.1}s",
                    started.elapsed().as_secs_f64()
                ));
                State::Done
            } else if *signalled {
                say(&format!("stopped {name} at its checkpoint"));
                State::Pending
            } else {
                say(&format!("FAILED {name} ({status}); see {}", log.display()));
                outcome.failed.push((name, log.display().to_string()));
                State::Failed
            };
            changed = true;
        }
        if changed {
            table::write_csv(sweep, spec, &table::rows(sweep, spec)?)?;
        }
        let running = states
            .iter()
            .filter(|s| matches!(s, State::Running { .. }))
            .count();
        if stop {
            if running == 0 {
                break;
            }
        } else {
            let mut started = running;
            let mut waiting = false;
            for i in 0..points.len() {
                if started >= exec.jobs {
                    break;
                }
                if !matches!(states[i], State::Pending) {
                    continue;
                }
                let point = &points[i];
                let cap = match point.phase {
                    Phase::Rerun => {
                        let first = point.in_phase(Phase::Anneal);
                        let at = points.iter().position(|p| *p == first);
                        match at.map(|a| &states[a]) {
                            Some(State::Done) => table::phase_cap(sweep, point)?,
                            Some(State::Failed) | None => {
                                let why = format!("its annealing run {} failed", first.name());
                                say(&format!("FAILED {}: {why}", point.name()));
                                outcome.failed.push((point.name(), why));
                                states[i] = State::Failed;
                                continue;
                            }
                            _ => {
                                waiting = true;
                                continue;
                            }
                        }
                    }
                    _ => table::phase_cap(sweep, point)?,
                };
                let child = spawn(exec, sweep, spec, point, cap, say)?;
                states[i] = State::Running {
                    child,
                    started: Instant::now(),
                    signalled: false,
                };
                started += 1;
            }
            if started == 0 && !waiting {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    outcome.unfinished = states
        .iter()
        .filter(|s| matches!(s, State::Pending))
        .count();
    Ok(outcome)
}
