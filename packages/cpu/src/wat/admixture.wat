;; One part of the CPU backend's WebAssembly module (scripts/build-wasm.mjs joins the parts in src/cpu/wat/ into one
;; module importing its memory). Every float operation is one IEEE-754 binary32 multiply or add in the reference
;; kernel's order, so results are bit-identical to src/kernels (docs/cpu.md); pointers are byte offsets.

;; ============================================================================ compose (Σ_j w_j · bank[idx_j])
;; mix_row: out[0 .. vl) = 0 + Σ_j w[j] · bank[idx[j], :], products and partial sums rounded to binary32, j in
;; top-k order (the reference starts from 0, so −0 products become +0 exactly as there). The sum of 4 columns
;; stays in a register across j; k = 2 (PEFT's default) keeps both weights and rows in registers.
(func $mixRow (param $out i32) (param $bank i32) (param $idx i32) (param $w i32) (param $k i32) (param $vl i32)
  (local $j i32) (local $c i32) (local $acc v128) (local $accS f32) (local $bytes i32) (local $end4 i32)
  (local $w0 v128) (local $w1 v128) (local $b0 i32) (local $b1 i32) (local $kZero v128)
  ;; constants in locals: V8 rebuilds a v128.const at every use inside a loop
  (local.set $kZero (v128.const i32x4 0 0 0 0))
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
            (f32x4.add (local.get $kZero) (f32x4.mul (local.get $w0) (v128.load (i32.add (local.get $b0) (local.get $c)))))
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
(func $mix (export "mix") (param $out i32) (param $bank i32) (param $idx i32) (param $w i32)
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
(func $mixT (export "mix_t") (param $out i32) (param $bank i32) (param $idx i32) (param $w i32)
                       (param $tiles i32) (param $r i32) (param $k i32) (param $vl i32) (param $tmp i32)
  (if (i32.and (i32.and (i32.eq (local.get $r) (i32.const 4)) (i32.eq (local.get $k) (i32.const 2)))
               (i32.eqz (i32.and (local.get $vl) (i32.const 3))))
    (then (call $mixT42 (local.get $out) (local.get $bank) (local.get $idx) (local.get $w) (local.get $tiles) (local.get $vl))
          (return)))
  (call $mixTGeneric (local.get $out) (local.get $bank) (local.get $idx) (local.get $w) (local.get $tiles)
    (local.get $r) (local.get $k) (local.get $vl) (local.get $tmp)))

;; mixT42: mix_t for r = 4, k = 2 (PEFT's defaults) and vl a multiple of 4, without the scratch round trip: the
;; 4 ranks' vectors of 4 columns are mixed in registers — (0 + w0 · bank[i0]) + w1 · bank[i1], mixRow's k = 2
;; order, written out inline (V8 does not inline wasm calls) — and transposed there into 4 rows of B.
(func $mixT42 (param $out i32) (param $bank i32) (param $idx i32) (param $w i32) (param $tiles i32) (param $vl i32)
  (local $t i32) (local $c i32) (local $vb i32) (local $dst i32) (local $row i32)
  (local $wa0 v128) (local $wa1 v128) (local $wb0 v128) (local $wb1 v128)
  (local $wc0 v128) (local $wc1 v128) (local $wd0 v128) (local $wd1 v128)
  (local $pa0 i32) (local $pa1 i32) (local $pb0 i32) (local $pb1 i32)
  (local $pc0 i32) (local $pc1 i32) (local $pd0 i32) (local $pd1 i32)
  (local $a v128) (local $b v128) (local $cc v128) (local $d v128)
  (local $ab0 v128) (local $ab1 v128) (local $cd0 v128) (local $cd1 v128) (local $kZero v128)
  (local.set $kZero (v128.const i32x4 0 0 0 0))
  (local.set $vb (i32.shl (local.get $vl) (i32.const 2)))
  (block $td (loop $tl
    (br_if $td (i32.ge_u (local.get $t) (local.get $tiles)))
    ;; rows t·4 + 0..3: 2 weights and 2 indices each (8 bytes per row)
    (local.set $row (i32.shl (local.get $t) (i32.const 5)))
    (local.set $wa0 (v128.load32_splat (i32.add (local.get $w) (local.get $row))))
    (local.set $wa1 (v128.load32_splat offset=4 (i32.add (local.get $w) (local.get $row))))
    (local.set $wb0 (v128.load32_splat offset=8 (i32.add (local.get $w) (local.get $row))))
    (local.set $wb1 (v128.load32_splat offset=12 (i32.add (local.get $w) (local.get $row))))
    (local.set $wc0 (v128.load32_splat offset=16 (i32.add (local.get $w) (local.get $row))))
    (local.set $wc1 (v128.load32_splat offset=20 (i32.add (local.get $w) (local.get $row))))
    (local.set $wd0 (v128.load32_splat offset=24 (i32.add (local.get $w) (local.get $row))))
    (local.set $wd1 (v128.load32_splat offset=28 (i32.add (local.get $w) (local.get $row))))
    (local.set $pa0 (i32.add (local.get $bank) (i32.mul (i32.load (i32.add (local.get $idx) (local.get $row))) (local.get $vb))))
    (local.set $pa1 (i32.add (local.get $bank) (i32.mul (i32.load offset=4 (i32.add (local.get $idx) (local.get $row))) (local.get $vb))))
    (local.set $pb0 (i32.add (local.get $bank) (i32.mul (i32.load offset=8 (i32.add (local.get $idx) (local.get $row))) (local.get $vb))))
    (local.set $pb1 (i32.add (local.get $bank) (i32.mul (i32.load offset=12 (i32.add (local.get $idx) (local.get $row))) (local.get $vb))))
    (local.set $pc0 (i32.add (local.get $bank) (i32.mul (i32.load offset=16 (i32.add (local.get $idx) (local.get $row))) (local.get $vb))))
    (local.set $pc1 (i32.add (local.get $bank) (i32.mul (i32.load offset=20 (i32.add (local.get $idx) (local.get $row))) (local.get $vb))))
    (local.set $pd0 (i32.add (local.get $bank) (i32.mul (i32.load offset=24 (i32.add (local.get $idx) (local.get $row))) (local.get $vb))))
    (local.set $pd1 (i32.add (local.get $bank) (i32.mul (i32.load offset=28 (i32.add (local.get $idx) (local.get $row))) (local.get $vb))))
    (local.set $dst (i32.add (local.get $out) (i32.mul (local.get $t) (i32.shl (local.get $vb) (i32.const 2)))))
    (local.set $c (i32.const 0))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_u (local.get $c) (local.get $vb)))
      (local.set $a (f32x4.add
          (f32x4.add (local.get $kZero) (f32x4.mul (local.get $wa0) (v128.load (i32.add (local.get $pa0) (local.get $c)))))
          (f32x4.mul (local.get $wa1) (v128.load (i32.add (local.get $pa1) (local.get $c))))))
      (local.set $b (f32x4.add
          (f32x4.add (local.get $kZero) (f32x4.mul (local.get $wb0) (v128.load (i32.add (local.get $pb0) (local.get $c)))))
          (f32x4.mul (local.get $wb1) (v128.load (i32.add (local.get $pb1) (local.get $c))))))
      (local.set $cc (f32x4.add
          (f32x4.add (local.get $kZero) (f32x4.mul (local.get $wc0) (v128.load (i32.add (local.get $pc0) (local.get $c)))))
          (f32x4.mul (local.get $wc1) (v128.load (i32.add (local.get $pc1) (local.get $c))))))
      (local.set $d (f32x4.add
          (f32x4.add (local.get $kZero) (f32x4.mul (local.get $wd0) (v128.load (i32.add (local.get $pd0) (local.get $c)))))
          (f32x4.mul (local.get $wd1) (v128.load (i32.add (local.get $pd1) (local.get $c))))))
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
      (br $cl)))
    (local.set $t (i32.add (local.get $t) (i32.const 1)))
    (br $tl))))

;; mixTGeneric: any r, k and vl — mixes a tile's r rows into $tmp, then transposes them into the output
(func $mixTGeneric (param $out i32) (param $bank i32) (param $idx i32) (param $w i32)
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
