// MATH.md §5: KLUB closed form vs quadrature vs the same integral in each process's time; Monte Carlo
// within 3 SE of the closed form on every interval (seed 17); common random numbers.
#include "ayslab/divergence/klub.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/empirical.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/error.hpp"
#include "forwarding_denoiser.hpp"

using namespace ayslab;

TEST_CASE("KLUB closed form equals quadrature of the defining integral") {
    const std::vector<double> var = {0.25, 1.0, 4.0};
    for (const auto& range :
         std::vector<std::pair<double, double>>{{0.002, 0.01}, {0.5, 0.6}, {1.0, 80.0}, {10, 10.001}}) {  // no structured binding: clang 14 cannot capture one in CAPTURE's lambda
        const double lo = range.first, hi = range.second;
        CAPTURE(lo);
        CAPTURE(hi);
        CHECK(klub_interval_gaussian(var, lo, hi) ==
              doctest::Approx(klub_interval_gaussian_quadrature(var, lo, hi)).epsilon(1e-10));
    }
}

TEST_CASE("the KLUB of a sigma interval is the same in every process's own time") {
    const std::vector<double> var = {0.25};
    for (const std::string name : {"edm", "ve", "vp", "subvp"}) {
        CAPTURE(name);
        const auto p = make_process(name);
        for (const auto& range : std::vector<std::pair<double, double>>{{0.02, 0.05}, {0.3, 2.0}, {5.0, 40.0}}) {
            const double lo = range.first, hi = range.second;
            CAPTURE(lo);
            CHECK(klub_interval_gaussian_in_time(*p, var, lo, hi) ==
                  doctest::Approx(klub_interval_gaussian(var, lo, hi)).epsilon(1e-10));
        }
    }
}

TEST_CASE("Monte Carlo KLUB within 3 SE of the closed form on all 10 EDM rho=7 intervals (d = 1 and 64)") {
    for (std::size_t d : {1u, 64u}) {
        CAPTURE(d);
        std::vector<double> mean(d, 0.3), sd(d);
        for (std::size_t j = 0; j < d; ++j) sd[j] = 0.5 * std::pow(1.0 + static_cast<double>(j), -0.75);
        const DiagonalGaussian data(mean, sd);
        const auto sched = karras(10, 0.002, 80.0);
        const auto exact = klub_schedule_gaussian(sched, data.variance());
        std::vector<KlubEstimate> mc;
        klub_schedule_mc(data, data, sched, {4096, 17, 0.0, 2}, &mc);
        for (std::size_t k = 0; k < 10; ++k) {
            CAPTURE(k);
            CAPTURE(mc[k].value);
            CAPTURE(exact[k]);
            CHECK(std::abs(mc[k].value - exact[k]) < 3 * mc[k].standard_error);
        }
    }
}

TEST_CASE("the KLUB's proposal constant c changes the variance, not the value: within 3 SE of the closed form for c = 0.5 and 5 (seed 23)") {
    // The paper's c = 0.5 (klub_c) and a far-off c = 5 on data of standard deviation 0.1 per
    // coordinate: a weight that used the data's variance while sigma was drawn with c^2 (or c for c^2)
    // biases the estimate by far more than 3 SE on the low-sigma intervals.
    const auto data = DiagonalGaussian::isotropic(4, 0.0, 0.1);
    const auto sched = karras(10, 0.002, 80.0);
    const auto exact = klub_schedule_gaussian(sched, data.variance());
    for (const double c : {0.5, 5.0}) {
        CAPTURE(c);
        std::vector<KlubEstimate> mc;
        klub_schedule_mc(data, data, sched, {4096, 23, c * c, 2}, &mc);
        for (std::size_t k = 0; k < 10; ++k) {
            CAPTURE(k);
            CAPTURE(mc[k].value);
            CAPTURE(exact[k]);
            CHECK(std::abs(mc[k].value - exact[k]) < 3 * mc[k].standard_error);
        }
    }
}

TEST_CASE("common random numbers: the same slot and seed give the same estimate, another seed differs") {
    const auto data = DiagonalGaussian::isotropic(2, 0.0, 0.5);
    const auto a = klub_interval_mc(data, data, 0.1, 1.0, 3, {512, 5, 0.0, 1});
    const auto b = klub_interval_mc(data, data, 0.1, 1.0, 3, {512, 5, 0.0, 2});
    const auto c = klub_interval_mc(data, data, 0.1, 1.0, 3, {512, 6, 0.0, 1});
    CHECK(a.value == b.value);
    CHECK(a.value != c.value);
    CHECK_THROWS_AS(klub_interval_mc(data, data, 1.0, 0.1, 0, {}), InputError);
}

