;; One part of the CPU backend's WebAssembly module (scripts/build-wasm.mjs joins the parts in src/cpu/wat/ into one
;; module importing its memory). Every float operation is one IEEE-754 binary32 multiply or add in the reference
;; kernel's order, so results are bit-identical to src/kernels (docs/cpu.md); pointers are byte offsets.

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
