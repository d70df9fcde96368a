;; One part of the CPU backend's WebAssembly module (scripts/build-wasm.mjs joins the parts in src/cpu/wat/ into one
;; module importing its memory). Every float operation is one IEEE-754 binary32 multiply or add in the reference
;; kernel's order, so results are bit-identical to src/kernels (docs/cpu.md); pointers are byte offsets.

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
