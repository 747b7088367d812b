// The machine's own limit for the GEMM-shaped work the denoisers do: a plain dgemm through the same
// BLAS (OpenBLAS, single-threaded per call) run on `threads` threads at once, in GFLOP/s.
#pragma once
#include <cstddef>

namespace ayslab {

// C (m x n) = A (m x k) B^T, repeated for about `seconds`; returns total GFLOP/s over all threads.
double gemm_gflops(std::size_t m, std::size_t n, std::size_t k, std::size_t threads, double seconds = 1.0);

}  // namespace ayslab
