// MATH.md §2: exact denoisers against Tweedie with the score from finite differences of the exact
// log-density (an independent route), special cases, and extreme sigmas.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <span>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/empirical.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/denoisers/denoiser.hpp"
#include "ayslab/error.hpp"
#include "ayslab/stats.hpp"

using namespace ayslab;

namespace {
// max over coordinates of |D - (x + sigma^2 grad log p)| relative to 1 + |D|.
double tweedie_error(const Data& data, std::vector<double> x, double sigma) {
    const std::size_t d = data.dim();
    std::vector<double> den(d);
    data.denoiser().denoise(x, 1, sigma, den);
    double worst = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
        const double h = 1e-5, x0 = x[j];
        x[j] = x0 + h;
        const double up = data.log_density(x, sigma);
        x[j] = x0 - h;
        const double down = data.log_density(x, sigma);
        x[j] = x0;
        const double score = (up - down) / (2 * h);
        worst = std::max(worst, std::abs(den[j] - (x0 + sigma * sigma * score)) / (1 + std::abs(den[j])));
    }
    return worst;
}

GaussianMixture two_d_mixture() {
    return GaussianMixture({0.2, 0.5, 0.3}, {-2, 0, 1, 1, 3, -1}, {0.1, 0.4, 0.2, 0.3, 0.05, 0.6}, 2);
}
}  // namespace

TEST_CASE("Gaussian denoiser: closed form and Tweedie") {
    const DiagonalGaussian g({1.0, -2.0, 0.0}, {0.5, 2.0, 1.0});
    std::vector<double> x = {0.3, 1.0, -4.0}, out(3);
    g.denoise(x, 1, 1.5, out);
    CHECK(out[0] == doctest::Approx(1.0 + 0.25 / (0.25 + 2.25) * (0.3 - 1.0)));
    CHECK(out[1] == doctest::Approx(-2.0 + 4.0 / (4.0 + 2.25) * 3.0));
    for (double sigma : {0.01, 0.3, 1.0, 10.0}) CHECK(tweedie_error(g, x, sigma) < 1e-7);
    // log p_sigma of independent coordinates.
    double expected = 0.0;
    const double var[3] = {0.25 + 2.25, 4.0 + 2.25, 1.0 + 2.25}, mu[3] = {1.0, -2.0, 0.0};
    for (int j = 0; j < 3; ++j)
        expected += -0.5 * std::log(2 * std::numbers::pi * var[j]) - 0.5 * std::pow(x[j] - mu[j], 2) / var[j];
    CHECK(g.log_density(x, 1.5) == doctest::Approx(expected));
    CHECK(g.data_variance() == doctest::Approx((0.25 + 4.0 + 1.0) / 3));
}

TEST_CASE("mixture denoiser: Tweedie in 2-D at several sigmas and points") {
    const auto m = two_d_mixture();
    for (double sigma : {0.05, 0.3, 1.0, 5.0})
        for (const auto& x : std::vector<std::vector<double>>{{0, 0}, {-2, 1}, {1.5, -0.7}, {3, 3}}) {
            CAPTURE(sigma);
            CHECK(tweedie_error(m, x, sigma) < 1e-6);
        }
}

TEST_CASE("a one-component mixture is the Gaussian") {
    const GaussianMixture m({2.0}, {1.0, -1.0}, {0.3, 0.7}, 2);
    const DiagonalGaussian g({1.0, -1.0}, {std::sqrt(0.3), std::sqrt(0.7)});
    std::vector<double> x = {0.2, 0.4, -3.0, 2.0}, a(4), b(4);
    m.denoise(x, 2, 0.8, a);
    g.denoise(x, 2, 0.8, b);
    for (int k = 0; k < 4; ++k) CHECK(a[k] == doctest::Approx(b[k]).epsilon(1e-14));
    CHECK(m.log_density({x.data(), 2}, 0.8) == doctest::Approx(g.log_density({x.data(), 2}, 0.8)));
}

