#!/usr/bin/env bash
# Packs everything the webgpu-device workload (apps/bench/src/workloads/webgpu-device-bench.ts) needs on a bare GPU
# machine that has neither Node nor this repo's node_modules: this Node binary and Dawn (xz-compressed, ~30 MB
# together), the built dist of @vblora/core (with its dependencies) and @vblora/webgpu, the workload and its
# runner. Usage, from the repo root:
#   apps/bench/scripts/device-bundle.sh .gpu-bench     # then ignore .gpu-bench (.git/info/exclude) and carry it
# On the GPU machine (Vulkan loader and NVIDIA ICD as the machine's notes say), from the repo root:
#   bash .gpu-bench/run.sh [--json out.json] [webgpu-device options]
set -euo pipefail
out="${1:?usage: device-bundle.sh <output folder inside the repo>}"
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"

npx turbo run build --filter=@vblora/bench... --output-logs=errors-only

rm -rf "$out"
app="$out/app"
mods="$app/node_modules"
mkdir -p "$mods/@vblora/core" "$mods/@vblora/webgpu" "$mods/webgpu/dist/linux-x64" "$app/workloads"
cp -r packages/core/package.json packages/core/dist "$mods/@vblora/core/"
cp -r packages/webgpu/package.json packages/webgpu/dist "$mods/@vblora/webgpu/"
printf '{ "type": "module" }\n' >"$app/package.json"
cp apps/bench/dist/package-script.js "$app/"
cp apps/bench/dist/workloads/webgpu-device-bench.js "$app/workloads/"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$mods/webgpu/"
# the run-time dependencies of @vblora/core (types-only ones such as @webgpu/types are not needed)
for dep in $(node -p "Object.keys(require('./packages/core/package.json').dependencies ?? {}).join(' ')"); do
  mkdir -p "$mods/$dep" && cp -r "node_modules/$dep/." "$mods/$dep/"
done
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$mods/webgpu/dist/linux-x64/dawn.node.xz"
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" >"$out/node.xz"

cat >"$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Unpacks Node and Dawn (xz, or Python's lzma where xz is missing), then runs the benchmark.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
unxz() { xz -d -c "$1" 2>/dev/null || python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; }
unxz "$here/node.xz" >/tmp/node && chmod +x /tmp/node
dawn="$here/app/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -f "$dawn" ] || unxz "$dawn.xz" >"$dawn"
exec /tmp/node "$here/app/package-script.js" webgpu-device --no-fallback "$@"
RUN
chmod +x "$out/run.sh"
du -sh "$out"
