// Counter-based random numbers: addressed values, moments within standard errors (seed 12345).
#include "ayslab/rng.hpp"
#include "ayslab/streams.hpp"

#include <doctest/doctest.h>

#include <set>

#include <cmath>
#include <vector>

#include "ayslab/stats.hpp"

using namespace ayslab;

TEST_CASE("a value depends only on its address") {
    std::vector<double> a(10), b(10), c(10);
    fill_normal({1, 2, 3, 4}, a);
    fill_normal({1, 2, 3, 4}, b);
    CHECK(a == b);
    fill_normal({1, 2, 3, 5}, c);
    CHECK(a != c);
    fill_normal({2, 2, 3, 4}, c);
    CHECK(a != c);
    // A prefix is the same whatever the length asked for.
    std::vector<double> shorter(3);
    fill_normal({1, 2, 3, 4}, shorter);
    CHECK(std::equal(shorter.begin(), shorter.end(), a.begin()));
}

TEST_CASE("flat addressing: element k's value does not depend on how the range is cut") {
    std::vector<double> whole(23), part(9);
    fill_normal_flat(7, 1, 5, 100, whole);
    fill_normal_flat(7, 1, 5, 107, part);  // elements 107..115
    for (std::size_t k = 0; k < part.size(); ++k) CHECK(part[k] == whole[7 + k]);
}

TEST_CASE("normal moments within 4 standard errors (seed 12345, 10^6 draws)") {
    std::vector<double> z(1 << 20);
    fill_normal_flat(12345, 9, 0, 0, z);
    Moments m;
    double fourth = 0.0;
    for (double v : z) {
        m.add(v);
        fourth += v * v * v * v;
    }
    const double n = static_cast<double>(z.size());
    CHECK(std::abs(m.mean()) < 4 * std::sqrt(1 / n));
    CHECK(std::abs(m.variance() - 1) < 4 * std::sqrt(2 / n));
    CHECK(std::abs(fourth / n - 3) < 4 * std::sqrt(96 / n));  // Var(z^4) = 105 - 9
    // Lag-1 correlation of consecutive elements (they share Philox blocks).
    double lag = 0.0;
    for (std::size_t k = 1; k < z.size(); ++k) lag += z[k] * z[k - 1];
    CHECK(std::abs(lag / n) < 4 / std::sqrt(n));
}

TEST_CASE("uniforms lie in (0 to 1) with mean 1/2") {
    std::vector<double> u(100000);
    fill_uniform({3, 1, 0, 0}, u);
    Moments m(0.5);
    for (double v : u) {
        CHECK_UNARY(v > 0.0);
        CHECK_UNARY(v <= 1.0);
        m.add(v);
    }
    CHECK(std::abs(m.mean() - 0.5) < 4 * std::sqrt(1 / 12.0 / 1e5));
}

TEST_CASE("Moments: variance and its standard error against closed forms") {
    Moments m(10.0);
    for (double v : {9.0, 10.0, 11.0, 12.0}) m.add(v);
    CHECK(m.mean() == doctest::Approx(10.5));
    CHECK(m.variance() == doctest::Approx(5.0 / 3.0));
    Moments a(0), b(0), all(0);
    for (int k = 0; k < 10; ++k) (k < 4 ? a : b).add(k * 0.5), all.add(k * 0.5);
    a.merge(b);
    CHECK(a.variance() == doctest::Approx(all.variance()));
    CHECK(a.se_variance() == doctest::Approx(all.se_variance()));
}

