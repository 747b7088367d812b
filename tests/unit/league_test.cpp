// The schedule optimisers of the league (optimise/league.hpp) against independent routes: the grid DP
// against brute-force enumeration, the grid KLUB against the closed-form schedule KLUB, OSS's
// objective against re-running its schedule, GITS's forced full grid, LD3 never ending above its start.
#include "ayslab/optimise/league.hpp"
#include "ayslab/optimise/registry.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <limits>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/denoisers/guidance.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/divergence/klub.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/schedule/schedule.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/stats.hpp"

using namespace ayslab;

namespace {
// The cheapest path with exactly `steps` hops by enumerating every increasing index set.
double brute_force(std::size_t g, std::size_t steps, const std::function<double(std::size_t, std::size_t)>& cost) {
    double best = std::numeric_limits<double>::infinity();
    std::vector<std::size_t> path(steps + 1);
    path.front() = 0;
    path.back() = g - 1;
    std::function<void(std::size_t)> rec = [&](std::size_t k) {
        if (k == steps) {
            double s = 0.0;
            for (std::size_t q = 0; q < steps; ++q) s += cost(path[q], path[q + 1]);
            best = std::min(best, s);
            return;
        }
        for (std::size_t j = path[k - 1] + 1; j + (steps - k) < g; ++j) {
            path[k] = j;
            rec(k + 1);
        }
    };
    if (steps == 1) return cost(0, g - 1);
    rec(1);
    return best;
}
}  // namespace

TEST_CASE("league: grid DP equals brute-force enumeration on random costs (seed 3)") {
    const std::size_t g = 10;
    std::vector<double> c(g * g);
    fill_uniform({3, 7, 0, 0}, c);
    const auto cost = [&](std::size_t i, std::size_t j) { return c[i * g + j]; };
    for (std::size_t steps = 1; steps < g; ++steps) {
        double total = 0.0;
        const auto path = dp_min_path(g, steps, cost, &total);
        REQUIRE(path.size() == steps + 1);
        CHECK(path.front() == 0);
        CHECK(path.back() == g - 1);
        double sum = 0.0;
        for (std::size_t q = 0; q < steps; ++q) {
            CHECK(path[q] < path[q + 1]);
            sum += cost(path[q], path[q + 1]);
        }
        CHECK(sum == doctest::Approx(total).epsilon(1e-14));
        CHECK(total == doctest::Approx(brute_force(g, steps, cost)).epsilon(1e-14));
    }
    CHECK_THROWS(dp_min_path(g, g, cost, nullptr));
}

TEST_CASE("league: grid KLUB is the closed-form schedule KLUB / DP <= grid coordinate descent") {
    const auto data = DiagonalGaussian::isotropic(3, 0.0, 0.5);
    ScheduleProblem p;
    p.data = &data;
    p.denoiser = &data;
    p.gaussian = &data;
    p.grid = 16;
    p.steps = 5;
    GridKlub klub(p, 0);
    const std::vector<std::size_t> path = {0, 3, 7, 9, 12, 15};
    double closed = 0.0;
    for (double v : klub_schedule_gaussian(grid_schedule(path, klub.grid()), data.variance())) closed += v;
    CHECK(klub.total(path) == doctest::Approx(closed).epsilon(1e-13));
    const auto dp = optimise_ays_dp(p, klub);
    const auto descent = optimise_ays_grid_descent(p, klub, karras(5, p.sigma_min, p.sigma_max));
    CHECK(dp.objective <= descent.objective * (1 + 1e-14));
    CHECK(dp.objective == doctest::Approx(brute_force(16, 5, std::ref(klub))).epsilon(1e-14));
    // snap_to_grid: strictly increasing indices, ends fixed, even when sigmas crowd one grid cell.
    const auto idx = snap_to_grid(Schedule({80.0, 79.0, 78.0, 0.0021, 0.002}), klub.grid());
    CHECK(idx.front() == 0);
    CHECK(idx.back() == 15);
    for (std::size_t k = 1; k < idx.size(); ++k) CHECK(idx[k] > idx[k - 1]);
}

