//! Presenting evaluation results: a text table, JSON, and a PNG chart with one panel per
//! metric and one bar per motion set (real first).

use font8x8::UnicodeFonts;
use image::{Rgb, RgbImage};

use super::eval::SetReport;

/// Fixed-width table: one row per metric, one column per set, "mean ± ci95".
pub fn table(sets: &[SetReport]) -> String {
    let Some(first) = sets.first() else { return String::new() };
    let names: Vec<&str> = first.metrics.iter().map(|m| m.name.as_str()).collect();
    let cell = |v: Option<&super::eval::MetricValue>| match v {
        Some(m) => format!("{} ± {}", fmt(m.mean), fmt(m.ci95)),
        None => "-".into(),
    };
    let mut cols: Vec<Vec<String>> = Vec::new();
    for s in sets {
        let mut c = vec![format!("{} (n={})", s.name, s.motions)];
        for n in &names {
            c.push(cell(s.get(n)));
        }
        cols.push(c);
    }
    let w0 = names.iter().map(|n| n.chars().count()).max().unwrap_or(6).max(6);
    let widths: Vec<usize> = cols.iter().map(|c| c.iter().map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in 0..=names.len() {
        let head = if row == 0 { "metric" } else { names[row - 1] };
        out.push_str(&format!("{head:<w0$}"));
        for (c, w) in cols.iter().zip(&widths) {
            out.push_str(&format!(" | {:<w$}", c[row], w = *w));
        }
        out.push('\n');
        if row == 0 {
            out.push_str(&"-".repeat(w0 + widths.iter().map(|w| w + 3).sum::<usize>()));
            out.push('\n');
        }
    }
    out
}

/// Compact number: 3 significant digits, scientific below 1e-3.
pub fn fmt(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() < 1e-3 || v.abs() >= 1e5 {
        format!("{v:.2e}")
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

const COLOURS: [[u8; 3]; 6] = [[46, 110, 200], [230, 120, 30], [60, 160, 80], [200, 60, 60], [140, 90, 190], [120, 120, 120]];
const BG: Rgb<u8> = Rgb([255, 255, 255]);
const INK: Rgb<u8> = Rgb([20, 20, 20]);

/// Chart PNG bytes: a grid of panels, one per metric, bars scaled to the panel's largest value,
/// with the 95 % interval as a whisker and the value printed beside each bar.
pub fn chart_png(sets: &[SetReport]) -> Result<Vec<u8>, image::ImageError> {
    let names: Vec<String> = sets.first().map(|s| s.metrics.iter().map(|m| m.name.clone()).collect()).unwrap_or_default();
    let cols = 3u32;
    let rows = (names.len() as u32).div_ceil(cols).max(1);
    let (pw, ph) = (420u32, 40 + 22 * sets.len().max(1) as u32);
    let legend_h = 20 + 14 * sets.len() as u32;
    let (w, h) = (cols * pw, legend_h + rows * ph);
    let mut img = RgbImage::from_pixel(w, h, BG);
    for (i, s) in sets.iter().enumerate() {
        let y = 8 + 14 * i as u32;
        fill(&mut img, 10, y, 10, 10, Rgb(COLOURS[i % COLOURS.len()]));
        text(&mut img, 26, y + 1, &format!("{} (n={})", s.name, s.motions), INK);
    }
    for (k, name) in names.iter().enumerate() {
        let (px, py) = ((k as u32 % cols) * pw, legend_h + (k as u32 / cols) * ph);
        let better = sets.iter().find_map(|s| s.get(name)).map(|m| m.better).unwrap_or("");
        text(&mut img, px + 10, py + 8, &format!("{name} ({better})"), INK);
        let max = sets.iter().filter_map(|s| s.get(name)).map(|m| (m.mean + m.ci95).abs()).fold(0.0f64, f64::max).max(1e-12);
        let bar_w = pw - 150;
        for (i, s) in sets.iter().enumerate() {
            let y = py + 28 + 22 * i as u32;
            let Some(m) = s.get(name) else {
                text(&mut img, px + 10, y + 4, "-", INK);
                continue;
            };
            let len = ((m.mean.abs() / max) * bar_w as f64).round() as u32;
            fill(&mut img, px + 10, y, len.max(1), 16, Rgb(COLOURS[i % COLOURS.len()]));
            let lo = (((m.mean - m.ci95).abs() / max) * bar_w as f64) as u32;
            let hi = (((m.mean + m.ci95).abs() / max) * bar_w as f64) as u32;
            fill(&mut img, px + 10 + lo.min(hi), y + 7, hi.abs_diff(lo).max(1), 2, INK);
            text(&mut img, px + 16 + bar_w, y + 4, &fmt(m.mean), INK);
        }
    }
    let mut bytes = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)?;
    Ok(bytes)
}

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, c: Rgb<u8>) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, c);
        }
    }
}

/// 8×8 bitmap text; characters outside basic Latin print as '?'.
fn text(img: &mut RgbImage, x: u32, y: u32, s: &str, c: Rgb<u8>) {
    for (i, ch) in s.chars().enumerate() {
        let glyph = font8x8::BASIC_FONTS.get(ch).or_else(|| font8x8::BASIC_FONTS.get('?')).unwrap_or([0; 8]);
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8 {
                if bits >> col & 1 == 1 {
                    let (px, py) = (x + 8 * i as u32 + col, y + row as u32);
                    if px < img.width() && py < img.height() {
                        img.put_pixel(px, py, c);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluator::eval::MetricValue;

    fn set(name: &str, v: f64) -> SetReport {
        SetReport {
            name: name.into(),
            motions: 3,
            metrics: vec![MetricValue { name: "FID".into(), better: "lower", mean: v, ci95: 0.1 }],
            per_action: Vec::new(),
        }
    }

    #[test]
    fn table_and_chart_show_every_set() {
        let sets = [set("real test", 0.5), set("generated", 2.0)];
        let t = table(&sets);
        assert!(t.contains("real test (n=3)") && t.contains("0.500 ± 0.100") && t.contains("2.000 ± 0.100"), "{t}");
        let png = chart_png(&sets).expect("png");
        let img = image::load_from_memory(&png).expect("decodes").to_rgb8();
        // The longer bar (generated, orange) must cover more pixels than the real one (blue).
        let count = |c: [u8; 3]| img.pixels().filter(|p| p.0 == c).count();
        assert!(count(COLOURS[1]) > 3 * count(COLOURS[0]) / 2, "{} vs {}", count(COLOURS[1]), count(COLOURS[0]));
    }
}