TEST_CASE("mixture log-density equals the direct sum of weighted Gaussians") {
    const auto m = two_d_mixture();
    const std::vector<double> x = {0.4, -0.3};
    const double w[3] = {0.2, 0.5, 0.3}, mu[3][2] = {{-2, 0}, {1, 1}, {3, -1}},
                 v[3][2] = {{0.1, 0.4}, {0.2, 0.3}, {0.05, 0.6}};
    const double sigma = 0.7;
    double p = 0.0;
    for (int c = 0; c < 3; ++c) {
        double q = w[c];
        for (int j = 0; j < 2; ++j) {
            const double tot = v[c][j] + sigma * sigma;
            q *= std::exp(-0.5 * std::pow(x[j] - mu[c][j], 2) / tot) / std::sqrt(2 * std::numbers::pi * tot);
        }
        p += q;
    }
    CHECK(m.log_density(x, sigma) == doctest::Approx(std::log(p)).epsilon(1e-13));
}

TEST_CASE("extreme sigma and far points stay finite (log-sum-exp)") {
    const auto m = two_d_mixture();
    std::vector<double> x = {1e3, -1e3}, out(2);
    for (double sigma : {1e-6, 1e4}) {
        m.denoise(x, 1, sigma, out);
        CHECK(std::isfinite(out[0]));
        CHECK(std::isfinite(out[1]));
        CHECK(std::isfinite(m.log_density(x, sigma)));
    }
    // At tiny sigma a point on a component mean is denoised to (almost) itself.
    std::vector<double> on = {1.0, 1.0};
    m.denoise(on, 1, 1e-6, out);
    CHECK(out[0] == doctest::Approx(1.0).epsilon(1e-9));
}

TEST_CASE("mixture samples have the data variance (seed 5, 2 x 10^5 draws, 4 SE)") {
    const auto m = two_d_mixture();
    const std::size_t n = 200000;
    std::vector<double> x(n * 2);
    m.sample(n, 5, 0, x);
    Moments first(0.0);
    for (std::size_t i = 0; i < n; ++i) first.add(x[2 * i]);
    // Coordinate 0: sum w (v + mu^2) - (sum w mu)^2.
    const double mean = 0.2 * -2 + 0.5 * 1 + 0.3 * 3;
    const double var = 0.2 * (0.1 + 4) + 0.5 * (0.2 + 1) + 0.3 * (0.05 + 9) - mean * mean;
    CHECK(std::abs(first.mean() - mean) < 4 * first.se_mean());
    CHECK(std::abs(first.variance() - var) < 4 * first.se_variance());
}

TEST_CASE("shape errors are input errors") {
    const DiagonalGaussian g({0.0, 0.0}, {1.0, 1.0});
    std::vector<double> x(3), out(3);
    CHECK_THROWS_AS(g.denoise(x, 1, 1.0, out), InputError);
    CHECK_THROWS_AS(DiagonalGaussian({0.0}, {0.0}), InputError);
    CHECK_THROWS_AS(GaussianMixture({1.0}, {0.0, 0.0}, {1.0, 1.0, 1.0}, 2), InputError);
    CHECK_THROWS_AS(GaussianMixture({-1.0}, {0.0}, {1.0}, 1), InputError);
}

namespace {
// Coordinate j of the exact denoiser from one point's log responsibilities (MATH §2), written out
// per component: D_j = sum_k r_k (mu_kj + v_k / (v_k + sigma^2) (x_j - mu_kj)), isotropic v_k.
double per_component_denoised(const std::vector<double>& means, const std::vector<double>& v,
                              const std::vector<double>& log_r, std::span<const double> x, double sigma,
                              std::size_t j) {
    const std::size_t d = x.size();
    double expected = 0.0;
    for (std::size_t c = 0; c < v.size(); ++c) {
        const double s = v[c] / (v[c] + sigma * sigma);
        expected += std::exp(log_r[c]) * (means[c * d + j] + s * (x[j] - means[c * d + j]));
    }
    return expected;
}
}  // namespace

