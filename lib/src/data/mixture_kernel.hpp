// The small-d Gaussian-mixture denoiser kernel, compiled for baseline x86-64 and for AVX2 and chosen
// at run time (same bits either way: see mixture_kernel.inl). Internal to lib/src.
#pragma once
#include <cstddef>
#include <vector>

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

#define AYSLAB_MIXTURE_KERNELS                                                                      \
    void mixture_rows(const MixtureTables<double>& t, const double* x, std::size_t n, double* out); \
    void mixture_rows(const MixtureTables<float>& t, const double* x, std::size_t n, double* out);  \
    void mixture_softmax(const GemmRows<double>& g, std::size_t n, double* dots, double* coef,      \
                         double* self);                                                             \
    void mixture_softmax(const GemmRows<float>& g, std::size_t n, float* dots, float* coef, float* self);

// out (n x d) = D(x) for n rows of x (n x d) with the tables of one sigma; and the GEMM path's rows.
AYSLAB_MIXTURE_KERNELS

namespace baseline {
AYSLAB_MIXTURE_KERNELS
}  // namespace baseline
namespace avx2 {
AYSLAB_MIXTURE_KERNELS
}  // namespace avx2
bool have_avx2();

}  // namespace ayslab::detail
