//! `vae data stats DIR`: a `pro_sg` folder's figures, in the notebook's words where it prints them,
//! and beside the paper's Table 1 for the data set it stands for.

use std::fmt::Write;
use std::path::Path;

use super::dataset::Dataset;
use super::error::Result;
use super::preset::Preset;
use super::pro_sg::read_stats;

/// The report `vae data stats` prints: the notebook's "After filtering ..." line when `stats.json`
/// has the pre-split figures, the shapes of the click matrices, then users, items, clicks and density
/// beside Table 1's figures for `preset` (by default the preset `stats.json` names, if any).
pub fn report(dir: &Path, preset: Option<Preset>) -> Result<String> {
    let d = Dataset::load(dir)?;
    let stats = read_stats(dir)?;
    let mut s = String::new();
    // `write!` into a String cannot fail.
    let mut line = |text: String| {
        let _ = writeln!(s, "{text}");
    };
    if let Some(st) = &stats {
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
        if st.repeated_clicks > 0 {
            line(format!(
                "repeated clicks (a user's second click on an item), kept as the notebook keeps them: {}",
                st.repeated_clicks
            ));
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
    if let Some(p) = preset.or(stats.as_ref().and_then(|st| st.preset)) {
        // Table 1 counts every user, item and click after filtering, before the split: the figures
        // of `stats.json`; a folder without one (the notebook's) gives those of its click files.
        let ours = match &stats {
            Some(st) => (st.users, st.items, st.clicks, st.heldout_users),
            None => (
                d.train.rows() + d.validation.fold_in.rows() + d.test.fold_in.rows(),
                d.n_items,
                d.train.nnz()
                    + [&d.validation, &d.test]
                        .iter()
                        .map(|h| h.fold_in.nnz() + h.heldout.nnz())
                        .sum::<usize>(),
                d.validation.fold_in.rows(),
            ),
        };
        let t = p.table1();
        let density = ours.2 as f64 / (ours.0 as f64 * ours.1 as f64);
        line(String::new());
        line(format!(
            "{:<16} {:>14} {:>24}",
            "",
            "this folder",
            format!("paper, Table 1 ({})", p.name())
        ));
        line(format!(
            "{:<16} {:>14} {:>24}",
            "users",
            thousands(ours.0),
            thousands(t.users)
        ));
        line(format!(
            "{:<16} {:>14} {:>24}",
            "items",
            thousands(ours.1),
            thousands(t.items)
        ));
        line(format!(
            "{:<16} {:>14} {:>24}",
            "clicks",
            thousands(ours.2),
            format!("{:.1}M", t.clicks / 1e6)
        ));
        line(format!(
            "{:<16} {:>13.3}% {:>23.3}%",
            "density",
            100.0 * density,
            100.0 * t.density()
        ));
        line(format!(
            "{:<16} {:>14} {:>24}",
            "held-out users",
            thousands(ours.3),
            thousands(t.heldout_users)
        ));
    }
    Ok(s)
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits_by_three() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(136_677), "136,677");
        assert_eq!(thousands(10_000_054), "10,000,054");
    }
}
