use anyhow::{bail, Context};
use motion::convert::{convert, ConvertOptions};
use motion::retarget::Target;
use std::path::PathBuf;

/// Formats are chosen by extension. Inputs: .bvh (canonical, Bandai Namco or Mixamo/CMU joint
/// names), .npy ([frames, 22, 3] joint positions in metres, or HumanML3D [frames, 263]
/// features), .glb (written by this tool). Outputs: .glb (skinned mannequin), .bvh
/// (centimetres), .npy (joint positions). Joint rotations are solved from positions, and the
/// solved motion's position error against the input is printed.
#[derive(clap::Args)]
pub struct ConvertArgs {
    /// Input file (.bvh, .npy, .glb).
    pub input: PathBuf,
    /// Output file (.glb, .bvh, .npy); written atomically.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Output frame rate.
    #[arg(long, default_value_t = 20.0)]
    pub fps: f32,
    /// Retarget onto the canonical skeleton (what the model uses) instead of keeping the
    /// input's proportions.
    #[arg(long)]
    pub canonical: bool,
    /// Metres per BVH unit (e.g. 0.01 for centimetres); detected from body size if omitted.
    #[arg(long)]
    pub bvh_scale: Option<f32>,
    /// Frame rate of .npy inputs, which store none.
    #[arg(long, default_value_t = 20.0)]
    pub npy_fps: f32,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: ConvertArgs) -> anyhow::Result<()> {
    if a.output.exists() && !a.force {
        bail!("{} already exists (pass --force to replace it)", a.output.display());
    }
    let opts = ConvertOptions {
        fps: a.fps,
        target: if a.canonical { Target::Canonical } else { Target::Fitted },
        bvh_scale_to_m: a.bvh_scale,
        npy_fps: a.npy_fps,
    };
    let r = convert(&a.input, &a.output, &opts).with_context(|| format!("converting {}", a.input.display()))?;
    println!("read    {} ({} frames at {:.2} fps)", r.source, r.input_frames, r.input_fps);
    if a.canonical {
        println!("retargeted onto the canonical skeleton (positions differ by design)");
    } else {
        println!("position error of solved rotations: mean {:.3e} cm, max {:.3e} cm", r.error.mean_m * 100.0, r.error.max_m * 100.0);
    }
    println!("wrote   {} ({} frames at {:.2} fps)", a.output.display(), r.output_frames, r.output_fps);
    Ok(())
}
