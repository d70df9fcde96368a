;; One part of the CPU backend's WebAssembly module (scripts/build-wasm.mjs joins the parts in src/cpu/wat/ into one
;; module importing its memory); pointers are byte offsets.

;; ============================================================ whole-adapter compose (one call for every module)
;; compose_all: the modules of a job table, each as the compose kernel does it (reload_pairs, then mix for A and
;; mix_t for B: the same functions, so the same bits), one module after another. A job is 12 i32 (48 bytes):
;;   0 rowsA  1 reloadA  2 idxA  3 wA  4 outA  5 rowsB  6 reloadB  7 idxB  8 wB  9 outB  10 r  11 unused
;; A factor with reload ≠ 0 holds (rows, 2) stored indices at idx and its (rows) stored weights at w (PEFT's k = 2
;; checkpoint form): reloaded into $riA/$rwA ($riB/$rwB for B, room for the largest factor) before its mix;
;; otherwise idx and w hold its (rows, k) indices and weights as the mix takes them. Every index is checked to
;; lie in [0, nv) before any mix of its module. Returns −1 when every module is composed, else the job whose
;; stored weight or index failed its check (the modules before it are composed, it and later ones are not).
(func (export "compose_all") (param $table i32) (param $n i32) (param $bank i32) (param $k i32) (param $vl i32)
  (param $nv i32) (param $riA i32) (param $rwA i32) (param $riB i32) (param $rwB i32) (param $tmp i32) (result i32)
  (local $j i32) (local $job i32) (local $r i32)
  (local $rowsA i32) (local $iA i32) (local $wA i32) (local $rowsB i32) (local $iB i32) (local $wB i32)
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
    (local.set $job (i32.add (local.get $table) (i32.mul (local.get $j) (i32.const 48))))
    (local.set $rowsA (i32.load (local.get $job)))
    (local.set $iA (i32.load offset=8 (local.get $job)))
    (local.set $wA (i32.load offset=12 (local.get $job)))
    (local.set $rowsB (i32.load offset=20 (local.get $job)))
    (local.set $iB (i32.load offset=28 (local.get $job)))
    (local.set $wB (i32.load offset=32 (local.get $job)))
    (local.set $r (i32.load offset=40 (local.get $job)))
    ;; indices first (a reload only reorders each row's two), then the reloads, then the mixes
    (if (i32.eqz (call $indicesBelow (local.get $iA) (i32.mul (local.get $rowsA) (local.get $k)) (local.get $nv)))
      (then (return (local.get $j))))
    (if (i32.eqz (call $indicesBelow (local.get $iB) (i32.mul (local.get $rowsB) (local.get $k)) (local.get $nv)))
      (then (return (local.get $j))))
    (if (i32.load offset=4 (local.get $job))
      (then
        (if (i32.ge_s (call $reloadPairs (local.get $wA) (local.get $rowsA) (local.get $iA) (local.get $riA) (local.get $rwA))
                      (i32.const 0))
          (then (return (local.get $j))))
        (local.set $iA (local.get $riA))
        (local.set $wA (local.get $rwA))))
    (if (i32.load offset=24 (local.get $job))
      (then
        (if (i32.ge_s (call $reloadPairs (local.get $wB) (local.get $rowsB) (local.get $iB) (local.get $riB) (local.get $rwB))
                      (i32.const 0))
          (then (return (local.get $j))))
        (local.set $iB (local.get $riB))
        (local.set $wB (local.get $rwB))))
    (call $mix (i32.load offset=16 (local.get $job)) (local.get $bank) (local.get $iA) (local.get $wA)
      (local.get $rowsA) (local.get $k) (local.get $vl))
    (if (local.get $r)
      (then
        (call $mixT (i32.load offset=36 (local.get $job)) (local.get $bank) (local.get $iB) (local.get $wB)
          (i32.div_u (local.get $rowsB) (local.get $r)) (local.get $r) (local.get $k) (local.get $vl) (local.get $tmp))))
    (local.set $j (i32.add (local.get $j) (i32.const 1)))
    (br $next)))
  (i32.const -1))

;; indicesBelow: 1 when each of the $count int32 at $p lies in [0, $nv) (compared unsigned: negatives fail), else 0
(func $indicesBelow (param $p i32) (param $count i32) (param $nv i32) (result i32)
  (local $end i32)
  (local.set $end (i32.add (local.get $p) (i32.shl (local.get $count) (i32.const 2))))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
    (if (i32.ge_u (i32.load (local.get $p)) (local.get $nv)) (then (return (i32.const 0))))
    (local.set $p (i32.add (local.get $p) (i32.const 4)))
    (br $next)))
  (i32.const 1))
