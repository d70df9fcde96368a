;; One part of the CPU backend's WebAssembly module (scripts/build-wasm.mjs joins the parts in src/cpu/wat/ into one
;; module importing its memory). Every float operation is one IEEE-754 binary32 multiply or add in the reference
;; kernel's order, so results are bit-identical to src/kernels (docs/cpu.md); pointers are byte offsets.

;; ===================================================================================== merge (W ← W + B·A)
;; One row of W is W[row, :] + (0 + Σ_q coef[q] · vec[q, :]): rank-ordered products and partial sums, each
;; rounded to binary32, from +0 like the reference (so a −0 delta is +0), then added to W. A merge of the
;; transposed layout (fan_in_fan_out) uses the same loop with coef = a column of A and vec = the rows of Bᵀ.
;; Unmerging adds the delta with its sign bit flipped.

;; d = Σ_q coef[q] · vec[q, o .. o+4) for any rank r ≥ 1 ($stride: bytes between rows of vec)
(func $deltaR (param $vec i32) (param $stride i32) (param $o i32) (param $coef i32) (param $r i32) (result v128)
  (local $acc v128) (local $q i32) (local $p i32)
  (local.set $p (i32.add (local.get $vec) (local.get $o)))
  (local.set $acc (f32x4.add (v128.const i32x4 0 0 0 0) (f32x4.mul (v128.load32_splat (local.get $coef)) (v128.load (local.get $p)))))
  (local.set $q (i32.const 1))
  (block $done
    (loop $next
      (br_if $done (i32.ge_u (local.get $q) (local.get $r)))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (local.set $acc
        (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load32_splat (i32.add (local.get $coef) (i32.shl (local.get $q) (i32.const 2))))
                     (v128.load (local.get $p)))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $next)))
  (local.get $acc))

