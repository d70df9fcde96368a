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
      ;; any other rank (rank 4 has done these columns above), 8 columns per step: $o counts bfloat16 bytes,
      ;; the delta's byte offset is 2·$o
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
  (i32.or (local.get $badS) (v128.any_true (local.get $bad))))
