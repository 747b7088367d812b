// The mixture kernel for any x86-64 (or other) CPU, and the run-time choice between the copies.
#include "mixture_kernel_common.hpp"

#define AYSLAB_KERNEL_NS baseline
#include "mixture_kernel.inl"

namespace ayslab::detail {

bool have_avx2() {
#if defined(__x86_64__) && defined(AYSLAB_HAVE_AVX2_KERNEL)
    static const bool yes = __builtin_cpu_supports("avx2");
    return yes;
#else
    return false;
#endif
}

void mixture_rows(const MixtureTables<double>& t, const double* x, std::size_t n, double* out) {
#ifdef AYSLAB_HAVE_AVX2_KERNEL
    if (have_avx2()) return avx2::mixture_rows(t, x, n, out);
#endif
    baseline::mixture_rows(t, x, n, out);
}

void mixture_rows(const MixtureTables<float>& t, const double* x, std::size_t n, double* out) {
#ifdef AYSLAB_HAVE_AVX2_KERNEL
    if (have_avx2()) return avx2::mixture_rows(t, x, n, out);
#endif
    baseline::mixture_rows(t, x, n, out);
}

void mixture_softmax(const GemmRows<double>& g, std::size_t n, double* dots, double* coef, double* self) {
#ifdef AYSLAB_HAVE_AVX2_KERNEL
    if (have_avx2()) return avx2::mixture_softmax(g, n, dots, coef, self);
#endif
    baseline::mixture_softmax(g, n, dots, coef, self);
}

void mixture_softmax(const GemmRows<float>& g, std::size_t n, float* dots, float* coef, float* self) {
#ifdef AYSLAB_HAVE_AVX2_KERNEL
    if (have_avx2()) return avx2::mixture_softmax(g, n, dots, coef, self);
#endif
    baseline::mixture_softmax(g, n, dots, coef, self);
}

}  // namespace ayslab::detail