TEST_CASE("the KLUB measures the denoiser it is given, with x0 drawn from the data") {
    const auto data = DiagonalGaussian::isotropic(2, 0.0, 0.5);
    const auto wrong = DiagonalGaussian::isotropic(2, 0.0, 1.5);  // the exact denoiser of other data
    const KlubMonteCarlo mc{2048, 5, 0.0, 1};
    const auto exact = klub_interval_mc(data, data, 0.1, 1.0, 3, mc);
    // Through a plain denoiser: the same draws and calls, the same bits.
    CHECK(klub_interval_mc(data, test::ForwardingDenoiser(data), 0.1, 1.0, 3, mc).value == exact.value);
    // Another denoiser on the same draws: a different KLUB, by more than 5 (summed) standard errors.
    const auto other = klub_interval_mc(data, wrong, 0.1, 1.0, 3, mc);
    CAPTURE(exact.value);
    CAPTURE(other.value);
    CHECK(std::abs(other.value - exact.value) > 5 * (exact.standard_error + other.standard_error));
    // A denoiser of another dimension is refused.
    const auto three = DiagonalGaussian::isotropic(3, 0.0, 0.5);
    CHECK_THROWS_AS(klub_interval_mc(three, 0.1, 1.0, klub_draws(data, 0, mc), mc), InputError);
}

// The schedule-level estimator makes its draws chunk by chunk where they are used; klub_draws makes them
// all at once. Every draw is addressed by its sample index, so both give the same bits for any sample
// count (1000: not a multiple of the 32-sample chunk), thread count and data (a Gaussian, and a point set
// whose rows are drawn by index). Catches an offset slip in the chunked draws (a chunk's eps/z/x0 read from
// another chunk's addresses).
TEST_CASE("KLUB: draws made per chunk equal klub_draws' (any threads, a partial last chunk, a point set)") {
    const auto gaussian = DiagonalGaussian::isotropic(3, 0.2, 0.5);
    std::vector<double> rows;
    for (int i = 0; i < 50; ++i) rows.insert(rows.end(), {std::sin(i * 1.0), std::cos(i * 2.0), 0.1 * i});
    const EmpiricalData points(rows, 3);
    for (const Data* data : {static_cast<const Data*>(&gaussian), static_cast<const Data*>(&points)})
        for (std::size_t threads : {1, 3})
            for (std::uint64_t slot : {0, 7}) {
                const KlubMonteCarlo mc{1000, 11, 0.0, threads};
                const auto whole = klub_interval_mc(data->denoiser(), 0.05, 2.0, klub_draws(*data, slot, mc), mc);
                const auto chunked = klub_interval_mc(*data, data->denoiser(), 0.05, 2.0, slot, mc);
                CAPTURE(threads);
                CAPTURE(slot);
                CHECK(whole.value == chunked.value);
                CHECK(whole.standard_error == chunked.standard_error);
            }
}

// A model pays per call: the estimators hand a denoiser with batch_rows() whole blocks of draws at once.
// The moments are still merged per 32-sample chunk in order, so the estimate's bits are the chunked
// ones. Catches a block whose rows are read from the wrong offset, a tail block that overruns, moments
// merged in another order (bits would move), and a block size that ignores batch_rows (call count).
namespace {
struct Batching final : Denoiser {
    const Denoiser& inner;
    std::size_t rows;
    mutable std::atomic<std::size_t> calls{0}, largest{0};
    Batching(const Denoiser& d, std::size_t r) : inner(d), rows(r) {}
    std::size_t dim() const override { return inner.dim(); }
    DenoiserTraits traits() const override { return {.batch_rows = rows}; }
    void evaluate(const Batch& b, std::span<double> out) const override {
        note(b.n);
        inner.evaluate(b, out);
    }
    void note(std::size_t n) const {
        ++calls;
        for (std::size_t seen = largest; n > seen && !largest.compare_exchange_weak(seen, n);) {
        }
    }
};
}  // namespace