;; the same for one column (the last cols mod 4 columns)
(func $deltaScalar (param $vec i32) (param $stride i32) (param $o i32) (param $coef i32) (param $r i32) (result f32)
  (local $acc f32) (local $q i32) (local $p i32)
  (local.set $p (i32.add (local.get $vec) (local.get $o)))
  (local.set $acc (f32.add (f32.const 0) (f32.mul (f32.load (local.get $coef)) (f32.load (local.get $p)))))
  (local.set $q (i32.const 1))
  (block $done
    (loop $next
      (br_if $done (i32.ge_u (local.get $q) (local.get $r)))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (local.set $acc
        (f32.add (local.get $acc)
          (f32.mul (f32.load (i32.add (local.get $coef) (i32.shl (local.get $q) (i32.const 2))))
                   (f32.load (local.get $p)))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $next)))
  (local.get $acc))

;; rank 4, the paper's rank, unrolled: d for 4 lanes with the coefficients held in registers
(func $delta4 (param $p i32) (param $s i32) (param $s2 i32) (param $s3 i32)
              (param $c0 v128) (param $c1 v128) (param $c2 v128) (param $c3 v128) (result v128)
  (f32x4.add
    (f32x4.add
      (f32x4.add
        (f32x4.add (v128.const i32x4 0 0 0 0) (f32x4.mul (local.get $c0) (v128.load (local.get $p))))
        (f32x4.mul (local.get $c1) (v128.load (i32.add (local.get $p) (local.get $s)))))
      (f32x4.mul (local.get $c2) (v128.load (i32.add (local.get $p) (local.get $s2)))))
    (f32x4.mul (local.get $c3) (v128.load (i32.add (local.get $p) (local.get $s3))))))

;; all-ones lanes where binary32 bits are ±inf or NaN
(func $nonFinite32 (param $bits v128) (result v128)
  (i32x4.eq (v128.and (local.get $bits) (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))
            (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000)))

;; merge_f32: $rows rows of $cols binary32 from $src to $dst (may be equal): dst[row] = src[row] + delta(row).
;; $vec: (r, cols) binary32; $coef: (rows, r) binary32. Returns 1 when a result is ±inf or NaN, else 0.
(func (export "merge_f32") (param $src i32) (param $dst i32) (param $vec i32) (param $coef i32)
                           (param $rows i32) (param $cols i32) (param $r i32) (param $unmerge i32) (result i32)
  (local $row i32) (local $o i32) (local $stride i32) (local $end4 i32) (local $s2 i32) (local $s3 i32)
  (local $srow i32) (local $drow i32) (local $crow i32) (local $x v128) (local $bad v128) (local $xs f32)
  (local $badS i32) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $y v128) (local $p i32)
  (local $fx v128) (local $fy v128)
  (local $neg v128) (local $negS i32)
  (local $kZero v128)
  ;; unmerge: W + (−ΔW), the delta's sign bit flipped (exact, and unlike negated coefficients it keeps the
  ;; sign of an exactly-zero delta: the reference computes W + (−1)·ΔW)
  (local.set $negS (i32.shl (i32.ne (local.get $unmerge) (i32.const 0)) (i32.const 31)))
  (local.set $neg (i32x4.splat (local.get $negS)))
  ;; constants in locals: V8 rebuilds a v128.const at every use inside a loop
  (local.set $kZero (v128.const i32x4 0 0 0 0))
  (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
  (local.set $end4 (i32.and (local.get $stride) (i32.const -16)))
  (local.set $s2 (i32.shl (local.get $stride) (i32.const 1)))
  (local.set $s3 (i32.add (local.get $s2) (local.get $stride)))
  (block $rowsDone
    (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $srow (i32.add (local.get $src) (i32.mul (local.get $row) (local.get $stride))))
      (local.set $drow (i32.add (local.get $dst) (i32.mul (local.get $row) (local.get $stride))))
      (local.set $crow (i32.add (local.get $coef) (i32.shl (i32.mul (local.get $row) (local.get $r)) (i32.const 2))))
      (local.set $o (i32.const 0))
      (if (i32.eq (local.get $r) (i32.const 4))
        (then
          (local.set $c0 (v128.load32_splat (local.get $crow)))
          (local.set $c1 (v128.load32_splat offset=4 (local.get $crow)))
          (local.set $c2 (v128.load32_splat offset=8 (local.get $crow)))
          (local.set $c3 (v128.load32_splat offset=12 (local.get $crow)))
          ;; 8 columns per step, fully inlined (the hot loop: V8 does not inline wasm calls)
          (block $done8
            (loop $next8
              (br_if $done8 (i32.gt_u (i32.add (local.get $o) (i32.const 32)) (local.get $end4)))
              (local.set $p (i32.add (local.get $vec) (local.get $o)))
              (local.set $x
                (f32x4.add (v128.load (i32.add (local.get $srow) (local.get $o))) (v128.xor (local.get $neg)
                  (f32x4.add
                    (f32x4.add
                      (f32x4.add
                        (f32x4.add (local.get $kZero) (f32x4.mul (local.get $c0) (v128.load (local.get $p))))
                        (f32x4.mul (local.get $c1) (v128.load (i32.add (local.get $p) (local.get $stride)))))
                      (f32x4.mul (local.get $c2) (v128.load (i32.add (local.get $p) (local.get $s2)))))
                    (f32x4.mul (local.get $c3) (v128.load (i32.add (local.get $p) (local.get $s3))))))))
              (local.set $y
                (f32x4.add (v128.load offset=16 (i32.add (local.get $srow) (local.get $o))) (v128.xor (local.get $neg)
                  (f32x4.add
                    (f32x4.add
                      (f32x4.add
                        (f32x4.add (local.get $kZero) (f32x4.mul (local.get $c0) (v128.load offset=16 (local.get $p))))
                        (f32x4.mul (local.get $c1) (v128.load offset=16 (i32.add (local.get $p) (local.get $stride)))))
                      (f32x4.mul (local.get $c2) (v128.load offset=16 (i32.add (local.get $p) (local.get $s2)))))
                    (f32x4.mul (local.get $c3) (v128.load offset=16 (i32.add (local.get $p) (local.get $s3))))))))
              (v128.store (i32.add (local.get $drow) (local.get $o)) (local.get $x))
              (v128.store offset=16 (i32.add (local.get $drow) (local.get $o)) (local.get $y))
              ;; x − x is +0 for a finite x and NaN for ±inf or NaN; the sums stay NaN once one appears
              (local.set $fx (f32x4.add (local.get $fx) (f32x4.sub (local.get $x) (local.get $x))))
              (local.set $fy (f32x4.add (local.get $fy) (f32x4.sub (local.get $y) (local.get $y))))
              (local.set $o (i32.add (local.get $o) (i32.const 32)))
              (br $next8)))
          (block $done4
            (loop $next4
              (br_if $done4 (i32.ge_u (local.get $o) (local.get $end4)))
              (local.set $x
                (f32x4.add (v128.load (i32.add (local.get $srow) (local.get $o))) (v128.xor (local.get $neg)
                  (call $delta4 (i32.add (local.get $vec) (local.get $o)) (local.get $stride) (local.get $s2) (local.get $s3)
                    (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)))))
              (v128.store (i32.add (local.get $drow) (local.get $o)) (local.get $x))
              (local.set $bad (v128.or (local.get $bad) (call $nonFinite32 (local.get $x))))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br $next4))))
        (else
          (block $doneR
            (loop $nextR
              (br_if $doneR (i32.ge_u (local.get $o) (local.get $end4)))
              (local.set $x
                (f32x4.add (v128.load (i32.add (local.get $srow) (local.get $o))) (v128.xor (local.get $neg)
                  (call $deltaR (local.get $vec) (local.get $stride) (local.get $o) (local.get $crow) (local.get $r)))))
              (v128.store (i32.add (local.get $drow) (local.get $o)) (local.get $x))
              (local.set $bad (v128.or (local.get $bad) (call $nonFinite32 (local.get $x))))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br $nextR)))))
      (block $tailDone
        (loop $tail
          (br_if $tailDone (i32.ge_u (local.get $o) (local.get $stride)))
          (local.set $xs
            (f32.add (f32.load (i32.add (local.get $srow) (local.get $o))) (f32.reinterpret_i32 (i32.xor (local.get $negS) (i32.reinterpret_f32
              (call $deltaScalar (local.get $vec) (local.get $stride) (local.get $o) (local.get $crow) (local.get $r)))))))
          (f32.store (i32.add (local.get $drow) (local.get $o)) (local.get $xs))
          (local.set $badS (i32.or (local.get $badS)
            (i32.eq (i32.and (i32.reinterpret_f32 (local.get $xs)) (i32.const 0x7f800000)) (i32.const 0x7f800000))))
          (local.set $o (i32.add (local.get $o) (i32.const 4)))
          (br $tail)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rowLoop)))
  (i32.or (local.get $badS) (v128.any_true
    (v128.or (local.get $bad) (v128.or (f32x4.ne (local.get $fx) (local.get $fx)) (f32x4.ne (local.get $fy) (local.get $fy)))))))

