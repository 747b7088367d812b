// N(0, 1) values from Philox words by Box-Muller (box_muller.hpp), compiled for baseline x86-64, AVX2
// and AVX-512 and chosen at run time (isa.cpp); every copy gives the same bits. Internal to lib/src.
#pragma once
#include <cstddef>
#include <cstdint>

#include "isa.hpp"

namespace ayslab::detail {

// out[2p], out[2p + 1] = Random123's boxmuller(words[2p], words[2p + 1]) for p < pairs.
#define AYSLAB_NORMAL_KERNELS \
    void box_muller_words(const std::uint64_t* words, std::size_t pairs, double* out);

AYSLAB_NORMAL_KERNELS
namespace baseline {
AYSLAB_NORMAL_KERNELS
}  // namespace baseline
namespace avx2 {
AYSLAB_NORMAL_KERNELS
}  // namespace avx2
namespace avx512 {
AYSLAB_NORMAL_KERNELS
}  // namespace avx512

}  // namespace ayslab::detail