TEST_CASE("KLUB: a denoiser that wants large batches gets whole blocks, with the chunked estimate's bits") {
    const auto gaussian = DiagonalGaussian::isotropic(3, 0.2, 0.5);
    for (std::size_t threads : {1, 3})
        for (std::size_t batch : {0, 64, 200, 4096}) {
            const KlubMonteCarlo mc{1000, 11, 0.0, threads};  // 1000 = 31 full chunks of 32 and a tail of 8
            const auto chunked = klub_interval_mc(gaussian, gaussian.denoiser(), 0.05, 2.0, 4, mc);
            const Batching model(gaussian.denoiser(), batch);
            const auto blocked = klub_interval_mc(gaussian, model, 0.05, 2.0, 4, mc);
            CAPTURE(threads);
            CAPTURE(batch);
            CHECK(blocked.value == chunked.value);
            CHECK(blocked.standard_error == chunked.standard_error);
            // Rows per block: batch rounded down to whole chunks (at least one), at most all 1000.
            const std::size_t block = std::min<std::size_t>(1000, std::max<std::size_t>(32, batch / 32 * 32));
            CHECK(model.largest == block);
            CHECK(model.calls == 2 * ((1000 + block - 1) / block));
        }
}

// The KLUB over (x_0, y) pairs (KlubMonteCarlo::labelled) of the ring of 8 with its exact class-
// conditional denoiser: given y, the data is one isotropic Gaussian component (std 0.1) and D(x; sigma, y)
// is that Gaussian's own denoiser, so E_y[KLUB_y] is the single Gaussian's closed form whatever the
// class weights (every component has the same covariance). Seed 29, 8192 samples, within 3 SE on every
// EDM rho=7 interval. Catches labels drawn but not passed (the unconditional ring's KLUB: tens of SE
// higher on the middle intervals, checked below), labels passed to one term only, or labels that do not
// belong to their x_0 rows (a wrong component's denoiser: far off).
TEST_CASE("KLUB over (x0, y) pairs: the ring of 8 with its class-conditional denoiser is the one-component closed form (seed 29)") {
    const auto ring = make_dataset("ring8", DatasetOptions{});
    const Data& data = *ring.data;
    REQUIRE(data.classes() == 8);
    const std::vector<double> component = {0.01, 0.01};
    const auto sched = karras(10, 0.002, 80.0);
    const auto exact = klub_schedule_gaussian(sched, component);
    KlubMonteCarlo mc{8192, 29, 0.0, 2, true};
    std::vector<KlubEstimate> labelled, plain;
    klub_schedule_mc(data, data.denoiser(), sched, mc, &labelled);
    mc.labelled = false;
    klub_schedule_mc(data, data.denoiser(), sched, mc, &plain);
    std::size_t apart = 0;
    for (std::size_t k = 0; k < 10; ++k) {
        CAPTURE(k);
        CAPTURE(labelled[k].value);
        CAPTURE(exact[k]);
        CAPTURE(plain[k].value);
        CHECK(std::abs(labelled[k].value - exact[k]) < 3 * labelled[k].standard_error);
        if (std::abs(plain[k].value - exact[k]) > 10 * (plain[k].standard_error + labelled[k].standard_error)) ++apart;
    }
    CHECK(apart >= 3);  // the unconditional denoiser on the same x_0: measurably another KLUB
    // The draws made whole (klub_draws, with labels) and per chunk give the same bits, and the labels
    // are the x_0 rows' components (nearest ring point: the components are 20 stds apart).
    mc.labelled = true;
    const auto draws = klub_draws(data, 4, mc);
    REQUIRE(draws.labels.size() == mc.samples);
    for (std::size_t i = 0; i < mc.samples; ++i) {
        const double angle = std::atan2(draws.x0[2 * i + 1], draws.x0[2 * i]);
        const long nearest = std::lround(angle / (std::acos(-1.0) / 4.0));
        CHECK((nearest + 8) % 8 == draws.labels[i]);
        if ((nearest + 8) % 8 != draws.labels[i]) break;
    }
    const auto whole = klub_interval_mc(data.denoiser(), 0.05, 2.0, draws, mc);
    const auto chunked = klub_interval_mc(data, data.denoiser(), 0.05, 2.0, 4, mc);
    CHECK(whole.value == chunked.value);
    // Unlabelled data, or a denoiser without the data's classes, is refused.
    const auto gaussian = DiagonalGaussian::isotropic(2, 0.0, 0.5);
    CHECK_THROWS_AS(klub_interval_mc(gaussian, gaussian, 0.1, 1.0, 0, mc), InputError);
    CHECK_THROWS_AS(klub_interval_mc(data, gaussian, 0.1, 1.0, 0, mc), InputError);
}