TEST_CASE("league: GITS with every grid step is the grid / OSS's objective is its schedule's teacher distance / LD3 "
          "does not end above its start") {
    const auto data = DiagonalGaussian::isotropic(2, 0.0, 0.5);
    ScheduleProblem p;
    p.data = &data;
    p.denoiser = &data;
    p.gaussian = &data;
    p.grid = 8;
    const Teacher t = make_teacher(p, 32, 200, 1);
    CHECK(t.states.size() == 8);
    const auto euler = make_solver("euler"), dpm = make_solver("dpmpp-2m");
    p.steps = 7;
    const auto gits = optimise_gits(p, t, *euler);
    for (std::size_t k = 0; k < 8; ++k) CHECK(gits.schedule[k] == t.grid[k]);
    p.steps = 4;
    for (const Solver* s : {euler.get(), dpm.get()}) {
        const auto oss = optimise_oss(p, t, *s);
        CHECK(oss.schedule.steps() == 4);
        CHECK(teacher_distance(p, t, *s, oss.schedule) == doctest::Approx(oss.objective).epsilon(1e-12));
        const Schedule start = karras(4, p.sigma_min, p.sigma_max);
        const auto ld3 = optimise_ld3(p, t, *s, start, 5);
        CHECK(ld3.objective <= teacher_distance(p, t, *s, start));
        CHECK(teacher_distance(p, t, *s, ld3.schedule) == doctest::Approx(ld3.objective).epsilon(1e-12));
        // With LD3's slack the starts move only where a particle's distance falls, so the surrogate of
        // the returned schedule is at most its plain distance — strictly below once any start moved,
        // which it does unless the schedule already meets the teacher (DPM++(2M) here: 2e-12, where
        // no start has anything to gain and the two are equal).
        const auto soft = optimise_ld3(p, t, *s, start, 5, 0.05);
        // (Where no start moved the two are the same mean squared distance between trajectories of size
        // ~1 computed in two orders: rounding of ~1e-16 per coordinate gives ~1e-21 here, measured
        // 6e-23. 1e-18 absolute covers it; a surrogate that added its slack would be ~0.05 too high.)
        const double plain = teacher_distance(p, t, *s, soft.schedule);
        CHECK(soft.objective <= plain + 1e-18);
        if (plain > 1e-9) CHECK(soft.objective < plain);
        CHECK(soft.objective <= teacher_distance(p, t, *s, start));
    }
}

TEST_CASE("league: Watson's per-step ELBO term against Monte Carlo of the Gaussian KL (1-D, seed 5, 4 SE)") {
    // Data N(0, c^2): x_t = x0 + t eps; q(x_s | x_t, x0) = N(r x_t + (1 - r) x0, s^2 (1 - r)), r = s^2/t^2;
    // the model replaces x0 by the exact D(x_t) = c^2 x_t / (c^2 + t^2). Per draw, the KL of two
    // Gaussians with equal variance is (mean difference)^2 / (2 v).
    const double c = 0.7, t = 1.3, s = 0.4, r = s * s / (t * t), v = s * s * (1 - r);
    const std::size_t n = 200000;
    std::vector<double> z(2 * n);
    fill_normal({5, 9, 0, 0}, z);
    Moments m;
    for (std::size_t i = 0; i < n; ++i) {
        const double x0 = c * z[2 * i], xt = x0 + t * z[2 * i + 1], den = c * c * xt / (c * c + t * t);
        const double diff = (1 - r) * (x0 - den);
        m.add(diff * diff / (2 * v));
    }
    const double exact = ancestral_step_elbo(t, s, c * c * t * t / (c * c + t * t));
    CHECK(std::abs(m.mean() - exact) < 4 * m.se_mean());
    // The denoising error: closed form (Gaussian problem) against the Monte Carlo route (same data,
    // no closed form), 4 SE of 4096 draws.
    const auto data = DiagonalGaussian::isotropic(2, 0.0, c);
    ScheduleProblem p;
    p.data = &data;
    p.denoiser = &data;
    p.klub_samples = 4096;
    const std::vector<double> grid = {5.0, 1.0, 0.1};
    const auto mc = denoising_errors(p, grid, 11);
    p.gaussian = &data;
    const auto closed = denoising_errors(p, grid, 11);
    for (std::size_t g = 0; g < grid.size(); ++g) {
        // |x0 - D|^2 is a sum of 2 scaled chi-square(1): relative SD sqrt(2 / 2) / sqrt(4096).
        CHECK(std::abs(mc[g] - closed[g]) < 4 * closed[g] / std::sqrt(4096.0));
    }
    // Watson's DP is the global optimum of its own objective over the grid (brute force).
    p.grid = 12;
    p.steps = 4;
    const auto w = optimise_watson(p, 0);
    const auto g12 = log_grid(p.sigma_min, p.sigma_max, 12);
    const auto err = denoising_errors(p, g12, 0);
    const double best = brute_force(12, 4, [&](std::size_t i, std::size_t j) { return ancestral_step_elbo(g12[i], g12[j], err[i]); });
    CHECK(w.objective == doctest::Approx(best).epsilon(1e-13));
}

