// The pre-flight's measurement and ranking (ayslab/evaluation/preflight.hpp): the paired comparison of two readings
// against a literal two-pass computation, and the ranking of readings of an exact denoiser.
#include "ayslab/evaluation/preflight.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <stdexcept>

#include "ayslab/cancel.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/error.hpp"

using namespace ayslab;

namespace {
PreflightBand band(std::vector<double> per_draw, double identity, double mean, bool reached = true) {
    PreflightBand b;
    b.per_draw = std::move(per_draw);
    b.identity = identity;
    b.mean = mean;
    b.reached = reached;
    return b;
}

// A reading of a denoiser with sigma read `factor` times too large (a misread time input), and readings
// whose every call throws.
struct Misread final : Denoiser {
    const Denoiser& exact;
    double factor;
    explicit Misread(const Denoiser& d, double f) : exact(d), factor(f) {}
    std::size_t dim() const override { return exact.dim(); }
    void evaluate(const Batch& b, std::span<double> out) const override {
        evaluate_at_each_sigma(*this, b, out, dim(), [this](std::span<const double> x, std::size_t n, double s,
                                                            std::span<double> o) { exact.denoise(x, n, factor * s, o); });
    }
};
template <class T>
struct Throwing final : Denoiser {
    std::size_t dim() const override { return 2; }
    void evaluate(const Batch&, std::span<double>) const override { throw T("no"); }
};
struct ThrowingCancelled final : Denoiser {
    std::size_t dim() const override { return 2; }
    void evaluate(const Batch&, std::span<double>) const override { throw Cancelled(); }
};
}  // namespace

// Faults caught: the SE over n instead of n - 1 (off by sqrt(6/5) here), each band divided by the other
// reading's trivial error or not divided at all, a band one of the readings does not reach counted.
TEST_CASE("compare_readings: mean and SE of the per-draw excess, each band over its best trivial error") {
    PreflightReport a, b;
    a.bands = {band({2.0, 4.0, 3.0}, 2.0, 10.0), band({30.0, 10.0, 20.0}, 50.0, 10.0), band({1.0, 1.0, 1.0}, 1.0, 1.0)};
    b.bands = {band({1.0, 1.0, 2.0}, 2.0, 10.0), band({10.0, 10.0, 10.0}, 50.0, 10.0), band({}, 1.0, 1.0, false)};
    const auto c = compare_readings(a, b);
    // Literal: band 0 over min(2, 10) = 2, band 1 over min(50, 10) = 10; band 2 not reached by b.
    const std::vector<double> diffs = {0.5, 1.5, 0.5, 2.0, 0.0, 1.0};
    const std::vector<double> base = {0.5, 0.5, 1.0, 1.0, 1.0, 1.0};
    double mean = 0.0, ss = 0.0, bm = 0.0;
    for (std::size_t i = 0; i < 6; ++i) mean += diffs[i] / 6.0, bm += base[i] / 6.0;
    for (const double v : diffs) ss += (v - mean) * (v - mean);
    CHECK(c.bands == 2);
    CHECK(c.excess == doctest::Approx(mean).epsilon(1e-14));
    CHECK(c.se == doctest::Approx(std::sqrt(ss / 5.0 / 6.0)).epsilon(1e-14));
    CHECK(c.relative == doctest::Approx(mean / bm).epsilon(1e-14));
    // Antisymmetric in the excess (the trivial errors are the same draws'); identical readings differ by 0.
    CHECK(compare_readings(b, a).excess == doctest::Approx(-mean).epsilon(1e-14));
    CHECK(compare_readings(a, a).excess == 0.0);
    CHECK(compare_readings(a, a).se == 0.0);
}

// The exact denoiser of a Gaussian is the minimum-error one: no reading of it beats it, and a sigma read
// 3x too large is measurably worse on the same draws (a ranking on unpaired or too few draws, or a
// score with the wrong sign, puts it first). A reading whose model fails for its own reasons is skipped,
// a NaN-breaking one (NumericalError) ranks last, and a Ctrl-C (Cancelled) stops the ranking.
TEST_CASE("rank_candidates: the exact reading first, a misread sigma beaten beyond noise, failures placed") {
    const DiagonalGaussian g({0.5, -0.3}, {0.4, 1.0});
    const Denoiser& exact = g.denoiser();
    const Misread misread(exact, 3.0), identity_like(exact, 1e-6);
    const Throwing<std::runtime_error> raising;
    const Throwing<NumericalError> breaking;
    PreflightOptions o;
    o.seed = 11;
    const std::vector<const Denoiser*> readings = {&misread, &raising, &exact, &breaking, &identity_like};
    const auto ranking = rank_candidates(
        g, readings.size(),
        [&](std::size_t k) {
            return Candidate{std::make_unique<Misread>(*readings[k], 1.0), 1e-3, 1e3};
        },
        o, {}, 0);
    REQUIRE(ranking.candidates.size() == 4);  // the raising one skipped
    CHECK(ranking.candidates.front().index == 2);
    CHECK(ranking.candidates.back().index == 3);
    CHECK(std::isinf(ranking.candidates.back().score));
    const RankedCandidate *best = &ranking.candidates.front(), *mis = nullptr;
    for (const auto& c : ranking.candidates)
        if (c.index == 0) mis = &c;
    REQUIRE(mis != nullptr);
    REQUIRE(mis->final);
    const auto c = compare_readings(mis->report, best->report);
    CHECK(c.excess > 3.0 * c.se);
    CHECK(c.relative > 0.05);
    CHECK(ranking.evaluations > 0);
    const ThrowingCancelled cancelled;
    CHECK_THROWS_AS(rank_candidates(
                        g, 1, [&](std::size_t) { return Candidate{std::make_unique<Misread>(cancelled, 1.0), 1e-3, 1e3}; },
                        o),
                    Cancelled);
}
