;; One part of the CPU backend's WebAssembly module (scripts/build-wasm.mjs joins the parts in src/cpu/wat/ into one
;; module importing its memory); pointers are byte offsets.

;; ====================================================================== PEFT's top-k reload for k = 2
;; WebAssembly has no log or exp. These two follow the algorithms of fdlibm (Sun Microsystems, 1993) that V8 and
;; SpiderMonkey use for Math.log and Math.exp, so they return the same binary64 bits: checked against Math.log
;; and Math.exp on every float32 input the reload can meet (scripts/check-wasm-math.mjs, ~1 minute) and, in the
;; tests, on a sample of those and on random binary64 inputs (test/cpu/wasm-math.test.ts).

;; natural log of a binary64, fdlibm's algorithm (the one V8 uses for Math.log): x = 2^k·(1+f) with 1+f in
;; [√2/2, √2); log(1+f) = f − s·(f − R) with s = f/(2+f) and R a degree-14 polynomial in s (Remez, the constants
;; below); k·ln2 in two parts so the sum stays exact.
(func $log (export "math_log") (param $x f64) (result f64)
  (local $hx i32) (local $lx i32) (local $k i32) (local $i i32) (local $j i32)
  (local $f f64) (local $s f64) (local $z f64) (local $w f64) (local $t1 f64) (local $t2 f64) (local $R f64)
  (local $hfsq f64) (local $dk f64) (local $bits i64)
  (local.set $bits (i64.reinterpret_f64 (local.get $x)))
  (local.set $hx (i32.wrap_i64 (i64.shr_u (local.get $bits) (i64.const 32))))
  (local.set $lx (i32.wrap_i64 (local.get $bits)))
  (if (i32.lt_s (local.get $hx) (i32.const 0x00100000))
    (then
      ;; x < 2^-1022: ±0 → −inf, negative → NaN, subnormal → scaled by 2^54
      (if (i32.eqz (i32.or (i32.and (local.get $hx) (i32.const 0x7fffffff)) (local.get $lx)))
        (then (return (f64.const -inf))))
      (if (i32.lt_s (local.get $hx) (i32.const 0))
        (then (return (f64.div (f64.sub (local.get $x) (local.get $x)) (f64.const 0)))))
      (local.set $k (i32.const -54))
      (local.set $x (f64.mul (local.get $x) (f64.const 0x1p54)))
      (local.set $hx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32))))))
  (if (i32.ge_s (local.get $hx) (i32.const 0x7ff00000)) (then (return (f64.add (local.get $x) (local.get $x)))))
  (local.set $k (i32.add (local.get $k) (i32.sub (i32.shr_s (local.get $hx) (i32.const 20)) (i32.const 1023))))
  (local.set $hx (i32.and (local.get $hx) (i32.const 0x000fffff)))
  (local.set $i (i32.and (i32.add (local.get $hx) (i32.const 0x95f64)) (i32.const 0x100000)))
  ;; normalise x or x/2 into [√2/2, √2)
  (local.set $x (f64.reinterpret_i64 (i64.or
    (i64.shl (i64.extend_i32_u (i32.or (local.get $hx) (i32.xor (local.get $i) (i32.const 0x3ff00000)))) (i64.const 32))
    (i64.and (i64.reinterpret_f64 (local.get $x)) (i64.const 0xffffffff)))))
  (local.set $k (i32.add (local.get $k) (i32.shr_s (local.get $i) (i32.const 20))))
  (local.set $f (f64.sub (local.get $x) (f64.const 1)))
  (local.set $dk (f64.convert_i32_s (local.get $k)))
  (if (i32.lt_u (i32.and (i32.const 0x000fffff) (i32.add (i32.const 2) (local.get $hx))) (i32.const 3))
    (then
      ;; |f| < 2^-20
      (if (f64.eq (local.get $f) (f64.const 0))
        (then
          (if (i32.eqz (local.get $k)) (then (return (f64.const 0))))
          (return (f64.add (f64.mul (local.get $dk) (f64.const 0x1.62e42feep-1)) (f64.mul (local.get $dk) (f64.const 0x1.a39ef35793c76p-33))))))
      (local.set $R (f64.mul (f64.mul (local.get $f) (local.get $f)) (f64.sub (f64.const 0.5) (f64.mul (f64.const 0x1.5555555555555p-2) (local.get $f)))))
      (if (i32.eqz (local.get $k)) (then (return (f64.sub (local.get $f) (local.get $R)))))
      (return (f64.sub (f64.mul (local.get $dk) (f64.const 0x1.62e42feep-1))
        (f64.sub (f64.sub (local.get $R) (f64.mul (local.get $dk) (f64.const 0x1.a39ef35793c76p-33))) (local.get $f))))))
  (local.set $s (f64.div (local.get $f) (f64.add (f64.const 2) (local.get $f))))
  (local.set $z (f64.mul (local.get $s) (local.get $s)))
  (local.set $i (i32.sub (local.get $hx) (i32.const 0x6147a)))
  (local.set $w (f64.mul (local.get $z) (local.get $z)))
  (local.set $j (i32.sub (i32.const 0x6b851) (local.get $hx)))
  (local.set $t1 (f64.mul (local.get $w) (f64.add (f64.const 0x1.999999997fa04p-2)
    (f64.mul (local.get $w) (f64.add (f64.const 0x1.c71c51d8e78afp-3) (f64.mul (local.get $w) (f64.const 0x1.39a09d078c69fp-3)))))))
  (local.set $t2 (f64.mul (local.get $z) (f64.add (f64.const 0x1.5555555555593p-1)
    (f64.mul (local.get $w) (f64.add (f64.const 0x1.2492494229359p-2)
      (f64.mul (local.get $w) (f64.add (f64.const 0x1.7466496cb03dep-3) (f64.mul (local.get $w) (f64.const 0x1.2f112df3e5244p-3)))))))))
  (local.set $i (i32.or (local.get $i) (local.get $j)))
  (local.set $R (f64.add (local.get $t2) (local.get $t1)))
  (if (i32.gt_s (local.get $i) (i32.const 0))
    (then
      (local.set $hfsq (f64.mul (f64.mul (f64.const 0.5) (local.get $f)) (local.get $f)))
      (if (i32.eqz (local.get $k))
        (then (return (f64.sub (local.get $f) (f64.sub (local.get $hfsq) (f64.mul (local.get $s) (f64.add (local.get $hfsq) (local.get $R))))))))
      (return (f64.sub (f64.mul (local.get $dk) (f64.const 0x1.62e42feep-1))
        (f64.sub (f64.sub (local.get $hfsq) (f64.add (f64.mul (local.get $s) (f64.add (local.get $hfsq) (local.get $R)))
          (f64.mul (local.get $dk) (f64.const 0x1.a39ef35793c76p-33)))) (local.get $f))))))
  (if (i32.eqz (local.get $k))
    (then (return (f64.sub (local.get $f) (f64.mul (local.get $s) (f64.sub (local.get $f) (local.get $R)))))))
  (f64.sub (f64.mul (local.get $dk) (f64.const 0x1.62e42feep-1))
    (f64.sub (f64.sub (f64.mul (local.get $s) (f64.sub (local.get $f) (local.get $R))) (f64.mul (local.get $dk) (f64.const 0x1.a39ef35793c76p-33))) (local.get $f))))

