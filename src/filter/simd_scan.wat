;; The structural scan of simd_value_scanner.ts in WebAssembly SIMD: finds where a JSON object
;; or array ends, 64 bytes at a time. Built into simd_scan_wasm.ts by `deno task wasm`.
;;
;; Each 64-byte block becomes three bit masks (quotes, backslashes, and "structural": brackets
;; plus bytes that may not appear outside a string). A prefix XOR of the unescaped quotes marks
;; the bytes inside strings, and only the structural bits outside strings are visited one by
;; one, in order: most blocks of a Kubernetes object have none or two. Blocks that hold a
;; backslash (or begin escaped) resolve escapes with a byte loop, because they are rare.
;;
;; Memory: bytes [64, 64 + 10000) hold the bracket stack; the chunk being scanned starts at
;; 16384 (DATA) and is followed by at least 64 readable bytes, so a block may overrun the
;; chunk's end; bits past the end are masked off.
(module
  (memory (export "memory") 2)
  ;; The state when a scan returns -1 (the chunk ran out inside the value).
  (global $depth (export "depth") (mut i32) (i32.const 0))
  (global $inString (export "inString") (mut i32) (i32.const 0))
  (global $escaped (export "escaped") (mut i32) (i32.const 0))
  ;; The chunk index of the byte an error return (-2 mismatched, -3 stray, -4 too deep) names.
  (global $errAt (export "errAt") (mut i32) (i32.const 0))

  ;; Scans chunk bytes [p, end) (chunk indices; the chunk starts at DATA) continuing the value
  ;; whose state is (depth, inString, escaped), the stack holding `depth` bracket bytes.
  ;; Returns the index just past the value's closing bracket, -1 when the bytes ran out first
  ;; (state in the globals), or an error code with $errAt set.
  (func (export "scan") (param $p i32) (param $end i32) (param $depth i32)
    (param $inStr i32) (param $esc i32) (result i32)
    (local $a i32) (local $k i32) (local $j i32) (local $c i32)
    (local $v v128) (local $lo v128) (local $hi v128)
    (local $q i64) (local $bs i64) (local $st i64) (local $valid i64) (local $em i64)
    (local $x i64) (local $carry i64)
    (local.set $carry (i64.extend_i32_u (local.get $inStr)))
    (local.set $carry (i64.sub (i64.const 0) (local.get $carry)))
    ;; Rows (bits) by high nibble: 0 (tab, LF, CR), 2 (space " + , - .), 3 (digits, colon),
    ;; 4 (E), 6 (a e f l n), 7 (r s t u); the low-nibble table says which rows hold each.
    (local.set $lo (v128.const i8x16 6 36 70 68 68 108 36 4 4 5 5 2 34 3 34 0))
    (local.set $hi (v128.const i8x16 1 0 2 4 8 0 32 64 0 0 0 0 0 0 0 0))
    (block $out
      (loop $block
        (br_if $out (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $k (i32.sub (local.get $end) (local.get $p)))
        (if (i32.gt_u (local.get $k) (i32.const 64)) (then (local.set $k (i32.const 64))))
        (local.set $a (i32.add (local.get $p) (i32.const 16384)))
        (local.set $q (i64.const 0))
        (local.set $bs (i64.const 0))
        (local.set $st (i64.const 0))
        ;; Four 16-byte lanes. Structural bytes are those without a common bit in the tables
        ;; of their two nibbles: the tables hold the bytes a scan passes over outside strings
        ;; (whitespace, `,:`, number and literal letters, the quote), so brackets and stray
        ;; bytes come out of one lookup.
        (local.set $v (v128.load offset=0 (local.get $a)))
        (local.set $q (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22))))))
        (local.set $bs (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))))
        (local.set $st (i64.extend_i32_u (i8x16.bitmask (i8x16.eq
          (v128.and
            (i8x16.swizzle (local.get $lo) (v128.and (local.get $v) (i8x16.splat (i32.const 0x0f))))
            (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $v) (i32.const 4))))
          (i8x16.splat (i32.const 0))))))
        (local.set $v (v128.load offset=16 (local.get $a)))
        (local.set $q (i64.or (local.get $q) (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22))))) (i64.const 16))))
        (local.set $bs (i64.or (local.get $bs) (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))) (i64.const 16))))
        (local.set $st (i64.or (local.get $st) (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq
          (v128.and
            (i8x16.swizzle (local.get $lo) (v128.and (local.get $v) (i8x16.splat (i32.const 0x0f))))
            (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $v) (i32.const 4))))
          (i8x16.splat (i32.const 0))))) (i64.const 16))))
        (local.set $v (v128.load offset=32 (local.get $a)))
        (local.set $q (i64.or (local.get $q) (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22))))) (i64.const 32))))
        (local.set $bs (i64.or (local.get $bs) (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))) (i64.const 32))))
        (local.set $st (i64.or (local.get $st) (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq
          (v128.and
            (i8x16.swizzle (local.get $lo) (v128.and (local.get $v) (i8x16.splat (i32.const 0x0f))))
            (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $v) (i32.const 4))))
          (i8x16.splat (i32.const 0))))) (i64.const 32))))
        (local.set $v (v128.load offset=48 (local.get $a)))
        (local.set $q (i64.or (local.get $q) (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22))))) (i64.const 48))))
        (local.set $bs (i64.or (local.get $bs) (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))) (i64.const 48))))
        (local.set $st (i64.or (local.get $st) (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq
          (v128.and
            (i8x16.swizzle (local.get $lo) (v128.and (local.get $v) (i8x16.splat (i32.const 0x0f))))
            (i8x16.swizzle (local.get $hi) (i8x16.shr_u (local.get $v) (i32.const 4))))
          (i8x16.splat (i32.const 0))))) (i64.const 48))))
        ;; Bits past the chunk's end describe stale memory.
        (local.set $valid (i64.const -1))
        (if (i32.lt_u (local.get $k) (i32.const 64))
          (then (local.set $valid
            (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $k))) (i64.const 1)))))
        (local.set $q (i64.and (local.get $q) (local.get $valid)))
        (local.set $st (i64.and (local.get $st) (local.get $valid)))
        ;; Escaped bytes, only where there is a backslash: the byte after an unescaped one.
        (local.set $em (i64.const 0))
        (if (i32.or (i64.ne (i64.and (local.get $bs) (local.get $valid)) (i64.const 0)) (local.get $esc))
          (then
            (local.set $j (i32.const 0))
            (loop $bytes
              (if (local.get $esc)
                (then
                  (local.set $em (i64.or (local.get $em) (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $j)))))
                  (local.set $esc (i32.const 0)))
                (else
                  (if (i32.eq (i32.load8_u (i32.add (local.get $a) (local.get $j))) (i32.const 0x5c))
                    (then (local.set $esc (i32.const 1))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $bytes (i32.lt_u (local.get $j) (local.get $k))))))
        (local.set $q (i64.and (local.get $q) (i64.xor (local.get $em) (i64.const -1))))
        ;; Prefix XOR: bit i is set when an odd number of quotes lie at or before i.
        (local.set $x (local.get $q))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 1))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 2))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 4))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 8))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 16))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 32))))
        (local.set $x (i64.xor (local.get $x) (local.get $carry)))
        (local.set $st (i64.and (local.get $st) (i64.xor (local.get $x) (i64.const -1))))
        ;; The structural bytes outside strings, in order.
        (block $visited
          (loop $visit
            (br_if $visited (i64.eqz (local.get $st)))
            (local.set $j (i32.wrap_i64 (i64.ctz (local.get $st))))
            (local.set $st (i64.and (local.get $st) (i64.sub (local.get $st) (i64.const 1))))
            (local.set $c (i32.load8_u (i32.add (local.get $a) (local.get $j))))
            (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x7b))
              (then
                (if (i32.ge_u (local.get $depth) (i32.const 10000))
                  (then
                    (global.set $errAt (i32.add (local.get $p) (local.get $j)))
                    (return (i32.const -4))))
                (i32.store8 offset=64 (local.get $depth) (local.get $c))
                (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
                (br $visit)))
            (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x7d))
              (then
                (if (i32.eqz (local.get $depth))
                  (then
                    (global.set $errAt (i32.add (local.get $p) (local.get $j)))
                    (return (i32.const -2))))
                (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                (if (i32.ne (i32.load8_u offset=64 (local.get $depth)) (i32.sub (local.get $c) (i32.const 2)))
                  (then
                    (global.set $errAt (i32.add (local.get $p) (local.get $j)))
                    (return (i32.const -2))))
                (if (i32.eqz (local.get $depth))
                  (then (return (i32.add (i32.add (local.get $p) (local.get $j)) (i32.const 1)))))
                (br $visit)))
            (global.set $errAt (i32.add (local.get $p) (local.get $j)))
            (return (i32.const -3))))
        ;; In a string after the block when the last valid bit of the in-string mask is set.
        (local.set $carry (i64.sub (i64.const 0)
          (i64.and (i64.shr_u (local.get $x) (i64.extend_i32_u (i32.sub (local.get $k) (i32.const 1)))) (i64.const 1))))
        (local.set $p (i32.add (local.get $p) (local.get $k)))
        (br $block)))
    (global.set $depth (local.get $depth))
    (global.set $inString (i32.wrap_i64 (i64.and (local.get $carry) (i64.const 1))))
    (global.set $escaped (local.get $esc))
    (i32.const -1))
)
