use anyhow::Context;
use motion::cleanup::Cleanup;
use motion::convert::save_motion;
use motion::features::decode;
use motion_model::generate::GenerateOptions;
use std::path::PathBuf;
use std::time::Instant;

use super::generate::{SamplerArgs, finished};

/// Time text-to-motion on this machine: model and MiniLM loading, text encoding, sampling a
/// clip with the default sampler (with --best-of: all candidates, their clean-up and the
/// critic's choice; repeated, after one warm-up), decoding and writing a GLB,
/// and the process's peak memory. Prints one line per figure.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Prompt to generate.
    #[arg(long, default_value = "a person walks forward and waves with the left hand")]
    pub text: String,
    /// Timed repetitions of the sampling step.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    #[command(flatten)]
    pub sampler: SamplerArgs,
}

/// Peak resident memory of this process (Linux VmHWM), in MB.
fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    let t_start = Instant::now();
    let s = &a.sampler;
    let device = s.device()?;
    let opts = s.options(1, 0);
    let frames = opts.check()?;
    if a.runs == 0 || a.runs > 1000 {
        anyhow::bail!("--runs must be 1–1000");
    }
    let t = Instant::now();
    let generator = s.load_generator(&device)?;
    let load_model = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let critic = s.load_critic(&device)?;
    let load_critic = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let encoder = s.load_text_encoder(&device)?;
    let load_text = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let emb = encoder.encode(&[a.text.as_str()])?;
    let emb = *emb.first().context("no embedding")?;
    let encode_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let cleanup = Cleanup::default();
    let finish = finished(cleanup);
    let first = generator.generate_best(&emb, &opts, critic.as_ref(), &finish, &mut |_, _| {})?;
    let first_sample = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let dir = tempfile_dir()?;
    let out = dir.join("bench.glb");
    let motion = cleanup.apply(&decode(first.first().context("no sample")?));
    save_motion(&motion, &out).with_context(|| format!("cannot write {}", out.display()))?;
    let write_s = t.elapsed().as_secs_f64();
    let cold = t_start.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    let mut times = Vec::with_capacity(a.runs);
    for i in 0..a.runs {
        let t = Instant::now();
        let o = GenerateOptions { seed: i as u64 + 1, ..opts.clone() };
        generator.generate_best(&emb, &o, critic.as_ref(), &finish, &mut |_, _| {})?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!("backend {}, {frames} frames ({} s), {} DDIM steps, guidance {}, best of {} ({} guided at every step)", s.backend, s.seconds, s.steps, s.guidance, s.best_of, s.fully_guided.min(s.best_of));
    println!("load denoiser          {:.3} s", load_model);
    if critic.is_some() {
        println!("load critic            {:.3} s", load_critic);
    }
    println!("load MiniLM            {:.3} s", load_text);
    println!("encode text            {:.3} s", encode_s);
    println!("first sample           {:.3} s", first_sample);
    println!("decode, clean, write   {:.3} s (GLB)", write_s);
    println!("in-process cold start  {:.3} s (models loaded, one clip written)", cold);
    println!("sample, median of {}   {:.3} s (min {:.3}, max {:.3})", a.runs, median, times[0], times[times.len() - 1]);
    if let Some(mb) = peak_rss_mb() {
        println!("peak memory            {mb:.0} MB");
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("motion-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
    Ok(d)
}
