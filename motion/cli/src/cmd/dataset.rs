use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use motion::dataset::{build, BuildOptions, DatasetCache, Split, CACHE_FILE};
use motion::features::decode;
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand)]
pub enum DatasetCommand {
    /// Retarget every Bandai Namco clip to the canonical skeleton at 20 fps, encode features,
    /// split train/val/test by take (stratified by action and style, seeded), compute mean/std
    /// and write OUT/dataset.safetensors, OUT/quality.json and OUT/contact-sheet.png.
    Build {
        /// Folder holding the unpacked Bandai Namco datasets (what shared/data/unpack.sh writes).
        #[arg(long)]
        source: PathBuf,
        /// Output folder for the cache (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Seed of the split shuffle.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Print the clips, hours and frames per split of a cache.
    Info {
        /// The cache folder (or its dataset.safetensors).
        cache: PathBuf,
    },
}

pub fn run(c: DatasetCommand) -> anyhow::Result<()> {
    match c {
        DatasetCommand::Build { source, out, seed, threads } => build_cmd(source, out, seed, threads),
        DatasetCommand::Info { cache } => {
            print_stats(&open_cache(&cache)?);
            Ok(())
        }
    }
}

/// Reads a dataset cache given its folder or its dataset.safetensors.
pub fn open_cache(data: &Path) -> anyhow::Result<DatasetCache> {
    let path = if data.is_dir() { data.join(CACHE_FILE) } else { data.to_path_buf() };
    DatasetCache::read(&path).with_context(|| format!("cannot read dataset cache {}", path.display()))
}

/// Creates an output folder (and its parents), naming it in the error.
pub fn create_out_dir(out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))
}

fn print_stats(c: &DatasetCache) {
    println!("{:<6} {:>6} {:>8} {:>9}", "split", "clips", "hours", "frames");
    let mut total = (0, 0.0, 0);
    for (s, st) in c.split_stats() {
        println!("{:<6} {:>6} {:>8.3} {:>9}", s.name(), st.clips, st.hours, st.frames);
        total = (total.0 + st.clips, total.1 + st.hours, total.2 + st.frames);
    }
    println!("{:<6} {:>6} {:>8.3} {:>9}", "all", total.0, total.1, total.2);
}

fn build_cmd(source: PathBuf, out: PathBuf, seed: u64, threads: Option<usize>) -> anyhow::Result<()> {
    if out.is_file() {
        bail!("--out {} is a file; give a folder", out.display());
    }
    create_out_dir(&out)?;
    let mut opts = BuildOptions { seed, ..Default::default() };
    if let Some(t) = threads {
        opts.threads = t.clamp(1, 256);
    }
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template("{spinner} retargeting [{bar:40}] {pos}/{len} clips ({eta})").unwrap_or_else(|_| ProgressStyle::default_bar()));
    let t0 = std::time::Instant::now();
    let (cache, report) = build(&source, &opts, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    for (p, why) in &report.skipped {
        eprintln!("skipped {}: {why}", p.display());
    }
    for (name, why) in &report.failed {
        eprintln!("failed  {name}: {why}");
    }
    let cache_path = out.join(CACHE_FILE);
    cache.write(&cache_path)?;
    println!("wrote {} in {:.1} s", cache_path.display(), t0.elapsed().as_secs_f32());
    print_stats(&cache);

    // Quality over all clips: the retarget must keep bones rigid, feet on the floor, knees and
    // sides the right way round.
    let q = &report.quality;
    let frames: usize = q.values().map(|c| c.frames).sum();
    let spread = q.values().map(|c| c.bone_length_spread).fold(0.0f32, f32::max);
    let grounded: Vec<_> = q.iter().filter(|(n, _)| !["_run_", "_dash_", "_kick_", "_dance"].iter().any(|k| n.contains(k))).map(|(_, c)| c).collect();
    let g_frames: usize = grounded.iter().map(|c| c.frames).sum();
    let on_floor: f32 = grounded.iter().map(|c| c.feet_on_floor_fraction * c.frames as f32).sum::<f32>() / g_frames.max(1) as f32;
    let knees: usize = q.values().map(|c| c.knees_flipped_frames).sum();
    let sides: usize = q.values().map(|c| c.sides_swapped_frames).sum();
    println!("quality over {} clips / {frames} frames:", q.len());
    println!("  bone length spread (max over clips, relative): {spread:.2e}");
    println!("  lowest foot within 2 cm of the floor (walk/stand/gesture clips): {:.1} % of frames", on_floor * 100.0);
    println!("  frames with a knee bent the wrong way: {knees}; with left/right swapped: {sides}");
    let roundtrip = q.values().map(|c| c.encode_decode_max_error_m).fold(0.0f32, f32::max);
    println!("  features encode -> decode, max joint error over every clip: {roundtrip:.2e} m");
    if roundtrip > 1e-4 {
        bail!("encode -> decode error {roundtrip:.2e} m exceeds 1e-4 m");
    }
    let json = serde_json::to_vec_pretty(&report.quality)?;
    motion::write_atomic(&out.join("quality.json"), &json)?;

    // Contact sheet: the first test clip of a few actions.
    let mut picked = vec![];
    let mut seen = std::collections::BTreeSet::new();
    for c in cache.clips.iter().filter(|c| c.split == Split::Test) {
        if seen.insert(c.action.clone()) && picked.len() < 8 {
            picked.push(c);
        }
    }
    let motions: Vec<_> = picked
        .iter()
        .map(|c| {
            let rows: Vec<[f32; motion::features::FEATURE_DIM]> =
                cache.clip_rows(c).chunks_exact(motion::features::FEATURE_DIM).map(|r| r.try_into().expect("row")).collect();
            decode(&rows)
        })
        .collect();
    let refs: Vec<_> = motions.iter().collect();
    let sheet = out.join("contact-sheet.png");
    motion::contact_sheet::write_contact_sheet(&refs, 8, &sheet)?;
    println!("contact sheet ({}) -> {}", picked.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "), sheet.display());
    Ok(())
}
