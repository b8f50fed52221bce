//! The `vae` binary: `vae data ...` now; training and evaluation commands join `Command` beside it.

mod cli;

// A training step frees and reallocates several 40 MB buffers. glibc returns such blocks to the
// kernel (they are above its mmap threshold), so every new one page-faults its way in again, with
// TLB shootdowns across threads; mimalloc keeps them for reuse.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    cli::Cli::parse().run()
}
