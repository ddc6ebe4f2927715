#!/usr/bin/env python3
"""Plot a run's loss.csv (written by `motion train`) as a dependency-free SVG.

usage: python3 models/plot_loss.py RUN/loss.csv OUT.svg
"""
import csv, sys

rows = list(csv.DictReader(open(sys.argv[1])))
train = [(int(r["step"]), float(r["loss"])) for r in rows if r["loss"]]
val = [(int(r["step"]), float(r["val_loss"])) for r in rows if r.get("val_loss")]
# Smooth the noisy per-batch training loss with a running mean over 10 logged points (100 steps).
sm = []
for i in range(len(train)):
    w = train[max(0, i - 9): i + 1]
    sm.append((train[i][0], sum(v for _, v in w) / len(w)))
W, H, L, B = 640, 360, 60, 40
xs = [s for s, _ in train + val] or [1]
ys = [v for _, v in sm + val] or [1]
x0, x1, y0, y1 = 0, max(xs), 0, max(ys) * 1.05
X = lambda s: L + (W - L - 20) * (s - x0) / max(x1 - x0, 1)
Y = lambda v: H - B - (H - B - 20) * (v - y0) / max(y1 - y0, 1e-9)
def path(pts, color, dash=""):
    d = " ".join(f"{'M' if i == 0 else 'L'}{X(s):.1f},{Y(v):.1f}" for i, (s, v) in enumerate(pts))
    return f'<path d="{d}" fill="none" stroke="{color}" stroke-width="2" {dash}/>'
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       '<rect width="100%" height="100%" fill="white"/>',
       f'<line x1="{L}" y1="{H-B}" x2="{W-20}" y2="{H-B}" stroke="black"/>',
       f'<line x1="{L}" y1="20" x2="{L}" y2="{H-B}" stroke="black"/>']
for k in range(6):
    v = y0 + (y1 - y0) * k / 5
    out.append(f'<text x="{L-6}" y="{Y(v)+4:.1f}" text-anchor="end">{v:.2f}</text>')
    s = x0 + (x1 - x0) * k / 5
    out.append(f'<text x="{X(s):.1f}" y="{H-B+16}" text-anchor="middle">{int(s)}</text>')
out.append(f'<text x="{(W+L)/2}" y="{H-6}" text-anchor="middle">step</text>')
out.append(path(sm, "#1f77b4"))
if val:
    out.append(path(val, "#d62728", 'stroke-dasharray="6,4"'))
out.append(f'<text x="{W-200}" y="36" fill="#1f77b4">train loss (100-step mean)</text>')
out.append(f'<text x="{W-200}" y="52" fill="#d62728">validation loss</text>')
out.append("</svg>")
open(sys.argv[2], "w").write("\n".join(out))