;; e^x of a binary64, fdlibm's algorithm (the one V8 uses for Math.exp): x = k·ln2 + r with |r| ≤ ln2/2 (ln2 in
;; two parts, so r = hi − lo is exact to the extra bits), e^r from a degree-5 Remez polynomial c of r² as
;; 1 − ((lo − r·c/(2 − c)) − hi), then scaled by 2^k.
(func $exp (export "math_exp") (param $x f64) (result f64)
  (local $hx i32) (local $xsb i32) (local $k i32) (local $hi f64) (local $lo f64) (local $c f64) (local $t f64)
  (local $y f64) (local $twopk f64)
  (local.set $hx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32))))
  (local.set $xsb (i32.shr_u (local.get $hx) (i32.const 31)))
  (local.set $hx (i32.and (local.get $hx) (i32.const 0x7fffffff)))
  (if (i32.ge_u (local.get $hx) (i32.const 0x40862e42))
    (then
      (if (i32.ge_u (local.get $hx) (i32.const 0x7ff00000))
        (then
          (if (f64.ne (local.get $x) (local.get $x)) (then (return (f64.add (local.get $x) (local.get $x)))))
          (return (select (local.get $x) (f64.const 0) (i32.eqz (local.get $xsb))))))
      (if (f64.gt (local.get $x) (f64.const 0x1.62e42fefa39efp+9)) (then (return (f64.const inf))))
      (if (f64.lt (local.get $x) (f64.const -0x1.74910d52d3051p+9)) (then (return (f64.const 0))))))
  (if (i32.gt_u (local.get $hx) (i32.const 0x3fd62e42))
    (then
      (if (i32.lt_u (local.get $hx) (i32.const 0x3ff0a2b2))
        (then
          ;; as V8 does: the reduction gets the last bit of e^1 wrong, so e^1 is e, correctly rounded
          (if (f64.eq (local.get $x) (f64.const 1)) (then (return (f64.const 0x1.5bf0a8b145769p+1))))
          (local.set $hi (f64.sub (local.get $x) (select (f64.const -0x1.62e42feep-1) (f64.const 0x1.62e42feep-1) (local.get $xsb))))
          (local.set $lo (select (f64.const -0x1.a39ef35793c76p-33) (f64.const 0x1.a39ef35793c76p-33) (local.get $xsb)))
          (local.set $k (i32.sub (i32.const 1) (i32.shl (local.get $xsb) (i32.const 1)))))
        (else
          (local.set $k (i32.trunc_f64_s (f64.add (f64.mul (f64.const 0x1.71547652b82fep+0) (local.get $x))
            (select (f64.const -0.5) (f64.const 0.5) (local.get $xsb)))))
          (local.set $t (f64.convert_i32_s (local.get $k)))
          (local.set $hi (f64.sub (local.get $x) (f64.mul (local.get $t) (f64.const 0x1.62e42feep-1))))
          (local.set $lo (f64.mul (local.get $t) (f64.const 0x1.a39ef35793c76p-33)))))
      (local.set $x (f64.sub (local.get $hi) (local.get $lo))))
    (else
      ;; |x| < 2^-28: 1 + x
      (if (i32.lt_u (local.get $hx) (i32.const 0x3e300000)) (then (return (f64.add (f64.const 1) (local.get $x)))))))
  (local.set $t (f64.mul (local.get $x) (local.get $x)))
  (local.set $twopk (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u
    (i32.add (i32.const 0x3ff00000) (i32.shl (select (local.get $k) (i32.add (local.get $k) (i32.const 1000)) (i32.ge_s (local.get $k) (i32.const -1021))) (i32.const 20))))
    (i64.const 32))))
  (local.set $c (f64.sub (local.get $x) (f64.mul (local.get $t) (f64.add (f64.const 0x1.555555555553ep-3)
    (f64.mul (local.get $t) (f64.add (f64.const -0x1.6c16c16bebd93p-9)
      (f64.mul (local.get $t) (f64.add (f64.const 0x1.1566aaf25de2cp-14)
        (f64.mul (local.get $t) (f64.add (f64.const -0x1.bbd41c5d26bf1p-20) (f64.mul (local.get $t) (f64.const 0x1.6376972bea4d0p-25))))))))))))
  (if (i32.eqz (local.get $k))
    (then (return (f64.sub (f64.const 1) (f64.sub (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (local.get $c) (f64.const 2))) (local.get $x))))))
  (local.set $y (f64.sub (f64.const 1) (f64.sub (f64.sub (local.get $lo) (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (f64.const 2) (local.get $c)))) (local.get $hi))))
  (if (i32.ge_s (local.get $k) (i32.const -1021))
    (then
      (if (i32.eq (local.get $k) (i32.const 1024)) (then (return (f64.mul (f64.mul (local.get $y) (f64.const 2)) (f64.const 0x1p1023)))))
      (return (f64.mul (local.get $y) (local.get $twopk)))))
  (f64.mul (f64.mul (local.get $y) (local.get $twopk)) (f64.const 0x1p-1000)))