;; binary32 bits → bfloat16 bits in the low half of each lane: round to nearest even; a NaN stays a NaN with
;; its sign and top payload bits and the quiet bit set (the reference's f32ToBf16Bits rule)
(func $toBf16 (param $b v128) (result v128)
  (v128.bitselect
    (v128.or (i32x4.shr_u (local.get $b) (i32.const 16)) (v128.const i32x4 0x40 0x40 0x40 0x40))
    (i32x4.shr_u
      (i32x4.add (i32x4.add (local.get $b) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
                 (v128.and (i32x4.shr_u (local.get $b) (i32.const 16)) (v128.const i32x4 1 1 1 1)))
      (i32.const 16))
    (i32x4.gt_u (v128.and (local.get $b) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
                (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))))

(func $toBf16Scalar (param $b i32) (result i32)
  (if (result i32) (i32.gt_u (i32.and (local.get $b) (i32.const 0x7fffffff)) (i32.const 0x7f800000))
    (then (i32.or (i32.shr_u (local.get $b) (i32.const 16)) (i32.const 0x40)))
    (else (i32.shr_u (i32.add (i32.add (local.get $b) (i32.const 0x7fff))
                              (i32.and (i32.shr_u (local.get $b) (i32.const 16)) (i32.const 1)))
                     (i32.const 16)))))

;; The rank-4 bfloat16 loops (the hot path: V8 does not inline wasm calls, so they are inlined by hand, each in
;; its own function so that V8's register allocator keeps the coefficients and constants in registers; the
;; constants come as parameters because V8 rebuilds a v128.const at every use inside a loop, even from a local).
;; Widening interleaves zero halves below the bfloat16s (punpcklwd/punpckhwd). Rounding to nearest even works on
;; the binary32 bits, for NaN lanes too: that is exact when no NaN sum has low payload bits, and the callers make
;; sure of it (no NaN in the coefficients or vec: a NaN sum is then W's NaN, quieted, or the CPU's default NaN).
;; They return the lane maxima of 2·bfloat16 bits: 0xff00 or more in a lane when some result is ±inf or NaN.
;; For rows where one of the products c·v is never ±0 and no product or partial sum can overflow (checked per row
;; from the least and greatest |v| of each row of vec), the +0 start is dropped (it only turns a −0 sum into +0,
;; and a sum with a nonzero term is never −0) and unmerging subtracts the finite delta (the same bits as adding it
;; with its sign flipped).

;; lanes 0 and 1: the least and the greatest |v| of $n bytes of binary32 at $p (+inf and 0 when $n is 0); the
;; greatest is NaN when some v is NaN
(func $absRange (param $p i32) (param $n i32) (result v128)
  (local $end i32) (local $x v128) (local $mn v128) (local $mx v128) (local $nan v128)
  (local.set $end (i32.add (local.get $p) (local.get $n)))
  (local.set $mn (v128.const f32x4 inf inf inf inf))
  (block $done
    (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $x (v128.load (local.get $p)))
      (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $x) (local.get $x))))
      (local.set $x (f32x4.abs (local.get $x)))
      (local.set $mn (f32x4.pmin (local.get $mn) (local.get $x)))
      (local.set $mx (f32x4.pmax (local.get $mx) (local.get $x)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
  (local.set $mn (f32x4.pmin (local.get $mn) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $mn) (local.get $mn))))
  (local.set $mn (f32x4.pmin (local.get $mn) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $mn) (local.get $mn))))
  (local.set $mx (f32x4.pmax (local.get $mx) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $mx) (local.get $mx))))
  (local.set $mx (f32x4.pmax (local.get $mx) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $mx) (local.get $mx))))
  (if (v128.any_true (local.get $nan)) (then (local.set $mx (v128.const f32x4 nan nan nan nan))))
  (i8x16.shuffle 0 1 2 3 16 17 18 19 0 1 2 3 16 17 18 19 (local.get $mn) (local.get $mx)))

