// Class-conditional data and denoisers (conditional.hpp, MATH.md §2): the exact conditional denoisers
// of the mixtures checked against the law of total expectation (an identity that ties them to the
// unconditional denoiser, written independently), labels routed row by row through batches and the
// sampler's chunks, and bad labels refused.
#include "ayslab/denoisers/conditional.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <cmath>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"

using namespace ayslab;

namespace {
std::vector<double> normal_rows(std::size_t n, std::size_t d, double scale, std::uint64_t seed) {
    std::vector<double> x(n * d);
    fill_normal({seed, 0, 0, 0}, x);
    for (double& v : x) v *= scale;
    return x;
}
}  // namespace

TEST_CASE("class-conditional mixture denoisers: sum_y p(y | x) D(x / sigma, y) = D(x / sigma), sum_y pi_y p(x | y) = p(x)") {
    // A grouping or weighting fault (a component in the wrong class, weights not renormalised, rows
    // scattered back to the wrong place) breaks one of the two identities.
    for (std::string name : {"ring8", "mixture", "moons"}) {
        CAPTURE(name);
        DatasetOptions small;
        small.points = 300;  // moons: the ideal denoiser over 300 rows, 2 classes (the moons)
        const auto ds = make_dataset(name, small);
        const Data& data = *ds.data;
        const Denoiser& den = data.denoiser();
        REQUIRE(data.classes() == den.classes());
        REQUIRE(data.classes() >= 2);
        const std::size_t d = data.dim(), n = 64, k = data.classes();
        for (double sigma : {0.05, 0.3, 1.0, 3.0}) {
            CAPTURE(sigma);
            const auto x = normal_rows(n, d, 2.0, 5);
            std::vector<double> uncond(n * d), cond(k * n * d), log_w(k * n);
            den.denoise(x, n, sigma, uncond);
            for (Label y = 0; y < static_cast<Label>(k); ++y) {
                const auto c = static_cast<std::size_t>(y);
                den.denoise_labelled(x, n, sigma, {&y, 1}, std::span(cond).subspan(c * n * d, n * d));
                for (std::size_t i = 0; i < n; ++i)
                    log_w[c * n + i] = std::log(data.class_weight(y)) +
                                       data.given(y).log_density(std::span(x).subspan(i * d, d), sigma);
            }
            for (std::size_t i = 0; i < n; ++i) {
                // p(y | x) by log-sum-exp over the classes (the weights underflow far from the data).
                double top = -1e300;
                for (std::size_t c = 0; c < k; ++c) top = std::max(top, log_w[c * n + i]);
                double z = 0.0;
                std::vector<double> mixed(d, 0.0);
                for (std::size_t c = 0; c < k; ++c) {
                    const double w = std::exp(log_w[c * n + i] - top);
                    z += w;
                    for (std::size_t j = 0; j < d; ++j) mixed[j] += w * cond[(c * n + i) * d + j];
                }
                CHECK(top + std::log(z) ==
                      doctest::Approx(data.log_density(std::span(x).subspan(i * d, d), sigma)).epsilon(1e-12));
                for (std::size_t j = 0; j < d; ++j)
                    CHECK(mixed[j] / z == doctest::Approx(uncond[i * d + j]).epsilon(1e-10));
            }
        }
    }
}

TEST_CASE("labels reach their rows: a mixed batch equals one call per row, the sampler's chunks equal per-class runs") {
    const auto ds = make_dataset("ring8", {});
    const Denoiser& den = ds.data->denoiser();
    const std::size_t d = 2, n = 300;
    auto x = normal_rows(n, d, 3.0, 9);
    std::vector<Label> labels(n);
    for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<Label>((i * 7 + i / 5) % 9) - 1;  // -1..7
    std::vector<double> batch(n * d), one(d);
    den.denoise_labelled(x, n, 0.4, labels, batch);
    for (std::size_t i = 0; i < n; ++i) {
        den.denoise_labelled(std::span(x).subspan(i * d, d), 1, 0.4, {&labels[i], 1}, one);
        CHECK(batch[i * d] == one[0]);
        CHECK(batch[i * d + 1] == one[1]);
    }
    // The sampler with per-row labels (chunks of 64, so chunk c's labels start at row 64 c) equals
    // running each class's rows alone.
    const auto heun = make_solver("heun");
    const Schedule schedule = karras(8, 0.01, 10.0, 7.0);
    auto together = x;
    sample(den, *heun, schedule, together, n, {0, 2, 64, nullptr, labels});
    for (Label y = null_label; y < 8; ++y) {
        std::vector<double> rows;
        std::vector<std::size_t> where;
        for (std::size_t i = 0; i < n; ++i)
            if (labels[i] == y) {
                where.push_back(i);
                rows.insert(rows.end(), x.begin() + i * d, x.begin() + (i + 1) * d);
            }
        const Conditioned view(den, y);
        sample(view, *heun, schedule, rows, where.size(), {0, 1, 512});
        for (std::size_t r = 0; r < where.size(); ++r) {
            CHECK(together[where[r] * d] == rows[r * d]);
            CHECK(together[where[r] * d + 1] == rows[r * d + 1]);
        }
    }
}

