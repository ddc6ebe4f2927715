//! Throughput of the MiniLM text encoder on the default CPU backend (flex).
//!
//!     scripts/fetch-minilm.sh
//!     CARGO_TARGET_DIR=/work/target-model cargo bench -p motion-model --bench text_encoder
//!
//! Prints model load time and sentences/s at batch 1 and batch 32 (typical HumanML3D-length
//! captions, 10-25 tokens). Fixed inputs, no randomness.

use std::time::Instant;

use burn::prelude::Device;
use motion_model::text_encoder::{TextEncoder, locate_model_dir};

const CAPTIONS: [&str; 8] = [
    "a person walks forward and then jumps",
    "a man kicks with his left leg",
    "someone sits down slowly, waits, then stands up and turns to the right",
    "the figure raises both arms above its head",
    "a person jogs in a circle counterclockwise",
    "a woman bends down to pick something up and places it on a shelf",
    "the person waves with the right hand while stepping backwards",
    "a man crouches, crawls under an obstacle and sprints away",
];

fn main() {
    let dir = match locate_model_dir(None) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let device = Device::flex();
    let t = Instant::now();
    let enc = match TextEncoder::load(&dir, &device) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    println!("model load: {:.3} s", t.elapsed().as_secs_f64());

    let run = |batch: usize, reps: usize| -> f64 {
        let texts: Vec<&str> = (0..batch).map(|i| CAPTIONS[i % CAPTIONS.len()]).collect();
        let _ = enc.encode(&texts).expect("warm-up encode"); // first call pays allocation/thread-pool start
        let t = Instant::now();
        for _ in 0..reps {
            let out = enc.encode(&texts).expect("encode");
            std::hint::black_box(out);
        }
        (batch * reps) as f64 / t.elapsed().as_secs_f64()
    };
    println!("batch  1: {:8.1} sentences/s", run(1, 50));
    println!("batch 32: {:8.1} sentences/s", run(32, 10));
}