TEST_CASE("isotropic mixtures in d >= 8 (the two-GEMM path) equal the per-component formula and Tweedie") {
    const std::size_t d = 16, k = 10;
    std::vector<double> means(k * d), w(k), v(k);
    for (std::size_t i = 0; i < means.size(); ++i) means[i] = std::sin(1.7 * static_cast<double>(i)) * 2.0;
    for (std::size_t c = 0; c < k; ++c) {
        w[c] = 1.0 + static_cast<double>(c);
        v[c] = 0.05 * (1.0 + static_cast<double>(c));
    }
    const GaussianMixture m(w, means, v, d);
    std::vector<double> x(d), out(d), log_r(k);
    for (std::size_t j = 0; j < d; ++j) x[j] = std::cos(0.9 * static_cast<double>(j));
    for (double sigma : {0.01, 0.5, 3.0}) {
        CAPTURE(sigma);
        m.denoise(x, 1, sigma, out);
        m.log_responsibilities(x, sigma, log_r);
        for (std::size_t j = 0; j < d; ++j) {
            const double expected = per_component_denoised(means, v, log_r, x, sigma, j);
            CHECK(out[j] == doctest::Approx(expected).epsilon(1e-10).scale(1e-10));
        }
        CHECK(tweedie_error(m, x, sigma) < 1e-6);
    }
}

// Batches through both isotropic paths: the fused kernel (means up to 256 KiB: K = 13, d = 11 pads to
// 16 x 16 and leaves row remainders in every tile; K = d = 64 is the benchmark's shape) and two GEMMs
// (d = 600, K = 64: 300 KiB). Reference: the per-point log-sum-exp (log_responsibilities) and
// D = sum_k r_k (mu_k + s_k (x - mu_k)), in float64 with no shared code. 1e-10 relative: logits here
// reach ~1e3, so rounding moves weights by ~1e-13; a lost padding mask, a wrong tile remainder or a
// swapped row would be O(1) off.
TEST_CASE("isotropic mixtures on batches: the fused pass and the GEMM path equal the per-point formula") {
    struct Shape {
        std::size_t d, k, n;
    };
    for (const Shape shape : {Shape{11, 13, 150}, Shape{64, 64, 70}, Shape{600, 64, 9}}) {
        const std::size_t d = shape.d, k = shape.k, n = shape.n;
        CAPTURE(d);
        CAPTURE(k);
        std::vector<double> means(k * d), w(k), v(k), x(n * d), out(n * d), log_r(k);
        for (std::size_t i = 0; i < means.size(); ++i) means[i] = std::sin(1.7 * static_cast<double>(i)) * 2.0;
        for (std::size_t c = 0; c < k; ++c) {
            w[c] = 1.0 + static_cast<double>(c % 5);
            v[c] = 0.05 * (1.0 + static_cast<double>(c % 7));
        }
        const GaussianMixture m(w, means, v, d);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = 1.5 * std::cos(0.37 * static_cast<double>(i));
        for (double sigma : {0.05, 0.7, 4.0}) {
            CAPTURE(sigma);
            m.denoise(x, n, sigma, out);
            double worst = 0.0;
            for (std::size_t i = 0; i < n; ++i) {
                const std::span<const double> xi(x.data() + i * d, d);
                m.log_responsibilities(xi, sigma, log_r);
                for (std::size_t j = 0; j < d; ++j) {
                    const double expected = per_component_denoised(means, v, log_r, xi, sigma, j);
                    worst = std::max(worst, std::abs(out[i * d + j] - expected) / (1.0 + std::abs(expected)));
                }
            }
            CHECK(worst < 1e-10);
        }
    }
}

TEST_CASE("every data set in the table has an exact denoiser: Tweedie against its own log-density") {
    DatasetOptions o;
    o.points = 300;
    o.held_out = 10;
    o.subset = 50;  // Fashion-MNIST: 50 images keep the test fast
    for (const auto& entry : dataset_registry()) {
        if (entry.name == "file" || entry.name == "mixture-file") continue;  // need a file: tests of their own
        CAPTURE(entry.name);
        const auto ds = make_dataset(entry.name, o);
        CHECK(ds.name == entry.name);
        CHECK(ds.held_out.n == o.held_out);
        CHECK(ds.held_out.d == ds.data->dim());
        std::vector<double> x(ds.data->dim());
        ds.data->sample(1, 7, 0, x);  // a data point, then moved off it
        for (double& v : x) v += 0.3;
        for (double sigma : {0.3, 1.0, 3.0}) {
            CAPTURE(sigma);
            CHECK(tweedie_error(*ds.data, x, sigma) < 1e-5);
        }
    }
}