;; merge, W + ΔW: one row, columns [0, $end), 16 per step
(func $rowMerge4 (param $srow i32) (param $drow i32) (param $vec i32) (param $crow i32) (param $stride i32)
                  (param $end i32) (param $kZero v128) (param $kHalf v128) (result v128)
  (local $o i32) (local $p i32) (local $s2 i32) (local $s3 i32) (local $w v128) (local $lo v128) (local $hi v128)
  (local $h v128) (local $exp v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
  (local.set $s2 (i32.shl (local.get $stride) (i32.const 1)))
  (local.set $s3 (i32.add (local.get $s2) (local.get $stride)))
  (local.set $c0 (v128.load32_splat (local.get $crow)))
  (local.set $c1 (v128.load32_splat offset=4 (local.get $crow)))
  (local.set $c2 (v128.load32_splat offset=8 (local.get $crow)))
  (local.set $c3 (v128.load32_splat offset=12 (local.get $crow)))
  (block $done
    (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $p (i32.add (local.get $vec) (i32.shl (local.get $o) (i32.const 1))))
      (local.set $w (v128.load (i32.add (local.get $srow) (local.get $o))))
      (local.set $lo (f32x4.add (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $kZero) (local.get $w)) (f32x4.add
        (f32x4.add
          (f32x4.add (f32x4.mul (local.get $c0) (v128.load (local.get $p)))
            (f32x4.mul (local.get $c1) (v128.load (i32.add (local.get $p) (local.get $stride)))))
          (f32x4.mul (local.get $c2) (v128.load (i32.add (local.get $p) (local.get $s2)))))
        (f32x4.mul (local.get $c3) (v128.load (i32.add (local.get $p) (local.get $s3)))))))
      (local.set $hi (f32x4.add (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $kZero) (local.get $w)) (f32x4.add
        (f32x4.add
          (f32x4.add (f32x4.mul (local.get $c0) (v128.load offset=16 (local.get $p)))
            (f32x4.mul (local.get $c1) (v128.load offset=16 (i32.add (local.get $p) (local.get $stride)))))
          (f32x4.mul (local.get $c2) (v128.load offset=16 (i32.add (local.get $p) (local.get $s2)))))
        (f32x4.mul (local.get $c3) (v128.load offset=16 (i32.add (local.get $p) (local.get $s3)))))))
      (local.set $h (i16x8.narrow_i32x4_u
        (i32x4.shr_u (i32x4.add (i32x4.add (local.get $lo) (local.get $kHalf)) (i32x4.shr_u (i32x4.shl (local.get $lo) (i32.const 15)) (i32.const 31))) (i32.const 16))
        (i32x4.shr_u (i32x4.add (i32x4.add (local.get $hi) (local.get $kHalf)) (i32x4.shr_u (i32x4.shl (local.get $hi) (i32.const 15)) (i32.const 31))) (i32.const 16))))
      (v128.store (i32.add (local.get $drow) (local.get $o)) (local.get $h))
      (local.set $exp (i16x8.max_u (local.get $exp) (i16x8.add (local.get $h) (local.get $h))))
      (local.set $w (v128.load offset=16 (i32.add (local.get $srow) (local.get $o))))
      (local.set $lo (f32x4.add (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $kZero) (local.get $w)) (f32x4.add
        (f32x4.add
          (f32x4.add (f32x4.mul (local.get $c0) (v128.load offset=32 (local.get $p)))
            (f32x4.mul (local.get $c1) (v128.load offset=32 (i32.add (local.get $p) (local.get $stride)))))
          (f32x4.mul (local.get $c2) (v128.load offset=32 (i32.add (local.get $p) (local.get $s2)))))
        (f32x4.mul (local.get $c3) (v128.load offset=32 (i32.add (local.get $p) (local.get $s3)))))))
      (local.set $hi (f32x4.add (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $kZero) (local.get $w)) (f32x4.add
        (f32x4.add
          (f32x4.add (f32x4.mul (local.get $c0) (v128.load offset=48 (local.get $p)))
            (f32x4.mul (local.get $c1) (v128.load offset=48 (i32.add (local.get $p) (local.get $stride)))))
          (f32x4.mul (local.get $c2) (v128.load offset=48 (i32.add (local.get $p) (local.get $s2)))))
        (f32x4.mul (local.get $c3) (v128.load offset=48 (i32.add (local.get $p) (local.get $s3)))))))
      (local.set $h (i16x8.narrow_i32x4_u
        (i32x4.shr_u (i32x4.add (i32x4.add (local.get $lo) (local.get $kHalf)) (i32x4.shr_u (i32x4.shl (local.get $lo) (i32.const 15)) (i32.const 31))) (i32.const 16))
        (i32x4.shr_u (i32x4.add (i32x4.add (local.get $hi) (local.get $kHalf)) (i32x4.shr_u (i32x4.shl (local.get $hi) (i32.const 15)) (i32.const 31))) (i32.const 16))))
      (v128.store offset=16 (i32.add (local.get $drow) (local.get $o)) (local.get $h))
      (local.set $exp (i16x8.max_u (local.get $exp) (i16x8.add (local.get $h) (local.get $h))))
      (local.set $o (i32.add (local.get $o) (i32.const 32)))
      (br $next)))
  (local.get $exp))

