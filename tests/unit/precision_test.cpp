// The float32 path: the denoisers in single precision agree with float64 to what float's 24-bit
// mantissa allows, the baseline, AVX2 and AVX-512 mixture kernels give the same bits, and float32 sampling is
// as deterministic as float64 (same bits for any thread count).
#include "ayslab/precision.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "../../lib/src/kernels/mixture_kernel.hpp"
#include "ayslab/data/datasets.hpp"
#include "ayslab/data/empirical.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/solver/sampler.hpp"
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
TEST_CASE("float32 mixture denoisers agree with float64 (small-d kernel, fused pass and GEMM path)") {
    DatasetOptions o;
    auto ring = make_dataset("ring8", o);
    auto& ring_mix = dynamic_cast<GaussianMixture&>(*ring.data);
    std::vector<double> v = normals(12, 2, 0.3);
    for (double& x : v) x = 0.05 + x * x;
    GaussianMixture diagonal({1, 2, 3, 4}, normals(12, 1, 1.0), v, 3);
    GaussianMixture iso64(std::vector<double>(64, 1.0), normals(64 * 64, 4, 1.0),
                          std::vector<double>(64, 0.1), 64);  // the fused pass
    GaussianMixture iso640(std::vector<double>(64, 1.0), normals(64 * 640, 4, 0.3),
                           std::vector<double>(64, 0.1), 640);  // two GEMMs (means over 256 KiB)
    for (double sigma : {0.002, 0.05, 0.5, 5.0, 80.0}) {
        CAPTURE(sigma);
        CHECK(worst_relative(ring_mix, sigma, 700) < 1e-4);
        CHECK(worst_relative(diagonal, sigma, 700) < 1e-4);
        CHECK(worst_relative(iso64, sigma, 300) < 1e-4);
        CHECK(worst_relative(iso640, sigma, 40) < 1e-4);
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

TEST_CASE("the baseline, AVX2 and AVX-512 small-d mixture kernels give the same bits") {
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
    if (!detail::have_avx512()) return;
    detail::avx512::mixture_rows(t32, x.data(), n, b.data());
    CHECK(a == b);
    detail::baseline::mixture_rows(t64, x.data(), n, a.data());
    detail::avx512::mixture_rows(t64, x.data(), n, b.data());
    CHECK(a == b);
}

namespace {
// The fused kernel's tables for K components in d (padded as GaussianMixture pads them), random
// means and per-sigma values, and n rows of x: out from one copy of the kernel.
template <class T>
struct FusedCase {
    std::size_t k, d, kp, dp;
    std::vector<T> mu_t, mu, log_norm, inv2t, shrink, norms;
    detail::FusedTables<T> tables() const {
        return {k, d, kp, dp, mu_t.data(), mu.data(), log_norm.data(), inv2t.data(), shrink.data(), norms.data()};
    }
};
template <class T>
FusedCase<T> fused_case(std::size_t k, std::size_t d) {
    constexpr std::size_t w = detail::fused_lanes<T>;
    FusedCase<T> f{k, d, (k + w - 1) / w * w, (d + w - 1) / w * w, {}, {}, {}, {}, {}, {}};
    const auto m = normals(k * d, 11, 1.0), h = normals(k, 12, 1.0);
    f.mu_t.assign(d * f.kp, T(0));
    f.mu.assign(k * f.dp, T(0));
    f.log_norm.assign(f.kp, -std::numeric_limits<T>::infinity());
    f.inv2t.assign(f.kp, T(0));
    f.shrink.assign(f.kp, T(0));
    f.norms.assign(f.kp, T(0));
    for (std::size_t c = 0; c < k; ++c) {
        double norm = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
            f.mu_t[j * f.kp + c] = f.mu[c * f.dp + j] = static_cast<T>(m[c * d + j]);
            norm += m[c * d + j] * m[c * d + j];
        }
        f.norms[c] = static_cast<T>(norm);
        f.log_norm[c] = static_cast<T>(-0.2 * double(c));
        f.inv2t[c] = static_cast<T>(0.1 + h[c] * h[c]);
        f.shrink[c] = static_cast<T>(0.3 + 0.05 * double(c % 9));
    }
    return f;
}
}  // namespace

// The fused isotropic kernel (mixture_fused.inl) in every copy this CPU runs, in both precisions, on
// shapes that pad K and d (13 x 11), fill whole vectors (64 x 64), and leave row remainders in the
// register tiles and the 64-row blocks (n = 203). A copy that reassociated a sum, contracted an FMA or
// let padding reach a result would differ from the baseline copy.
TEST_CASE("the fused mixture kernel gives the same bits in its baseline, AVX2 and AVX-512 copies") {
    for (const auto& [k, d] : {std::pair<std::size_t, std::size_t>{13, 11}, {64, 64}}) {
        const std::size_t n = 203;
        const std::size_t kk = k, dd = d;
        CAPTURE(kk);
        CAPTURE(dd);
        const auto x = normals(n * d, 13, 1.5);
        // Each copy this CPU runs against the baseline copy, in one precision.
        auto same_bits = [&](const auto& f) {  // (dd, not the binding d: clang 14 cannot capture bindings)
            std::vector<double> a(n * dd), b(n * dd);
            detail::baseline::mixture_fused(f.tables(), x.data(), n, a.data());
            for (double v : a) REQUIRE(std::isfinite(v));
            if (detail::have_avx2()) {
                detail::avx2::mixture_fused(f.tables(), x.data(), n, b.data());
                CHECK(a == b);
            }
            if (detail::have_avx512()) {
                detail::avx512::mixture_fused(f.tables(), x.data(), n, b.data());
                CHECK(a == b);
            }
        };
        same_bits(fused_case<double>(k, d));
        same_bits(fused_case<float>(k, d));
    }
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
