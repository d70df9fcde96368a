/**
 * WGSL snippets computing acc[p, q] = Σ_k L(p, k) · R(k, q) for the matmul-shaped kernels (delta weight, merge,
 * linear). Every thread owns 2 rows × 4 adjacent columns of the output (so its 4 columns are two whole packed
 * half words when the row length is even), in two flavours:
 *
 * - `tile_matmul`: a 32 × 64 tile per 256-thread workgroup, k in steps of 16 staged through workgroup memory —
 *   for long sums over many rows (the base layer on a batch);
 * - `direct_matmul`: a 16 × 32 tile per 64-thread workgroup, loading straight from memory, no barriers — for
 *   short sums (k = r in ΔW and merge) and few rows (decoding one token), where staging buys nothing. Barriers
 *   are also what makes software drivers (SwiftShader runs workgroups as coroutines) orders of magnitude slower.
 *
 * Both run k in order from 0 and add one rounded product at a time, exactly the reference's order: on a driver
 * that does not fuse multiply-adds the result is bit-identical to `@vblora/core`.
 *
 * The including shader defines `fn load_l(p: u32, k: u32) -> f32` and `fn load_r(k: u32, q: u32) -> f32`,
 * returning 0 outside the matrices.
 * @internal
 * @module
 */

/** Output rows per workgroup tile. */
export const TILE_M = 32;
/** Output columns per workgroup tile. */
export const TILE_N = 64;
/** Output rows per workgroup of the direct flavour. */
export const DIRECT_M = 16;
/** Output columns per workgroup of the direct flavour. */
export const DIRECT_N = 32;

/**
 * The barrier-free flavour: thread lid of a 64-thread workgroup owns rows p0 + 2·(lid / 8) + {0, 1} and columns
 * q0 + 4·(lid % 8) + {0..3}.
 */
export const DIRECT_MATMUL_WGSL = /* wgsl */ `
const DM = ${DIRECT_M}u;
const DN = ${DIRECT_N}u;
fn direct_matmul(p: u32, q: u32, K: u32) -> array<vec4<f32>, 2> {
  var acc = array<vec4<f32>, 2>(vec4<f32>(0.0f), vec4<f32>(0.0f));
  for (var k = 0u; k < K; k++) {
    let r = vec4<f32>(load_r(k, q), load_r(k, q + 1u), load_r(k, q + 2u), load_r(k, q + 3u));
    acc[0] = acc[0] + load_l(p, k) * r;
    acc[1] = acc[1] + load_l(p + 1u, k) * r;
  }
  return acc;
}
`;

/**
 * The snippet. `rFastK` is a uniform WGSL boolean saying R is contiguous along k (W (out, in) and B (out, r)
 * reads) rather than along q, so that adjacent threads load adjacent addresses when staging the R tile.
 */
export function tileMatmulWgsl(rFastK: string): string {
  return /* wgsl */ `
const TM = ${TILE_M}u;
const TN = ${TILE_N}u;
const TK = 16u;
var<workgroup> tile_l: array<f32, ${TILE_M * 16}>;
var<workgroup> tile_r: array<f32, ${16 * TILE_N}>;

// Accumulates the tile whose top-left output is (p0, q0) over k in [0, K); thread lid owns rows
// p0 + 2·(lid / 16) + {0, 1} and columns q0 + 4·(lid % 16) + {0..3}.
fn tile_matmul(p0: u32, q0: u32, K: u32, lid: u32) -> array<vec4<f32>, 2> {
  let ty = lid / 16u;
  let tx = lid % 16u;
  var acc = array<vec4<f32>, 2>(vec4<f32>(0.0f), vec4<f32>(0.0f));
  for (var k0 = 0u; k0 < K; k0 += TK) {
    for (var s = 0u; s < 2u; s++) {
      let e = lid + s * 256u;
      let pp = e / TK;
      let kk = e % TK;
      tile_l[pp * TK + kk] = load_l(p0 + pp, k0 + kk);
    }
    for (var s = 0u; s < 4u; s++) {
      let e = lid + s * 256u;
      var kk = e / TN;
      var q = e % TN;
      if (${rFastK}) {
        q = e / TK;
        kk = e % TK;
      }
      tile_r[kk * TN + q] = load_r(k0 + kk, q0 + q);
    }
    workgroupBarrier();
    let kn = min(TK, K - k0);
    for (var kk = 0u; kk < kn; kk++) {
      let r = vec4<f32>(tile_r[kk * TN + tx * 4u], tile_r[kk * TN + tx * 4u + 1u],
                        tile_r[kk * TN + tx * 4u + 2u], tile_r[kk * TN + tx * 4u + 3u]);
      acc[0] = acc[0] + tile_l[(ty * 2u) * TK + kk] * r;
      acc[1] = acc[1] + tile_l[(ty * 2u + 1u) * TK + kk] * r;
    }
    workgroupBarrier();
  }
  return acc;
}
`;
}