;; unmerge, W − ΔW (the same bits as W + (−ΔW) for a ΔW that is not NaN): one row, columns [0, $end), 16 per step
(func $rowUnmerge4 (param $srow i32) (param $drow i32) (param $vec i32) (param $crow i32) (param $stride i32)
                  (param $end i32) (param $kZero v128) (param $kHalf v128) (result v128)
  (local $o i32) (local $p i32) (local $s2 i32) (local $s3 i32) (local $w v128) (local $lo v128) (local $hi v128)
  (local $h v128) (local $exp v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
  (local.set $s2 (i32.shl (local.get $stride) (i32.const 1)))
  (local.set $s3 (i32.add (local.get $s2) (local.get $stride)))
  (local.set $c0 (v128.load32_splat (local.get $crow)))
  (local.set $c1 (v128.load32_splat offset=4 (local.get $crow)))
  (local.set $c2 (v128.load32_splat offset=8 (local.get $crow)))
  (local.set $c3 (v128.load32_splat offset=12 (local.get $crow)))
  (block $done
    (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $p (i32.add (local.get $vec) (i32.shl (local.get $o) (i32.const 1))))
      (local.set $w (v128.load (i32.add (local.get $srow) (local.get $o))))
      (local.set $lo (f32x4.sub (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $kZero) (local.get $w)) (f32x4.add
        (f32x4.add
          (f32x4.add (f32x4.mul (local.get $c0) (v128.load (local.get $p)))
            (f32x4.mul (local.get $c1) (v128.load (i32.add (local.get $p) (local.get $stride)))))
          (f32x4.mul (local.get $c2) (v128.load (i32.add (local.get $p) (local.get $s2)))))
        (f32x4.mul (local.get $c3) (v128.load (i32.add (local.get $p) (local.get $s3)))))))
      (local.set $hi (f32x4.sub (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $kZero) (local.get $w)) (f32x4.add
        (f32x4.add
          (f32x4.add (f32x4.mul (local.get $c0) (v128.load offset=16 (local.get $p)))
            (f32x4.mul (local.get $c1) (v128.load offset=16 (i32.add (local.get $p) (local.get $stride)))))
          (f32x4.mul (local.get $c2) (v128.load offset=16 (i32.add (local.get $p) (local.get $s2)))))
        (f32x4.mul (local.get $c3) (v128.load offset=16 (i32.add (local.get $p) (local.get $s3)))))))
      (local.set $h (i16x8.narrow_i32x4_u
        (i32x4.shr_u (i32x4.add (i32x4.add (local.get $lo) (local.get $kHalf)) (i32x4.shr_u (i32x4.shl (local.get $lo) (i32.const 15)) (i32.const 31))) (i32.const 16))
        (i32x4.shr_u (i32x4.add (i32x4.add (local.get $hi) (local.get $kHalf)) (i32x4.shr_u (i32x4.shl (local.get $hi) (i32.const 15)) (i32.const 31))) (i32.const 16))))
      (v128.store (i32.add (local.get $drow) (local.get $o)) (local.get $h))
      (local.set $exp (i16x8.max_u (local.get $exp) (i16x8.add (local.get $h) (local.get $h))))
      (local.set $w (v128.load offset=16 (i32.add (local.get $srow) (local.get $o))))
      (local.set $lo (f32x4.sub (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $kZero) (local.get $w)) (f32x4.add
        (f32x4.add
          (f32x4.add (f32x4.mul (local.get $c0) (v128.load offset=32 (local.get $p)))
            (f32x4.mul (local.get $c1) (v128.load offset=32 (i32.add (local.get $p) (local.get $stride)))))
          (f32x4.mul (local.get $c2) (v128.load offset=32 (i32.add (local.get $p) (local.get $s2)))))
        (f32x4.mul (local.get $c3) (v128.load offset=32 (i32.add (local.get $p) (local.get $s3)))))))
      (local.set $hi (f32x4.sub (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $kZero) (local.get $w)) (f32x4.add
        (f32x4.add
          (f32x4.add (f32x4.mul (local.get $c0) (v128.load offset=48 (local.get $p)))
            (f32x4.mul (local.get $c1) (v128.load offset=48 (i32.add (local.get $p) (local.get $stride)))))
          (f32x4.mul (local.get $c2) (v128.load offset=48 (i32.add (local.get $p) (local.get $s2)))))
        (f32x4.mul (local.get $c3) (v128.load offset=48 (i32.add (local.get $p) (local.get $s3)))))))
      (local.set $h (i16x8.narrow_i32x4_u
        (i32x4.shr_u (i32x4.add (i32x4.add (local.get $lo) (local.get $kHalf)) (i32x4.shr_u (i32x4.shl (local.get $lo) (i32.const 15)) (i32.const 31))) (i32.const 16))
        (i32x4.shr_u (i32x4.add (i32x4.add (local.get $hi) (local.get $kHalf)) (i32x4.shr_u (i32x4.shl (local.get $hi) (i32.const 15)) (i32.const 31))) (i32.const 16))))
      (v128.store offset=16 (i32.add (local.get $drow) (local.get $o)) (local.get $h))
      (local.set $exp (i16x8.max_u (local.get $exp) (i16x8.add (local.get $h) (local.get $h))))
      (local.set $o (i32.add (local.get $o) (i32.const 32)))
      (br $next)))
  (local.get $exp))

