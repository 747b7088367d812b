#include "ayslab/solver/sampler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "ayslab/cluster.hpp"
#include "ayslab/denoisers/conditional.hpp"
#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/rng.hpp"

namespace ayslab {

namespace {
void check_finite(std::span<const double> x, std::size_t dim, std::size_t first, std::size_t step,
                  double sigma) {
    // Fast test first, on the bits: a value is Inf or NaN when its exponent field is all ones, and
    // exactly then adding 2^52 to that field carries into bit 63. An OR of integer sums vectorises on
    // any instruction set (a floating-point comparison reduced into a bool did not: it ran one value at
    // a time). Only a failure pays for the search that names the place.
    constexpr std::uint64_t exponent = 0x7ff0000000000000u, carry = 0x0010000000000000u;
    std::uint64_t any = 0;
    for (double v : x) any |= (std::bit_cast<std::uint64_t>(v) & exponent) + carry;
    if ((any >> 63) == 0) return;
    for (std::size_t k = 0; k < x.size(); ++k)
        if (!std::isfinite(x[k]))
            throw NumericalError(
                fmt::format("non-finite value {} at step {} (sigma = {}), particle {}, coordinate {}", x[k],
                            step, sigma, first + k / dim, k % dim));
}
}  // namespace

std::size_t sampler_chunk(const Denoiser& denoiser, std::size_t requested, std::size_t exact, std::size_t n) {
    if (requested > 0) return requested;
    const std::size_t batch = denoiser.batch_rows();
    if (batch == 0) return std::max<std::size_t>(1, exact);
    return n > batch ? chunk_count(n, chunk_count(n, batch)) : batch;
}

std::size_t solve_chunk(const Denoiser& denoiser) {
    if (denoiser.batch_rows() == 0) return 64;
    return denoiser.concurrent_calls() ? 16 : 0;
}

SampleStats sample(const Denoiser& denoiser, const Solver& solver, const Schedule& schedule,
                   std::span<double> x, std::size_t n, const SamplerOptions& options,
                   const StepObserver& observer) {
    const std::size_t d = denoiser.dim();
    if (x.size() != n * d)
        throw InputError(fmt::format("sampler: {} values for {} particles of dimension {}", x.size(), n, d));
    const std::size_t chunk = sampler_chunk(denoiser, options.chunk, 512, n);
    const auto& labels = options.labels;
    if (!labels.empty()) check_labels(labels, n, denoiser.classes());
    const std::size_t chunks = chunk_count(n, chunk);
    std::vector<std::size_t> nfe(chunks, 0);
    auto run_chunk = [&](std::size_t c) {
        const std::size_t first = c * chunk, count = std::min(chunk, n - first);
        const std::span<double> xc = x.subspan(first * d, count * d);
        auto local = solver.clone();
        local->prepare(count, d);
        // The chunk's labels bound to the denoiser: the solvers stay label-free.
        std::optional<LabelledRows> rows;
        std::optional<Conditioned> one;
        if (labels.size() == 1) one.emplace(denoiser, labels[0]);
        if (labels.size() > 1) rows.emplace(denoiser, labels.subspan(first, count));
        const Denoiser& bound = one ? static_cast<const Denoiser&>(*one)
                                    : rows ? static_cast<const Denoiser&>(*rows) : denoiser;
        // Every step (or, for dpm-fast / dpm-adaptive, the one call over the schedule's ends) is checked
        // for a non-finite value and shown to the observer.
        const StepContext ctx{bound, options.seed, first, 0, schedule.sigmas(), options.noise};
        nfe[c] += local->solve(xc, count, ctx, [&](std::size_t done, double sigma, std::span<const double>) {
            check_finite(xc, d, first, done, sigma);
            if (observer) observer(c, first, done, sigma, xc);
        });
    };
    if (observer) {
        // The observer keeps per-chunk state in this process: every chunk runs here.
        cluster::parallel_for_calling(denoiser, chunks, options.threads, run_chunk);
    } else {
        // Chunks split across MPI ranks (if any), then every rank receives all particles.
        cluster::distributed_for_calling(denoiser, chunks, options.threads, x, chunk * d, run_chunk);
        cluster::share_chunks(std::span(nfe), chunks, 1);  // (a collective run has them all already)
    }
    // Adaptive solvers may use different counts per chunk: report the largest.
    return {chunks > 0 ? *std::max_element(nfe.begin(), nfe.end()) : 0};
}

void sample_marginal_labelled(const Data& data, double sigma, std::span<double> x, std::span<Label> labels,
                              std::size_t n, std::uint64_t seed, std::size_t threads) {
    const std::size_t d = data.dim();
    if (x.size() != n * d) throw InputError("sample_marginal: output has the wrong size");
    const bool labelled = !labels.empty();
    if (labelled && labels.size() != n) throw InputError("sample_marginal: labels have the wrong size");
    if (labelled && data.classes() == 0) throw InputError("labelled draws need labelled data");
    constexpr std::size_t chunk = 4096;
    auto fill = [&](std::size_t c) {
        const std::size_t first = c * chunk, count = std::min(chunk, n - first);
        const auto xc = x.subspan(first * d, count * d);
        if (labelled)
            data.sample_labelled(count, seed, first, xc, labels.subspan(first, count));
        else
            data.sample(count, seed, first, xc);
        std::vector<double> z(count * d);
        fill_normal_flat(seed, static_cast<std::uint64_t>(Stream::prior), 0, first * d, z);
        for (std::size_t k = 0; k < z.size(); ++k) xc[k] += sigma * z[k];
    };
    // Spread over MPI ranks (each rank's chunks gathered into x), except labelled draws: the labels
    // are not gathered, so every rank makes all of them (threads only; draws are cheap beside sampling).
    if (labelled)
        cluster::parallel_for_calling(data.denoiser(), chunk_count(n, chunk), threads, fill);
    else
        cluster::distributed_for_calling(data.denoiser(), chunk_count(n, chunk), threads, x, chunk * d, fill);
}

void sample_marginal(const Data& data, double sigma, std::span<double> x, std::size_t n, std::uint64_t seed,
                     std::size_t threads) {
    sample_marginal_labelled(data, sigma, x, {}, n, seed, threads);
}

}  // namespace ayslab