TEST_CASE("Tweedie helpers: score and eps from D match the Gaussian's closed-form score") {
    // For N(mu, c^2) at noise sigma: grad log p_sigma(x) = -(x - mu)/(c^2 + sigma^2) and
    // eps_hat = -sigma * score. A sign or a missing sigma^2 in the helpers is off by O(1).
    const double mu = 0.4, c = 0.7;
    const DiagonalGaussian g({mu}, {c});
    for (double sigma : {0.05, 0.8, 6.0})
        for (double x : {-1.3, 0.2, 2.5}) {
            std::vector<double> d(1);
            g.denoise(std::vector<double>{x}, 1, sigma, d);
            const double score = -(x - mu) / (c * c + sigma * sigma);
            CHECK(score_from_denoised(x, d[0], sigma) == doctest::Approx(score).epsilon(1e-12));
            CHECK(eps_from_denoised(x, d[0], sigma) == doctest::Approx(-sigma * score).epsilon(1e-12));
        }
}

TEST_CASE("mixture moments: the ring of 8 has mean 0 and covariance (0.01 + 2) I / an anisotropic 2-component "
          "mixture against its sampled moments (seed 2, 4 SE)") {
    std::vector<double> mean, cov;
    const Dataset ring = make_dataset("ring8", {});
    REQUIRE(ring.data->moments(mean, cov));  // through the Data interface
    CHECK(std::abs(mean[0]) < 1e-15);
    CHECK(std::abs(mean[1]) < 1e-15);
    CHECK(cov[0] == doctest::Approx(2.01).epsilon(1e-14));
    CHECK(cov[3] == doctest::Approx(2.01).epsilon(1e-14));
    CHECK(std::abs(cov[1]) < 1e-14);
    const GaussianMixture mix({0.3, 0.7}, {1.0, 2.0, -1.0, 0.5}, {0.04, 0.25, 0.09, 0.01}, 2);
    mix.moments(mean, cov);
    const std::size_t n = 200000;
    std::vector<double> x(2 * n);
    mix.sample(n, 2, 0, x);
    Moments m0, m1, c01;
    for (std::size_t i = 0; i < n; ++i) {
        m0.add(x[2 * i]);
        m1.add(x[2 * i + 1]);
        c01.add((x[2 * i] - mean[0]) * (x[2 * i + 1] - mean[1]));
    }
    CHECK(std::abs(m0.mean() - mean[0]) < 4 * m0.se_mean());
    CHECK(std::abs(m1.variance() - cov[3]) < 4 * m1.se_variance());
    CHECK(std::abs(c01.mean() - cov[1]) < 4 * c01.se_mean());
    CHECK(cov[1] == doctest::Approx(0.3 * 0.7 * 2.0 * 1.5));  // w1 w2 (mu1 - mu2)_0 (mu1 - mu2)_1
}

namespace {
std::filesystem::path write_mixture(const std::string& name, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() / ("ayslab-mixture-" + name + ".json");
    std::ofstream(path) << text;
    return path;
}
}  // namespace

