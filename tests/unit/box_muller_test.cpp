// The Box-Muller normals (lib/src/kernels/box_muller.hpp): log and sin/cos(pi a) against long double, the
// pairs against Random123's own boxmuller (libm), and the same bits from every instruction-set copy.
#include "../../lib/src/kernels/box_muller.hpp"

#include <doctest/doctest.h>

#include <Random123/boxmuller.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "../../lib/src/kernels/normal_kernel.hpp"
#include "ayslab/rng.hpp"

using namespace ayslab;

namespace {
// |got - want| in units of the last place of want (as a double).
double ulps(long double got, long double want) {
    const double w = std::abs(static_cast<double>(want));
    const double ulp = w == 0.0 ? std::numeric_limits<double>::denorm_min()
                                : std::nextafter(w, std::numeric_limits<double>::infinity()) - w;
    return static_cast<double>(std::abs(got - want) / ulp);
}

// A fixed stream of 64-bit words (splitmix64), with the ends of the ranges first.
std::vector<std::uint64_t> words(std::size_t n) {
    std::vector<std::uint64_t> w = {0, 1, ~0ULL, ~0ULL - 1, 1ULL << 63, (1ULL << 63) - 1, 1ULL << 62, 3ULL << 62};
    std::uint64_t s = 12345;
    while (w.size() < n) {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        w.push_back(z ^ (z >> 31));
    }
    return w;
}
}  // namespace

// Bounds: 1 ulp for log (fdlibm's method: < 1 ulp; measured 0.82 on 2e6 points), 2 ulp for sin and cos
// (Horner in r^2 after an exact reduction; measured 1.6). The references reduce the argument exactly
// before multiplying by pi in long double. A wrong coefficient or quadrant is off by far more.
TEST_CASE("log_unit and sincospi_unit are within 1 and 2 ulp of long double / exact at the special points") {
    const auto w = words(200000);
    double worst_log = 0.0, worst_sin = 0.0, worst_cos = 0.0;
    constexpr long double pi = 3.141592653589793238462643383279502884L;
    for (std::size_t i = 0; i + 1 < w.size(); i += 2) {
        // v log-uniform over Box-Muller's range [2^-65, 1]; a uniform in [-1, 1].
        const double v = std::ldexp(0.5 + 0.5 * static_cast<double>(w[i] >> 11) * 0x1p-53, -static_cast<int>(w[i] % 65));
        if (v != 1.0) worst_log = std::max(worst_log, ulps(detail::log_unit(v), logl(static_cast<long double>(v))));
        const double a = static_cast<double>(static_cast<std::int64_t>(w[i + 1])) * 0x1p-63;
        double s, c;
        detail::sincospi_unit(a, s, c);
        const double b = std::abs(a), bs = b > 0.5 ? 1.0 - b : b;  // both exact
        const long double rs = (a < 0 ? -1.0L : 1.0L) * sinl(pi * bs);
        const long double rc = b <= 0.25 ? cosl(pi * b) : sinl(pi * (0.5 - b));
        worst_sin = std::max(worst_sin, ulps(s, rs));
        worst_cos = std::max(worst_cos, ulps(c, rc));
    }
    CAPTURE(worst_log);
    CAPTURE(worst_sin);
    CAPTURE(worst_cos);
    CHECK(worst_log <= 1.0);
    CHECK(worst_sin <= 2.0);
    CHECK(worst_cos <= 2.0);
    CHECK(detail::log_unit(1.0) == 0.0);
    CHECK(detail::log_unit(0.5) == -0.6931471805599453);
    for (const auto& [a, s_want, c_want] :
         {std::tuple{0.0, 0.0, 1.0}, {0.5, 1.0, 0.0}, {-0.5, -1.0, 0.0}, {1.0, 0.0, -1.0}, {-1.0, 0.0, -1.0}}) {
        double s, c;
        detail::sincospi_unit(a, s, c);
        CHECK(s == s_want);
        CHECK(c == c_want);
    }
}

// Random123's boxmuller with libm's log and sincos(pi a) is the definition the normals followed
// before: the pairs agree to a few ulp of the radius (1e-15 relative, radius <= 9), so the conversions
// (u01, uneg11), which output takes sin and the pair order are those of Random123.
TEST_CASE("box_muller_pair agrees with Random123's boxmuller to rounding") {
    const auto w = words(100000);
    double worst = 0.0;
    for (std::size_t i = 0; i + 1 < w.size(); i += 2) {
        const auto ref = r123::boxmuller(w[i], w[i + 1]);
        double x, y;
        detail::box_muller_pair(w[i], w[i + 1], x, y);
        worst = std::max({worst, std::abs(x - ref.x) / (1.0 + std::abs(ref.x)),
                          std::abs(y - ref.y) / (1.0 + std::abs(ref.y))});
    }
    CAPTURE(worst);
    CHECK(worst < 1e-15);
}

// The kernel's copies (baseline, AVX2, AVX-512; those this CPU runs) give the same bits as the inline
// pair on every word, including the ends of the ranges; fill_normal and fill_normal_flat go through
// it. A copy that contracted an FMA or reassociated would differ.
TEST_CASE("the Box-Muller kernel gives the same bits in its baseline, AVX2 and AVX-512 copies") {
    const auto w = words(2 * 1001);  // 1001 pairs: whole blocks of 64 and a remainder
    const std::size_t pairs = w.size() / 2;
    std::vector<double> want(w.size()), got(w.size());
    for (std::size_t p = 0; p < pairs; ++p) detail::box_muller_pair(w[2 * p], w[2 * p + 1], want[2 * p], want[2 * p + 1]);
    for (double x : want) REQUIRE(std::isfinite(x));
    detail::baseline::box_muller_words(w.data(), pairs, got.data());
    CHECK(got == want);
    if (detail::have_avx2()) {
        detail::avx2::box_muller_words(w.data(), pairs, got.data());
        CHECK(got == want);
    }
    if (detail::have_avx512()) {
        detail::avx512::box_muller_words(w.data(), pairs, got.data());
        CHECK(got == want);
    }
}

// fill_normal_flat addresses each element by its own index: any window of a run gives the same values
// as the whole run (the batches of 64 and the partial Philox groups at the window's ends).
TEST_CASE("fill_normal_flat: a window equals the same elements of a longer run") {
    std::vector<double> whole(1000);
    fill_normal_flat(7, 3, 2, 100, whole);
    for (const auto& [start, len] : {std::pair<std::size_t, std::size_t>{0, 1}, {1, 2}, {3, 70}, {5, 258}, {999, 1}}) {
        std::vector<double> part(len);
        fill_normal_flat(7, 3, 2, 100 + start, part);
        CHECK(std::equal(part.begin(), part.end(), whole.begin() + static_cast<std::ptrdiff_t>(start)));
    }
}