TEST_CASE("a class-bound view calls the class's own denoiser: the same bits as the labelled call, denoise_rows too") {
    for (std::string name : {"ring8", "moons"}) {
        CAPTURE(name);
        const auto ds = make_dataset(name, {});
        const Denoiser& den = ds.data->denoiser();
        const std::size_t n = 50;
        const auto x = normal_rows(n, 2, 2.0, 17);
        std::vector<double> a(2 * n), b(2 * n), sig(n);
        for (std::size_t i = 0; i < n; ++i) sig[i] = 0.05 + 0.1 * static_cast<double>(i);
        const Label y = 1;
        const Conditioned view(den, y);
        view.denoise(x, n, 0.3, a);
        den.denoise_labelled(x, n, 0.3, {&y, 1}, b);
        CHECK(a == b);
        view.denoise_rows(x, n, sig, a);
        for (std::size_t i = 0; i < n; ++i)
            den.denoise_labelled(std::span(x).subspan(2 * i, 2), 1, sig[i], {&y, 1}, std::span(b).subspan(2 * i, 2));
        for (std::size_t k = 0; k < 2 * n; ++k) CHECK(a[k] == doctest::Approx(b[k]).epsilon(1e-13));
    }
}

TEST_CASE("labels from a file follow their rows through the held-out split") {
    // Class k's rows sit at (10 k, 0): after a seeded split each kept row's class is read off its x.
    const auto dir = std::filesystem::temp_directory_path() / "ayslab-labels-test";
    std::filesystem::create_directories(dir);
    {
        std::ofstream points(dir / "points.csv"), labels(dir / "labels.csv");
        for (int i = 0; i < 60; ++i) {
            points << 10 * (i % 3) << "," << 0.01 * i << "\n";
            labels << i % 3 << "\n";
        }
    }
    DatasetOptions o;
    o.file = dir / "points.csv";
    o.labels_file = dir / "labels.csv";
    o.held_out_fraction = 0.25;
    const auto ds = make_dataset("file", o);
    REQUIRE(ds.data->classes() == 3);
    CHECK(ds.points == 45);
    std::size_t rows = 0;
    for (Label y = 0; y < 3; ++y) {
        const auto& given = ds.data->given(y);
        std::vector<double> draws(2 * 40);
        given.sample(40, 1, 0, draws);
        for (std::size_t i = 0; i < 40; ++i) CHECK(draws[2 * i] == 10.0 * y);
        rows += static_cast<std::size_t>(std::lround(ds.data->class_weight(y) * 45));
    }
    CHECK(rows == 45);
    // A labels file with another row count, or a fractional label, is refused.
    {
        std::ofstream bad(dir / "short.csv");
        bad << "0\n1\n";
    }
    o.labels_file = dir / "short.csv";
    CHECK_THROWS_AS(make_dataset("file", o), InputError);
    {
        std::ofstream bad(dir / "fraction.csv");
        for (int i = 0; i < 60; ++i) bad << (i == 7 ? "1.5" : "0") << "\n";
    }
    o.labels_file = dir / "fraction.csv";
    CHECK_THROWS_WITH_AS(make_dataset("file", o), doctest::Contains("row 7 has label 1.5"), InputError);
    std::filesystem::remove_all(dir);
}

TEST_CASE("labelled draws: the same x_0 rows as sample(), each labelled with its own component") {
    const auto ds = make_dataset("ring8", {});
    const Data& data = *ds.data;
    const std::size_t n = 500;
    std::vector<double> plain(2 * n), labelled(2 * n);
    std::vector<Label> labels(n);
    data.sample(n, 11, 100, plain);
    data.sample_labelled(n, 11, 100, labelled, labels);
    CHECK(plain == labelled);
    std::vector<std::size_t> count(8, 0);
    for (std::size_t i = 0; i < n; ++i) {
        // Component k sits at angle 2 pi k / 8 on the radius-2 circle with std 0.1: the nearest
        // centre is the component (a draw 0.76 away from it is a 5-sigma event).
        const double a = std::atan2(labelled[2 * i + 1], labelled[2 * i]);
        const int k = static_cast<int>(std::lround(a / (2 * 3.141592653589793 / 8) + 8)) % 8;
        CHECK(labels[i] == k);
        ++count[static_cast<std::size_t>(labels[i])];
    }
    for (std::size_t c : count) CHECK(c > 30);  // 62.5 expected each; all classes appear
}

TEST_CASE("bad labels are refused with the label named") {
    const auto ds = make_dataset("ring8", {});
    const Denoiser& den = ds.data->denoiser();
    std::vector<double> x(4), out(4);
    const Label eight = 8, minus = -2, zero = 0;
    CHECK_THROWS_AS(den.denoise_labelled(x, 2, 1.0, {&eight, 1}, out), InputError);
    CHECK_THROWS_AS(den.denoise_labelled(x, 2, 1.0, {&minus, 1}, out), InputError);
    CHECK_THROWS_AS(Conditioned(den, 8), InputError);
    const std::vector<Label> three{0, 1, 2};
    CHECK_THROWS_AS(den.denoise_labelled(x, 2, 1.0, three, out), InputError);
    const LabelledRows rows(den, std::span(three).first(1));
    CHECK_THROWS_AS(rows.denoise(x, 2, 1.0, out), InputError);  // 2 rows, 1 label
    // A denoiser without classes takes no label but the null one.
    const auto moons = make_dataset("gaussian", {});
    std::vector<double> y(moons.data->dim() * 2), o(y.size());
    CHECK_THROWS_AS(moons.data->denoiser().denoise_labelled(y, 2, 1.0, {&zero, 1}, o), InputError);
    CHECK_NOTHROW(moons.data->denoiser().denoise_labelled(y, 2, 1.0, {&null_label, 1}, o));
    CHECK_THROWS_AS(moons.data->given(0), InputError);
}
