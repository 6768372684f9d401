//! wasm32's matrix product for `x · Wᵀ`, where both operands run along the contraction dimension
//! (a linear layer's input rows and weight rows).
//!
//! gemm's SIMD128 path packs the left operand on every call with scalar code (about a sixth of its
//! time in a forward profile), and its remainder tiles are slow at the short sequences the lab runs.
//! Here nothing is packed: a tile of `R` rows of `a` against `C` rows of `b` keeps `R × C`
//! four-lane partial sums, walks `k` four lanes at a time, and folds each tile's sums into the
//! output once. Column blocks are the outer loop, so the `C` weight rows a block reads stay in the
//! L1 cache while every input row passes by.
//!
//! With the `relaxed-simd` feature each step is one fused multiply-add (`f32x4.relaxed_madd`, an
//! FMA on x86-64 and ARM) instead of a multiply and an add: 1.13× the forward here (`make bench-peer`). A module with
//! relaxed SIMD does not load where the browser lacks it, so that build is a second worker, which
//! the page starts only after checking (see the app's `client`).

use core::arch::wasm32::*;

/// `out[i·n + j] += Σₚ a[i·k + p] · b[j·k + p]` for `a` `[m, k]`, `b` `[n, k]`, `out` `[m, n]`,
/// all row-major and contiguous.
pub fn matmul_nt(a: &[f32], b: &[f32], out: &mut [f32], m: usize, n: usize, k: usize) {
    assert!(a.len() >= m * k && b.len() >= n * k && out.len() >= m * n);
    let chunk_cols = (BLOCK_FLOATS / k.max(1)).max(COLS) / COLS * COLS;
    for j0 in (0..n).step_by(chunk_cols) {
        let cols = j0..(j0 + chunk_cols).min(n);
        let chunk_rows = (BLOCK_FLOATS / (k + cols.len())).max(1).div_ceil(ROWS) * ROWS;
        for i0 in (0..m).step_by(chunk_rows) {
            let rows = i0..(i0 + chunk_rows).min(m);
            let full_cols = cols.end - cols.len() % COLS;
            for j in (cols.start..full_cols).step_by(COLS) {
                rows_against::<COLS>(a, b, out, rows.clone(), n, k, j);
            }
            for j in full_cols..cols.end {
                rows_against::<1>(a, b, out, rows.clone(), n, k, j);
            }
        }
    }
}

/// Floats per chunk of the product: a chunk of weight rows, and a chunk of input rows with the
/// output they fill there, each about this size, stay in the L2 cache while the tiles walk them.
/// Unchunked, a training batch's output (1,024 rows of 1,536) fell out of the cache between
/// column blocks and the product ran at two thirds of the speed.
const BLOCK_FLOATS: usize = 1 << 16;

/// Input rows × weight rows per tile: 12 sums, 3 input vectors and a weight vector fill the 16
/// vector registers x86-64 gives V8 (4 × 3 spills one and runs at two thirds of the speed).
const ROWS: usize = 3;
const COLS: usize = 4;

/// Columns `j .. j + C` of the output rows `rows`.
#[inline(always)]
fn rows_against<const C: usize>(
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    rows: core::ops::Range<usize>,
    n: usize,
    k: usize,
    j: usize,
) {
    let full_rows = rows.end - rows.len() % ROWS;
    for i in (rows.start..full_rows).step_by(ROWS) {
        tile::<ROWS, C>(a, b, out, n, k, i, j);
    }
    for i in full_rows..rows.end {
        tile::<1, C>(a, b, out, n, k, i, j);
    }
}

/// One `R × C` tile of the output at row `i`, column `j`: a function of its own, so that the fused
/// multiply-adds inline into a body compiled with relaxed SIMD.
#[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
fn tile<const R: usize, const C: usize>(
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    n: usize,
    k: usize,
    i: usize,
    j: usize,
) {
    let mut acc = [[f32x4_splat(0.0); C]; R];
    let whole = k - k % 4;
    let a_rows: [&[f32]; R] = core::array::from_fn(|r| &a[(i + r) * k..(i + r + 1) * k]);
    let b_rows: [&[f32]; C] = core::array::from_fn(|c| &b[(j + c) * k..(j + c + 1) * k]);
    let mut p = 0;
    let step = |acc: &mut [[v128; C]; R], p: usize| {
        // SAFETY: p + 4 ≤ k, and every row slice is k long.
        let xs: [v128; R] = core::array::from_fn(|r| unsafe { load(a_rows[r], p) });
        for c in 0..C {
            let w = unsafe { load(b_rows[c], p) };
            for r in 0..R {
                acc[r][c] = madd(xs[r], w, acc[r][c]);
            }
        }
    };
    while p + 16 <= whole {
        step(&mut acc, p);
        step(&mut acc, p + 4);
        step(&mut acc, p + 8);
        step(&mut acc, p + 12);
        p += 16;
    }
    while p < whole {
        step(&mut acc, p);
        p += 4;
    }
    for r in 0..R {
        let mut sums = [0f32; C];
        for c in 0..C {
            sums[c] = a_rows[r][whole..]
                .iter()
                .zip(&b_rows[c][whole..])
                .map(|(x, w)| x * w)
                .sum();
        }
        let row = &mut out[(i + r) * n + j..(i + r) * n + j + C];
        let mut folded = [0f32; 4];
        // SAFETY: folded holds four f32.
        unsafe { v128_store(folded.as_mut_ptr().cast(), fold(&acc[r])) };
        for c in 0..C {
            row[c] += folded[c] + sums[c];
        }
    }
}

