// OpenBLAS stays single-threaded per call: our own threads parallelise over particles, and results
// stay deterministic. gemm() picks dgemm or sgemm by element type. Internal to lib/src.
#pragma once
#include <cblas.h>

#include <mutex>

namespace ayslab::detail {

inline void single_threaded_blas() {
    static std::once_flag once;
    std::call_once(once, [] { openblas_set_num_threads(1); });
}

// Row-major C (m x n) = A (m x k) op(B) + beta C, op(B) = B (k x n) or B^T (B: n x k).
inline void gemm(bool transpose_b, int m, int n, int k, const double* a, int lda, const double* b, int ldb,
                 double beta, double* c, int ldc) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans, m, n, k, 1.0, a, lda, b,
                ldb, beta, c, ldc);
}
inline void gemm(bool transpose_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
                 float beta, float* c, int ldc) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda,
                b, ldb, beta, c, ldc);
}

}  // namespace ayslab::detail
