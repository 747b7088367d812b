// Sample metrics against closed forms: sliced W2 of shifted / scaled Gaussian samples, NLL of a
// Gaussian sample (entropy), published-schedule interpolation.
#include "ayslab/metrics.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/error.hpp"
#include "ayslab/published.hpp"
#include "ayslab/rng.hpp"

using namespace ayslab;

TEST_CASE("sliced W2: zero for identical sets; a shift by v gives |v| times E|<u, e>| in rms") {
    const std::size_t n = 20000, d = 2;
    std::vector<double> a(n * d), b(n * d);
    fill_normal_flat(3, 50, 0, 0, a);
    CHECK(sliced_wasserstein2(a, n, a, n, d, 64, 1) == 0.0);
    for (std::size_t i = 0; i < n * d; ++i) b[i] = a[i] + (i % 2 == 0 ? 1.0 : 0.0);
    // Shift (1, 0): projected W2^2 = cos^2(theta); its mean over directions in 2-D is 1/2.
    CHECK(sliced_wasserstein2(a, n, b, n, d, 2000, 2) == doctest::Approx(std::sqrt(0.5)).epsilon(0.03));
}

TEST_CASE("NLL of Gaussian samples is the entropy (seed 9, 4 SE)") {
    const auto g = DiagonalGaussian::isotropic(3, 0.0, 0.5);
    const std::size_t n = 100000;
    std::vector<double> x(n * 3);
    g.sample(n, 9, 0, x);
    const auto m = negative_log_likelihood(g, x, n, 0.0);
    const double entropy = 1.5 * std::log(2 * std::numbers::pi * std::exp(1.0) * 0.25);
    CHECK(std::abs(m.mean() - entropy) < 4 * m.se_mean());
}

TEST_CASE("published AYS: SD 1.5 sigmas from timesteps, log-linear interpolation, 1 and 2 steps") {
    const auto sd = published_ays_sigmas(PublishedAys::sd15);
    CHECK(sd.front() == doctest::Approx(14.6146).epsilon(1e-5));
    // NVIDIA's published SD 1.5 sigma list, 3 decimals.
    const double published[] = {14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029};
    for (std::size_t i = 0; i < 11; ++i)
        CHECK(std::abs(sd[i] - published[i]) < 3e-3 * std::max(1.0, published[i]));
    // Interpolating to the same count is the identity; log sigma is linear between knots.
    const auto same = loglinear_interpolate(sd, 11);
    for (std::size_t i = 0; i < 11; ++i) CHECK(same[i] == doctest::Approx(sd[i]).epsilon(1e-14));
    const auto twenty_one = loglinear_interpolate(sd, 21);
    CHECK(twenty_one[1] == doctest::Approx(std::sqrt(sd[0] * sd[1])).epsilon(1e-13));
    const auto one = published_ays_schedule(PublishedAys::svd, 1);
    CHECK(one.size() == 2);
    CHECK(one[0] == 700.0);
    CHECK(one[1] == 0.0);
    const auto two = published_ays_schedule(PublishedAys::sdxl, 2);
    CHECK(two.size() == 3);
    CHECK(two[2] == 0.0);
    CHECK(published_ays_schedule(PublishedAys::sd15, 10)[10] == 0.0);
}

TEST_CASE("median: odd and even counts, unsorted input; a far outlier moves the mean, not the median") {
    CHECK(median({3.0, 1.0, 2.0}) == 2.0);
    CHECK(median({4.0, 1.0, 3.0, 2.0}) == 2.5);
    CHECK(median({1.0, 2.0, 3.0, 3e4}) == 2.5);
    CHECK(moments_of(std::vector<double>{1.0, 2.0, 3.0, 3e4}).mean() == doctest::Approx(7501.5));
    CHECK_THROWS_AS(median({}), InputError);
}
