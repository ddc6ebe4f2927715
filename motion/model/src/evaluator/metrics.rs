//! The field's text-to-motion metrics on evaluator embeddings (Guo et al. 2022 definitions):
//! R-precision, FID, MM-Dist, diversity, multimodality, plus the mean/95 % interval over
//! repeated draws. Pure host code on `f32` rows; no burn.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Size of an R-precision batch: one true text and 31 others.
pub const R_PRECISION_BATCH: usize = 32;

fn dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()
}

/// Top-1/2/3 retrieval accuracy of texts from motions. `batches` holds row indices into both
/// `motions` and `texts` (row i of each is a matched pair); within a batch every motion ranks
/// all the batch's texts by Euclidean distance. Returns the fraction of motions whose own text
/// ranks within the top k, for k = 1, 2, 3. Ties count against the true text.
pub fn r_precision(motions: &[Vec<f32>], texts: &[Vec<f32>], batches: &[Vec<usize>]) -> [f32; 3] {
    let mut hits = [0usize; 3];
    let mut n = 0usize;
    for batch in batches {
        for &i in batch {
            let own = dist(&motions[i], &texts[i]);
            let closer = batch.iter().filter(|&&j| j != i && dist(&motions[i], &texts[j]) <= own).count();
            for (k, h) in hits.iter_mut().enumerate() {
                *h += (closer <= k) as usize;
            }
            n += 1;
        }
    }
    hits.map(|h| h as f32 / n.max(1) as f32)
}

/// Mean distance between matched motion and text embeddings.
pub fn mm_dist(motions: &[Vec<f32>], texts: &[Vec<f32>]) -> f32 {
    let n = motions.len().min(texts.len()).max(1);
    motions.iter().zip(texts).map(|(m, t)| dist(m, t)).sum::<f32>() / n as f32
}

/// Mean distance between `pairs` random pairs of distinct rows.
pub fn diversity(rows: &[Vec<f32>], pairs: usize, rng: &mut ChaCha8Rng) -> f32 {
    if rows.len() < 2 || pairs == 0 {
        return 0.0;
    }
    let mut s = 0f32;
    for _ in 0..pairs {
        let i = rng.random_range(0..rows.len());
        let mut j = rng.random_range(0..rows.len() - 1);
        if j >= i {
            j += 1;
        }
        s += dist(&rows[i], &rows[j]);
    }
    s / pairs as f32
}

/// Multimodality: for each group (motions made for one text), the mean distance of
/// `pairs_per_group` random pairs inside it; averaged over groups with at least two members.
pub fn multimodality(groups: &[Vec<Vec<f32>>], pairs_per_group: usize, rng: &mut ChaCha8Rng) -> f32 {
    let scores: Vec<f32> = groups.iter().filter(|g| g.len() >= 2).map(|g| diversity(g, pairs_per_group, rng)).collect();
    if scores.is_empty() { 0.0 } else { scores.iter().sum::<f32>() / scores.len() as f32 }
}

/// Fréchet distance between Gaussians fitted to two sets of rows:
/// |μa − μb|² + tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½), the square roots by symmetric eigen-
/// decomposition (negative eigenvalues from round-off clamped to 0). f64 throughout.
pub fn fid(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    let (ma, ca) = mean_cov(a);
    let (mb, cb) = mean_cov(b);
    let diff = (&ma - &mb).norm_squared();
    let sa = sym_sqrt(&ca);
    let inner = &sa * &cb * &sa;
    let inner = (&inner + inner.transpose()) * 0.5;
    let tr_sqrt: f64 = SymmetricEigen::new(inner).eigenvalues.iter().map(|v| v.max(0.0).sqrt()).sum();
    (diff + ca.trace() + cb.trace() - 2.0 * tr_sqrt).max(0.0)
}

fn mean_cov(rows: &[Vec<f32>]) -> (DVector<f64>, DMatrix<f64>) {
    let d = rows.first().map_or(0, Vec::len);
    let n = rows.len().max(1) as f64;
    let mut mean = DVector::<f64>::zeros(d);
    for r in rows {
        for (j, &x) in r.iter().enumerate() {
            mean[j] += x as f64 / n;
        }
    }
    let mut cov = DMatrix::<f64>::zeros(d, d);
    for r in rows {
        let c = DVector::from_iterator(d, r.iter().map(|&x| x as f64)) - &mean;
        cov += &c * c.transpose();
    }
    cov /= (rows.len().saturating_sub(1)).max(1) as f64;
    (mean, cov)
}

