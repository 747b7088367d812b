// Where a random number lives: (seed, stream, particle, step), the address rng.hpp's generator
// (Philox4x64, internal) turns into a value. The public face of ayslab's addressed randomness: no
// generator headers here.
#pragma once
#include <cstdint>

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

// The address words of noise draw `draw` (0, 1, 2, ...) of schedule step `step` of a solver:
// (step << 2 | draw % 4, draw / 4), one address for every (step, draw) pair. Draws 0-3 keep the
// addresses they had when the draw field was 2 bits wide, so those results are unchanged.
struct StepNoiseAddress {
    std::uint64_t step_word, sub_word;
};
inline StepNoiseAddress step_noise_address(std::uint64_t step, std::uint64_t draw) {
    return {(step << 2) | (draw & 3U), draw >> 2};
}

}  // namespace ayslab
