// The mixture kernels for any x86-64 (or other) CPU, and the run-time choice between the copies.
#include "isa.hpp"
#include "mixture_kernel_common.hpp"

#define AYSLAB_KERNEL_NS baseline
#include "mixture_kernel.inl"
// 16 xmm registers: 2 x 4 accumulators, 4 means, a broadcast and a product.
#define AYSLAB_VECTOR_BYTES 16
#define AYSLAB_FUSED_ROWS 2
#define AYSLAB_FUSED_COLS 4
#include "mixture_fused.inl"

namespace ayslab::detail {

// The widest copy this CPU runs (all give the same bits).
#ifdef AYSLAB_HAVE_ISA_COPIES
#define AYSLAB_DISPATCH(call)               \
    if (have_avx512()) return avx512::call; \
    if (have_avx2()) return avx2::call;     \
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
