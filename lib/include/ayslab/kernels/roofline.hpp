// The machine's own limit for the GEMM-shaped work the denoisers do: a plain dgemm through the same
// BLAS (OpenBLAS, single-threaded per call) run on `threads` threads at once, in GFLOP/s; dgemm for
// float64, sgemm for float32.
#pragma once
#include <cstddef>

#include "ayslab/precision.hpp"

namespace ayslab {

// C (m x n) = A (m x k) B^T, repeated for about `seconds`; returns total GFLOP/s over all threads.
double gemm_gflops(std::size_t m, std::size_t n, std::size_t k, std::size_t threads, double seconds = 1.0,
                   Precision precision = Precision::float64);

}  // namespace ayslab
