//! Parity of the burn MiniLM encoder with sentence-transformers, plus tokenisation, batching,
//! truncation and error behaviour.
//!
//! Needs the model files (`scripts/fetch-minilm.sh`, or `MOTION_MINILM_DIR`). Without them the
//! model-backed tests FAIL with the set-up message, unless `MOTION_SKIP_MINILM=1`.

use std::sync::OnceLock;

use burn::prelude::Device;
use motion_model::text_encoder::{EMBEDDING_DIM, TextEncoder, TextEncoderError, locate_model_dir};
use serde::Deserialize;

/// Written by motion/model/reference/make_reference.py (sentence-transformers, torch, CPU).
const REFERENCE_JSON: &str = include_str!("../reference/reference_embeddings.json");

#[derive(Deserialize)]
struct Reference {
    max_seq_length: usize,
    items: Vec<Item>,
}
#[derive(Deserialize)]
struct Item {
    text: String,
    tokens_untruncated: usize,
    embedding: Vec<f32>,
}

fn reference() -> Reference {
    serde_json::from_str(REFERENCE_JSON).expect("committed reference JSON parses")
}

/// One shared encoder per test binary (loading takes a moment). `None` = skipped on request.
fn encoder() -> Option<&'static TextEncoder> {
    static ENC: OnceLock<Option<TextEncoder>> = OnceLock::new();
    ENC.get_or_init(|| {
        let dir = match locate_model_dir(None) {
            Ok(d) => d,
            Err(e) if std::env::var("MOTION_SKIP_MINILM").as_deref() == Ok("1") => {
                eprintln!("MOTION_SKIP_MINILM=1: skipping MiniLM tests ({e})");
                return None;
            }
            Err(e) => panic!("{e}\n(set MOTION_SKIP_MINILM=1 to skip the MiniLM tests)"),
        };
        Some(TextEncoder::load(&dir, &Device::flex()).unwrap_or_else(|e| panic!("loading {}: {e}", dir.display())))
    })
    .as_ref()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

#[test]
fn parity_with_sentence_transformers() {
    let Some(enc) = encoder() else { return };
    let r = reference();
    assert_eq!(r.max_seq_length, motion_model::MAX_TOKENS);
    let texts: Vec<&str> = r.items.iter().map(|i| i.text.as_str()).collect();
    let got = enc.encode(&texts).expect("encode");
    assert_eq!(got.len(), texts.len());
    let mut min = f64::INFINITY;
    for (item, emb) in r.items.iter().zip(&got) {
        assert_eq!(item.embedding.len(), EMBEDDING_DIM);
        let c = cosine(&item.embedding, emb);
        let max_abs = item.embedding.iter().zip(emb).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        eprintln!("1-cos {:.1e}  max|diff| {max_abs:.2e}  {:?}", 1.0 - c, item.text.chars().take(50).collect::<String>());
        min = min.min(c);
        assert!(c >= 0.999, "cosine {c} < 0.999 for {:?}", item.text);
        let norm = emb.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "embedding not unit length: {norm}");
    }
    eprintln!("min cosine over {} sentences: {min:.9} (1-min = {:.1e})", got.len(), 1.0 - min);
}

#[test]
fn token_counts_match_reference_tokenizer() {
    let Some(enc) = encoder() else { return };
    for item in reference().items {
        assert_eq!(enc.token_count(&item.text).expect("tokenise"), item.tokens_untruncated, "{:?}", item.text);
    }
}

#[test]
fn batching_does_not_change_embeddings() {
    let Some(enc) = encoder() else { return };
    let r = reference();
    let texts: Vec<&str> = r.items.iter().map(|i| i.text.as_str()).collect();
    let batched = enc.encode(&texts).expect("batched");
    for (t, b) in texts.iter().zip(&batched) {
        let single = enc.encode(&[t]).expect("single");
        let c = cosine(&single[0], b);
        assert!(c > 0.99999, "padding changed the embedding of {t:?}: cos {c}");
    }
    // The tensor variant returns the same numbers, shaped [batch, 384].
    let t = enc.encode_tensor(&texts[..3]).expect("tensor");
    assert_eq!(t.dims(), [3, EMBEDDING_DIM]);
    let flat: Vec<f32> = t.into_data().try_into_vec().expect("f32 data");
    for (row, b) in flat.chunks_exact(EMBEDDING_DIM).zip(&batched) {
        assert!(cosine(row, b) > 0.99999);
    }
    assert!(enc.encode(&[]).expect("empty list").is_empty());
    assert_eq!(enc.encode_tensor(&[]).expect("empty list").dims(), [0, EMBEDDING_DIM]);
}