TEST_CASE("league: the path KLUB's interval costs are the Gaussian closed form (8 seeds x 1000 paths, 4 SE + 0.7%)") {
    // Catches a wrong joint law of (x_s, x_hi) (increments not sqrt(s_g^2 - s_g+1^2)), a wrong weight
    // (s^-2 for s^-3, a factor 2), a panel or grid index off by one, and paths reused across seeds.
    // Tolerance: 4 SE of the mean over 8 independent seeds, plus the product rule's own error, which is
    // below 0.7% on every interval of this grid (computed from the closed-form integrand).
    DiagonalGaussian data({0.3, -0.2}, {0.4, 1.0});
    ScheduleProblem p;
    p.data = &data;
    p.denoiser = &data;
    p.grid = 48;
    p.threads = 2;
    const std::size_t seeds = 8, paths = 1000;
    std::vector<PathKlub> tables;
    for (std::uint64_t s = 0; s < seeds; ++s) tables.emplace_back(p, paths, 100 + s);
    const auto& grid = tables[0].grid();
    REQUIRE(grid.size() == 48);
    CHECK(grid.front() == doctest::Approx(80.0).epsilon(1e-15));
    CHECK(grid.back() == doctest::Approx(0.002).epsilon(1e-15));
    CHECK(tables[0].evaluations() == paths * (PathKlub::panels * 47 + 1));
    std::size_t checked = 0;
    for (std::size_t i = 0; i < 48; ++i)
        for (std::size_t j = i + 1; j < 48; ++j) {
            const double exact = klub_interval_gaussian(data.variance(), grid[j], grid[i]);
            if (exact < 1e-3) continue;  // (relative noise of tiny costs)
            Moments m(exact);
            for (const auto& t : tables) m.add(t(i, j));
            CAPTURE(i);
            CAPTURE(j);
            CHECK(std::abs(m.mean() - exact) <= 4.0 * m.se_mean() + 0.007 * exact);
            ++checked;
        }
    CHECK(checked > 500);
}

TEST_CASE("league: the path-KLUB DP finds the closed-form DP's optimum within 3%, from 10x fewer rows than the grid table") {
    // Interval costs within ~1.5% (quadrature and 2000 paths) move any path's total by as much, so the
    // chosen schedule's true KLUB is within ~3% of the grid optimum; a DP on wrong costs is far off.
    const auto data = DiagonalGaussian::isotropic(3, 0.0, 0.5);
    ScheduleProblem p;
    p.data = &data;
    p.denoiser = &data;
    p.grid = 48;
    p.steps = 8;
    p.klub_samples = 2000;
    p.seed = 4;
    const Schedule start = karras(8, 0.002, 80.0);
    const auto path_dp = find_schedule_optimiser("ays-path").make({&p, &start, nullptr, {}, {}, {}});
    p.gaussian = &data;
    GridKlub closed(p, 0);
    const auto optimum = optimise_ays_dp(p, closed);
    double mine = 0.0;
    for (double v : klub_schedule_gaussian(path_dp.schedule, data.variance())) mine += v;
    CHECK(mine >= optimum.objective * (1 - 1e-12));
    CHECK(mine <= optimum.objective * 1.03);
    // Its cost against the Monte Carlo grid table's (2 x samples per interval, 48 x 47 / 2 intervals):
    // samples x 189 sigmas against samples x 2256, about grid / 4 times fewer.
    CHECK(path_dp.evaluations == 2000 * 189);
    CHECK(path_dp.evaluations * 10 < 2 * p.klub_samples * 48 * 47 / 2);
}

