// The mixture kernels for any x86-64 (or other) CPU, and the run-time choice between the copies.
#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "ayslab/error.hpp"
#include "mixture_kernel_common.hpp"

#define AYSLAB_KERNEL_NS baseline
#include "mixture_kernel.inl"
// 16 xmm registers: 2 x 4 accumulators, 4 means, a broadcast and a product.
#define AYSLAB_VECTOR_BYTES 16
#define AYSLAB_FUSED_ROWS 2
#define AYSLAB_FUSED_COLS 4
#include "mixture_fused.inl"

namespace ayslab::detail {

// AYSLAB_ISA=baseline|avx2|avx512 caps the copy chosen at run time (0, 1, 2; unset: 2), so the copies
// can be timed and compared on one machine: they give the same bits.
[[maybe_unused]] static int isa_cap() {
    static const int cap = [] {
        const char* v = std::getenv("AYSLAB_ISA");
        const std::string s = v ? v : "";
        if (s.empty() || s == "avx512") return 2;
        if (s == "avx2") return 1;
        if (s == "baseline") return 0;
        throw InputError(fmt::format("AYSLAB_ISA={}: not one of baseline, avx2, avx512", s));
    }();
    return cap;
}

bool have_avx2() {
#if defined(__x86_64__) && defined(AYSLAB_HAVE_AVX2_KERNEL)
    static const bool yes = isa_cap() >= 1 && __builtin_cpu_supports("avx2");
    return yes;
#else
    return false;
#endif
}

bool have_avx512() {
#if defined(__x86_64__) && defined(AYSLAB_HAVE_AVX512_KERNEL)
    static const bool yes = isa_cap() >= 2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
    return yes;
#else
    return false;
#endif
}

// The widest copy this CPU runs (all give the same bits).
#if defined(AYSLAB_HAVE_AVX512_KERNEL) && defined(AYSLAB_HAVE_AVX2_KERNEL)
#define AYSLAB_DISPATCH(call)                 \
    if (have_avx512()) return avx512::call;   \
    if (have_avx2()) return avx2::call;       \
    return baseline::call;
#elif defined(AYSLAB_HAVE_AVX2_KERNEL)
#define AYSLAB_DISPATCH(call)           \
    if (have_avx2()) return avx2::call; \
    return baseline::call;
#else
#define AYSLAB_DISPATCH(call) return baseline::call;
#endif

void mixture_rows(const MixtureTables<double>& t, const double* x, std::size_t n, double* out) {
    AYSLAB_DISPATCH(mixture_rows(t, x, n, out))
}
void mixture_rows(const MixtureTables<float>& t, const double* x, std::size_t n, double* out) {
    AYSLAB_DISPATCH(mixture_rows(t, x, n, out))
}
void mixture_softmax(const GemmRows<double>& g, std::size_t n, double* dots, double* coef, double* self) {
    AYSLAB_DISPATCH(mixture_softmax(g, n, dots, coef, self))
}
void mixture_softmax(const GemmRows<float>& g, std::size_t n, float* dots, float* coef, float* self) {
    AYSLAB_DISPATCH(mixture_softmax(g, n, dots, coef, self))
}
void mixture_fused(const FusedTables<double>& t, const double* x, std::size_t n, double* out) {
    AYSLAB_DISPATCH(mixture_fused(t, x, n, out))
}
void mixture_fused(const FusedTables<float>& t, const double* x, std::size_t n, double* out) {
    AYSLAB_DISPATCH(mixture_fused(t, x, n, out))
}

}  // namespace ayslab::detail
