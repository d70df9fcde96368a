#!/usr/bin/env bash
# Packs everything gpu-bench.mjs needs on a bare GPU machine that has neither Node nor this repo's node_modules:
# this Node binary and Dawn (xz-compressed, ~30 MB together), the built dist of @vblora/core and @vblora/webgpu,
# and a two-line runner. Usage, from the repo root:
#   packages/webgpu/bench/device-bundle.sh .gpu-bench     # then ignore .gpu-bench (.git/info/exclude) and carry it
# On the GPU machine (Vulkan loader and NVIDIA ICD as the machine's notes say), from the repo root:
#   bash .gpu-bench/run.sh [--json out.json] [gpu-bench options]
set -euo pipefail
out="${1:?usage: device-bundle.sh <output folder inside the repo>}"
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"

npx tsc -p packages/core/tsconfig.build.json
npx tsc -p packages/webgpu/tsconfig.build.json

rm -rf "$out"
app="$out/app/node_modules"
mkdir -p "$app/@vblora/core" "$app/@vblora/webgpu/bench" "$app/webgpu/dist/linux-x64"
cp -r packages/core/package.json packages/core/dist "$app/@vblora/core/"
cp -r packages/webgpu/package.json packages/webgpu/dist "$app/@vblora/webgpu/"
cp packages/webgpu/bench/gpu-bench.mjs "$app/@vblora/webgpu/bench/"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$app/webgpu/"
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$app/webgpu/dist/linux-x64/dawn.node.xz"
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" >"$out/node.xz"

cat >"$out/run.sh" <<'EOF'
#!/usr/bin/env bash
# Unpacks Node and Dawn (xz, or Python's lzma where xz is missing), then runs the benchmark.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
unxz() { xz -d -c "$1" 2>/dev/null || python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; }
unxz "$here/node.xz" >/tmp/node && chmod +x /tmp/node
dawn="$here/app/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -f "$dawn" ] || unxz "$dawn.xz" >"$dawn"
exec /tmp/node "$here/app/node_modules/@vblora/webgpu/bench/gpu-bench.mjs" --no-fallback "$@"
EOF
chmod +x "$out/run.sh"
du -sh "$out"