#[test]
fn text_beyond_256_tokens_is_ignored() {
    let Some(enc) = encoder() else { return };
    let r = reference();
    let long = &r.items.iter().find(|i| i.tokens_untruncated > motion_model::MAX_TOKENS).expect("an over-long sentence").text;
    let longer = format!("{long} and then something completely different happens at the very end");
    let e = enc.encode(&[long, &longer]).expect("encode");
    assert!(cosine(&e[0], &e[1]) > 0.999999, "tokens past {} changed the embedding", motion_model::MAX_TOKENS);
    // ...while text within the limit does matter.
    let short = enc.encode(&["a person walks", "a person walks in a circle"]).expect("encode");
    assert!(cosine(&short[0], &short[1]) < 0.99);
}

// ---- error behaviour (no model files needed) ----

#[test]
fn missing_dir_names_the_fetch_script() {
    let err = locate_model_dir(Some(std::path::Path::new("/nonexistent/minilm"))).unwrap_err();
    assert!(matches!(err, TextEncoderError::ModelDirNotFound { .. }));
    let msg = err.to_string();
    assert!(msg.contains("scripts/fetch-minilm.sh") && msg.contains("/nonexistent/minilm"), "{msg}");
}

/// A model dir with a small valid config and a hand-made safetensors file.
fn fake_dir(tensors: Vec<(&str, safetensors::Dtype, Vec<usize>)>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = r#"{"vocab_size": 10, "hidden_size": 384, "num_hidden_layers": 1,
        "num_attention_heads": 12, "intermediate_size": 16, "max_position_embeddings": 256,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}"#;
    std::fs::write(dir.path().join("config.json"), cfg).expect("write");
    std::fs::write(dir.path().join("tokenizer.json"), "{}").expect("write");
    let bufs: Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(n, dt, shape)| {
            let bytes = vec![0u8; shape.iter().product::<usize>() * dt.bitsize() / 8];
            (n.to_string(), dt, shape, bytes)
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = bufs
        .iter()
        .map(|(n, dt, s, b)| (n.clone(), safetensors::tensor::TensorView::new(*dt, s.clone(), b).expect("view")))
        .collect();
    safetensors::serialize_to_file(views, None, &dir.path().join("model.safetensors")).expect("serialize");
    dir
}

#[test]
fn wrong_shape_dtype_and_missing_tensor_are_named() {
    use safetensors::Dtype::{F16, F32};
    let dev = Device::flex();
    let d = fake_dir(vec![("embeddings.word_embeddings.weight", F32, vec![10, 383])]);
    let e = TextEncoder::load(d.path(), &dev).unwrap_err();
    assert!(matches!(&e, TextEncoderError::WrongShape { tensor, found, .. }
        if tensor == "embeddings.word_embeddings.weight" && found == &vec![10, 383]), "{e}");
    assert!(e.to_string().contains("model.safetensors"), "{e}");

    let d = fake_dir(vec![("embeddings.word_embeddings.weight", F16, vec![10, 384])]);
    let e = TextEncoder::load(d.path(), &dev).unwrap_err();
    assert!(matches!(&e, TextEncoderError::WrongDtype { found, .. } if found == "F16"), "{e}");

    let d = fake_dir(vec![("embeddings.word_embeddings.weight", F32, vec![10, 384])]);
    let e = TextEncoder::load(d.path(), &dev).unwrap_err();
    assert!(matches!(&e, TextEncoderError::MissingTensor { tensor, .. }
        if tensor == "embeddings.position_embeddings.weight"), "{e}");
}

#[test]
fn corrupt_files_are_reported_with_their_path() {
    let dev = Device::flex();
    let d = fake_dir(vec![]);
    std::fs::write(d.path().join("model.safetensors"), b"not a safetensors file").expect("write");
    let e = TextEncoder::load(d.path(), &dev).unwrap_err();
    assert!(matches!(e, TextEncoderError::SafeTensors { .. }), "{e}");

    std::fs::write(d.path().join("config.json"), r#"{"hidden_size": 768}"#).expect("write");
    let e = TextEncoder::load(d.path(), &dev).unwrap_err();
    assert!(matches!(e, TextEncoderError::Config { .. }) && e.to_string().contains("config.json"), "{e}");

    std::fs::remove_file(d.path().join("tokenizer.json")).expect("rm");
    let e = TextEncoder::load(d.path(), &dev).unwrap_err();
    assert!(matches!(e, TextEncoderError::MissingFile { file: "tokenizer.json", .. }), "{e}");
}
