// Random numbers addressed by (seed, stream, particle, step), not drawn from hidden state: Philox4x64
// (Random123) keyed by the seed, with the counter holding the address. A value depends only on its
// address, so results are the same whatever the thread count or evaluation order. Internal (not
// installed with the package): the public face is random_address.hpp.
#pragma once
#include <Random123/philox.h>

#include <Random123/boxmuller.hpp>
#include <Random123/uniform.hpp>
#include <cstdint>
#include <span>

#include "ayslab/random_address.hpp"

namespace ayslab {

// Fills out with i.i.d. N(0, 1) values for one address; out[j] depends only on (address, j).
inline void fill_normal(const RandomAddress& a, std::span<double> out) {
    using Philox = r123::Philox4x64;
    const Philox rng;
    const Philox::key_type key = {{a.seed, 0x9E3779B97F4A7C15ULL}};
    Philox::ctr_type ctr = {{a.particle, a.step, 0, a.stream}};
    std::size_t j = 0;
    for (std::uint64_t block = 0; j < out.size(); ++block) {
        ctr[2] = block;
        const auto r = rng(ctr, key);
        const auto p = r123::boxmuller(r[0], r[1]);
        const auto q = r123::boxmuller(r[2], r[3]);
        const double v[4] = {p.x, p.y, q.x, q.y};
        for (int k = 0; k < 4 && j < out.size(); ++k) out[j++] = v[k];
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
    std::size_t k = 0;
    while (k < out.size()) {
        const std::uint64_t e = first + k, group = e / 4;
        const auto r = rng(Philox::ctr_type{{group, step, sub, stream}}, key);
        const auto p = r123::boxmuller(r[0], r[1]);
        const auto q = r123::boxmuller(r[2], r[3]);
        const double v[4] = {p.x, p.y, q.x, q.y};
        for (std::uint64_t lane = e % 4; lane < 4 && k < out.size(); ++lane) out[k++] = v[lane];
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
