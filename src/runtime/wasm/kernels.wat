;; Hot loops of the statistics kernels, hand-written in WebAssembly text with 128-bit SIMD.
;; `npm run build` assembles this file with wabt into dist/kernels.wasm; nothing prebuilt is kept.
;;
;; Every kernel has a plain-TypeScript twin in ../kernelsTs.ts that performs the same IEEE
;; operations in the same order, so both give bit-identical results (test/unit/runtimeKernels.test.ts).
;; The lane structure below is therefore part of the contract: change one side, change the other.
;;
;; Memory is the caller's (../kernelArena.ts): it creates it, fixes the layout below and passes
;; byte addresses of data. Kernels never allocate. Layout (bytes):
;;   0x000000  HIST_TABLES     4 histogram tables of 4097 uint32 (4096 bins + one for "outside")
;;   0x010400  RESULTS         10 doubles written by f32_moments (the caller's choice of `out`)
;;   0x020000  PATTERN_TABLES  4 tables of 65,536 uint32, 0x40000 apart
;;   0x120000  DATA            chunk buffers
;;
;; The ggml dequantization kernels at the end (q4_k_to_f32, q8_0_to_f32) are twins of the scalar
;; TypeScript reference kernels in ../ggml/ (kQuants.ts, legacyQuants.ts) instead: same float32
;; operations per value in the same order (test/unit/ggufWasmDequantize.test.ts).
(module
  (import "env" "memory" (memory 1))

  ;; Elements per block of the moment kernel: 4 KiB of float32, so a block that holds a NaN or
  ;; an infinity is cheap to redo with per-value checks while it is still in L1.
  (global $BLOCK i32 (i32.const 1024))

  ;; Results of $f32_block (one block), read by $f32_moments.
  (global $b_n (mut f64) (f64.const 0))      ;; finite values
  (global $b_s (mut f64) (f64.const 0))      ;; sum of (x - k)
  (global $b_q (mut f64) (f64.const 0))      ;; sum of (x - k)^2
  (global $b_r (mut f64) (f64.const 0))      ;; sum of x^2
  (global $b_min (mut f32) (f32.const 0))
  (global $b_max (mut f32) (f32.const 0))
  (global $b_zeros (mut f64) (f64.const 0))
  (global $b_nan (mut f64) (f64.const 0))
  (global $b_inf (mut f64) (f64.const 0))

  ;; One block with per-value checks (the block holds a NaN or an infinity): scalar, in order.
  (func $f32_block_checked (param $p i32) (param $len i32) (param $k f64)
    (local $end i32) (local $x f32) (local $xd f64) (local $d f64)
    (local $n f64) (local $s f64) (local $q f64) (local $r f64)
    (local $min f32) (local $max f32) (local $zeros f64) (local $nan f64) (local $inf f64)
    (local.set $min (f32.const inf))
    (local.set $max (f32.const -inf))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $len) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (f32.load (local.get $p)))
        (if (i32.ne (i32.and (i32.load (local.get $p)) (i32.const 0x7f800000)) (i32.const 0x7f800000))
          (then
            (local.set $xd (f64.promote_f32 (local.get $x)))
            (local.set $d (f64.sub (local.get $xd) (local.get $k)))
            (local.set $n (f64.add (local.get $n) (f64.const 1)))
            (local.set $s (f64.add (local.get $s) (local.get $d)))
            (local.set $q (f64.add (local.get $q) (f64.mul (local.get $d) (local.get $d))))
            (local.set $r (f64.add (local.get $r) (f64.mul (local.get $xd) (local.get $xd))))
            (if (f32.lt (local.get $x) (local.get $min)) (then (local.set $min (local.get $x))))
            (if (f32.gt (local.get $x) (local.get $max)) (then (local.set $max (local.get $x))))
            (if (f32.eq (local.get $x) (f32.const 0)) (then (local.set $zeros (f64.add (local.get $zeros) (f64.const 1))))))
          (else
            (if (f32.ne (local.get $x) (local.get $x))
              (then (local.set $nan (f64.add (local.get $nan) (f64.const 1))))
              (else (local.set $inf (f64.add (local.get $inf) (f64.const 1)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $next)))
    (global.set $b_n (local.get $n))
    (global.set $b_s (local.get $s))
    (global.set $b_q (local.get $q))
    (global.set $b_r (local.get $r))
    (global.set $b_min (local.get $min))
    (global.set $b_max (local.get $max))
    (global.set $b_zeros (local.get $zeros))
    (global.set $b_nan (local.get $nan))
    (global.set $b_inf (local.get $inf)))

  ;; One block of `len` float32 at `p`, shifted by `k`. Fast path assumes every value is finite:
  ;; 8 values per step into two f64x2 accumulators per sum (value i of the step, i in 0..7, goes
  ;; to accumulator (i div 2) mod 2, lane i mod 2; the first four before the last four), then the
  ;; rest one by one into a scalar. The block's sum is (A + B) lane 0 + lane 1, plus the scalar.
  ;; If the sum of squares is not finite, some value was NaN or infinite (float32 squares cannot
  ;; overflow a double), and the block is redone with per-value checks. With k = 0 the shifted
  ;; squares are the squares, so that case skips the third sum.
  (func $f32_block (param $p i32) (param $len i32) (param $k f64)
    (local $end8 i32) (local $end i32)
    (local $a v128) (local $b v128) (local $x0 v128) (local $x1 v128) (local $d0 v128) (local $d1 v128) (local $kk v128)
    (local $s0 v128) (local $s1 v128) (local $q0 v128) (local $q1 v128) (local $r0 v128) (local $r1 v128)
    (local $mn v128) (local $mx v128) (local $z v128)
    (local $x f32) (local $xd f64) (local $d f64) (local $ts f64) (local $tq f64) (local $tr f64)
    (local $min f32) (local $max f32) (local $zeros i32) (local $r f64) (local $q f64)
    (local.set $kk (f64x2.splat (local.get $k)))
    (local.set $mn (f32x4.splat (f32.const inf)))
    (local.set $mx (f32x4.splat (f32.const -inf)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $len) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $p) (i32.shl (i32.and (local.get $len) (i32.const -8)) (i32.const 2))))
    (if (f64.eq (local.get $k) (f64.const 0))
      (then
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $p) (local.get $end8)))
            (local.set $a (v128.load (local.get $p)))
            (local.set $b (v128.load offset=16 (local.get $p)))
            ;; pmin/pmax are plain compare-and-select (one instruction): exact for finite values.
            (local.set $mn (f32x4.pmin (f32x4.pmin (local.get $mn) (local.get $a)) (local.get $b)))
            (local.set $mx (f32x4.pmax (f32x4.pmax (local.get $mx) (local.get $a)) (local.get $b)))
            (local.set $z (i32x4.sub (i32x4.sub (local.get $z)
              (f32x4.eq (local.get $a) (v128.const f32x4 0 0 0 0)))
              (f32x4.eq (local.get $b) (v128.const f32x4 0 0 0 0))))
            (local.set $x0 (f64x2.promote_low_f32x4 (local.get $a)))
            (local.set $x1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a))))
            (local.set $s0 (f64x2.add (local.get $s0) (local.get $x0)))
            (local.set $s1 (f64x2.add (local.get $s1) (local.get $x1)))
            (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $x0) (local.get $x0))))
            (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $x1) (local.get $x1))))
            (local.set $x0 (f64x2.promote_low_f32x4 (local.get $b)))
            (local.set $x1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))))
            (local.set $s0 (f64x2.add (local.get $s0) (local.get $x0)))
            (local.set $s1 (f64x2.add (local.get $s1) (local.get $x1)))
            (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $x0) (local.get $x0))))
            (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $x1) (local.get $x1))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (br $next)))
        (local.set $r0 (local.get $q0))
        (local.set $r1 (local.get $q1)))
      (else
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $p) (local.get $end8)))
            (local.set $a (v128.load (local.get $p)))
            (local.set $b (v128.load offset=16 (local.get $p)))
            (local.set $mn (f32x4.pmin (f32x4.pmin (local.get $mn) (local.get $a)) (local.get $b)))
            (local.set $mx (f32x4.pmax (f32x4.pmax (local.get $mx) (local.get $a)) (local.get $b)))
            (local.set $z (i32x4.sub (i32x4.sub (local.get $z)
              (f32x4.eq (local.get $a) (v128.const f32x4 0 0 0 0)))
              (f32x4.eq (local.get $b) (v128.const f32x4 0 0 0 0))))
            (local.set $x0 (f64x2.promote_low_f32x4 (local.get $a)))
            (local.set $x1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a))))
            (local.set $d0 (f64x2.sub (local.get $x0) (local.get $kk)))
            (local.set $d1 (f64x2.sub (local.get $x1) (local.get $kk)))
            (local.set $s0 (f64x2.add (local.get $s0) (local.get $d0)))
            (local.set $s1 (f64x2.add (local.get $s1) (local.get $d1)))
            (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $d0) (local.get $d0))))
            (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $d1) (local.get $d1))))
            (local.set $r0 (f64x2.add (local.get $r0) (f64x2.mul (local.get $x0) (local.get $x0))))
            (local.set $r1 (f64x2.add (local.get $r1) (f64x2.mul (local.get $x1) (local.get $x1))))
            (local.set $x0 (f64x2.promote_low_f32x4 (local.get $b)))
            (local.set $x1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))))
            (local.set $d0 (f64x2.sub (local.get $x0) (local.get $kk)))
            (local.set $d1 (f64x2.sub (local.get $x1) (local.get $kk)))
            (local.set $s0 (f64x2.add (local.get $s0) (local.get $d0)))
            (local.set $s1 (f64x2.add (local.get $s1) (local.get $d1)))
            (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $d0) (local.get $d0))))
            (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $d1) (local.get $d1))))
            (local.set $r0 (f64x2.add (local.get $r0) (f64x2.mul (local.get $x0) (local.get $x0))))
            (local.set $r1 (f64x2.add (local.get $r1) (f64x2.mul (local.get $x1) (local.get $x1))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (br $next)))))
    ;; Lanes: min/max by compare-and-select in lane order, zeros as integers.
    (local.set $min (f32.const inf))
    (local.set $max (f32.const -inf))
    (local.set $x (f32x4.extract_lane 0 (local.get $mn)))
    (if (f32.lt (local.get $x) (local.get $min)) (then (local.set $min (local.get $x))))
    (local.set $x (f32x4.extract_lane 1 (local.get $mn)))
    (if (f32.lt (local.get $x) (local.get $min)) (then (local.set $min (local.get $x))))
    (local.set $x (f32x4.extract_lane 2 (local.get $mn)))
    (if (f32.lt (local.get $x) (local.get $min)) (then (local.set $min (local.get $x))))
    (local.set $x (f32x4.extract_lane 3 (local.get $mn)))
    (if (f32.lt (local.get $x) (local.get $min)) (then (local.set $min (local.get $x))))
    (local.set $x (f32x4.extract_lane 0 (local.get $mx)))
    (if (f32.gt (local.get $x) (local.get $max)) (then (local.set $max (local.get $x))))
    (local.set $x (f32x4.extract_lane 1 (local.get $mx)))
    (if (f32.gt (local.get $x) (local.get $max)) (then (local.set $max (local.get $x))))
    (local.set $x (f32x4.extract_lane 2 (local.get $mx)))
    (if (f32.gt (local.get $x) (local.get $max)) (then (local.set $max (local.get $x))))
    (local.set $x (f32x4.extract_lane 3 (local.get $mx)))
    (if (f32.gt (local.get $x) (local.get $max)) (then (local.set $max (local.get $x))))
    (local.set $zeros (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $z)) (i32x4.extract_lane 1 (local.get $z)))
      (i32.add (i32x4.extract_lane 2 (local.get $z)) (i32x4.extract_lane 3 (local.get $z)))))
    ;; The tail (fewer than 8 values), one by one into scalars.
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (f32.load (local.get $p)))
        (local.set $xd (f64.promote_f32 (local.get $x)))
        (local.set $d (f64.sub (local.get $xd) (local.get $k)))
        (local.set $ts (f64.add (local.get $ts) (local.get $d)))
        (local.set $tq (f64.add (local.get $tq) (f64.mul (local.get $d) (local.get $d))))
        (local.set $tr (f64.add (local.get $tr) (f64.mul (local.get $xd) (local.get $xd))))
        (if (f32.lt (local.get $x) (local.get $min)) (then (local.set $min (local.get $x))))
        (if (f32.gt (local.get $x) (local.get $max)) (then (local.set $max (local.get $x))))
        (if (f32.eq (local.get $x) (f32.const 0)) (then (local.set $zeros (i32.add (local.get $zeros) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tnext)))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (local.set $q0 (f64x2.add (local.get $q0) (local.get $q1)))
    (local.set $r0 (f64x2.add (local.get $r0) (local.get $r1)))
    (local.set $r (f64.add (f64.add (f64x2.extract_lane 0 (local.get $r0)) (f64x2.extract_lane 1 (local.get $r0))) (local.get $tr)))
    (if (f64.ne (f64.sub (local.get $r) (local.get $r)) (f64.const 0))
      (then
        (call $f32_block_checked
          (i32.sub (local.get $end) (i32.shl (local.get $len) (i32.const 2)))
          (local.get $len) (local.get $k))
        (return)))
    (global.set $b_n (f64.convert_i32_u (local.get $len)))
    (global.set $b_s (f64.add (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))) (local.get $ts)))
    (global.set $b_q (f64.add (f64.add (f64x2.extract_lane 0 (local.get $q0)) (f64x2.extract_lane 1 (local.get $q0))) (local.get $tq)))
    (global.set $b_r (local.get $r))
    (global.set $b_min (local.get $min))
    (global.set $b_max (local.get $max))
    (global.set $b_zeros (f64.convert_i32_u (local.get $zeros)))
    (global.set $b_nan (f64.const 0))
    (global.set $b_inf (f64.const 0)))

  ;; Moments of `n` float32 at `p` (one chunk), written as 10 doubles at `out`:
  ;;   [finite, Σ(x−k), Σ(x−k)², Σx², min, max, zeros, nan, inf, k]
  ;; over the finite values. The shift k comes from the first block (its finite values: count n0,
  ;; sum s0, sum of squares q0): 0 when its mean is within a standard deviation of 0
  ;; (2·s0² <= q0·n0, typical of weights), else its mean s0/n0. Either way k is close to the
  ;; chunk's mean, so Σ(x−k)² − (Σ(x−k))²/finite loses almost no digits.
  (func (export "f32_moments") (param $p i32) (param $n i32) (param $out i32)
    (local $k f64) (local $at i32) (local $len i32) (local $left i32)
    (local $fn f64) (local $s f64) (local $q f64) (local $r f64)
    (local $min f32) (local $max f32) (local $zeros f64) (local $nan f64) (local $inf f64)
    (local.set $min (f32.const inf))
    (local.set $max (f32.const -inf))
    (if (i32.gt_u (local.get $n) (i32.const 0))
      (then
        (call $f32_block (local.get $p)
          (select (local.get $n) (global.get $BLOCK) (i32.lt_u (local.get $n) (global.get $BLOCK)))
          (f64.const 0))
        (if (f64.gt
              (f64.mul (f64.mul (f64.const 2) (global.get $b_s)) (global.get $b_s))
              (f64.mul (global.get $b_q) (global.get $b_n)))
          (then (local.set $k (f64.div (global.get $b_s) (global.get $b_n)))))))
    (local.set $at (local.get $p))
    (local.set $left (local.get $n))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $len (select (local.get $left) (global.get $BLOCK) (i32.lt_u (local.get $left) (global.get $BLOCK))))
        (call $f32_block (local.get $at) (local.get $len) (local.get $k))
        (local.set $fn (f64.add (local.get $fn) (global.get $b_n)))
        (local.set $s (f64.add (local.get $s) (global.get $b_s)))
        (local.set $q (f64.add (local.get $q) (global.get $b_q)))
        (local.set $r (f64.add (local.get $r) (global.get $b_r)))
        (if (f32.lt (global.get $b_min) (local.get $min)) (then (local.set $min (global.get $b_min))))
        (if (f32.gt (global.get $b_max) (local.get $max)) (then (local.set $max (global.get $b_max))))
        (local.set $zeros (f64.add (local.get $zeros) (global.get $b_zeros)))
        (local.set $nan (f64.add (local.get $nan) (global.get $b_nan)))
        (local.set $inf (f64.add (local.get $inf) (global.get $b_inf)))
        (local.set $at (i32.add (local.get $at) (i32.shl (local.get $len) (i32.const 2))))
        (local.set $left (i32.sub (local.get $left) (local.get $len)))
        (br $next)))
    (f64.store offset=0 (local.get $out) (local.get $fn))
    (f64.store offset=8 (local.get $out) (local.get $s))
    (f64.store offset=16 (local.get $out) (local.get $q))
    (f64.store offset=24 (local.get $out) (local.get $r))
    (f64.store offset=32 (local.get $out) (f64.promote_f32 (local.get $min)))
    (f64.store offset=40 (local.get $out) (f64.promote_f32 (local.get $max)))
    (f64.store offset=48 (local.get $out) (local.get $zeros))
    (f64.store offset=56 (local.get $out) (local.get $nan))
    (f64.store offset=64 (local.get $out) (local.get $inf))
    (f64.store offset=72 (local.get $out) (local.get $k)))

  ;; torch.histc's bins for `n` float32 at `p` (the rule is in ../histc.ts): x counts iff
  ;; left <= x <= right, in bin min(trunc(((x − left) / (right − left)) · bins), bins − 1), all in
  ;; doubles. `lo32`/`hi32` are the smallest/largest float32 inside [left, right], so the range
  ;; test runs on four float32 lanes at once (NaN fails it). The bin is floor(min(pos, bins − 1))
  ;; (pos >= 0 in range, so floor is trunc), read from the low word of that integer plus 2^52.
  ;; Counts go to four uint32 tables of 4097 entries at HIST_TABLES = 0 (value i of each group of
  ;; four to table i, so equal neighbours do not wait on each other's store); entry `bins` of
  ;; each table collects the values outside the range. 8 values per step, then one by one.
  (func (export "f32_histc") (param $p i32) (param $n i32) (param $left f64) (param $right f64) (param $lo32 f32) (param $hi32 f32) (param $bins i32)
    (local $end8 i32) (local $end i32) (local $v v128) (local $x0 v128) (local $x1 v128)
    (local $ll v128) (local $ww v128) (local $bb v128) (local $last v128) (local $lo v128) (local $hi v128)
    (local $idx v128) (local $in v128) (local $trash v128) (local $a i32)
    (local $x f64) (local $bin i32) (local $w f64)
    (local.set $w (f64.sub (local.get $right) (local.get $left)))
    (local.set $ll (f64x2.splat (local.get $left)))
    (local.set $ww (f64x2.splat (local.get $w)))
    (local.set $bb (f64x2.splat (f64.convert_i32_u (local.get $bins))))
    (local.set $last (f64x2.splat (f64.convert_i32_u (i32.sub (local.get $bins) (i32.const 1)))))
    (local.set $lo (f32x4.splat (local.get $lo32)))
    (local.set $hi (f32x4.splat (local.get $hi32)))
    (local.set $trash (i32x4.splat (i32.shl (local.get $bins) (i32.const 2))))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end8)))
        (local.set $v (v128.load offset=0 (local.get $p)))
        (local.set $in (v128.and (f32x4.ge (local.get $v) (local.get $lo)) (f32x4.le (local.get $v) (local.get $hi))))
        (local.set $x0 (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $x1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $x0 (f64x2.add (f64x2.floor (f64x2.pmin
          (f64x2.mul (f64x2.div (f64x2.sub (local.get $x0) (local.get $ll)) (local.get $ww)) (local.get $bb))
          (local.get $last))) (v128.const f64x2 0x1p52 0x1p52)))
        (local.set $x1 (f64x2.add (f64x2.floor (f64x2.pmin
          (f64x2.mul (f64x2.div (f64x2.sub (local.get $x1) (local.get $ll)) (local.get $ww)) (local.get $bb))
          (local.get $last))) (v128.const f64x2 0x1p52 0x1p52)))
        (local.set $idx (i32x4.shl (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $x0) (local.get $x1)) (i32.const 2)))
        (local.set $idx (v128.bitselect (local.get $idx) (local.get $trash) (local.get $in)))
        (local.set $a (i32x4.extract_lane 0 (local.get $idx)))
        (i32.store offset=0 (local.get $a) (i32.add (i32.load offset=0 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 1 (local.get $idx)))
        (i32.store offset=16388 (local.get $a) (i32.add (i32.load offset=16388 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 2 (local.get $idx)))
        (i32.store offset=32776 (local.get $a) (i32.add (i32.load offset=32776 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 3 (local.get $idx)))
        (i32.store offset=49164 (local.get $a) (i32.add (i32.load offset=49164 (local.get $a)) (i32.const 1)))
        (local.set $v (v128.load offset=16 (local.get $p)))
        (local.set $in (v128.and (f32x4.ge (local.get $v) (local.get $lo)) (f32x4.le (local.get $v) (local.get $hi))))
        (local.set $x0 (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $x1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $x0 (f64x2.add (f64x2.floor (f64x2.pmin
          (f64x2.mul (f64x2.div (f64x2.sub (local.get $x0) (local.get $ll)) (local.get $ww)) (local.get $bb))
          (local.get $last))) (v128.const f64x2 0x1p52 0x1p52)))
        (local.set $x1 (f64x2.add (f64x2.floor (f64x2.pmin
          (f64x2.mul (f64x2.div (f64x2.sub (local.get $x1) (local.get $ll)) (local.get $ww)) (local.get $bb))
          (local.get $last))) (v128.const f64x2 0x1p52 0x1p52)))
        (local.set $idx (i32x4.shl (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $x0) (local.get $x1)) (i32.const 2)))
        (local.set $idx (v128.bitselect (local.get $idx) (local.get $trash) (local.get $in)))
        (local.set $a (i32x4.extract_lane 0 (local.get $idx)))
        (i32.store offset=0 (local.get $a) (i32.add (i32.load offset=0 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 1 (local.get $idx)))
        (i32.store offset=16388 (local.get $a) (i32.add (i32.load offset=16388 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 2 (local.get $idx)))
        (i32.store offset=32776 (local.get $a) (i32.add (i32.load offset=32776 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 3 (local.get $idx)))
        (i32.store offset=49164 (local.get $a) (i32.add (i32.load offset=49164 (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $next)))
    ;; The tail, one by one, into table 0.
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (f64.promote_f32 (f32.load (local.get $p))))
        (local.set $bin (local.get $bins))
        (if (i32.and (f64.ge (local.get $x) (local.get $left)) (f64.le (local.get $x) (local.get $right)))
          (then
            (local.set $bin (i32.trunc_sat_f64_s (f64.mul (f64.div (f64.sub (local.get $x) (local.get $left)) (local.get $w)) (f64.convert_i32_u (local.get $bins)))))
            (if (i32.ge_s (local.get $bin) (local.get $bins)) (then (local.set $bin (i32.sub (local.get $bins) (i32.const 1)))))))
        (local.set $a (i32.shl (local.get $bin) (i32.const 2)))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tnext))))

  ;; The same for a chunk known to hold only values inside [left, right] (from its moments: the
  ;; usual case, as the range is the tensor's min and max): no range test.
  (func (export "f32_histc_in_range") (param $p i32) (param $n i32) (param $left f64) (param $right f64) (param $bins i32)
    (local $end8 i32) (local $end i32) (local $v v128) (local $x0 v128) (local $x1 v128)
    (local $ll v128) (local $ww v128) (local $bb v128) (local $last v128) (local $lo v128) (local $hi v128)
    (local $idx v128) (local $in v128) (local $trash v128) (local $a i32)
    (local $x f64) (local $bin i32) (local $w f64)
    (local.set $w (f64.sub (local.get $right) (local.get $left)))
    (local.set $ll (f64x2.splat (local.get $left)))
    (local.set $ww (f64x2.splat (local.get $w)))
    (local.set $bb (f64x2.splat (f64.convert_i32_u (local.get $bins))))
    (local.set $last (f64x2.splat (f64.convert_i32_u (i32.sub (local.get $bins) (i32.const 1)))))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end8)))
        (local.set $v (v128.load offset=0 (local.get $p)))
        (local.set $x0 (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $x1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $x0 (f64x2.add (f64x2.floor (f64x2.pmin
          (f64x2.mul (f64x2.div (f64x2.sub (local.get $x0) (local.get $ll)) (local.get $ww)) (local.get $bb))
          (local.get $last))) (v128.const f64x2 0x1p52 0x1p52)))
        (local.set $x1 (f64x2.add (f64x2.floor (f64x2.pmin
          (f64x2.mul (f64x2.div (f64x2.sub (local.get $x1) (local.get $ll)) (local.get $ww)) (local.get $bb))
          (local.get $last))) (v128.const f64x2 0x1p52 0x1p52)))
        (local.set $idx (i32x4.shl (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $x0) (local.get $x1)) (i32.const 2)))
        (local.set $a (i32x4.extract_lane 0 (local.get $idx)))
        (i32.store offset=0 (local.get $a) (i32.add (i32.load offset=0 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 1 (local.get $idx)))
        (i32.store offset=16388 (local.get $a) (i32.add (i32.load offset=16388 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 2 (local.get $idx)))
        (i32.store offset=32776 (local.get $a) (i32.add (i32.load offset=32776 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 3 (local.get $idx)))
        (i32.store offset=49164 (local.get $a) (i32.add (i32.load offset=49164 (local.get $a)) (i32.const 1)))
        (local.set $v (v128.load offset=16 (local.get $p)))
        (local.set $x0 (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $x1 (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $x0 (f64x2.add (f64x2.floor (f64x2.pmin
          (f64x2.mul (f64x2.div (f64x2.sub (local.get $x0) (local.get $ll)) (local.get $ww)) (local.get $bb))
          (local.get $last))) (v128.const f64x2 0x1p52 0x1p52)))
        (local.set $x1 (f64x2.add (f64x2.floor (f64x2.pmin
          (f64x2.mul (f64x2.div (f64x2.sub (local.get $x1) (local.get $ll)) (local.get $ww)) (local.get $bb))
          (local.get $last))) (v128.const f64x2 0x1p52 0x1p52)))
        (local.set $idx (i32x4.shl (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $x0) (local.get $x1)) (i32.const 2)))
        (local.set $a (i32x4.extract_lane 0 (local.get $idx)))
        (i32.store offset=0 (local.get $a) (i32.add (i32.load offset=0 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 1 (local.get $idx)))
        (i32.store offset=16388 (local.get $a) (i32.add (i32.load offset=16388 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 2 (local.get $idx)))
        (i32.store offset=32776 (local.get $a) (i32.add (i32.load offset=32776 (local.get $a)) (i32.const 1)))
        (local.set $a (i32x4.extract_lane 3 (local.get $idx)))
        (i32.store offset=49164 (local.get $a) (i32.add (i32.load offset=49164 (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $next)))
    ;; The tail, one by one, into table 0.
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (f64.promote_f32 (f32.load (local.get $p))))
        (local.set $bin (local.get $bins))
        (if (i32.and (f64.ge (local.get $x) (local.get $left)) (f64.le (local.get $x) (local.get $right)))
          (then
            (local.set $bin (i32.trunc_sat_f64_s (f64.mul (f64.div (f64.sub (local.get $x) (local.get $left)) (local.get $w)) (f64.convert_i32_u (local.get $bins)))))
            (if (i32.ge_s (local.get $bin) (local.get $bins)) (then (local.set $bin (i32.sub (local.get $bins) (i32.const 1)))))))
        (local.set $a (i32.shl (local.get $bin) (i32.const 2)))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tnext))))

  ;; Counts the 16-bit patterns of `n` elements at `p` into four uint32 tables of 65,536 entries
  ;; at PATTERN_TABLES (element i of each group of four into table i).
  (func (export "count_u16") (param $p i32) (param $n i32)
    (local $end8 i32) (local $end i32) (local $a i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 1))))
    (local.set $end8 (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end8)))
        (local.set $a (i32.shl (i32.load16_u offset=0 (local.get $p)) (i32.const 2)))
        (i32.store offset=0x20000 (local.get $a) (i32.add (i32.load offset=0x20000 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.load16_u offset=2 (local.get $p)) (i32.const 2)))
        (i32.store offset=0x60000 (local.get $a) (i32.add (i32.load offset=0x60000 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.load16_u offset=4 (local.get $p)) (i32.const 2)))
        (i32.store offset=0xa0000 (local.get $a) (i32.add (i32.load offset=0xa0000 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.load16_u offset=6 (local.get $p)) (i32.const 2)))
        (i32.store offset=0xe0000 (local.get $a) (i32.add (i32.load offset=0xe0000 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.load16_u offset=8 (local.get $p)) (i32.const 2)))
        (i32.store offset=0x20000 (local.get $a) (i32.add (i32.load offset=0x20000 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.load16_u offset=10 (local.get $p)) (i32.const 2)))
        (i32.store offset=0x60000 (local.get $a) (i32.add (i32.load offset=0x60000 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.load16_u offset=12 (local.get $p)) (i32.const 2)))
        (i32.store offset=0xa0000 (local.get $a) (i32.add (i32.load offset=0xa0000 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.load16_u offset=14 (local.get $p)) (i32.const 2)))
        (i32.store offset=0xe0000 (local.get $a) (i32.add (i32.load offset=0xe0000 (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (i32.shl (i32.load16_u (local.get $p)) (i32.const 2)))
        (i32.store offset=0x20000 (local.get $a) (i32.add (i32.load offset=0x20000 (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br $tnext))))

  ;; Counts the byte patterns of `n` bytes at `p` into four uint32 tables of 256 entries at
  ;; PATTERN_TABLES, 0x40000 bytes apart like the 16-bit tables.
  (func (export "count_u8") (param $p i32) (param $n i32)
    (local $end4 i32) (local $end i32) (local $a i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $a (i32.shl (i32.load8_u offset=0 (local.get $p)) (i32.const 2)))
        (i32.store offset=0x20000 (local.get $a) (i32.add (i32.load offset=0x20000 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 2)))
        (i32.store offset=0x60000 (local.get $a) (i32.add (i32.load offset=0x60000 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 2)))
        (i32.store offset=0xa0000 (local.get $a) (i32.add (i32.load offset=0xa0000 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.load8_u offset=3 (local.get $p)) (i32.const 2)))
        (i32.store offset=0xe0000 (local.get $a) (i32.add (i32.load offset=0xe0000 (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $next)))
    (block $tdone
      (loop $tnext
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (i32.shl (i32.load8_u (local.get $p)) (i32.const 2)))
        (i32.store offset=0x20000 (local.get $a) (i32.add (i32.load offset=0x20000 (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tnext))))

  ;; ---- ggml block dequantization --------------------------------------------------------------
  ;; Blocks at `p` to float32 at `o`. Each block is loaded whole before any of its values is
  ;; stored, so `o` may overlap `p` as long as block b's values end before block b+1's bytes begin
  ;; (raw blocks read into the tail of the float32 buffer they decode into: ../dequantizedView.ts).

  ;; ggml_compute_fp16_to_fp32 (../ggml/scaleTables.ts, FP16_BITS): exact; NaN payloads kept, quiet bit set.
  (func $fp16 (param $h i32) (result f32)
    (local $exp i32) (local $mant i32) (local $mag i32)
    (local.set $exp (i32.and (i32.shr_u (local.get $h) (i32.const 10)) (i32.const 0x1f)))
    (local.set $mant (i32.and (local.get $h) (i32.const 0x3ff)))
    (if (i32.eqz (local.get $exp))
      (then (local.set $mag (i32.reinterpret_f32 (f32.mul (f32.convert_i32_u (local.get $mant)) (f32.const 0x1p-24)))))
      (else
        (if (i32.eq (local.get $exp) (i32.const 0x1f))
          (then (local.set $mag (select (i32.const 0x7f800000)
                                        (i32.or (i32.const 0x7fc00000) (i32.shl (local.get $mant) (i32.const 13)))
                                        (i32.eqz (local.get $mant)))))
          (else (local.set $mag (i32.or (i32.shl (i32.add (local.get $exp) (i32.const 112)) (i32.const 23))
                                        (i32.shl (local.get $mant) (i32.const 13))))))))
    (f32.reinterpret_i32 (i32.or (i32.shl (i32.and (local.get $h) (i32.const 0x8000)) (i32.const 16)) (local.get $mag))))

  ;; The kernels below write their lanes out inline (no helper calls: Node 20 does not inline
  ;; them). Per 16 bytes v: widen u8/i8 -> 16 -> 32 bits, convert to float32 (exact), then
  ;; Q4_K: f32x4.sub(f32x4.mul(d1, q), m1), i.e. fround(d1 * q) - m1 (the subtraction of two
  ;; float32 is exact in a double and rounds once on store, as f32.sub does; a NaN minuend stays
  ;; first, as in the TypeScript); Q8_0: f32x4.mul(q, d), one rounding.

  ;; Q4_K sub-block scale (low byte) and min (next byte) of sub-block j (0..7) from the 12 scale
  ;; bytes at s (ggml's get_scale_min_k4; kQuants.ts scaleMinK4).
  (func $scale_min_k4 (param $s i32) (param $j i32) (result i32)
    (local $a i32) (local $b i32)
    (if (result i32) (i32.lt_u (local.get $j) (i32.const 4))
      (then (i32.or (i32.and (i32.load8_u (i32.add (local.get $s) (local.get $j))) (i32.const 63))
                    (i32.shl (i32.and (i32.load8_u offset=4 (i32.add (local.get $s) (local.get $j))) (i32.const 63)) (i32.const 8))))
      (else
        (local.set $a (i32.load8_u offset=4 (i32.add (local.get $s) (local.get $j))))
        (local.set $b (i32.shr_u (i32.load8_u (i32.add (local.get $s) (i32.sub (local.get $j) (i32.const 4)))) (i32.const 6)))
        (i32.or (i32.or (i32.and (local.get $a) (i32.const 0xf)) (i32.shl (local.get $b) (i32.const 4)))
                (i32.shl (i32.or (i32.shr_u (local.get $a) (i32.const 4))
                                 (i32.shl (i32.shr_u (i32.load8_u (i32.add (local.get $s) (local.get $j))) (i32.const 6)) (i32.const 4)))
                         (i32.const 8))))))

  ;; Q4_K: `nb` blocks of 144 bytes (d, dmin fp16; 12 scale bytes; 128 nibble bytes) at p to 256
  ;; float32 each at o: x = fround(d*sc)*q - fround(dmin*m) per sub-block of 32 (kQuants.ts dequantizeQ4_K).
  (func (export "q4_k_to_f32") (param $p i32) (param $nb i32) (param $o i32)
    (local $end i32) (local $j i32) (local $sm i32) (local $d f32) (local $dmin f32)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local $q4 v128) (local $q5 v128) (local $q6 v128) (local $q7 v128)
    (local $sc v128) (local $qa v128) (local $qb v128)
    (local $d1 v128) (local $m1 v128) (local $d2 v128) (local $m2 v128) (local $v v128) (local $w v128)
    (local.set $end (i32.add (local.get $p) (i32.mul (local.get $nb) (i32.const 144))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        ;; The whole block into registers first (see above).
        (local.set $d (call $fp16 (i32.load16_u offset=0 (local.get $p))))
        (local.set $dmin (call $fp16 (i32.load16_u offset=2 (local.get $p))))
        (local.set $sc (v128.load offset=0 (local.get $p)))
        (local.set $q0 (v128.load offset=16 (local.get $p)))
        (local.set $q1 (v128.load offset=32 (local.get $p)))
        (local.set $q2 (v128.load offset=48 (local.get $p)))
        (local.set $q3 (v128.load offset=64 (local.get $p)))
        (local.set $q4 (v128.load offset=80 (local.get $p)))
        (local.set $q5 (v128.load offset=96 (local.get $p)))
        (local.set $q6 (v128.load offset=112 (local.get $p)))
        (local.set $q7 (v128.load offset=128 (local.get $p)))
        ;; The 12 scale bytes to a scratch copy (RESULTS + 128, unused by the statistics kernels'
        ;; records) so the scale of any sub-block can be read after the block's bytes are overwritten.
        (v128.store offset=0x10480 (i32.const 0) (local.get $sc))
        (local.set $j (i32.const 0))
        (loop $sub
          (local.set $sm (call $scale_min_k4 (i32.const 0x10484) (i32.shl (local.get $j) (i32.const 1))))
          (local.set $d1 (f32x4.splat (f32.mul (local.get $d) (f32.convert_i32_u (i32.and (local.get $sm) (i32.const 0xff))))))
          (local.set $m1 (f32x4.splat (f32.mul (local.get $dmin) (f32.convert_i32_u (i32.shr_u (local.get $sm) (i32.const 8))))))
          (local.set $sm (call $scale_min_k4 (i32.const 0x10484) (i32.add (i32.shl (local.get $j) (i32.const 1)) (i32.const 1))))
          (local.set $d2 (f32x4.splat (f32.mul (local.get $d) (f32.convert_i32_u (i32.and (local.get $sm) (i32.const 0xff))))))
          (local.set $m2 (f32x4.splat (f32.mul (local.get $dmin) (f32.convert_i32_u (i32.shr_u (local.get $sm) (i32.const 8))))))
          ;; This group's 32 nibble bytes; rotate the next group's into q0, q1.
          (local.set $qa (local.get $q0))
          (local.set $qb (local.get $q1))
          (local.set $q0 (local.get $q2)) (local.set $q1 (local.get $q3))
          (local.set $q2 (local.get $q4)) (local.set $q3 (local.get $q5))
          (local.set $q4 (local.get $q6)) (local.set $q5 (local.get $q7))
          (local.set $v (v128.and (local.get $qa) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
          (local.set $w (i16x8.extend_low_i8x16_u (local.get $v)))
          (v128.store offset=0 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d1) (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $w)))) (local.get $m1)))
          (v128.store offset=16 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d1) (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $w)))) (local.get $m1)))
          (local.set $w (i16x8.extend_high_i8x16_u (local.get $v)))
          (v128.store offset=32 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d1) (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $w)))) (local.get $m1)))
          (v128.store offset=48 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d1) (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $w)))) (local.get $m1)))
          (local.set $v (v128.and (local.get $qb) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
          (local.set $w (i16x8.extend_low_i8x16_u (local.get $v)))
          (v128.store offset=64 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d1) (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $w)))) (local.get $m1)))
          (v128.store offset=80 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d1) (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $w)))) (local.get $m1)))
          (local.set $w (i16x8.extend_high_i8x16_u (local.get $v)))
          (v128.store offset=96 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d1) (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $w)))) (local.get $m1)))
          (v128.store offset=112 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d1) (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $w)))) (local.get $m1)))
          (local.set $v (i8x16.shr_u (local.get $qa) (i32.const 4)))
          (local.set $w (i16x8.extend_low_i8x16_u (local.get $v)))
          (v128.store offset=128 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d2) (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $w)))) (local.get $m2)))
          (v128.store offset=144 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d2) (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $w)))) (local.get $m2)))
          (local.set $w (i16x8.extend_high_i8x16_u (local.get $v)))
          (v128.store offset=160 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d2) (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $w)))) (local.get $m2)))
          (v128.store offset=176 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d2) (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $w)))) (local.get $m2)))
          (local.set $v (i8x16.shr_u (local.get $qb) (i32.const 4)))
          (local.set $w (i16x8.extend_low_i8x16_u (local.get $v)))
          (v128.store offset=192 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d2) (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $w)))) (local.get $m2)))
          (v128.store offset=208 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d2) (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $w)))) (local.get $m2)))
          (local.set $w (i16x8.extend_high_i8x16_u (local.get $v)))
          (v128.store offset=224 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d2) (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $w)))) (local.get $m2)))
          (v128.store offset=240 (local.get $o) (f32x4.sub (f32x4.mul (local.get $d2) (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $w)))) (local.get $m2)))
          (local.set $o (i32.add (local.get $o) (i32.const 256)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $sub (i32.lt_u (local.get $j) (i32.const 4))))
        (local.set $p (i32.add (local.get $p) (i32.const 144)))
        (br $next))))

  ;; Q8_0: `nb` blocks of 34 bytes (d fp16, 32 int8) at p to 32 float32 each at o: x = q*d
  ;; (legacyQuants.ts dequantizeQ8_0).
  (func (export "q8_0_to_f32") (param $p i32) (param $nb i32) (param $o i32)
    (local $end i32) (local $d v128) (local $a v128) (local $b v128) (local $w v128)
    (local.set $end (i32.add (local.get $p) (i32.mul (local.get $nb) (i32.const 34))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $d (f32x4.splat (call $fp16 (i32.load16_u offset=0 (local.get $p)))))
        (local.set $a (v128.load offset=2 (local.get $p)))
        (local.set $b (v128.load offset=18 (local.get $p)))
        (local.set $w (i16x8.extend_low_i8x16_s (local.get $a)))
        (v128.store offset=0 (local.get $o) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $w))) (local.get $d)))
        (v128.store offset=16 (local.get $o) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $w))) (local.get $d)))
        (local.set $w (i16x8.extend_high_i8x16_s (local.get $a)))
        (v128.store offset=32 (local.get $o) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $w))) (local.get $d)))
        (v128.store offset=48 (local.get $o) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $w))) (local.get $d)))
        (local.set $w (i16x8.extend_low_i8x16_s (local.get $b)))
        (v128.store offset=64 (local.get $o) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $w))) (local.get $d)))
        (v128.store offset=80 (local.get $o) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $w))) (local.get $d)))
        (local.set $w (i16x8.extend_high_i8x16_s (local.get $b)))
        (v128.store offset=96 (local.get $o) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $w))) (local.get $d)))
        (v128.store offset=112 (local.get $o) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $w))) (local.get $d)))
        (local.set $o (i32.add (local.get $o) (i32.const 128)))
        (local.set $p (i32.add (local.get $p) (i32.const 34)))
        (br $next))))
)
