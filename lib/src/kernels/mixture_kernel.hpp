// The Gaussian-mixture denoiser kernels (small d, any variances; and the fused isotropic one), compiled
// for baseline x86-64, AVX2 and AVX-512 and chosen at run time (same bits on each: see
// mixture_kernel.inl and mixture_fused.inl). Internal to lib/src.
#pragma once
#include <cstddef>
#include <vector>

#include "isa.hpp"

namespace ayslab::detail {

constexpr std::size_t mixture_rows_per_block = 64;

// Per-sigma tables (K components, d coordinates): log_norm K; the rest K x d.
template <class T>
struct MixtureTables {
    std::size_t k = 0, d = 0;
    std::vector<T> log_norm, half_inv, shrink, keep, mu;
};

// The GEMM path's per-row work between its two GEMMs (isotropic components, t_k = v_k + s^2):
// dots (n x K) holds x_i . mu_k on entry and the unnormalised weights on exit; coef (n x K) =
// r_ik (1 - s_k), self (n) = sum_k r_ik s_k (MATH §2).
template <class T>
struct GemmRows {
    std::size_t k = 0, d = 0;
    const T* x = nullptr;                                                                // n x d
    const T *log_norm = nullptr, *inv2t = nullptr, *shrink = nullptr, *norms = nullptr;  // K each
};

// The fused path's tables (isotropic components): K and d rounded up to whole 64-byte vectors (kp, dp).
template <class T>
constexpr std::size_t fused_lanes = 64 / sizeof(T);
constexpr std::size_t fused_rows_per_block = 64;
template <class T>
struct FusedTables {
    std::size_t k = 0, d = 0, kp = 0, dp = 0;
    const T* mu_t = nullptr;  // d x kp, zero past column K
    const T* mu = nullptr;    // K x dp, zero past column d
    // kp each; past K: log_norm -inf (weight 0), inv2t, shrink and norms 0.
    const T *log_norm = nullptr, *inv2t = nullptr, *shrink = nullptr, *norms = nullptr;
};

#define AYSLAB_MIXTURE_KERNELS                                                                      \
    void mixture_rows(const MixtureTables<double>& t, const double* x, std::size_t n, double* out); \
    void mixture_rows(const MixtureTables<float>& t, const double* x, std::size_t n, double* out);  \
    void mixture_softmax(const GemmRows<double>& g, std::size_t n, double* dots, double* coef,      \
                         double* self);                                                             \
    void mixture_softmax(const GemmRows<float>& g, std::size_t n, float* dots, float* coef, float* self); \
    void mixture_fused(const FusedTables<double>& t, const double* x, std::size_t n, double* out);       \
    void mixture_fused(const FusedTables<float>& t, const double* x, std::size_t n, double* out);

// out (n x d) = D(x) for n rows of x (n x d) with the tables of one sigma; the GEMM path's rows; and
// out (n x d) = D(x) by the fused kernel.
AYSLAB_MIXTURE_KERNELS

namespace baseline {
AYSLAB_MIXTURE_KERNELS
}  // namespace baseline
namespace avx2 {
AYSLAB_MIXTURE_KERNELS
}  // namespace avx2
namespace avx512 {
AYSLAB_MIXTURE_KERNELS
}  // namespace avx512

}  // namespace ayslab::detail
