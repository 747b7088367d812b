// Noise and NFE, measured from outside the solvers.
//  - A noise table reaches every stochastic solver: with a table, the seed no longer matters (a
//    solver that draws its own noise gives seed-dependent results) and two different tables give
//    different end points; an all-zero table removes the noise entirely. This caught the
//    Gaussian-step solvers (euler-maruyama, linearised-sde, ddpm-ancestral) drawing from the
//    generator themselves and silently ignoring `sample --set noise=FILE.npy`.
//  - The NFE a run reports is the number of denoiser calls a counting denoiser saw, not the solver's
//    own return value compared with itself.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <vector>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/registry.hpp"

using namespace ayslab;

namespace {
const auto gauss = DiagonalGaussian::isotropic(2, 0.3, 0.7);

// Counts every denoiser call (a call on a batch is one evaluation of the network per row).
struct CountingDenoiser final : Denoiser {
    const Denoiser& inner;
    mutable std::atomic<std::size_t> calls{0};
    explicit CountingDenoiser(const Denoiser& d) : inner(d) {}
    std::size_t dim() const override { return inner.dim(); }
    void evaluate(const Batch& b, std::span<double> out) const override {
        ++calls;
        inner.evaluate(b, out);
    }
};

constexpr std::size_t particles = 6, steps = 6, draws = 4;

std::vector<double> run(const std::string& name, std::uint64_t seed, const NoiseTable* table) {
    SolverOptions o;
    o.eta = 0.8;
    o.s_churn = 2.0;  // the churn samplers add noise only with s_churn > 0
    std::vector<double> x(particles * 2);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = 5.0 * std::sin(1.0 + static_cast<double>(k));
    auto sched = karras(steps, 0.02, 10.0);
    sample(gauss, *make_solver(name, o), sched, x, particles, {seed, 1, 4, table});
    return x;
}

double max_difference(const std::vector<double>& a, const std::vector<double>& b) {
    double m = 0.0;
    for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(a[k] - b[k]));
    return m;
}
}  // namespace

TEST_CASE("every stochastic solver takes its noise from the table when one is given") {
    const std::size_t size = steps * draws * particles * 2;
    std::vector<double> zero(size, 0.0), first(size), second(size);
    fill_normal_flat(11, 0, 0, 0, first);
    fill_normal_flat(12, 0, 0, 0, second);
    const NoiseTable t0{steps, draws, particles, 2, zero}, t1{steps, draws, particles, 2, first},
        t2{steps, draws, particles, 2, second};
    const auto names = solver_names([](const SolverTraits& t) { return t.stochastic; });
    CHECK(names.size() >= 14);  // not vacuous
    for (const auto& name : names) {
        CAPTURE(name);
        // Zero table: the seed no longer enters (bit for bit), and the run differs from a seeded one.
        const auto z1 = run(name, 1, &t0), z2 = run(name, 2, &t0);
        CHECK(max_difference(z1, z2) == 0.0);
        CHECK(max_difference(z1, run(name, 1, nullptr)) > 1e-3);
        // Two tables: the seed does not enter, the tables do.
        CHECK(max_difference(run(name, 1, &t1), run(name, 7, &t1)) == 0.0);
        CHECK(max_difference(run(name, 1, &t1), run(name, 1, &t2)) > 1e-3);
    }
}

TEST_CASE("the Gaussian-step solvers keep their seeded draws (the table path changed no address)") {
    // Draw 0 of step k for particle i, coordinate j is the generator's value at (step k, element i d + j):
    // a table holding exactly those values reproduces the seeded run bit for bit.
    for (const std::string name : {"euler-maruyama", "linearised-sde", "ddpm-ancestral"}) {
        CAPTURE(name);
        std::vector<double> table(steps * particles * 2);
        for (std::size_t s = 0; s < steps; ++s)
            fill_normal_flat(3, static_cast<std::uint64_t>(Stream::step_noise), s, 0,
                             std::span(table).subspan(s * particles * 2, particles * 2));
        const NoiseTable t{steps, 1, particles, 2, table};
        CHECK(max_difference(run(name, 3, &t), run(name, 3, nullptr)) == 0.0);
    }
}

TEST_CASE("the NFE a run reports is the number of denoiser calls made") {
    for (const auto& name : solver_names()) {
        CAPTURE(name);
        for (const bool to_zero : {false, true}) {
            CAPTURE(to_zero);
            if (to_zero && name == "dopri5") continue;  // integrates in log sigma: refuses a final 0
            const auto base = karras(5, 0.01, 10.0);
            std::vector<double> s(base.sigmas().begin(), base.sigmas().end());
            if (to_zero) s.push_back(0.0);
            const Schedule sched(s);
            const auto solver = make_solver(name);
            CountingDenoiser counting(gauss);
            std::vector<double> x = {0.5, -1.0, 2.0, 0.1};
            const auto stats = sample(counting, *solver, sched, x, 2, {});  // one chunk: calls = NFE
            CHECK(stats.nfe == counting.calls.load());
            if (!to_zero && solver->nfe_per_step() > 0) CHECK(counting.calls.load() == 5 * solver->nfe_per_step());
        }
    }
}

TEST_CASE("dpm-adaptive, dopri5 and pc-langevin depend on the batch (as the peers' do), every other solver does not") {
    // k-diffusion's dpm_adaptive takes one error norm over its whole batch, score_sde's Langevin step
    // size batch-averaged norms: ayslab's chunk is that batch (sample's `chunk` key), so a run matches
    // a peer's call on the same rows only chunk for batch.
    auto run_chunked = [](const std::string& name, std::size_t chunk) {
        std::vector<double> x(12 * 2);
        for (std::size_t k = 0; k < x.size(); ++k) x[k] = 6.0 * std::sin(3.0 + static_cast<double>(k));
        sample(gauss, *make_solver(name), karras(6, 0.02, 10.0), x, 12, {5, 1, chunk, nullptr});
        return x;
    };
    for (const auto& name : solver_names()) {
        CAPTURE(name);
        const double diff = max_difference(run_chunked(name, 4), run_chunked(name, 12));
        // dopri5's error norm is over the chunk too (the difference stays inside its rtol: 8e-10 here).
        if (name == "dpm-adaptive" || name == "pc-langevin" || name == "dopri5")
            CHECK(diff > 0.0);
        else
            CHECK(diff == 0.0);
    }
}