;; any rank-4 row without NaN in its coefficients or vec: the delta from +0, its sign flipped when unmerging;
;; columns [0, $end), 8 per step
(func $rowExact4 (param $srow i32) (param $drow i32) (param $vec i32) (param $crow i32) (param $stride i32)
                 (param $end i32) (param $kZero v128) (param $kHalf v128) (param $neg v128) (result v128)
  (local $o i32) (local $p i32) (local $s2 i32) (local $s3 i32) (local $w v128) (local $lo v128) (local $hi v128)
  (local $h v128) (local $exp v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
  (local.set $s2 (i32.shl (local.get $stride) (i32.const 1)))
  (local.set $s3 (i32.add (local.get $s2) (local.get $stride)))
  (local.set $c0 (v128.load32_splat (local.get $crow)))
  (local.set $c1 (v128.load32_splat offset=4 (local.get $crow)))
  (local.set $c2 (v128.load32_splat offset=8 (local.get $crow)))
  (local.set $c3 (v128.load32_splat offset=12 (local.get $crow)))
  (block $done
    (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $p (i32.add (local.get $vec) (i32.shl (local.get $o) (i32.const 1))))
      (local.set $w (v128.load (i32.add (local.get $srow) (local.get $o))))
      (local.set $lo (f32x4.add (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $kZero) (local.get $w)) (v128.xor (local.get $neg) (f32x4.add
        (f32x4.add
          (f32x4.add (f32x4.add (local.get $kZero) (f32x4.mul (local.get $c0) (v128.load (local.get $p))))
            (f32x4.mul (local.get $c1) (v128.load (i32.add (local.get $p) (local.get $stride)))))
          (f32x4.mul (local.get $c2) (v128.load (i32.add (local.get $p) (local.get $s2)))))
        (f32x4.mul (local.get $c3) (v128.load (i32.add (local.get $p) (local.get $s3))))))))
      (local.set $hi (f32x4.add (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $kZero) (local.get $w)) (v128.xor (local.get $neg) (f32x4.add
        (f32x4.add
          (f32x4.add (f32x4.add (local.get $kZero) (f32x4.mul (local.get $c0) (v128.load offset=16 (local.get $p))))
            (f32x4.mul (local.get $c1) (v128.load offset=16 (i32.add (local.get $p) (local.get $stride)))))
          (f32x4.mul (local.get $c2) (v128.load offset=16 (i32.add (local.get $p) (local.get $s2)))))
        (f32x4.mul (local.get $c3) (v128.load offset=16 (i32.add (local.get $p) (local.get $s3))))))))
      (local.set $h (i16x8.narrow_i32x4_u
        (i32x4.shr_u (i32x4.add (i32x4.add (local.get $lo) (local.get $kHalf)) (i32x4.shr_u (i32x4.shl (local.get $lo) (i32.const 15)) (i32.const 31))) (i32.const 16))
        (i32x4.shr_u (i32x4.add (i32x4.add (local.get $hi) (local.get $kHalf)) (i32x4.shr_u (i32x4.shl (local.get $hi) (i32.const 15)) (i32.const 31))) (i32.const 16))))
      (v128.store (i32.add (local.get $drow) (local.get $o)) (local.get $h))
      (local.set $exp (i16x8.max_u (local.get $exp) (i16x8.add (local.get $h) (local.get $h))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $next)))
  (local.get $exp))

