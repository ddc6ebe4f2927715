#!/usr/bin/env python3
"""Reference sentence embeddings for motion-model's Rust MiniLM encoder (parity test).

Made independently of the Rust code, with the stock Python stack:
sentence-transformers (torch + transformers + HF tokenizers), loaded fully offline from the
same local files that scripts/fetch-minilm.sh installs.

    python3 -m venv /work/venv-st && /work/venv-st/bin/pip install sentence-transformers
    scripts/fetch-minilm.sh
    /work/venv-st/bin/python motion/model/reference/make_reference.py [MODEL_DIR]

Writes reference_embeddings.json next to this script; the Rust test
(motion/model/tests/text_encoder_parity.rs) embeds it with include_str!.
"""
import json
import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # never touch the hub: the files are local
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import sentence_transformers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

LONG_130 = (
    "The person starts in a relaxed standing pose, takes three careful steps forward, pauses "
    "to look over the left shoulder, then pivots on the right foot and walks back to the "
    "starting point while swinging both arms loosely. After a short rest they crouch low, "
    "reach toward the floor with the right hand as if picking up a small object, stand up "
    "again, lift the object above the head, turn a full circle in place, and finally place it "
    "gently on an imaginary table to the right before stepping backwards twice and bowing "
    "politely to an audience that is not there. Then, without warning, they break into a light "
    "jog around the room, hop twice on the left leg, wave enthusiastically with both hands."
)
LONG_300 = " ".join([LONG_130, LONG_130.upper(), "this tail is beyond the 256 token limit"])

SENTENCES = [
    "A person walks forward and then jumps.",
    "a man kicks with his left leg",
    "THE FIGURE RAISES BOTH ARMS ABOVE ITS HEAD!!!",
    "Someone sits down slowly, waits... then stands up; turns 90° to the right.",
    "Une personne danse la valse — élégamment, à gauche.",
    "一个人向前走然后跳起来",
    "",
    "jump",
    "walks 3.5 meters in 2 seconds, then does 10 push-ups (fast!)",
    "crouches,\tcrawls under   an obstacle\nand sprints away",
    "person dancing 💃 happily",
    LONG_130,
    LONG_300,
]


def main() -> None:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "motion-toolkit" / "all-MiniLM-L6-v2"
    model_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(os.environ.get("MOTION_MINILM_DIR", default))
    torch.manual_seed(0)  # no randomness in inference; pinned anyway
    model = SentenceTransformer(str(model_dir), device="cpu")
    model.eval()
    emb = model.encode(SENTENCES, batch_size=4, convert_to_numpy=True, normalize_embeddings=False)
    # Token counts before truncation, [CLS]/[SEP] included, to check the Rust tokenizer path.
    tok = model.tokenizer
    counts = [len(tok(s, add_special_tokens=True, truncation=False)["input_ids"]) for s in SENTENCES]
    out = {
        "about": "all-MiniLM-L6-v2 embeddings from sentence-transformers; see make_reference.py",
        "model_dir_files": sorted(p.name for p in model_dir.iterdir()),
        "max_seq_length": model.max_seq_length,
        "versions": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        "items": [
            {"text": s, "tokens_untruncated": c, "norm": float(np.linalg.norm(e)), "embedding": [float(x) for x in e]}
            for s, c, e in zip(SENTENCES, counts, emb)
        ],
    }
    dest = Path(__file__).with_name("reference_embeddings.json")
    dest.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {dest}: {len(SENTENCES)} sentences, token counts {counts}")


if __name__ == "__main__":
    main()