fn sym_sqrt(m: &DMatrix<f64>) -> DMatrix<f64> {
    let e = SymmetricEigen::new(m.clone());
    let s = DMatrix::from_diagonal(&e.eigenvalues.map(|v| v.max(0.0).sqrt()));
    &e.eigenvectors * s * e.eigenvectors.transpose()
}

/// Mean and half-width of the 95 % interval (1.96 σ / √n) over repeated draws, as reported
/// in the text-to-motion literature.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    pub mean: f64,
    pub ci95: f64,
}

impl Interval {
    pub fn of(values: &[f64]) -> Self {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = if values.len() > 1 { values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
        Self { mean, ci95: 1.96 * var.sqrt() / n.sqrt() }
    }
}

/// Forms R-precision batches of `R_PRECISION_BATCH` rows whose `groups` are all different, so
/// that no distractor text is a caption of the same (action, style) as the true one. Rows that
/// cannot be placed are left out; returns the batches.
pub fn distinct_group_batches(groups: &[usize], rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.shuffle(rng);
    let mut open: Vec<Vec<usize>> = Vec::new();
    let mut done = Vec::new();
    for i in order {
        match open.iter().position(|b| b.iter().all(|&j| groups[j] != groups[i])) {
            Some(k) => {
                open[k].push(i);
                if open[k].len() == R_PRECISION_BATCH {
                    done.push(open.swap_remove(k));
                }
            }
            None => open.push(vec![i]),
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn gaussian_rows(rng: &mut ChaCha8Rng, n: usize, d: usize, shift: f32, scale: f32) -> Vec<Vec<f32>> {
        let flat = crate::diffusion::gaussian(rng, n * d);
        flat.chunks(d).map(|r| r.iter().map(|x| x * scale + shift).collect()).collect()
    }

    #[test]
    fn fid_matches_closed_form_for_gaussians() {
        // Two isotropic Gaussians: FID = d·Δμ² + d·(σa − σb)².
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let a = gaussian_rows(&mut rng, 20000, 4, 0.0, 1.0);
        let b = gaussian_rows(&mut rng, 20000, 4, 0.5, 2.0);
        let f = fid(&a, &b);
        assert!((f - (4.0 * 0.25 + 4.0 * 1.0)).abs() < 0.15, "{f}");
        assert!(fid(&a, &a) < 1e-9);
    }

    #[test]
    fn r_precision_of_perfect_and_reversed_matches() {
        let rows: Vec<Vec<f32>> = (0..32).map(|i| vec![i as f32, 0.0]).collect();
        let batches = vec![(0..32).collect::<Vec<_>>()];
        assert_eq!(r_precision(&rows, &rows, &batches), [1.0, 1.0, 1.0]);
        // Texts shifted by half a step: each motion is nearer to its own text than any other,
        // except ties handled against it.
        let texts: Vec<Vec<f32>> = (0..32).map(|i| vec![(31 - i) as f32, 0.0]).collect();
        let r = r_precision(&rows, &texts, &batches);
        assert!(r[0] < 0.1, "{r:?}");
    }

    #[test]
    fn batches_have_distinct_groups_and_full_size() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let groups: Vec<usize> = (0..400).map(|i| i % 50).collect();
        let batches = distinct_group_batches(&groups, &mut rng);
        assert!(batches.len() >= 10, "{}", batches.len());
        for b in &batches {
            assert_eq!(b.len(), R_PRECISION_BATCH);
            let mut g: Vec<usize> = b.iter().map(|&i| groups[i]).collect();
            g.sort();
            g.dedup();
            assert_eq!(g.len(), R_PRECISION_BATCH);
        }
    }

    #[test]
    fn interval_and_diversity() {
        let i = Interval::of(&[1.0, 2.0, 3.0]);
        assert!((i.mean - 2.0).abs() < 1e-12 && (i.ci95 - 1.96 / 3f64.sqrt()).abs() < 1e-12);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let same = vec![vec![1.0, 1.0]; 5];
        assert_eq!(diversity(&same, 10, &mut rng), 0.0);
        let two = vec![vec![0.0, 0.0], vec![3.0, 4.0]];
        assert_eq!(diversity(&two, 10, &mut rng), 5.0);
        assert_eq!(multimodality(&[two.clone(), vec![vec![0.0]]], 4, &mut rng), 5.0);
    }
}
