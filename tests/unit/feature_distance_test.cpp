// FID and KID on feature matrices (divergence/feature_distance.hpp): against references computed
// outside the project, and against closed forms.
#include "ayslab/divergence/feature_distance.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/random_address.hpp"
#include "ayslab/rng.hpp"

using namespace ayslab;

namespace {
// Two fixed, non-Gaussian feature sets with exact binary values (the same in C++ and numpy):
// A(i, k) = ((7i + 13k) mod 17) / 17 - 0.5 + ((i k) mod 5) 0.1,
// B(i, k) = ((11i + 5k + 3) mod 19) / 19 - 0.4 + ((i + k) mod 3) 0.15 + [k = 2] (i mod 4) 0.05.
std::vector<double> set_a(std::size_t n, std::size_t d) {
    std::vector<double> x(n * d);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < d; ++k)
            x[i * d + k] = static_cast<double>((i * 7 + k * 13) % 17) / 17.0 - 0.5 + static_cast<double>((i * k) % 5) * 0.1;
    return x;
}
std::vector<double> set_b(std::size_t n, std::size_t d) {
    std::vector<double> x(n * d);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < d; ++k)
            x[i * d + k] = static_cast<double>((i * 11 + k * 5 + 3) % 19) / 19.0 - 0.4 +
                           static_cast<double>((i + k) % 3) * 0.15 + (k == 2 ? static_cast<double>(i % 4) * 0.05 : 0.0);
    return x;
}
}  // namespace

TEST_CASE("FID of fixed feature matrices equals scipy's sqrtm form to 1e-8 relative") {
    // Reference: numpy 1.24.2 / scipy 1.10.1, outside the project (2026-12-07): means, np.cov(rowvar=False),
    // scipy.linalg.sqrtm(S1 @ S2) (pytorch-fid's and clean-fid's calculate_frechet_distance) on A(50 x 8)
    // and B(60 x 8): 0.2571627965031906. S1 S2 is not symmetric here (the two covariances do not
    // commute), so a square root of S1 S2 taken as if symmetric, or a biased covariance (divisor N), fails.
    const auto a = set_a(50, 8), b = set_b(60, 8);
    const double fid = frechet_distance(feature_gaussian(a, 50, 8), feature_gaussian(b, 60, 8));
    CHECK(fid == doctest::Approx(0.2571627965031906).epsilon(1e-8));
    // Symmetric, and zero on the same set (up to the eigen-solver's rounding).
    CHECK(frechet_distance(feature_gaussian(b, 60, 8), feature_gaussian(a, 50, 8)) == doctest::Approx(fid).epsilon(1e-10));
    CHECK(std::abs(frechet_distance(feature_gaussian(a, 50, 8), feature_gaussian(a, 50, 8))) < 1e-12);
}

TEST_CASE("FID of samples of two Gaussians converges to the closed form") {
    // d = 3, N(mu1, diag(1, 4, 0.25)) against N(mu2, R diag(2, 1, 0.5) R^T) with R a rotation in the
    // (0, 1) plane by 30 degrees: the covariances do not commute. Closed form, computed outside the
    // project with numpy's eigh (2026-12-07): 1.1282202670030195. The commuting pair (no rotation) is
    // |mu1 - mu2|^2 + sum (sqrt a - sqrt b)^2 by hand; a Frechet distance that took the covariances as
    // commuting would give 1.3445 for the rotated pair.
    const std::size_t d = 3, n = 40000;
    const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
    auto exact = [&](std::vector<double> mean, std::vector<double> cov) {
        FeatureGaussian g;
        g.d = d;
        g.n = 0;
        g.mean = std::move(mean);
        g.covariance = std::move(cov);
        return g;
    };
    const std::vector<double> mu1 = {0.0, 1.0, -0.5}, mu2 = {0.3, 0.8, -0.5};
    const std::vector<double> s1 = {1, 0, 0, 0, 4, 0, 0, 0, 0.25};
    // R diag(2, 1, 0.5) R^T
    const std::vector<double> s2 = {2 * c * c + s * s, (2 - 1) * c * s, 0, (2 - 1) * c * s, 2 * s * s + c * c, 0, 0, 0, 0.5};
    const double commuting = 0.09 + 0.04 + std::pow(1 - std::sqrt(2.0), 2) + std::pow(2 - 1, 2) + std::pow(0.5 - std::sqrt(0.5), 2);
    CHECK(frechet_distance(exact(mu1, s1), exact(mu2, {2, 0, 0, 0, 1, 0, 0, 0, 0.5})) ==
          doctest::Approx(commuting).epsilon(1e-12));
    const double truth = 1.1282202670030195;
    CHECK(frechet_distance(exact(mu1, s1), exact(mu2, s2)) == doctest::Approx(truth).epsilon(1e-12));
    // Samples: x = mu + L z with L the Cholesky-free square roots (diagonal; rotated diagonal).
    const std::vector<double> l1 = {1, 0, 0, 0, 2, 0, 0, 0, 0.5};
    const std::vector<double> l2 = {c * std::sqrt(2.0), -s, 0, s * std::sqrt(2.0), c, 0, 0, 0, std::sqrt(0.5)};
    auto draw = [&](const std::vector<double>& mu, const std::vector<double>& l, std::uint64_t seed) {
        std::vector<double> z(n * d), x(n * d);
        fill_normal({seed, static_cast<std::uint64_t>(Stream::user) + 7, 0, 0}, z);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t r = 0; r < d; ++r) {
                double v = mu[r];
                for (std::size_t k = 0; k < d; ++k) v += l[r * d + k] * z[i * d + k];
                x[i * d + r] = v;
            }
        return x;
    };
    // Over 8 seeds (seeds 1..16, N = 40000 per set): the mean estimate is within 3 standard errors of the
    // truth (measured: 1.1202 +- 0.0076); the estimator's bias, O(d / N) ~ 1e-4, is far below that SE.
    // The commuting mistake (1.3445) is 28 SE away.
    double sum = 0.0, sum2 = 0.0;
    constexpr int seeds = 8;
    for (int k = 0; k < seeds; ++k) {
        const auto x = draw(mu1, l1, 1 + 2 * k), y = draw(mu2, l2, 2 + 2 * k);
        const double f = frechet_distance(feature_gaussian(x, n, d), feature_gaussian(y, n, d));
        sum += f;
        sum2 += f * f;
    }
    const double mean = sum / seeds, se = std::sqrt((sum2 / seeds - mean * mean) / (seeds - 1));
    MESSAGE("FID truth " << truth << ", estimate " << mean << " +- " << se);
    CHECK(std::abs(mean - truth) < 3 * se);
    CHECK(se < 0.01);
}