TEST_CASE("named streams: no two streams share a number, and no two seeds one run derives share a stream") {
    std::set<std::uint64_t> numbers;
    for (const auto& s : streams::all_streams) CHECK_MESSAGE(numbers.insert(s.value).second, s.name);
    // The KLUB stream's seeds in one AYS-family run: the sweeps' (seed + 1 ... seed + 7000: at most 1000
    // sweeps in each of 7 stages), the validation estimate's, the final comparison's, the fresh-draw
    // check's. The prior/step-noise seeds: the evaluation's (up to 1000 seeds) and the stop proxy's.
    // Checked for run seeds 0..2000 and near 2^32, 2^63 and 2^64 (where a sum wraps).
    for (const std::uint64_t base : {0ULL, (1ULL << 32) - 1000, (1ULL << 63) - 1000, ~0ULL - 1000}) {
        for (std::uint64_t i = 0; i < 2000; ++i) {
            const std::uint64_t s = base + i;  // wraps past 2^64 on purpose
            auto in_sweeps = [s](std::uint64_t v) { return v - s - 1 < 7000; };  // unsigned: s+1 ... s+7000
            const std::uint64_t v = streams::klub_validation(s), a = streams::ays_final_klub(s),
                                f = streams::fresh_klub(s);
            REQUIRE_FALSE(in_sweeps(v));
            REQUIRE_FALSE(in_sweeps(a));
            REQUIRE_FALSE(in_sweeps(f));
            REQUIRE((v != a && v != f && a != f));
            const std::uint64_t path = streams::path_klub_seed(s);  // ays-path's x_0 rows and paths
            REQUIRE_FALSE(in_sweeps(path));
            REQUIRE((path != v && path != a && path != f));
            REQUIRE(streams::stop_proxy(s) - streams::evaluation_seed(s, 0) >= 1000);  // not one of the 1000
            // recommend's held-out starts: none of its 1000 evaluation seeds is an evaluation seed of the run
            // (ays's own comparison), the stop proxy's draws or the teachers' (seed s, league_teacher(s)).
            const std::uint64_t judge0 = streams::evaluation_seed(streams::held_out_judge(s), 0);
            REQUIRE(judge0 - streams::evaluation_seed(s, 0) >= 1000);
            REQUIRE(streams::evaluation_seed(s, 0) - judge0 >= 1000);
            for (const std::uint64_t other : {streams::stop_proxy(s), s, streams::league_teacher(s), path})
                REQUIRE(other - judge0 >= 1000);
            // recommend's screen: its one seed is none of the judge's, the run's or the optimisers' seeds.
            const std::uint64_t screen0 = streams::evaluation_seed(streams::held_out_screen(s), 0);
            REQUIRE(screen0 - judge0 >= 1000);
            REQUIRE(judge0 - screen0 >= 1);
            for (const std::uint64_t other :
                 {streams::evaluation_seed(s, 0), streams::stop_proxy(s), s, streams::league_teacher(s), path})
                REQUIRE(screen0 - other >= 1000);
            CHECK(in_sweeps(s + 991));  // the former final-comparison seed: the fault this test catches
        }
    }
}

// Row addresses of one seed's draws (streams.hpp): the training rows (from 0), the pre-flight's mean, the
// held-out rows and train's band rows never overlap for draws of fewer than 2^30 rows (a literal 1 << 30
// written where 1 << 40 was meant, or two uses of one address, fails here).
TEST_CASE("named streams: the row addresses of one seed's draws are 2^30 rows apart at least") {
    const auto& a = streams::row_addresses;
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = i + 1; j < a.size(); ++j) {
            const std::uint64_t gap = a[i] > a[j] ? a[i] - a[j] : a[j] - a[i];
            CHECK(gap >= (std::uint64_t{1} << 30));
        }
}

// ays-guided's Fashion-MNIST seeds: the (seed, class) start addresses of its at most 62 seeds and 10
// classes are distinct and never the reference rows' address (seed 62 of class 7 would be: 16 * 62 + 7 =
// 999, why the key stops at 62).
TEST_CASE("named streams: ays-guided's class starts never reuse one another's or the reference rows' seed") {
    for (const std::uint64_t s : {0ULL, 7ULL, (1ULL << 63) + 5}) {
        std::set<std::uint64_t> seen;
        for (std::uint64_t k = 0; k < 62; ++k)
            for (std::uint64_t y = 0; y < 10; ++y) {
                const std::uint64_t v = streams::class_evaluation_seed(s, k, y);
                REQUIRE(seen.insert(v).second);
                REQUIRE(v != streams::class_reference_rows(s));
            }
        CHECK(streams::class_evaluation_seed(s, 62, 7) == streams::class_reference_rows(s));  // the bound is tight
    }
}
