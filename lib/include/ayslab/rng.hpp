// Random numbers addressed by (seed, stream, particle, step), not drawn from hidden state: Philox4x64
// (Random123) keyed by the seed, with the counter holding the address. A value depends only on its
// address, so results are the same whatever the thread count or evaluation order. Internal (not
// installed with the package): the public face is random_address.hpp.
#pragma once
#include <Random123/philox.h>

#include <Random123/uniform.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ayslab/random_address.hpp"

namespace ayslab {

namespace detail {
// out[2p], out[2p + 1] = Random123's boxmuller(words[2p], words[2p + 1]) for p < pairs, by log and
// sin/cos(pi a) that vectorise, in the widest instruction-set copy the CPU runs (all give the same
// bits): lib/src/kernels/normal_kernel_*.cpp.
void box_muller_words(const std::uint64_t* words, std::size_t pairs, double* out);
// Philox words per batch of normals (64 values).
constexpr std::size_t normal_batch_words = 64;
}  // namespace detail

// Fills out with i.i.d. N(0, 1) values for one address; out[j] depends only on (address, j).
inline void fill_normal(const RandomAddress& a, std::span<double> out) {
    using Philox = r123::Philox4x64;
    const Philox rng;
    const Philox::key_type key = {{a.seed, 0x9E3779B97F4A7C15ULL}};
    Philox::ctr_type ctr = {{a.particle, a.step, 0, a.stream}};
    std::uint64_t words[detail::normal_batch_words];
    double values[detail::normal_batch_words];
    std::uint64_t block = 0;
    for (std::size_t j = 0; j < out.size();) {
        const std::size_t want = out.size() - j;
        const std::size_t calls = std::min(detail::normal_batch_words / 4, (want + 3) / 4);
        for (std::size_t c = 0; c < calls; ++c, ++block) {
            ctr[2] = block;
            const auto r = rng(ctr, key);
            for (int k = 0; k < 4; ++k) words[4 * c + k] = r[k];
        }
        detail::box_muller_words(words, 2 * calls, values);
        const std::size_t take = std::min(want, 4 * calls);
        std::copy_n(values, take, out.begin() + static_cast<std::ptrdiff_t>(j));
        j += take;
    }
}

// Fills out[k] with the N(0, 1) value of flat element index first + k (e.g. particle * d + coordinate)
// at (seed, stream, step). Four consecutive elements share one Philox call, so this is the cheap way
// to draw noise for small d; a value still depends only on its own (seed, stream, element, step).
// `sub` is a further address word (default 0) for uses that need more than one draw per step.
inline void fill_normal_flat(std::uint64_t seed, std::uint64_t stream, std::uint64_t step,
                             std::uint64_t first, std::span<double> out, std::uint64_t sub = 0) {
    using Philox = r123::Philox4x64;
    const Philox rng;
    const Philox::key_type key = {{seed, 0xD1B54A32D192ED03ULL}};
    std::uint64_t words[detail::normal_batch_words];
    double values[detail::normal_batch_words];
    for (std::size_t k = 0; k < out.size();) {
        const std::uint64_t e = first + k, group = e / 4, last_group = (first + out.size() - 1) / 4;
        const std::size_t calls =
            static_cast<std::size_t>(std::min<std::uint64_t>(detail::normal_batch_words / 4, last_group - group + 1));
        for (std::size_t c = 0; c < calls; ++c) {
            const auto r = rng(Philox::ctr_type{{group + c, step, sub, stream}}, key);
            for (int l = 0; l < 4; ++l) words[4 * c + l] = r[l];
        }
        detail::box_muller_words(words, 2 * calls, values);
        const std::size_t offset = static_cast<std::size_t>(e % 4);
        const std::size_t take = std::min(out.size() - k, 4 * calls - offset);
        std::copy_n(values + offset, take, out.begin() + static_cast<std::ptrdiff_t>(k));
        k += take;
    }
}

// Fills out with i.i.d. uniforms in (0, 1] for one address.
inline void fill_uniform(const RandomAddress& a, std::span<double> out) {
    using Philox = r123::Philox4x64;
    const Philox rng;
    const Philox::key_type key = {{a.seed, 0x9E3779B97F4A7C15ULL}};
    Philox::ctr_type ctr = {{a.particle, a.step, 0, a.stream ^ 0x5555555555555555ULL}};
    std::size_t j = 0;
    for (std::uint64_t block = 0; j < out.size(); ++block) {
        ctr[2] = block;
        const auto r = rng(ctr, key);
        for (int k = 0; k < 4 && j < out.size(); ++k) out[j++] = r123::u01<double>(r[k]);
    }
}

}  // namespace ayslab
