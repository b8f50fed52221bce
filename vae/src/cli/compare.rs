//! `vae compare`: each group of runs against the first, user by user, with paired tests.

use clap::Args;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Groups to compare, the first the baseline: each a run folder, or several run folders of
    /// one configuration with different seeds joined by commas (each user's metric is then the
    /// mean over the group's runs), or a per-user CSV file written by `vae eval --per-user`.
    #[arg(required = true, num_args = 2.., value_name = "GROUP")]
    groups: Vec<String>,
    /// Print the comparison as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn compare_cmd(a: CompareArgs) -> anyhow::Result<()> {
    let groups = vae::compare::load(&a.groups)?;
    let report = vae::compare::compare(&groups);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
