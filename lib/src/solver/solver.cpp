// The one solver base: buffers, the multistep history, addressed noise.
#include "ayslab/solver/solver.hpp"

#include <algorithm>

#include "ayslab/rng.hpp"

namespace ayslab {

void History::push(double sigma, std::span<const double> v, std::size_t keep) {
    if (count_ == keep) {  // full: the oldest slot becomes the newest (no allocation)
        std::rotate(slots_.begin(), slots_.begin() + 1, slots_.begin() + static_cast<std::ptrdiff_t>(count_));
        std::rotate(sigmas_.begin(), sigmas_.begin() + 1,
                    sigmas_.begin() + static_cast<std::ptrdiff_t>(count_));
        --count_;
    }
    if (slots_.size() <= count_) {
        slots_.emplace_back();
        sigmas_.push_back(0.0);
    }
    slots_[count_].assign(v.begin(), v.end());
    sigmas_[count_] = sigma;
    ++count_;
}

void Solver::prepare(std::size_t n, std::size_t d) {
    buffers_.assign(count_, std::vector<double>(n * d));
    history_.clear();
}

std::span<double> Solver::buffer(std::size_t k, std::size_t size) {
    if (buffers_.size() <= k) buffers_.resize(k + 1);
    if (buffers_[k].size() < size) buffers_[k].resize(size);  // only if prepare() was skipped
    return {buffers_[k].data(), size};
}

void Solver::noise(const StepContext& ctx, std::size_t n, std::size_t draw, std::span<double> z) {
    const std::size_t d = n > 0 ? z.size() / n : 0;
    const auto a = step_noise_address(ctx.step, draw);
    fill_normal_flat(ctx.seed, static_cast<std::uint64_t>(Stream::step_noise), a.step_word, ctx.first_particle * d,
                     z, a.sub_word);
}

}  // namespace ayslab
