#!/usr/bin/env python3
"""Independent reference renderer for the golden test of scene-render's OpenPose drawing.

Draws OpenPose JSON files (people[].pose_keypoints_2d in pixels, canvas_width/height) with
OpenCV, following the documented behaviour of the ControlNet openpose annotator
(sd-webui-controlnet / comfyui_controlnet_aux `draw_bodypose`):

* black RGB canvas of canvas_height x canvas_width;
* people drawn one after another; per person first 17 limbs, then 18 joints;
* limb k joins COCO-18 keypoints LIMBS[k]; it is a filled convex polygon from
  cv2.ellipse2Poly(centre=(int(mean x), int(mean y)), axes=(int(length / 2), 4),
  angle=int(degrees(atan2(dy, dx))), 0, 360, 1) filled with cv2.fillConvexPoly in colour k
  scaled by 0.6 (each channel truncated to int);
* joint k is cv2.circle(centre=(int(x), int(y)), radius 4, colour k, filled);
* a keypoint is present when its confidence is > 0.

Usage: python openpose_reference.py FIXTURE_DIR
  For every FIXTURE_DIR/*.json writes FIXTURE_DIR/<same name>.png (RGB, so converted to BGR
  for cv2.imwrite). Needs opencv-python-headless and numpy.
"""
import json
import math
import pathlib
import sys

import cv2
import numpy as np

# The annotator's colour table, RGB, one per limb / joint index.
PALETTE = [
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
]

# COCO-18: 0 nose, 1 neck, 2-4 right arm, 5-7 left arm, 8-10 right leg, 11-13 left leg,
# 14/15 right/left eye, 16/17 right/left ear. Limbs in the annotator's drawing order.
LIMBS = [
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
]

STICK = 4
RADIUS = 4


def keypoints(person):
    flat = person["pose_keypoints_2d"]
    assert len(flat) == 54, len(flat)
    out = []
    for k in range(18):
        x, y, c = flat[3 * k: 3 * k + 3]
        out.append((x, y) if c > 0 else None)
    return out


def draw_person(img, pts):
    for k, (a, b) in enumerate(LIMBS):
        pa, pb = pts[a], pts[b]
        if pa is None or pb is None:
            continue
        xs = np.array([pa[0], pb[0]], dtype=np.float64)
        ys = np.array([pa[1], pb[1]], dtype=np.float64)
        half_len = int(((ys[0] - ys[1]) ** 2 + (xs[0] - xs[1]) ** 2) ** 0.5 / 2)
        rot = int(math.degrees(math.atan2(ys[0] - ys[1], xs[0] - xs[1])))
        centre = (int(np.mean(xs)), int(np.mean(ys)))
        poly = cv2.ellipse2Poly(centre, (half_len, STICK), rot, 0, 360, 1)
        dim = [int(float(v) * 0.6) for v in PALETTE[k]]
        cv2.fillConvexPoly(img, poly, dim)
    for k, p in enumerate(pts):
        if p is None:
            continue
        cv2.circle(img, (int(p[0]), int(p[1])), RADIUS, PALETTE[k], thickness=-1)


def render(frame):
    img = np.zeros((frame["canvas_height"], frame["canvas_width"], 3), dtype=np.uint8)
    for person in frame["people"]:
        draw_person(img, keypoints(person))
    return img


def main():
    folder = pathlib.Path(sys.argv[1])
    files = sorted(folder.glob("*.json"))
    for f in files:
        img = render(json.loads(f.read_text()))
        cv2.imwrite(str(f.with_suffix(".png")), img[:, :, ::-1])
    print(f"opencv {cv2.__version__}: wrote {len(files)} reference images to {folder}")


if __name__ == "__main__":
    main()