namespace {
// Forwards every call to a denoiser and counts the rows it was asked for (a model's counter).
struct CountingDenoiser final : Denoiser {
    const Denoiser& inner;
    mutable std::atomic<std::size_t> rows{0};
    explicit CountingDenoiser(const Denoiser& d) : inner(d) {}
    std::size_t dim() const override { return inner.dim(); }
    DenoiserTraits traits() const override { return {.classes = inner.classes()}; }
    void evaluate(const Batch& b, std::span<double> out) const override {
        rows += b.n;
        inner.evaluate(b, out);
    }
};

// GITS's cost matrix the plain way: one solver step per grid pair from the teacher, each paying all its
// calls.
std::vector<double> gits_costs_one_by_one(const ScheduleProblem& p, const Teacher& t, const Solver& solver) {
    const std::size_t g = t.grid.size();
    std::vector<double> cost(g * g, 0.0);
    for (std::size_t i = 0; i + 1 < g; ++i)
        for (std::size_t j = i + 1; j < g; ++j) {
            auto x = t.states[i];
            sample(*p.denoiser, solver, Schedule({t.grid[i], t.grid[j]}), x, t.n, {p.seed, 1, 64, nullptr, t.labels});
            double s = 0.0;
            for (std::size_t k = 0; k < x.size(); ++k) s += (x[k] - t.states[j][k]) * (x[k] - t.states[j][k]);
            cost[i * g + j] = s / static_cast<double>(t.n);
        }
    return cost;
}
}  // namespace

TEST_CASE("league: GITS's cost matrix with each grid point's first call shared equals one step per pair, bit for "
          "bit (Gaussian, and ring8's classes guided at w = 3): Euler pays g - 1 calls, Heun one more per pair") {
    const auto gauss = DiagonalGaussian({0.3, -1.0, 0.0}, {0.5, 1.5, 0.2});
    const auto ring = make_dataset("ring8", {});
    const GuidedDenoiser guided(ring.data->denoiser(), {3.0});
    struct Case {
        const Data* data;
        const Denoiser* denoiser;
        bool labelled;
    };
    for (const Case c : {Case{&gauss, &gauss, false}, Case{ring.data.get(), &guided, true}}) {
        const CountingDenoiser counting(*c.denoiser);
        ScheduleProblem p;
        p.data = c.data;
        p.denoiser = &counting;
        p.grid = 9;
        p.labelled = c.labelled;
        p.threads = 2;
        const Teacher t = make_teacher(p, 70, 120, 2);  // 70 particles: two chunks of 64 and 6
        CHECK(t.labels.size() == (c.labelled ? 70u : 0u));
        const std::size_t g = t.grid.size(), n = t.n, pairs = g * (g - 1) / 2;
        for (const std::string name : {"euler", "heun", "dpmpp-2m"}) {
            CAPTURE(name);
            CAPTURE(c.labelled);
            const auto solver = make_solver(name);
            const std::size_t before = counting.rows.load();
            std::size_t rows = 0;
            const auto shared = gits_costs(p, t, *solver, &rows);
            CHECK(counting.rows.load() - before == rows);
            // Euler and DPM++(2M)'s first step: the shared call alone; Heun: its second call per pair
            // (the corrector at sigma_j > 0).
            CHECK(rows == (g - 1) * n + (name == "heun" ? pairs * n : 0));
            const auto plain = gits_costs_one_by_one(p, t, *solver);
            for (std::size_t k = 0; k < g * g; ++k) CHECK(shared[k] == plain[k]);
        }
    }
}

TEST_CASE("league: a labelled problem's teacher runs each particle at its own class: guided (w = 3) on ring8, every "
          "particle ends at its class's component (seed 4)") {
    const auto ring = make_dataset("ring8", {});
    const GuidedDenoiser guided(ring.data->denoiser(), {3.0});
    ScheduleProblem p;
    p.data = ring.data.get();
    p.denoiser = &guided;
    p.grid = 8;
    p.labelled = true;
    const Teacher t = make_teacher(p, 64, 200, 4);
    REQUIRE(t.labels.size() == 64);
    std::vector<std::vector<double>> means(8);
    for (Label y = 0; y < 8; ++y) {
        std::vector<double> cov;
        REQUIRE(ring.data->given(y).moments(means[y], cov));
    }
    std::size_t own = 0;
    std::vector<std::size_t> per_class(8, 0);
    for (std::size_t i = 0; i < t.n; ++i) {
        const double* x = t.states.back().data() + i * 2;
        Label nearest = 0;
        double best = 1e300;
        for (Label y = 0; y < 8; ++y) {
            const double e = (x[0] - means[y][0]) * (x[0] - means[y][0]) + (x[1] - means[y][1]) * (x[1] - means[y][1]);
            if (e < best) {
                best = e;
                nearest = y;
            }
        }
        own += nearest == t.labels[i] ? 1 : 0;
        ++per_class[static_cast<std::size_t>(t.labels[i])];
    }
    // Unlabelled, a particle's component is independent of its drawn label: about 1 in 8 would match.
    CHECK(own == t.n);
    for (const auto k : per_class) CHECK(k > 0);  // the labels are drawn, not one class for all
}
