import { linear, tensor, type HostTensor } from '@vblora/core';

type F32 = HostTensor<'f32'>;

/**
 * The ToyLlama forward in plain float32 loops, the demo's model-level reference: each projection is core's
 * reference `linear` (products rounded to float32, summed in order), attention and the rest are written out here
 * (one head, no mask). `sd` holds float32 PEFT-named weights; x is (batch, seq, hidden), y (batch, seq, nOut).
 */
export function toyLlamaForward(sd: ReadonlyMap<string, HostTensor>, x: F32): F32 {
  const proj = (path: string, input: F32): F32 => {
    const bias = sd.get(`${path}.bias`) as F32 | undefined;
    return linear({ x: input, weight: sd.get(`${path}.weight`) as F32, ...(bias === undefined ? {} : { bias }) });
  };
  let h = x;
  for (let i = 0; sd.has(`model.layers.${i}.self_attn.q_proj.weight`); i++) {
    const p = `model.layers.${i}`;
    const att = attention(
      proj(`${p}.self_attn.q_proj`, h),
      proj(`${p}.self_attn.k_proj`, h),
      proj(`${p}.self_attn.v_proj`, h),
    );
    h = add(h, proj(`${p}.self_attn.o_proj`, att));
    h = add(h, proj(`${p}.mlp.down_proj`, relu(proj(`${p}.mlp.up_proj`, h))));
  }
  return proj('head', h);
}

/** softmax(q·kᵀ/√d)·v per batch row; q, k, v (batch, seq, d). */
function attention(q: F32, k: F32, v: F32): F32 {
  const [batch, seq, d] = q.shape as [number, number, number];
  const out = new Float32Array(batch * seq * d);
  const scale = Math.fround(Math.sqrt(d));
  const p = new Float32Array(seq); // one row of attention weights
  for (let b = 0; b < batch; b++) {
    const base = b * seq * d;
    for (let s = 0; s < seq; s++) {
      let max = -Infinity;
      for (let t = 0; t < seq; t++) {
        let dot = 0;
        for (let j = 0; j < d; j++)
          dot = Math.fround(dot + Math.fround(q.data[base + s * d + j]! * k.data[base + t * d + j]!));
        p[t] = Math.fround(dot / scale);
        max = Math.max(max, p[t]!);
      }
      let sum = 0;
      for (let t = 0; t < seq; t++) {
        p[t] = Math.fround(Math.exp(p[t]! - max));
        sum = Math.fround(sum + p[t]!);
      }
      for (let t = 0; t < seq; t++) p[t] = Math.fround(p[t]! / sum);
      for (let j = 0; j < d; j++) {
        let acc = 0;
        for (let t = 0; t < seq; t++) acc = Math.fround(acc + Math.fround(p[t]! * v.data[base + t * d + j]!));
        out[base + s * d + j] = acc;
      }
    }
  }
  return tensor('f32', q.shape, out);
}

function add(a: F32, b: F32): F32 {
  return tensor(
    'f32',
    a.shape,
    a.data.map((v, i) => v + b.data[i]!),
  );
}

function relu(a: F32): F32 {
  return tensor(
    'f32',
    a.shape,
    a.data.map((v) => Math.max(0, v)),
  );
}