;; merge_bf16: as merge_f32 for bfloat16 W: widen exactly to binary32, add the delta, round back to nearest
;; even. Returns 1 when a result (after rounding) is ±inf or NaN.
(func (export "merge_bf16") (param $src i32) (param $dst i32) (param $vec i32) (param $coef i32)
                            (param $rows i32) (param $cols i32) (param $r i32) (param $unmerge i32) (result i32)
  (local $row i32) (local $o i32) (local $stride i32) (local $end8 i32)
  (local $srow i32) (local $drow i32) (local $crow i32) (local $w v128) (local $lo v128) (local $hi v128)
  (local $h v128) (local $bad v128) (local $hs i32) (local $badS i32) (local $wstride i32)
  (local $dlo v128) (local $dhi v128) (local $p i32) (local $z i32) (local $exp v128)
  (local $end16 i32) (local $c v128) (local $b v128) (local $vmin v128) (local $vmax v128) (local $t01 v128) (local $t23 v128)
  (local $neg v128) (local $negS i32)
  (local $kZero v128) (local $kHalf v128) (local $kInf16 v128)
  ;; unmerge: W + (−ΔW), the delta's sign bit flipped (exact, and unlike negated coefficients it keeps the
  ;; sign of an exactly-zero delta: the reference computes W + (−1)·ΔW)
  (local.set $negS (i32.shl (i32.ne (local.get $unmerge) (i32.const 0)) (i32.const 31)))
  (local.set $neg (i32x4.splat (local.get $negS)))
  ;; the rank-4 loops' constants: splats of $z, an opaque 0 (a memory has at most 65536 pages), so that V8
  ;; does not rebuild them in the loops
  (local.set $z (i32.shr_u (memory.size) (i32.const 17)))
  (local.set $kZero (i32x4.splat (local.get $z)))
  (local.set $kHalf (i32x4.splat (i32.or (local.get $z) (i32.const 0x7fff))))
  (local.set $kInf16 (v128.const i16x8 0x7f80 0x7f80 0x7f80 0x7f80 0x7f80 0x7f80 0x7f80 0x7f80))
  (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
  (local.set $wstride (i32.shl (local.get $cols) (i32.const 1)))
  (local.set $end8 (i32.and (local.get $wstride) (i32.const -16)))
  (local.set $end16 (i32.and (local.get $wstride) (i32.const -32)))
  ;; rank 4: the least and greatest |v| of each row of vec (lanes 0..3), for the per-row choice of loop below
  (if (i32.eq (local.get $r) (i32.const 4))
    (then
      (local.set $t01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
        (call $absRange (local.get $vec) (i32.shl (local.get $end8) (i32.const 1)))
        (call $absRange (i32.add (local.get $vec) (local.get $stride)) (i32.shl (local.get $end8) (i32.const 1)))))
      (local.set $t23 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
        (call $absRange (i32.add (local.get $vec) (i32.shl (local.get $stride) (i32.const 1))) (i32.shl (local.get $end8) (i32.const 1)))
        (call $absRange (i32.add (local.get $vec) (i32.mul (local.get $stride) (i32.const 3))) (i32.shl (local.get $end8) (i32.const 1)))))
      (local.set $vmin (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t01) (local.get $t23)))
      (local.set $vmax (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t01) (local.get $t23)))))
  (block $rowsDone
    (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $srow (i32.add (local.get $src) (i32.mul (local.get $row) (local.get $wstride))))
      (local.set $drow (i32.add (local.get $dst) (i32.mul (local.get $row) (local.get $wstride))))
      (local.set $crow (i32.add (local.get $coef) (i32.shl (i32.mul (local.get $row) (local.get $r)) (i32.const 2))))
      (local.set $o (i32.const 0))
      (if (i32.eq (local.get $r) (i32.const 4))
        (then
          ;; $b: the greatest |c·v| of each product; their sum in the kernel's order bounds every partial sum
          (local.set $c (v128.load (local.get $crow)))
          (local.set $b (f32x4.mul (f32x4.abs (local.get $c)) (local.get $vmax)))
          (if (i32.and
                (f32.lt (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $b)) (f32x4.extract_lane 1 (local.get $b)))
                                          (f32x4.extract_lane 2 (local.get $b)))
                                 (f32x4.extract_lane 3 (local.get $b)))
                        (f32.const inf))
                (v128.any_true (f32x4.gt (f32x4.mul (f32x4.abs (local.get $c)) (local.get $vmin)) (local.get $kZero))))
            (then
              ;; finite sums, and one product that is never ±0 (so the sum is never −0)
              (local.set $exp (i16x8.max_u (local.get $exp)
                (if (result v128) (local.get $unmerge)
                  (then (call $rowUnmerge4 (local.get $srow) (local.get $drow) (local.get $vec) (local.get $crow) (local.get $stride)
                                           (local.get $end16) (local.get $kZero) (local.get $kHalf)))
                  (else (call $rowMerge4 (local.get $srow) (local.get $drow) (local.get $vec) (local.get $crow) (local.get $stride)
                                         (local.get $end16) (local.get $kZero) (local.get $kHalf))))))
              (local.set $o (local.get $end16)))
            (else
              (if (i32.eqz (v128.any_true (v128.or (f32x4.ne (local.get $c) (local.get $c)) (f32x4.ne (local.get $vmax) (local.get $vmax)))))
                (then
                  (local.set $exp (i16x8.max_u (local.get $exp)
                    (call $rowExact4 (local.get $srow) (local.get $drow) (local.get $vec) (local.get $crow) (local.get $stride)
                                     (local.get $end8) (local.get $kZero) (local.get $kHalf) (local.get $neg))))
                  (local.set $o (local.get $end8))))))))
      ;; any other rank, a NaN in the coefficients or vec, or the last 8 columns of a fast rank-4 row (the
      ;; rank-4 loops have done their columns above), 8 columns per step: $o counts bfloat16 bytes, the delta's byte offset is 2·$o
      (block $done8
        (loop $next8
          (br_if $done8 (i32.ge_u (local.get $o) (local.get $end8)))
          (local.set $p (i32.shl (local.get $o) (i32.const 1)))
          (local.set $dlo (call $deltaR (local.get $vec) (local.get $stride) (local.get $p) (local.get $crow) (local.get $r)))
          (local.set $dhi (call $deltaR (local.get $vec) (local.get $stride) (i32.add (local.get $p) (i32.const 16)) (local.get $crow) (local.get $r)))
          (local.set $w (v128.load (i32.add (local.get $srow) (local.get $o))))
          (local.set $lo (f32x4.add (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $w)) (i32.const 16)) (v128.xor (local.get $neg) (local.get $dlo))))
          (local.set $hi (f32x4.add (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $w)) (i32.const 16)) (v128.xor (local.get $neg) (local.get $dhi))))
          (local.set $h (i16x8.narrow_i32x4_u (call $toBf16 (local.get $lo)) (call $toBf16 (local.get $hi))))
          (v128.store (i32.add (local.get $drow) (local.get $o)) (local.get $h))
          (local.set $bad (v128.or (local.get $bad)
            (i16x8.eq (v128.and (local.get $h) (local.get $kInf16))
                      (local.get $kInf16))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $next8)))
      (block $tailDone
        (loop $tail
          (br_if $tailDone (i32.ge_u (local.get $o) (local.get $wstride)))
          (local.set $hs (call $toBf16Scalar (i32.reinterpret_f32
            (f32.add (f32.reinterpret_i32 (i32.shl (i32.load16_u (i32.add (local.get $srow) (local.get $o))) (i32.const 16)))
              (f32.reinterpret_i32 (i32.xor (local.get $negS) (i32.reinterpret_f32
                (call $deltaScalar (local.get $vec) (local.get $stride) (i32.shl (local.get $o) (i32.const 1)) (local.get $crow) (local.get $r)))))))))
          (i32.store16 (i32.add (local.get $drow) (local.get $o)) (local.get $hs))
          (local.set $badS (i32.or (local.get $badS) (i32.eq (i32.and (local.get $hs) (i32.const 0x7f80)) (i32.const 0x7f80))))
          (local.set $o (i32.add (local.get $o) (i32.const 2)))
          (br $tail)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rowLoop)))
  (i32.or (local.get $badS) (v128.any_true (v128.or (local.get $bad)
    (i16x8.ge_u (local.get $exp) (v128.const i16x8 0xff00 0xff00 0xff00 0xff00 0xff00 0xff00 0xff00 0xff00))))))
