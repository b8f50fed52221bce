//! `vae data stats DIR`: a `pro_sg` folder's figures, in the notebook's words where it prints them.

use std::fmt::Write;
use std::path::Path;

use super::dataset::Dataset;
use super::error::Result;
use super::pro_sg::read_stats;

/// The report `vae data stats` prints: the notebook's "After filtering ..." line when `stats.json`
/// has the pre-split figures, then the shapes of the click matrices.
pub fn report(dir: &Path) -> Result<String> {
    let d = Dataset::load(dir)?;
    let mut s = String::new();
    // `write!` into a String cannot fail.
    let mut line = |text: String| {
        let _ = writeln!(s, "{text}");
    };
    if let Some(st) = read_stats(dir)? {
        line(format!(
            "After filtering, there are {} watching events from {} users and {} movies (sparsity: {:.3}%)",
            st.clicks,
            st.users,
            st.items,
            st.sparsity * 100.0
        ));
        line(format!(
            "users: {} ({} train, {} validation, {} test); protocol {}",
            st.users, st.train_users, st.heldout_users, st.heldout_users, st.protocol
        ));
        if st.skipped_lines > 0 {
            line(format!("skipped malformed lines: {}", st.skipped_lines));
        }
    }
    let density = |nnz: usize, rows: usize| {
        100.0 * nnz as f64 / (rows.max(1) as f64 * d.n_items.max(1) as f64)
    };
    line(format!("items (unique_sid): {}", d.n_items));
    line(format!(
        "train: {} users, {} clicks (density {:.3}%)",
        d.train.rows(),
        d.train.nnz(),
        density(d.train.nnz(), d.train.rows())
    ));
    for (name, p) in [("validation", &d.validation), ("test", &d.test)] {
        line(format!(
            "{name}: {} users (uid {}..), {} fold-in clicks, {} held-out clicks",
            p.fold_in.rows(),
            p.first_uid,
            p.fold_in.nnz(),
            p.heldout.nnz()
        ));
    }
    Ok(s)
}
