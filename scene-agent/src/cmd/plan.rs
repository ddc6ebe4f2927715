//! `scene-agent plan "instruction" -o scene.json`

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use scene_llm::plan_offline;
use scene_script::Scene;
use motion::write_atomic;

use crate::llm_args::{LlmArgs, OFFLINE_NOTE};

#[derive(Args)]
pub struct PlanArgs {
    /// What should happen, e.g. "two people walk toward each other and wave, the camera slowly
    /// orbits, 8 seconds".
    pub instruction: String,
    /// Where to write the scene script (JSON). Nothing is written when the plan is refused.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Edit this existing scene script instead of starting a new one.
    #[arg(long, value_name = "FILE")]
    pub edit: Option<PathBuf>,
    /// Refuse (write nothing) when the offline planner did not understand every word.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub llm: LlmArgs,
}

pub fn run(a: PlanArgs) -> Result<()> {
    let current = match &a.edit {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            Some(Scene::from_json(&text).with_context(|| p.display().to_string())?.script)
        }
        None => None,
    };
    let scene = match a.llm.config()? {
        None => {
            eprintln!("{OFFLINE_NOTE}");
            let plan = plan_offline(&a.instruction, current.as_ref())?;
            for u in &plan.understood {
                eprintln!("understood: {u}");
            }
            if !plan.not_understood.is_empty() {
                eprintln!("not understood: {}", plan.not_understood.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "));
                if a.strict {
                    bail!("refused (--strict): some words were not understood; nothing was written");
                }
            }
            Scene::new(plan.script).context("refused; nothing was written")?
        }
        Some(cfg) => {
            eprintln!("asking {} (model {})", cfg.base_url, cfg.model);
            let mut agent = a.llm.agent(cfg);
            let out = agent.run(&[], current.as_ref(), &a.instruction);
            for l in &agent.log {
                eprintln!("  {l}");
            }
            let out = out?;
            if !out.summary.is_empty() {
                eprintln!("model: {}", out.summary);
            }
            out.scene
        }
    };
    write_atomic(&a.output, scene.script.to_json_pretty().as_bytes())?;
    println!("wrote {}", a.output.display());
    crate::cmd::validate::print_summary(&scene);
    Ok(())
}
