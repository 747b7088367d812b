// Random numbers addressed by (seed, stream, particle, step), not drawn from hidden state: Philox4x64
// (Random123) keyed by the seed, with the counter holding the address. A value depends only on its
// address, so results are the same whatever the thread count or evaluation order.
#pragma once
#include <Random123/philox.h>

#include <Random123/boxmuller.hpp>
#include <Random123/uniform.hpp>
#include <cstdint>
#include <span>

namespace ayslab {

// Streams separate independent uses of the same (particle, step) address.
enum class Stream : std::uint64_t {
    prior = 1,
    step_noise = 2,
    data = 3,
    forward_noise = 4,
    klub = 5,
    metrics = 6,
    user = 100
};

struct RandomAddress {
    std::uint64_t seed;
    std::uint64_t stream;
    std::uint64_t particle;
    std::uint64_t step;
};

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

// The address words of noise draw `draw` (0, 1, 2, ...) of schedule step `step` of a solver:
// (step << 2 | draw % 4, draw / 4), one address for every (step, draw) pair. Draws 0-3 keep the
// addresses they had when the draw field was 2 bits wide, so those results are unchanged.
struct StepNoiseAddress {
    std::uint64_t step_word, sub_word;
};
inline StepNoiseAddress step_noise_address(std::uint64_t step, std::uint64_t draw) {
    return {(step << 2) | (draw & 3U), draw >> 2};
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