TEST_CASE("KID equals torch-fidelity's unbiased MMD^2 with the cubic kernel, and is near 0 for one law") {
    // Reference: numpy, torch-fidelity's mmd2(mmd_est="unbiased") and polynomial_kernel(degree 3, gamma
    // 1/d, coef0 1) on A(40 x 8) and B(40 x 8), whole sets: 0.04792415083522217. With subsets of all 40
    // rows every subset is a permutation of the sets, and MMD^2_u is permutation-invariant: each subset's
    // value equals the reference (a biased estimate, or the diagonal kept in K_XY's sum, fails).
    const auto a = set_a(40, 8), b = set_b(40, 8);
    KernelDistanceOptions o;
    o.subsets = 5;
    o.subset_size = 1000;
    o.threads = 2;
    const KernelDistance k = kernel_distance(a, 40, b, 40, 8, o);
    CHECK(k.subset_size == 40);
    for (double v : k.values) CHECK(v == doctest::Approx(0.04792415083522217).epsilon(1e-12));
    // Two samples of one Gaussian law: KID's expectation is 0 (MMD^2_u is unbiased); the subset mean is
    // within 3 SE of 0 (seed 3, 4000 rows each, 50 subsets of 500).
    const std::size_t n = 4000, d = 4;
    std::vector<double> x(n * d), y(n * d);
    fill_normal({3, static_cast<std::uint64_t>(Stream::user) + 8, 0, 0}, x);
    fill_normal({3, static_cast<std::uint64_t>(Stream::user) + 8, 1, 0}, y);
    o.subsets = 50;
    o.subset_size = 500;
    o.seed = 3;
    const KernelDistance same = kernel_distance(x, n, y, n, d, o);
    MESSAGE("KID of one law: " << same.mean << " +- " << same.se);
    CHECK(std::abs(same.mean) < 3 * same.se);
    // ... and a shifted law (mean + 0.3 in one coordinate) is far from 0.
    for (std::size_t i = 0; i < n; ++i) y[i * d] += 0.3;
    const KernelDistance shifted = kernel_distance(x, n, y, n, d, o);
    CHECK(shifted.mean > 10 * shifted.se);
    // The same seed gives the same subsets at any thread count.
    o.threads = 1;
    CHECK(kernel_distance(x, n, y, n, d, o).values == shifted.values);
}

TEST_CASE("FID and KID refuse what they cannot judge, in one line") {
    const auto a = set_a(8, 8), b = set_b(60, 8);
    CHECK_THROWS_WITH_AS(feature_gaussian(a, 8, 8),
                         "FID is not defined on 8 feature rows of dimension 8: their covariance is singular (it needs "
                         "more rows than dimensions)",
                         InputError);
    const auto c = set_a(50, 4);
    CHECK_THROWS_AS(frechet_distance(feature_gaussian(b, 60, 8), feature_gaussian(c, 50, 4)), InputError);
    CHECK_THROWS_AS(kernel_distance(b, 60, c, 50, 8), InputError);
}
