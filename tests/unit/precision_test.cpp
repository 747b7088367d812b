// The float32 path: the denoisers in single precision agree with float64 to what float's 24-bit
// mantissa allows, the AVX2 and baseline mixture kernels give the same bits, and float32 sampling is
// as deterministic as float64 (same bits for any thread count).
#include "ayslab/precision.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../../lib/src/data/mixture_kernel.hpp"
#include "ayslab/data/datasets.hpp"
#include "ayslab/data/empirical.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/sampler.hpp"
#include "ayslab/solver/registry.hpp"

using namespace ayslab;

namespace {
std::vector<double> normals(std::size_t n, std::uint64_t seed, double scale) {
    std::vector<double> v(n);
    fill_normal_flat(seed, 99, 0, 0, v);
    for (double& x : v) x *= scale;
    return v;
}

// max_i |D32 - D64| / (1 + |D64|_inf) over a batch drawn from p_sigma.
template <class Data>
double worst_relative(Data& data, double sigma, std::size_t n) {
    const std::size_t d = data.dim();
    std::vector<double> x(n * d), a(n * d), b(n * d);
    sample_marginal(data, sigma, x, n, 3, 1);
    data.set_precision(Precision::float64);
    data.denoise(x, n, sigma, a);
    data.set_precision(Precision::float32);
    data.denoise(x, n, sigma, b);
    data.set_precision(Precision::float64);
    double worst = 0.0, scale = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) scale = std::max(scale, std::abs(a[i]));
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
    return worst / (1.0 + scale);
}
}  // namespace

TEST_CASE("precision names parse, anything else is an input error") {
    CHECK(parse_precision("float64") == Precision::float64);
    CHECK(parse_precision("float32") == Precision::float32);
    CHECK(precision_name(Precision::float32) == "float32");
    CHECK_THROWS_AS(parse_precision("float16"), InputError);
}

// Tolerance: float rounds at 6e-8 relative; a logit of size L = |x - mu|^2 / 2t carries an absolute
// error ~ L eps into the weights, and at the smallest sigma here L reaches ~1e2 for the ring, so
// weights and D are good to ~1e-5 of the data scale. 1e-4 leaves a margin of 10 over that.
TEST_CASE("float32 mixture denoisers agree with float64 (small-d kernel and the GEMM path)") {
    DatasetOptions o;
    auto ring = make_dataset("ring8", o);
    auto& ring_mix = dynamic_cast<GaussianMixture&>(*ring.data);
    std::vector<double> v = normals(12, 2, 0.3);
    for (double& x : v) x = 0.05 + x * x;
    GaussianMixture diagonal({1, 2, 3, 4}, normals(12, 1, 1.0), v, 3);
    GaussianMixture iso64(std::vector<double>(64, 1.0), normals(64 * 64, 4, 1.0),
                          std::vector<double>(64, 0.1), 64);
    for (double sigma : {0.002, 0.05, 0.5, 5.0, 80.0}) {
        CAPTURE(sigma);
        CHECK(worst_relative(ring_mix, sigma, 700) < 1e-4);
        CHECK(worst_relative(diagonal, sigma, 700) < 1e-4);
        CHECK(worst_relative(iso64, sigma, 300) < 1e-4);
    }
}

TEST_CASE("float32 ideal denoiser agrees with float64 (direct distances and the GEMM path)") {
    EmpiricalData small(normals(3000 * 2, 5, 1.0), 2);
    EmpiricalData wide(normals(3000 * 64, 6, 1.0), 64);
    for (double sigma : {0.05, 0.5, 5.0, 80.0}) {
        CAPTURE(sigma);
        CHECK(worst_relative(small, sigma, 300) < 1e-4);
        CHECK(worst_relative(wide, sigma, 200) < 1e-4);
    }
}

TEST_CASE("the AVX2 and baseline mixture kernels give the same bits") {
    if (!detail::have_avx2()) return;  // nothing to compare on this CPU
    const std::size_t k = 5, d = 3, n = 301;
    detail::MixtureTables<double> t64;
    detail::MixtureTables<float> t32;
    const auto mu = normals(k * d, 7, 1.0), h = normals(k * d, 8, 1.0), s = normals(k * d, 9, 0.3);
    t64.k = t32.k = k;
    t64.d = t32.d = d;
    for (std::size_t c = 0; c < k; ++c) {
        t64.log_norm.push_back(-0.3 * double(c));
        t32.log_norm.push_back(static_cast<float>(-0.3 * double(c)));
    }
    for (std::size_t i = 0; i < k * d; ++i) {
        t64.mu.push_back(mu[i]);
        t64.half_inv.push_back(0.5 + h[i] * h[i]);
        t64.shrink.push_back(0.5 + s[i]);
        t64.keep.push_back(0.1 * mu[i]);
    }
    t32.mu.assign(t64.mu.begin(), t64.mu.end());
    t32.half_inv.assign(t64.half_inv.begin(), t64.half_inv.end());
    t32.shrink.assign(t64.shrink.begin(), t64.shrink.end());
    t32.keep.assign(t64.keep.begin(), t64.keep.end());
    const auto x = normals(n * d, 10, 2.0);
    std::vector<double> a(n * d), b(n * d);
    detail::baseline::mixture_rows(t64, x.data(), n, a.data());
    detail::avx2::mixture_rows(t64, x.data(), n, b.data());
    CHECK(a == b);
    detail::baseline::mixture_rows(t32, x.data(), n, a.data());
    detail::avx2::mixture_rows(t32, x.data(), n, b.data());
    CHECK(a == b);
}

TEST_CASE("float32 sampling: same bits for any thread count, close to float64") {
    DatasetOptions o;
    o.precision = Precision::float32;
    const auto ring32 = make_dataset("ring8", o);
    const auto ring64 = make_dataset("ring8", {});
    const std::size_t n = 2000;
    auto run = [&](const Data& data, std::size_t threads) {
        std::vector<double> x(n * 2);
        sample_marginal(data, 80.0, x, n, 4, threads);
        sample(data.denoiser(), *make_solver("heun"), karras(20, 0.002, 80.0), x, n, {4, threads, 128});
        return x;
    };
    const auto a = run(*ring32.data, 1), b = run(*ring32.data, 2), c = run(*ring64.data, 2);
    CHECK(a == b);
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - c[i]));
    MESSAGE("largest float32 - float64 particle difference after 20 Heun steps: ", worst);
    CHECK(worst < 1e-3);  // data scale 2: float32 denoiser errors ~1e-6 per step, 40 evaluations
}
