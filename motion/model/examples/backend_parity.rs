//! Runs the text encoder on the flex CPU backend and (with `--features wgpu`) on a wgpu GPU
//! device and compares the two, sentence by sentence, and both against the committed
//! sentence-transformers reference when the real weights are used.
//!
//!     cargo run -p motion-model --example backend_parity [--features wgpu] -- MODEL_DIR
//!     cargo run -p motion-model --example backend_parity --features wgpu -- --random SRC_DIR DEST_DIR
//!
//! `--random` writes a model.safetensors of seeded random weights (std 0.02, like BERT's init)
//! with the shapes of SRC_DIR/config.json into DEST_DIR (plus copies of config.json and
//! tokenizer.json) and uses that: it checks the GPU path where the 91 MB real weights cannot
//! be shipped. The reference comparison is skipped then.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::prelude::Device;
use motion_model::text_encoder::{EMBEDDING_DIM, TextEncoder};

const REFERENCE_JSON: &str = include_str!("../reference/reference_embeddings.json");

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    let n = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (n(a) * n(b))
}

/// splitmix64 + Box-Muller: deterministic normal samples without a rand dependency.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f32 {
        let (u, v) = (self.next_f64().max(1e-12), self.next_f64());
        ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
    }
}

fn write_random_model(src: &Path, dest: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dest)?;
    std::fs::copy(src.join("config.json"), dest.join("config.json"))?;
    std::fs::copy(src.join("tokenizer.json"), dest.join("tokenizer.json"))?;
    let cfg: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(src.join("config.json"))?)?;
    let get = |k: &str| cfg[k].as_u64().map(|v| v as usize).ok_or(format!("config.json: no {k}"));
    let (v, h, l, f, p, t) = (
        get("vocab_size")?,
        get("hidden_size")?,
        get("num_hidden_layers")?,
        get("intermediate_size")?,
        get("max_position_embeddings")?,
        get("type_vocab_size")?,
    );
    let mut specs: Vec<(String, Vec<usize>, &str)> = vec![
        ("embeddings.word_embeddings.weight".into(), vec![v, h], "w"),
        ("embeddings.position_embeddings.weight".into(), vec![p, h], "w"),
        ("embeddings.token_type_embeddings.weight".into(), vec![t, h], "w"),
        ("embeddings.LayerNorm.weight".into(), vec![h], "g"),
        ("embeddings.LayerNorm.bias".into(), vec![h], "w"),
    ];
    for i in 0..l {
        let pre = format!("encoder.layer.{i}");
        for (name, o, inp) in [
            ("attention.self.query", h, h),
            ("attention.self.key", h, h),
            ("attention.self.value", h, h),
            ("attention.output.dense", h, h),
            ("intermediate.dense", f, h),
            ("output.dense", h, f),
        ] {
            specs.push((format!("{pre}.{name}.weight"), vec![o, inp], "w"));
            specs.push((format!("{pre}.{name}.bias"), vec![o], "w"));
        }
        for ln in ["attention.output.LayerNorm", "output.LayerNorm"] {
            specs.push((format!("{pre}.{ln}.weight"), vec![h], "g"));
            specs.push((format!("{pre}.{ln}.bias"), vec![h], "w"));
        }
    }
    let mut rng = Rng(0x5EED);
    let bufs: Vec<(String, Vec<usize>, Vec<u8>)> = specs
        .into_iter()
        .map(|(n, shape, kind)| {
            let count: usize = shape.iter().product();
            let bytes = (0..count)
                .flat_map(|_| {
                    let x = 0.02 * rng.normal() + if kind == "g" { 1.0 } else { 0.0 };
                    x.to_le_bytes()
                })
                .collect();
            (n, shape, bytes)
        })
        .collect();
    let mut views = Vec::new();
    for (n, s, b) in &bufs {
        views.push((n.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b)?));
    }
    safetensors::serialize_to_file(views, None, &dest.join("model.safetensors"))?;
    Ok(())
}

fn run(name: &str, dir: &Path, device: &Device, texts: &[&str]) -> Result<Vec<[f32; EMBEDDING_DIM]>, Box<dyn std::error::Error>> {
    let t = Instant::now();
    let enc = TextEncoder::load(dir, device)?;
    println!("[{name}] load {:.3} s", t.elapsed().as_secs_f64());
    let first = Instant::now();
    let out = enc.encode(texts)?;
    println!("[{name}] first encode of {} texts {:.3} s (includes kernel compilation)", texts.len(), first.elapsed().as_secs_f64());
    let batch: Vec<&str> = (0..32).map(|i| texts[i % texts.len()]).collect();
    let _ = enc.encode(&batch)?;
    let t = Instant::now();
    for _ in 0..5 {
        std::hint::black_box(enc.encode(&batch)?);
    }
    println!("[{name}] batch 32: {:.1} sentences/s", 160.0 / t.elapsed().as_secs_f64());
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, random) = match args.as_slice() {
        [flag, src, dest] if flag == "--random" => {
            write_random_model(Path::new(src), Path::new(dest))?;
            (PathBuf::from(dest), true)
        }
        [dir] => (PathBuf::from(dir), false),
        _ => motion_model::locate_model_dir(None).map(|d| (d, false))?,
    };
    let reference: serde_json::Value = serde_json::from_str(REFERENCE_JSON)?;
    let items = reference["items"].as_array().ok_or("reference: no items")?;
    let texts: Vec<&str> = items.iter().filter_map(|i| i["text"].as_str()).collect();
    let cpu = run("flex", &dir, &Device::flex(), &texts)?;
    if !random {
        let mut min = f64::INFINITY;
        for (item, e) in items.iter().zip(&cpu) {
            let r: Vec<f32> = item["embedding"].as_array().ok_or("no embedding")?.iter().filter_map(|x| x.as_f64()).map(|x| x as f32).collect();
            min = min.min(cosine(&r, e));
        }
        println!("[flex] min cosine vs sentence-transformers: {min:.9}");
    }
    #[cfg(feature = "wgpu")]
    {
        use burn::prelude::DeviceKind;
        let gpu = run("wgpu", &dir, &Device::wgpu(DeviceKind::DefaultDevice), &texts)?;
        let min = cpu.iter().zip(&gpu).map(|(a, b)| cosine(a, b)).fold(f64::INFINITY, f64::min);
        println!("[wgpu] min cosine vs flex over {} texts: {min:.9}", texts.len());
        if !random {
            let mut min = f64::INFINITY;
            for (item, e) in items.iter().zip(&gpu) {
                let r: Vec<f32> = item["embedding"].as_array().ok_or("no embedding")?.iter().filter_map(|x| x.as_f64()).map(|x| x as f32).collect();
                min = min.min(cosine(&r, e));
            }
            println!("[wgpu] min cosine vs sentence-transformers: {min:.9}");
        }
    }
    Ok(())
}
