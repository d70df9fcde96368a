;; One part of the CPU backend's WebAssembly module (scripts/build-wasm.mjs joins the parts in src/cpu/wat/ into one
;; module importing its memory). Every float operation is one IEEE-754 binary32 multiply or add in the reference
;; kernel's order, so results are bit-identical to src/kernels (docs/cpu.md); pointers are byte offsets.

;; ====================================================================================== top-k selection
;; ranks_above(a at ia, b at ib): NaN highest, then the larger value, equal values (−0 = +0) the lower index
;; Home rule: core's topkRanksAbove / selectTopk (WebAssembly cannot call it); held to it bit for bit by the
;; conformance cases topkAdmixture/rand-*-ties, -neg-inf, -nan, -pos-inf, -mixed-nonfinite (docs/architecture.md).
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
;; enter if it is NaN or above the k-th kept value t, so 16 entries at a time are compared with t and skipped
;; together, and the reference's insertion rule runs only on a group with a candidate (a NaN t ends the row:
;; nothing ranks above a NaN with a lower index).
(func (export "select_topk") (param $logits i32) (param $rows i32) (param $nv i32) (param $k i32) (param $out i32)
  (local $row i32) (local $src i32) (local $dst i32) (local $j i32) (local $count i32) (local $t f32) (local $v f32)
  (local $tv v128) (local $p i32) (local $end i32) (local $kth i32)
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
        ;; skip 16 entries at a time while all are ≤ t (a NaN or a larger entry fails the ≤ test)
        (block $hit (loop $skip
          (br_if $hit (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $nv)))
          (local.set $p (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))
          (br_if $hit (i32.eqz (i32x4.all_true (v128.and
            (v128.and (f32x4.le (v128.load (local.get $p)) (local.get $tv)) (f32x4.le (v128.load offset=16 (local.get $p)) (local.get $tv)))
            (v128.and (f32x4.le (v128.load offset=32 (local.get $p)) (local.get $tv)) (f32x4.le (v128.load offset=48 (local.get $p)) (local.get $tv)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $skip)))
        ;; a group with a candidate, or the last nv mod 16 entries: the insertion rule for the entries that can
        ;; enter — NaN or above the current k-th value t (an entry equal to t comes later, so t ranks above it)
        (local.set $end (select (i32.add (local.get $j) (i32.const 16)) (local.get $nv)
          (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $nv))))
        (block $gd (loop $gl
          (br_if $gd (i32.ge_u (local.get $j) (local.get $end)))
          (local.set $v (f32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))
          (if (i32.or (f32.gt (local.get $v) (local.get $t)) (f32.ne (local.get $v) (local.get $v)))
            (then
              (local.set $count (call $insert (local.get $src) (local.get $j) (local.get $k) (local.get $dst) (local.get $count)))
              (local.set $t (f32.load (i32.add (local.get $src) (i32.shl (i32.load (local.get $kth)) (i32.const 2)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $gl)))
        (br $scan)))
    (local.set $row (i32.add (local.get $row) (i32.const 1)))
    (br $rl))))