/// Up to four vectors of partial sums into one vector of their totals (lane `c` is the sum of
/// `v[c]`'s lanes).
#[inline(always)]
fn fold<const C: usize>(v: &[v128; C]) -> v128 {
    let v: [v128; 4] = core::array::from_fn(|c| if c < C { v[c] } else { f32x4_splat(0.0) });
    let lo01 = i32x4_shuffle::<0, 4, 1, 5>(v[0], v[1]);
    let hi01 = i32x4_shuffle::<2, 6, 3, 7>(v[0], v[1]);
    let lo23 = i32x4_shuffle::<0, 4, 1, 5>(v[2], v[3]);
    let hi23 = i32x4_shuffle::<2, 6, 3, 7>(v[2], v[3]);
    // [v0₀+v0₂, v1₀+v1₂, v0₁+v0₃, v1₁+v1₃], and the same for v2, v3
    let s01 = f32x4_add(lo01, hi01);
    let s23 = f32x4_add(lo23, hi23);
    f32x4_add(
        i32x4_shuffle::<0, 1, 4, 5>(s01, s23),
        i32x4_shuffle::<2, 3, 6, 7>(s01, s23),
    )
}

/// `src` `[rows, cols]` as `[cols, rows]`, row-major: the backward's products read their operands
/// along the contraction. 4 × 4 blocks go through registers (four loads, eight shuffles, four
/// stores); the edges that do not fill one are copied one by one.
pub fn transpose(src: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert!(src.len() >= rows * cols);
    let mut out = vec![0f32; rows * cols];
    let (full_rows, full_cols) = (rows - rows % 4, cols - cols % 4);
    for r in (0..full_rows).step_by(4) {
        for c in (0..full_cols).step_by(4) {
            // SAFETY: rows r..r+4 and columns c..c+4 are inside src, and their transposes inside
            // out (both rows × cols).
            unsafe {
                let v: [v128; 4] = core::array::from_fn(|i| {
                    v128_load(src.as_ptr().add((r + i) * cols + c).cast())
                });
                let t01 = i32x4_shuffle::<0, 4, 1, 5>(v[0], v[1]);
                let t23 = i32x4_shuffle::<0, 4, 1, 5>(v[2], v[3]);
                let u01 = i32x4_shuffle::<2, 6, 3, 7>(v[0], v[1]);
                let u23 = i32x4_shuffle::<2, 6, 3, 7>(v[2], v[3]);
                let columns = [
                    i32x4_shuffle::<0, 1, 4, 5>(t01, t23),
                    i32x4_shuffle::<2, 3, 6, 7>(t01, t23),
                    i32x4_shuffle::<0, 1, 4, 5>(u01, u23),
                    i32x4_shuffle::<2, 3, 6, 7>(u01, u23),
                ];
                for (i, column) in columns.into_iter().enumerate() {
                    v128_store(out.as_mut_ptr().add((c + i) * rows + r).cast(), column);
                }
            }
        }
    }
    for r in 0..rows {
        let from = if r < full_rows { full_cols } else { 0 };
        for c in from..cols {
            out[c * rows + r] = src[r * cols + c];
        }
    }
    out
}

/// Four lanes of `row` from `p`.
///
/// # Safety
/// `p + 4 <= row.len()`.
#[inline(always)]
unsafe fn load(row: &[f32], p: usize) -> v128 {
    v128_load(row.as_ptr().add(p).cast())
}

/// `x · w + acc`, fused in the relaxed-SIMD build (inlined into [`tile`], which enables it).
#[inline(always)]
fn madd(x: v128, w: v128, acc: v128) -> v128 {
    #[cfg(feature = "relaxed-simd")]
    {
        f32x4_relaxed_madd(x, w, acc)
    }
    #[cfg(not(feature = "relaxed-simd"))]
    {
        f32x4_add(f32x4_mul(x, w), acc)
    }
}
