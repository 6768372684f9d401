//! Process-wide settings for the native programs that train (the command line, the benchmarks),
//! applied first thing in `main`, before any tensor or thread exists.

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (the same index in its v2 and v3 headers).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// - mimalloc never returns freed memory to the system (purge delay −1). An update frees and
///   reallocates hundreds of MB of activations and gradients; returned memory comes back as fresh
///   zeroed pages, and that zeroing cost 1.28× per update of the default encoder (issue 22).
/// - On 2 cores or fewer, candle's element-wise thread pool is off unless `CANDLE_NUM_THREADS` says
///   otherwise: its worker spin-waits between ops on the core gemm's second thread needs (1.1× per
///   update here; not measured on larger machines, so left on there).
///
/// The first only matters with mimalloc as the global allocator, which the command line and the
/// benchmarks use.
pub fn tune_for_training() {
    // SAFETY: sets one integer option of the allocator; mimalloc reads options atomically.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores <= 2 && std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
}