TEST_CASE("mixture-file: the built-in mixture written as JSON is the same distribution / bad files name the field") {
    // The `mixture` data set's parameters (datasets.cpp), written out as a user would.
    const auto path = write_mixture("builtin", R"({"weights": [0.5, 0.3, 0.2],
        "means": [[-1.5, 0.0], [1.0, 1.2], [1.0, -1.0]],
        "variances": [[0.04, 0.25], [0.09, 0.01], [0.16, 0.04]]})");
    DatasetOptions o;
    o.file = path;
    o.held_out = 5;
    const auto from_file = make_dataset("mixture-file", o);
    const auto builtin = make_dataset("mixture", o);
    CHECK(from_file.data->dim() == 2);
    CHECK(from_file.held_out.values == builtin.held_out.values);  // same draws from the same law
    std::vector<double> x = {0.3, -0.7, 1.5, 2.0}, a(4), b(4);
    for (double sigma : {0.05, 0.7, 4.0}) {
        from_file.data->denoiser().denoise(x, 2, sigma, a);
        builtin.data->denoiser().denoise(x, 2, sigma, b);
        CHECK(a == b);
    }
    // Isotropic variances (one number per component) in d = 3: the same as the constructor's.
    const auto iso = write_mixture("iso", R"({"weights": [1, 3], "means": [[0, 1, 2], [1, -1, 0.5]], "variances": [0.2, 1.5]})");
    const auto mix = load_mixture(iso);
    const GaussianMixture direct({1, 3}, {0, 1, 2, 1, -1, 0.5}, {0.2, 1.5}, 3);
    std::vector<double> y = {0.1, 0.2, 0.3}, c(3), d(3);
    mix->denoise(y, 1, 0.8, c);
    direct.denoise(y, 1, 0.8, d);
    CHECK(c == d);
    CHECK(mix->log_density(y, 0.8) == direct.log_density(y, 0.8));
    const std::pair<const char*, const char*> bad[] = {
        {R"({"weights": [1], "means": [[0, 1]], "variances": [[1]]})", "variances[0] must be a list of 2 values"},
        {R"({"weights": [1, 2], "means": [[0, 1]], "variances": [1, 1]})", "2 weights, 1 means, 2 variances"},
        {R"({"weights": [-1], "means": [[0]], "variances": [1]})", "weights[0] = -1 is not a positive finite number"},
        {R"({"weights": [1], "means": [[0]], "variances": [0]})", "variances[0] = 0 is not a positive finite number"},
        {R"({"weights": [1, 1], "means": [[0], [0, 1]], "variances": [1, 1]})", "means[1] has 2 values, means[0] 1"},
        {R"({"weights": [1], "means": [["a"]], "variances": [1]})", "means[0][0] is not a number"},
        {R"({"weights": [1], "means": [[0]], "variances": [1], "covariances": []})", "unknown field 'covariances'"},
        {R"({"weights": [1], "means": [[0]]})", "'variances' must be a non-empty list"},
        {R"([1, 2])", "a mixture is an object"},
        {R"({"weights": [1)", "not valid JSON"},
    };
    for (const auto& entry : bad) {
        const char* const text = entry.first;  // not a structured binding: clang 14 cannot capture one
        const char* const message = entry.second;
        CAPTURE(text);
        CHECK_THROWS_WITH_AS(load_mixture(write_mixture("bad", text)), doctest::Contains(message), InputError);
    }
    o.file = "";
    CHECK_THROWS_WITH_AS(make_dataset("mixture-file", o), doctest::Contains("needs file=MIXTURE.json"), InputError);
}

TEST_CASE("closed-form moments through Data: a diagonal Gaussian's own / a point set has none") {
    const DiagonalGaussian g({0.5, -1.0}, {0.2, 3.0});
    std::vector<double> mean, cov;
    REQUIRE(static_cast<const Data&>(g).moments(mean, cov));
    CHECK(mean == std::vector<double>{0.5, -1.0});
    REQUIRE(cov.size() == 4);
    CHECK(cov[0] == doctest::Approx(0.04).epsilon(1e-15));
    CHECK(cov[1] == 0.0);
    CHECK(cov[2] == 0.0);
    CHECK(cov[3] == 9.0);
    const EmpiricalData points({0.0, 0.0, 1.0, 1.0}, 2);
    CHECK_FALSE(static_cast<const Data&>(points).moments(mean, cov));
}

TEST_CASE("a point set's nearest rows are the points at its nearest distances") {
    // Rows between the points, one exactly on a point, one far away: the returned row is the point
    // whose squared distance nearest_squared_distance reports (the GEMM form, within 1e-12).
    const EmpiricalData points({0.0, 0.0, 3.0, 0.0, 0.0, 4.0}, 2);
    const std::vector<double> x{1.0, 0.1, 3.0, 0.0, -0.2, 3.0, 100.0, 100.0};
    std::vector<double> rows(8), d2(4);
    REQUIRE(points.nearest_points()->nearest_rows(x, 4, rows));
    points.nearest_squared_distance(x, 4, d2);
    CHECK(rows == std::vector<double>{0.0, 0.0, 3.0, 0.0, 0.0, 4.0, 0.0, 4.0});
    for (std::size_t i = 0; i < 4; ++i) {
        const double e0 = x[2 * i] - rows[2 * i], e1 = x[2 * i + 1] - rows[2 * i + 1];
        CHECK(e0 * e0 + e1 * e1 == doctest::Approx(d2[i]).epsilon(1e-12));
    }
}
