// The Box-Muller kernel, baseline copy, and the run-time choice between the copies.
#include <cmath>
#include <cstdint>

#include "box_muller.hpp"
#include "normal_kernel.hpp"

#define AYSLAB_KERNEL_NS baseline
#include "normal_kernel.inl"

namespace ayslab::detail {

void box_muller_words(const std::uint64_t* words, std::size_t pairs, double* out) {
#ifdef AYSLAB_HAVE_ISA_COPIES
    if (have_avx512()) return avx512::box_muller_words(words, pairs, out);
    if (have_avx2()) return avx2::box_muller_words(words, pairs, out);
#endif
    baseline::box_muller_words(words, pairs, out);
}

}  // namespace ayslab::detail