;; reload_pairs: the k = 2 weights PEFT uses for a top-k factor, from $n stored weights v (binary32) at $stored and
;; the (n, 2) int32 indices at $idx: logits log v and log(1 − v) (each rounded to binary32), ordered by descending
;; logit (file order on a tie), softmax of the two (the larger's exp(0) is exactly 1). Writes (n, 2) indices to
;; $outIdx and (n, 2) weights to $outW; returns −1, or the first row whose v is not in [0, 1] (the caller throws).
;; Home rules: the restore 1 − v is core's restoreTopkWeights (k = 2, never negative here), the order and softmax
;; are core's reload loop (reloadRows in core's kernels/topk-reload.ts), which must give the same bits; its log
;; and exp are held to Math's by test/wasm-math.test.ts (docs/architecture.md, "Where each rule lives").
(func $reloadPairs (export "reload_pairs") (param $stored i32) (param $n i32) (param $idx i32) (param $outIdx i32) (param $outW i32) (result i32)
  (local $row i32) (local $v f32) (local $l0 f32) (local $l1 f32) (local $e1 f32) (local $inv f32) (local $swap i32)
  (local $p i32)
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $row) (local.get $n)))
    (local.set $v (f32.load (i32.add (local.get $stored) (i32.shl (local.get $row) (i32.const 2)))))
    (if (i32.eqz (i32.and (f32.ge (local.get $v) (f32.const 0)) (f32.le (local.get $v) (f32.const 1))))
      (then (return (local.get $row))))
    (local.set $l0 (f32.demote_f64 (call $log (f64.promote_f32 (local.get $v)))))
    (local.set $l1 (f32.demote_f64 (call $log (f64.promote_f32 (f32.sub (f32.const 1) (local.get $v))))))
    (local.set $swap (f32.lt (local.get $l0) (local.get $l1)))
    (local.set $e1 (f32.demote_f64 (call $exp (f64.promote_f32
      (select (f32.sub (local.get $l0) (local.get $l1)) (f32.sub (local.get $l1) (local.get $l0)) (local.get $swap))))))
    (local.set $inv (f32.div (f32.const 1) (f32.add (f32.const 1) (local.get $e1))))
    (local.set $p (i32.shl (local.get $row) (i32.const 3)))
    (f32.store (i32.add (local.get $outW) (local.get $p)) (local.get $inv))
    (f32.store offset=4 (i32.add (local.get $outW) (local.get $p)) (f32.mul (local.get $e1) (local.get $inv)))
    (i32.store (i32.add (local.get $outIdx) (local.get $p))
      (i32.load (i32.add (i32.add (local.get $idx) (local.get $p)) (i32.shl (local.get $swap) (i32.const 2)))))
    (i32.store offset=4 (i32.add (local.get $outIdx) (local.get $p))
      (i32.load (i32.add (i32.add (local.get $idx) (local.get $p)) (i32.shl (i32.xor (local.get $swap) (i32.const 1)) (i32.const 2)))))
    (local.set $row (i32.add (local.get $row) (i32.const 1)))
    (br $next)))
  (i32.const -1))
