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

// out (n x d) = D(x) for n rows of x (n x d) with the tables of one sigma.
void mixture_rows(const MixtureTables<double>& t, const double* x, std::size_t n, double* out);
void mixture_rows(const MixtureTables<float>& t, const double* x, std::size_t n, double* out);

namespace baseline {
void mixture_rows(const MixtureTables<double>& t, const double* x, std::size_t n, double* out);
void mixture_rows(const MixtureTables<float>& t, const double* x, std::size_t n, double* out);
}  // namespace baseline
namespace avx2 {
void mixture_rows(const MixtureTables<double>& t, const double* x, std::size_t n, double* out);
void mixture_rows(const MixtureTables<float>& t, const double* x, std::size_t n, double* out);
}  // namespace avx2
bool have_avx2();

}  // namespace ayslab::detail
