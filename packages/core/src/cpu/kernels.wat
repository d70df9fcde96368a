;; vblora.js CPU kernels: WebAssembly SIMD (128-bit, 4 × binary32 lanes) versions of the loops of merge and
;; compose. Every float operation is one IEEE-754 binary32 multiply or add, in the same order as core's reference
;; kernels (src/kernels), so the results are bit-identical to them; the conformance suite checks this.
;;
;; Pointers are byte offsets into the imported memory; cpu-instance.ts lays the data out. scripts/build-wasm.mjs
;; assembles this file (with wabt) into cpu-wasm.generated.ts, once with a private memory and once with a shared
;; one for worker threads; never edit the generated file by hand.
(module
  (import "env" "memory" (memory 1))

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

  ;; merge_bf16: as merge_f32 for bfloat16 W: widen exactly to binary32, add the delta, round back to nearest
  ;; even. Returns 1 when a result (after rounding) is ±inf or NaN.
  (func (export "merge_bf16") (param $src i32) (param $dst i32) (param $vec i32) (param $coef i32)
                              (param $rows i32) (param $cols i32) (param $r i32) (param $unmerge i32) (result i32)
    (local $row i32) (local $o i32) (local $stride i32) (local $end8 i32) (local $s2 i32) (local $s3 i32)
    (local $srow i32) (local $drow i32) (local $crow i32) (local $w v128) (local $lo v128) (local $hi v128)
    (local $h v128) (local $bad v128) (local $hs i32) (local $badS i32) (local $wstride i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $dlo v128) (local $dhi v128)
    (local $p i32)
    (local $neg v128) (local $negS i32)
    (local $kZero v128) (local $kQuiet v128) (local $kHalf v128) (local $kOne v128) (local $kInf16 v128) (local $rlo v128) (local $rhi v128)
    ;; unmerge: W + (−ΔW), the delta's sign bit flipped (exact, and unlike negated coefficients it keeps the
    ;; sign of an exactly-zero delta: the reference computes W + (−1)·ΔW)
    (local.set $negS (i32.shl (i32.ne (local.get $unmerge) (i32.const 0)) (i32.const 31)))
    (local.set $neg (i32x4.splat (local.get $negS)))
    ;; constants in locals: V8 rebuilds a v128.const at every use inside a loop
    (local.set $kZero (v128.const i32x4 0 0 0 0))
    (local.set $kQuiet (v128.const i32x4 0x400000 0x400000 0x400000 0x400000))
    (local.set $kHalf (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
    (local.set $kOne (v128.const i32x4 1 1 1 1))
    (local.set $kInf16 (v128.const i16x8 0x7f80 0x7f80 0x7f80 0x7f80 0x7f80 0x7f80 0x7f80 0x7f80))
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $wstride (i32.shl (local.get $cols) (i32.const 1)))
    (local.set $end8 (i32.and (local.get $wstride) (i32.const -16)))
    (local.set $s2 (i32.shl (local.get $stride) (i32.const 1)))
    (local.set $s3 (i32.add (local.get $s2) (local.get $stride)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $srow (i32.add (local.get $src) (i32.mul (local.get $row) (local.get $wstride))))
        (local.set $drow (i32.add (local.get $dst) (i32.mul (local.get $row) (local.get $wstride))))
        (local.set $crow (i32.add (local.get $coef) (i32.shl (i32.mul (local.get $row) (local.get $r)) (i32.const 2))))
        (local.set $c0 (v128.load32_splat (local.get $crow)))
        (if (i32.eq (local.get $r) (i32.const 4))
          (then
            (local.set $c1 (v128.load32_splat offset=4 (local.get $crow)))
            (local.set $c2 (v128.load32_splat offset=8 (local.get $crow)))
            (local.set $c3 (v128.load32_splat offset=12 (local.get $crow)))))
        (local.set $o (i32.const 0))
        (if (i32.eq (local.get $r) (i32.const 4))
          (then
            ;; rank 4, 8 columns per step, fully inlined (the hot loop: V8 does not inline wasm calls). Widening
            ;; puts each bfloat16 in the high half of a zero lane, one shuffle; rounding works on the binary32 bits
            ;; and one shuffle takes the 8 high halves (a NaN keeps its bits with the quiet bit set).
            (block $done8i
              (loop $next8i
                (br_if $done8i (i32.ge_u (local.get $o) (local.get $end8)))
                (local.set $p (i32.add (local.get $vec) (i32.shl (local.get $o) (i32.const 1))))
                (local.set $w (v128.load (i32.add (local.get $srow) (local.get $o))))
                (local.set $lo (f32x4.add (i8x16.shuffle 16 16 0 1 16 16 2 3 16 16 4 5 16 16 6 7 (local.get $w) (local.get $kZero)) (v128.xor (local.get $neg)
                  (f32x4.add
                      (f32x4.add
                        (f32x4.add
                          (f32x4.add (local.get $kZero) (f32x4.mul (local.get $c0) (v128.load (local.get $p))))
                          (f32x4.mul (local.get $c1) (v128.load (i32.add (local.get $p) (local.get $stride)))))
                        (f32x4.mul (local.get $c2) (v128.load (i32.add (local.get $p) (local.get $s2)))))
                      (f32x4.mul (local.get $c3) (v128.load (i32.add (local.get $p) (local.get $s3))))))))
                (local.set $hi (f32x4.add (i8x16.shuffle 16 16 8 9 16 16 10 11 16 16 12 13 16 16 14 15 (local.get $w) (local.get $kZero)) (v128.xor (local.get $neg)
                  (f32x4.add
                      (f32x4.add
                        (f32x4.add
                          (f32x4.add (local.get $kZero) (f32x4.mul (local.get $c0) (v128.load offset=16 (local.get $p))))
                          (f32x4.mul (local.get $c1) (v128.load offset=16 (i32.add (local.get $p) (local.get $stride)))))
                        (f32x4.mul (local.get $c2) (v128.load offset=16 (i32.add (local.get $p) (local.get $s2)))))
                      (f32x4.mul (local.get $c3) (v128.load offset=16 (i32.add (local.get $p) (local.get $s3))))))))
                ;; round to nearest even on the bits: the result is the high half of each lane
                (local.set $rlo (i32x4.add (i32x4.add (local.get $lo) (local.get $kHalf))
                             (v128.and (i32x4.shr_u (local.get $lo) (i32.const 16)) (local.get $kOne))))
                (local.set $rhi (i32x4.add (i32x4.add (local.get $hi) (local.get $kHalf))
                             (v128.and (i32x4.shr_u (local.get $hi) (i32.const 16)) (local.get $kOne))))
                (local.set $h (i8x16.shuffle 2 3 6 7 10 11 14 15 18 19 22 23 26 27 30 31 (local.get $rlo) (local.get $rhi)))
                ;; a NaN lane (rare) keeps its bits with the quiet bit set instead of the rounding formula
                (if (v128.any_true (v128.or (f32x4.ne (local.get $lo) (local.get $lo)) (f32x4.ne (local.get $hi) (local.get $hi))))
                  (then
                    (local.set $h (i8x16.shuffle 2 3 6 7 10 11 14 15 18 19 22 23 26 27 30 31
                      (v128.bitselect (v128.or (local.get $lo) (local.get $kQuiet)) (local.get $rlo) (f32x4.ne (local.get $lo) (local.get $lo)))
                      (v128.bitselect (v128.or (local.get $hi) (local.get $kQuiet)) (local.get $rhi) (f32x4.ne (local.get $hi) (local.get $hi)))))))
                (v128.store (i32.add (local.get $drow) (local.get $o)) (local.get $h))
                (local.set $bad (v128.or (local.get $bad)
                  (i16x8.eq (v128.and (local.get $h) (local.get $kInf16))
                            (local.get $kInf16))))
                (local.set $o (i32.add (local.get $o) (i32.const 16)))
                (br $next8i)))))
        ;; 8 columns per step: $o counts bfloat16 bytes, the delta's byte offset is 2·$o
        (block $done8
          (loop $next8
            (br_if $done8 (i32.ge_u (local.get $o) (local.get $end8)))
            (local.set $p (i32.shl (local.get $o) (i32.const 1)))
            (if (i32.eq (local.get $r) (i32.const 4))
              (then
                (local.set $dlo (call $delta4 (i32.add (local.get $vec) (local.get $p)) (local.get $stride) (local.get $s2) (local.get $s3)
                  (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)))
                (local.set $dhi (call $delta4 (i32.add (i32.add (local.get $vec) (local.get $p)) (i32.const 16)) (local.get $stride) (local.get $s2) (local.get $s3)
                  (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3))))
              (else
                (local.set $dlo (call $deltaR (local.get $vec) (local.get $stride) (local.get $p) (local.get $crow) (local.get $r)))
                (local.set $dhi (call $deltaR (local.get $vec) (local.get $stride) (i32.add (local.get $p) (i32.const 16)) (local.get $crow) (local.get $r)))))
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
    (i32.or (local.get $badS) (v128.any_true (local.get $bad))))

  ;; ============================================================================ compose (Σ_j w_j · bank[idx_j])
;; mix_row: out[0 .. vl) = 0 + Σ_j w[j] · bank[idx[j], :], products and partial sums rounded to binary32, j in
  ;; top-k order (the reference starts from 0, so −0 products become +0 exactly as there). The sum of 4 columns
  ;; stays in a register across j; k = 2 (PEFT's default) keeps both weights and rows in registers.
  (func $mixRow (param $out i32) (param $bank i32) (param $idx i32) (param $w i32) (param $k i32) (param $vl i32)
    (local $j i32) (local $c i32) (local $acc v128) (local $accS f32) (local $bytes i32) (local $end4 i32)
    (local $w0 v128) (local $w1 v128) (local $b0 i32) (local $b1 i32)
    (local.set $bytes (i32.shl (local.get $vl) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $bytes) (i32.const -16)))
    (if (i32.eq (local.get $k) (i32.const 2))
      (then
        (local.set $w0 (v128.load32_splat (local.get $w)))
        (local.set $w1 (v128.load32_splat offset=4 (local.get $w)))
        (local.set $b0 (i32.add (local.get $bank) (i32.mul (i32.load (local.get $idx)) (local.get $bytes))))
        (local.set $b1 (i32.add (local.get $bank) (i32.mul (i32.load offset=4 (local.get $idx)) (local.get $bytes))))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $c) (local.get $end4)))
          (v128.store (i32.add (local.get $out) (local.get $c))
            (f32x4.add
              (f32x4.add (v128.const i32x4 0 0 0 0) (f32x4.mul (local.get $w0) (v128.load (i32.add (local.get $b0) (local.get $c)))))
              (f32x4.mul (local.get $w1) (v128.load (i32.add (local.get $b1) (local.get $c))))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br $l2))))
      (else
        (block $dk (loop $lk
          (br_if $dk (i32.ge_u (local.get $c) (local.get $end4)))
          (local.set $acc (v128.const i32x4 0 0 0 0))
          (local.set $j (i32.const 0))
          (block $jd (loop $jl
            (br_if $jd (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul (v128.load32_splat (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2))))
                (v128.load (i32.add (i32.add (local.get $bank)
                  (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))) (local.get $bytes)))
                  (local.get $c))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))
          (v128.store (i32.add (local.get $out) (local.get $c)) (local.get $acc))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br $lk)))))
    ;; the last vl mod 4 columns, one at a time
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $c) (local.get $bytes)))
      (local.set $accS (f32.const 0))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $k)))
        (local.set $accS (f32.add (local.get $accS)
          (f32.mul (f32.load (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2))))
            (f32.load (i32.add (i32.add (local.get $bank)
              (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))) (local.get $bytes)))
              (local.get $c))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (f32.store (i32.add (local.get $out) (local.get $c)) (local.get $accS))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $tl))))

  ;; mix: $rows rows, out (rows, vl) from idx (rows, k) i32 and w (rows, k) binary32
  (func (export "mix") (param $out i32) (param $bank i32) (param $idx i32) (param $w i32)
                       (param $rows i32) (param $k i32) (param $vl i32)
    (local $row i32) (local $kb i32)
    (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $row) (local.get $rows)))
      (call $mixRow
        (i32.add (local.get $out) (i32.mul (local.get $row) (i32.shl (local.get $vl) (i32.const 2))))
        (local.get $bank)
        (i32.add (local.get $idx) (i32.mul (local.get $row) (local.get $kb)))
        (i32.add (local.get $w) (i32.mul (local.get $row) (local.get $kb)))
        (local.get $k) (local.get $vl))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $l))))

  ;; mix_t: B's layout. Rows come in tiles of r (tile t, rank i = row t·r + i); each tile's r mixed vectors
  ;; (r, vl) are written transposed as (vl, r) at out + t·vl·r floats. $tmp: scratch of r·vl floats.
  (func (export "mix_t") (param $out i32) (param $bank i32) (param $idx i32) (param $w i32)
                         (param $tiles i32) (param $r i32) (param $k i32) (param $vl i32) (param $tmp i32)
    (local $t i32) (local $i i32) (local $c i32) (local $row i32) (local $kb i32) (local $vb i32) (local $dst i32)
    (local $a v128) (local $b v128) (local $cc v128) (local $d v128) (local $ab0 v128) (local $ab1 v128)
    (local $cd0 v128) (local $cd1 v128) (local $end4 i32)
    (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
    (local.set $vb (i32.shl (local.get $vl) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $vb) (i32.const -16)))
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $t) (local.get $tiles)))
      (local.set $i (i32.const 0))
      (block $id (loop $il
        (br_if $id (i32.ge_u (local.get $i) (local.get $r)))
        (local.set $row (i32.add (i32.mul (local.get $t) (local.get $r)) (local.get $i)))
        (call $mixRow (i32.add (local.get $tmp) (i32.mul (local.get $i) (local.get $vb))) (local.get $bank)
          (i32.add (local.get $idx) (i32.mul (local.get $row) (local.get $kb)))
          (i32.add (local.get $w) (i32.mul (local.get $row) (local.get $kb)))
          (local.get $k) (local.get $vl))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (local.set $dst (i32.add (local.get $out) (i32.mul (local.get $t) (i32.mul (local.get $vb) (local.get $r)))))
      (local.set $c (i32.const 0))
      (if (i32.eq (local.get $r) (i32.const 4))
        (then
          ;; 4 × 4 blocks: rows a, b, c, d of tmp at columns c .. c+4 become 4 consecutive (a, b, c, d) quads
          (block $qd (loop $ql
            (br_if $qd (i32.ge_u (local.get $c) (local.get $end4)))
            (local.set $a (v128.load (i32.add (local.get $tmp) (local.get $c))))
            (local.set $b (v128.load (i32.add (i32.add (local.get $tmp) (local.get $vb)) (local.get $c))))
            (local.set $cc (v128.load (i32.add (i32.add (local.get $tmp) (i32.shl (local.get $vb) (i32.const 1))) (local.get $c))))
            (local.set $d (v128.load (i32.add (i32.add (local.get $tmp) (i32.mul (local.get $vb) (i32.const 3))) (local.get $c))))
            ;; ab0 = a0 b0 a1 b1, ab1 = a2 b2 a3 b3, cd0 = c0 d0 c1 d1, cd1 = c2 d2 c3 d3
            (local.set $ab0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
            (local.set $ab1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $cd0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $cc) (local.get $d)))
            (local.set $cd1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $cc) (local.get $d)))
            (v128.store (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab0) (local.get $cd0)))
            (v128.store offset=16 (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab0) (local.get $cd0)))
            (v128.store offset=32 (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab1) (local.get $cd1)))
            (v128.store offset=48 (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab1) (local.get $cd1)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $ql)))))
      ;; any other rank, and the last vl mod 4 columns: one element at a time
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $c) (local.get $vb)))
        (local.set $i (i32.const 0))
        (block $ed (loop $el
          (br_if $ed (i32.ge_u (local.get $i) (local.get $r)))
          (f32.store
            (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (i32.shr_u (local.get $c) (i32.const 2)) (local.get $r)) (local.get $i)) (i32.const 2)))
            (f32.load (i32.add (i32.add (local.get $tmp) (i32.mul (local.get $i) (local.get $vb))) (local.get $c))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $el)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $sl)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tl))))

  ;; ====================================================================================== top-k selection
  ;; ranks_above(a at ia, b at ib): NaN highest, then the larger value, equal values (−0 = +0) the lower index
  (func $ranksAbove (param $a f32) (param $ia i32) (param $b f32) (param $ib i32) (result i32)
    (local $an i32) (local $bn i32)
    (local.set $an (f32.ne (local.get $a) (local.get $a)))
    (local.set $bn (f32.ne (local.get $b) (local.get $b)))
    (if (result i32) (i32.ne (local.get $an) (local.get $bn))
      (then (local.get $an))
      (else
        (if (result i32) (i32.and (i32.eqz (local.get $an)) (f32.ne (local.get $a) (local.get $b)))
          (then (f32.gt (local.get $a) (local.get $b)))
          (else (i32.lt_u (local.get $ia) (local.get $ib)))))))

  ;; insert entry $j of row $src into the rank-ordered kept list $out (length $count ≤ $k); returns the new count
  (func $insert (param $src i32) (param $j i32) (param $k i32) (param $out i32) (param $count i32) (result i32)
    (local $pos i32) (local $v f32) (local $q i32) (local $prev i32)
    (local.set $v (f32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))
    (local.set $pos (local.get $count))
    (block $up (loop $ul
      (br_if $up (i32.eqz (local.get $pos)))
      (local.set $prev (i32.load (i32.add (local.get $out) (i32.shl (i32.sub (local.get $pos) (i32.const 1)) (i32.const 2)))))
      (br_if $up (call $ranksAbove (f32.load (i32.add (local.get $src) (i32.shl (local.get $prev) (i32.const 2)))) (local.get $prev)
                                   (local.get $v) (local.get $j)))
      (local.set $pos (i32.sub (local.get $pos) (i32.const 1)))
      (br $ul)))
    (if (i32.ge_u (local.get $pos) (local.get $k)) (then (return (local.get $count))))
    ;; shift [pos, min(count, k−1)) down by one
    (local.set $q (select (local.get $count) (i32.sub (local.get $k) (i32.const 1)) (i32.lt_u (local.get $count) (i32.sub (local.get $k) (i32.const 1)))))
    (block $sd (loop $sl
      (br_if $sd (i32.le_u (local.get $q) (local.get $pos)))
      (i32.store (i32.add (local.get $out) (i32.shl (local.get $q) (i32.const 2)))
        (i32.load (i32.add (local.get $out) (i32.shl (i32.sub (local.get $q) (i32.const 1)) (i32.const 2)))))
      (local.set $q (i32.sub (local.get $q) (i32.const 1)))
      (br $sl)))
    (i32.store (i32.add (local.get $out) (i32.shl (local.get $pos) (i32.const 2))) (local.get $j))
    (select (i32.add (local.get $count) (i32.const 1)) (local.get $count) (i32.lt_u (local.get $count) (local.get $k))))

  ;; select_topk: for each of $rows rows of $nv binary32 logits, the indices of the k highest-ranked entries in
  ;; rank order, written to $out (rows, k) i32. The first k entries fill the list; after that an entry can only
  ;; enter if it is NaN or above the k-th kept value t, so 8 entries at a time are compared with t and skipped
  ;; together, and the reference's insertion rule runs only on a group with a candidate (a NaN t ends the row:
  ;; nothing ranks above a NaN with a lower index).
  (func (export "select_topk") (param $logits i32) (param $rows i32) (param $nv i32) (param $k i32) (param $out i32)
    (local $row i32) (local $src i32) (local $dst i32) (local $j i32) (local $count i32) (local $t f32)
    (local $tv v128) (local $a v128) (local $b v128) (local $end i32) (local $kth i32)
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $src (i32.add (local.get $logits) (i32.shl (i32.mul (local.get $row) (local.get $nv)) (i32.const 2))))
      (local.set $dst (i32.add (local.get $out) (i32.shl (i32.mul (local.get $row) (local.get $k)) (i32.const 2))))
      (local.set $kth (i32.add (local.get $dst) (i32.shl (i32.sub (local.get $k) (i32.const 1)) (i32.const 2))))
      (local.set $count (i32.const 0))
      (local.set $j (i32.const 0))
      ;; fill: the first k entries
      (block $fd (loop $fl
        (br_if $fd (i32.ge_u (local.get $j) (local.get $nv)))
        (br_if $fd (i32.ge_u (local.get $count) (local.get $k)))
        (local.set $count (call $insert (local.get $src) (local.get $j) (local.get $k) (local.get $dst) (local.get $count)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $fl)))
      (block $rowDone
        (loop $scan
          (br_if $rowDone (i32.ge_u (local.get $j) (local.get $nv)))
          (local.set $t (f32.load (i32.add (local.get $src) (i32.shl (i32.load (local.get $kth)) (i32.const 2)))))
          (br_if $rowDone (f32.ne (local.get $t) (local.get $t)))
          (local.set $tv (f32x4.splat (local.get $t)))
          ;; skip 8 entries at a time while none is NaN or above t
          (block $hit (loop $skip
            (br_if $hit (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $nv)))
            (local.set $a (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $b (v128.load offset=16 (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))
            (br_if $hit (v128.any_true (v128.or
              (v128.or (f32x4.gt (local.get $a) (local.get $tv)) (f32x4.ne (local.get $a) (local.get $a)))
              (v128.or (f32x4.gt (local.get $b) (local.get $tv)) (f32x4.ne (local.get $b) (local.get $b))))))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $skip)))
          ;; a group with a candidate, or the last nv mod 8 entries: the insertion rule, one entry at a time
          (local.set $end (select (i32.add (local.get $j) (i32.const 8)) (local.get $nv)
            (i32.le_u (i32.add (local.get $j) (i32.const 8)) (local.get $nv))))
          (block $gd (loop $gl
            (br_if $gd (i32.ge_u (local.get $j) (local.get $end)))
            (local.set $count (call $insert (local.get $src) (local.get $j) (local.get $k) (local.get $dst) (local.get $count)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $gl)))
          (br $scan)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl))))

  ;; ================================================================ unmerged forward (y = base + (x·Aᵀ)·Bᵀ)
  ;; The down projection h = x·Aᵀ puts the ranks in the lanes: with Aᵀ stored as (in, rp) (rp = r rounded up to
  ;; 4, padding columns 0), lane i sums x[c]·A[i, c] over c in order from +0 — the reference's order, so h is
  ;; bit-identical. Two rows run side by side to hide the add latency of that one chain per row. The up
  ;; projection puts 4 outputs in the lanes and sums h[i]·B[o, i] over i in order from +0, with Bᵀ (r, out).

  ;; h0[0 .. rp) = x0·Aᵀ0 and h1[0 .. rp) = x1·Aᵀ1 ($groups = rp / 4)
  (func $down2 (param $x0 i32) (param $x1 i32) (param $at0 i32) (param $at1 i32) (param $inF i32) (param $groups i32)
               (param $h0 i32) (param $h1 i32)
    (local $g i32) (local $c i32) (local $a0 v128) (local $a1 v128) (local $gb i32) (local $rowBytes i32)
    (local $p0 i32) (local $p1 i32) (local $end i32)
    (local.set $rowBytes (i32.shl (local.get $groups) (i32.const 4)))
    (block $gd (loop $gl
      (br_if $gd (i32.ge_u (local.get $g) (local.get $groups)))
      (local.set $gb (i32.shl (local.get $g) (i32.const 4)))
      (local.set $a0 (v128.const i32x4 0 0 0 0))
      (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $p0 (i32.add (local.get $at0) (local.get $gb)))
      (local.set $p1 (i32.add (local.get $at1) (local.get $gb)))
      (local.set $c (i32.const 0))
      (local.set $end (i32.shl (local.get $inF) (i32.const 2)))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $c) (local.get $end)))
        (local.set $a0 (f32x4.add (local.get $a0)
          (f32x4.mul (v128.load32_splat (i32.add (local.get $x0) (local.get $c))) (v128.load (local.get $p0)))))
        (local.set $a1 (f32x4.add (local.get $a1)
          (f32x4.mul (v128.load32_splat (i32.add (local.get $x1) (local.get $c))) (v128.load (local.get $p1)))))
        (local.set $p0 (i32.add (local.get $p0) (local.get $rowBytes)))
        (local.set $p1 (i32.add (local.get $p1) (local.get $rowBytes)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cl)))
      (v128.store (i32.add (local.get $h0) (local.get $gb)) (local.get $a0))
      (v128.store (i32.add (local.get $h1) (local.get $gb)) (local.get $a1))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $gl))))

  ;; y[0 .. outF) = base + h·Bᵀ for one row ($bt: Bᵀ (r, outF))
  (func $up (param $base i32) (param $y i32) (param $bt i32) (param $h i32) (param $outF i32) (param $r i32)
    (local $o i32) (local $i i32) (local $acc v128) (local $accS f32) (local $bytes i32) (local $end4 i32)
    (local $ob i32)
    (local.set $bytes (i32.shl (local.get $outF) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $bytes) (i32.const -16)))
    (block $od (loop $ol
      (br_if $od (i32.ge_u (local.get $o) (local.get $end4)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      (block $id (loop $il
        (br_if $id (i32.ge_u (local.get $i) (local.get $r)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load32_splat (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 2))))
                     (v128.load (i32.add (i32.add (local.get $bt) (i32.mul (local.get $i) (local.get $bytes))) (local.get $o))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (v128.store (i32.add (local.get $y) (local.get $o)) (f32x4.add (v128.load (i32.add (local.get $base) (local.get $o))) (local.get $acc)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $ol)))
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $o) (local.get $bytes)))
      (local.set $accS (f32.const 0))
      (local.set $i (i32.const 0))
      (block $id (loop $il
        (br_if $id (i32.ge_u (local.get $i) (local.get $r)))
        (local.set $accS (f32.add (local.get $accS)
          (f32.mul (f32.load (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 2))))
                   (f32.load (i32.add (i32.add (local.get $bt) (i32.mul (local.get $i) (local.get $bytes))) (local.get $o))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (f32.store (i32.add (local.get $y) (local.get $o)) (f32.add (f32.load (i32.add (local.get $base) (local.get $o))) (local.get $accS)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $tl))))

  ;; forward_rows: $rows rows, visited in the order of $order (i32 row numbers: rows of one adapter next to each
  ;; other keep its Aᵀ and Bᵀ in the nearest cache); row m uses adapter $ad[m] (i32; −1: y = base), whose Aᵀ
  ;; pointer, Bᵀ pointer and rank are at $tab + 12·a. $h: scratch of 2 · $hStride bytes.
  (func (export "forward_rows") (param $x i32) (param $base i32) (param $y i32) (param $tab i32) (param $ad i32)
                                (param $order i32) (param $rows i32) (param $inF i32) (param $outF i32) (param $h i32) (param $hStride i32)
    (local $n i32) (local $a0 i32) (local $a1 i32) (local $e0 i32) (local $e1 i32) (local $g0 i32) (local $g1 i32)
    (local $xb i32) (local $ob i32) (local $two i32) (local $m0 i32) (local $m1 i32)
    (local.set $xb (i32.shl (local.get $inF) (i32.const 2)))
    (local.set $ob (i32.shl (local.get $outF) (i32.const 2)))
    (block $nd (loop $nl
      (br_if $nd (i32.ge_u (local.get $n) (local.get $rows)))
      (local.set $m0 (i32.load (i32.add (local.get $order) (i32.shl (local.get $n) (i32.const 2)))))
      (local.set $a0 (i32.load (i32.add (local.get $ad) (i32.shl (local.get $m0) (i32.const 2)))))
      (if (i32.lt_s (local.get $a0) (i32.const 0))
        (then
          ;; no adapter: the base row
          (memory.copy (i32.add (local.get $y) (i32.mul (local.get $m0) (local.get $ob)))
                       (i32.add (local.get $base) (i32.mul (local.get $m0) (local.get $ob))) (local.get $ob))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br $nl)))
      (local.set $e0 (i32.add (local.get $tab) (i32.mul (local.get $a0) (i32.const 12))))
      (local.set $g0 (i32.shr_u (i32.add (i32.load offset=8 (local.get $e0)) (i32.const 3)) (i32.const 2)))
      ;; pair with the next row when it has an adapter with as many lane groups
      (local.set $two (i32.const 0))
      (if (i32.lt_u (i32.add (local.get $n) (i32.const 1)) (local.get $rows))
        (then
          (local.set $m1 (i32.load offset=4 (i32.add (local.get $order) (i32.shl (local.get $n) (i32.const 2)))))
          (local.set $a1 (i32.load (i32.add (local.get $ad) (i32.shl (local.get $m1) (i32.const 2)))))
          (if (i32.ge_s (local.get $a1) (i32.const 0))
            (then
              (local.set $e1 (i32.add (local.get $tab) (i32.mul (local.get $a1) (i32.const 12))))
              (local.set $g1 (i32.shr_u (i32.add (i32.load offset=8 (local.get $e1)) (i32.const 3)) (i32.const 2)))
              (local.set $two (i32.eq (local.get $g0) (local.get $g1)))))))
      (if (local.get $two)
        (then
          (call $down2 (i32.add (local.get $x) (i32.mul (local.get $m0) (local.get $xb)))
                       (i32.add (local.get $x) (i32.mul (local.get $m1) (local.get $xb)))
                       (i32.load (local.get $e0)) (i32.load (local.get $e1)) (local.get $inF) (local.get $g0)
                       (local.get $h) (i32.add (local.get $h) (local.get $hStride)))
          (call $up (i32.add (local.get $base) (i32.mul (local.get $m0) (local.get $ob)))
                    (i32.add (local.get $y) (i32.mul (local.get $m0) (local.get $ob)))
                    (i32.load offset=4 (local.get $e0)) (local.get $h) (local.get $outF) (i32.load offset=8 (local.get $e0)))
          (call $up (i32.add (local.get $base) (i32.mul (local.get $m1) (local.get $ob)))
                    (i32.add (local.get $y) (i32.mul (local.get $m1) (local.get $ob)))
                    (i32.load offset=4 (local.get $e1)) (i32.add (local.get $h) (local.get $hStride)) (local.get $outF)
                    (i32.load offset=8 (local.get $e1)))
          (local.set $n (i32.add (local.get $n) (i32.const 2))))
        (else
          ;; alone: the same row twice (the second result is discarded)
          (call $down2 (i32.add (local.get $x) (i32.mul (local.get $m0) (local.get $xb)))
                       (i32.add (local.get $x) (i32.mul (local.get $m0) (local.get $xb)))
                       (i32.load (local.get $e0)) (i32.load (local.get $e0)) (local.get $inF) (local.get $g0)
                       (local.get $h) (i32.add (local.get $h) (local.get $hStride)))
          (call $up (i32.add (local.get $base) (i32.mul (local.get $m0) (local.get $ob)))
                    (i32.add (local.get $y) (i32.mul (local.get $m0) (local.get $ob)))
                    (i32.load offset=4 (local.get $e0)) (local.get $h) (local.get $outF) (i32.load offset=8 (local.get $e0)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (br $nl))))


  ;; transpose: dst[c, r] = src[r, c] for a (rows, cols) binary32 matrix; dst rows are $ld floats apart. 4 × 4
  ;; blocks with shuffles, the edges one element at a time.
  (func (export "transpose") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $ld i32)
    (local $r i32) (local $c i32) (local $r4 i32) (local $c4 i32) (local $sb i32) (local $db i32) (local $p i32) (local $q i32)
    (local $a v128) (local $b v128) (local $cc v128) (local $d v128) (local $ab0 v128) (local $ab1 v128) (local $cd0 v128) (local $cd1 v128)
    (local.set $r4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $sb (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $db (i32.shl (local.get $ld) (i32.const 2)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $r4)))
      (local.set $c (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $c) (local.get $c4)))
        (local.set $p (i32.add (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $sb))) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $a (v128.load (local.get $p)))
        (local.set $b (v128.load (i32.add (local.get $p) (local.get $sb))))
        (local.set $cc (v128.load (i32.add (local.get $p) (i32.shl (local.get $sb) (i32.const 1)))))
        (local.set $d (v128.load (i32.add (local.get $p) (i32.mul (local.get $sb) (i32.const 3)))))
        (local.set $ab0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
        (local.set $ab1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
        (local.set $cd0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $cc) (local.get $d)))
        (local.set $cd1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $cc) (local.get $d)))
        (local.set $q (i32.add (i32.add (local.get $dst) (i32.mul (local.get $c) (local.get $db))) (i32.shl (local.get $r) (i32.const 2))))
        (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab0) (local.get $cd0)))
        (v128.store (i32.add (local.get $q) (local.get $db)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab0) (local.get $cd0)))
        (v128.store (i32.add (local.get $q) (i32.shl (local.get $db) (i32.const 1))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab1) (local.get $cd1)))
        (v128.store (i32.add (local.get $q) (i32.mul (local.get $db) (i32.const 3))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab1) (local.get $cd1)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cl)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $rl)))
    ;; the edges: rows [r4, rows) for every column, and columns [c4, cols) of rows [0, r4)
    (local.set $r (i32.const 0))
    (block $ed (loop $el
      (br_if $ed (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $c (select (i32.const 0) (local.get $c4) (i32.ge_u (local.get $r) (local.get $r4))))
      (block $fd (loop $fl
        (br_if $fd (i32.ge_u (local.get $c) (local.get $cols)))
        (f32.store (i32.add (i32.add (local.get $dst) (i32.mul (local.get $c) (local.get $db))) (i32.shl (local.get $r) (i32.const 2)))
          (f32.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $sb))) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $fl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $el))))


  ;; ======================================================================= base linear (y = x·Wᵀ + b)
  ;; With Wᵀ stored (in, out), 4 outputs sit in the lanes and each lane adds x[n, i]·W[o, i] over i in order from
  ;; +0, then the bias: the reference's order, bit for bit. 32 outputs (8 sums) share each x[n, i]; a block of
  ;; Wᵀ (in × 32) stays in cache across the rows. $bias: (out) floats (zeros when the layer has none, which
  ;; adds +0: y + 0 = y for every y but −0, and a sum from +0 is never −0).
  (func (export "linear_rows") (param $x i32) (param $wt i32) (param $bias i32) (param $y i32)
                               (param $rows i32) (param $inF i32) (param $outF i32)
    (local $ob i32) (local $n i32) (local $i i32) (local $p i32) (local $q i32) (local $bq i32) (local $xs v128)
    (local $wb i32) (local $xrow i32) (local $accS f32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $wb (i32.shl (local.get $outF) (i32.const 2)))
    ;; blocks of 32 outputs
    (block $bd (loop $bl
      (br_if $bd (i32.gt_u (i32.add (local.get $ob) (i32.const 32)) (local.get $outF)))
      (local.set $n (i32.const 0))
      (block $nd (loop $nl
        (br_if $nd (i32.ge_u (local.get $n) (local.get $rows)))
          (local.set $a0 (v128.const i32x4 0 0 0 0))
          (local.set $a1 (v128.const i32x4 0 0 0 0))
          (local.set $a2 (v128.const i32x4 0 0 0 0))
          (local.set $a3 (v128.const i32x4 0 0 0 0))
          (local.set $a4 (v128.const i32x4 0 0 0 0))
          (local.set $a5 (v128.const i32x4 0 0 0 0))
          (local.set $a6 (v128.const i32x4 0 0 0 0))
          (local.set $a7 (v128.const i32x4 0 0 0 0))
        (local.set $xrow (i32.add (local.get $x) (i32.shl (i32.mul (local.get $n) (local.get $inF)) (i32.const 2))))
        (local.set $p (i32.add (local.get $wt) (i32.shl (local.get $ob) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $id (loop $il
          (br_if $id (i32.ge_u (local.get $i) (local.get $inF)))
          (local.set $xs (v128.load32_splat (i32.add (local.get $xrow) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xs) (v128.load offset=0 (local.get $p)))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xs) (v128.load offset=16 (local.get $p)))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xs) (v128.load offset=32 (local.get $p)))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xs) (v128.load offset=48 (local.get $p)))))
            (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $xs) (v128.load offset=64 (local.get $p)))))
            (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $xs) (v128.load offset=80 (local.get $p)))))
            (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $xs) (v128.load offset=96 (local.get $p)))))
            (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $xs) (v128.load offset=112 (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (local.get $wb)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $il)))
        (local.set $q (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $outF)) (local.get $ob)) (i32.const 2))))
        (local.set $bq (i32.add (local.get $bias) (i32.shl (local.get $ob) (i32.const 2))))
          (v128.store offset=0 (local.get $q) (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $bq))))
          (v128.store offset=16 (local.get $q) (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $bq))))
          (v128.store offset=32 (local.get $q) (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $bq))))
          (v128.store offset=48 (local.get $q) (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $bq))))
          (v128.store offset=64 (local.get $q) (f32x4.add (local.get $a4) (v128.load offset=64 (local.get $bq))))
          (v128.store offset=80 (local.get $q) (f32x4.add (local.get $a5) (v128.load offset=80 (local.get $bq))))
          (v128.store offset=96 (local.get $q) (f32x4.add (local.get $a6) (v128.load offset=96 (local.get $bq))))
          (v128.store offset=112 (local.get $q) (f32x4.add (local.get $a7) (v128.load offset=112 (local.get $bq))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $nl)))
      (local.set $ob (i32.add (local.get $ob) (i32.const 32)))
      (br $bl)))
    ;; blocks of 4 outputs
    (block $cd (loop $cl
      (br_if $cd (i32.gt_u (i32.add (local.get $ob) (i32.const 4)) (local.get $outF)))
      (local.set $n (i32.const 0))
      (block $nd (loop $nl
        (br_if $nd (i32.ge_u (local.get $n) (local.get $rows)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $xrow (i32.add (local.get $x) (i32.shl (i32.mul (local.get $n) (local.get $inF)) (i32.const 2))))
        (local.set $p (i32.add (local.get $wt) (i32.shl (local.get $ob) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $id (loop $il
          (br_if $id (i32.ge_u (local.get $i) (local.get $inF)))
          (local.set $a0 (f32x4.add (local.get $a0)
            (f32x4.mul (v128.load32_splat (i32.add (local.get $xrow) (i32.shl (local.get $i) (i32.const 2)))) (v128.load (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (local.get $wb)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $il)))
        (v128.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $outF)) (local.get $ob)) (i32.const 2)))
          (f32x4.add (local.get $a0) (v128.load (i32.add (local.get $bias) (i32.shl (local.get $ob) (i32.const 2))))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $nl)))
      (local.set $ob (i32.add (local.get $ob) (i32.const 4)))
      (br $cl)))
    ;; the last outF mod 4 outputs, one at a time
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $ob) (local.get $outF)))
      (local.set $n (i32.const 0))
      (block $nd (loop $nl
        (br_if $nd (i32.ge_u (local.get $n) (local.get $rows)))
        (local.set $accS (f32.const 0))
        (local.set $xrow (i32.add (local.get $x) (i32.shl (i32.mul (local.get $n) (local.get $inF)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $id (loop $il
          (br_if $id (i32.ge_u (local.get $i) (local.get $inF)))
          (local.set $accS (f32.add (local.get $accS)
            (f32.mul (f32.load (i32.add (local.get $xrow) (i32.shl (local.get $i) (i32.const 2))))
                     (f32.load (i32.add (local.get $wt) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $outF)) (local.get $ob)) (i32.const 2)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $il)))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $outF)) (local.get $ob)) (i32.const 2)))
          (f32.add (local.get $accS) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $ob) (i32.const 2))))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $nl)))
      (local.set $ob (i32.add (local.get $ob) (i32.const 1)))
      (br $sl))))

)
