// Schedules: each family against its defining formula, and validation.
#include "ayslab/schedule.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "ayslab/error.hpp"

using namespace ayslab;

TEST_CASE("karras: EDM eq. 5 and exact end points") {
    const auto s = karras(10, 0.002, 80.0, 7.0);
    REQUIRE(s.size() == 11);
    CHECK(s[0] == 80.0);
    CHECK(s[10] == 0.002);
    for (std::size_t i = 0; i <= 10; ++i) {
        const double expected =
            std::pow(std::pow(80.0, 1 / 7.0) +
                         static_cast<double>(i) / 10.0 * (std::pow(0.002, 1 / 7.0) - std::pow(80.0, 1 / 7.0)),
                     7.0);
        CHECK(s[i] == doctest::Approx(expected).epsilon(1e-13));
    }
}

TEST_CASE("log-uniform has a constant ratio and arctan equal angle steps and uniform-t equal time steps") {
    const auto lu = log_uniform(8, 0.01, 100.0);
    for (std::size_t i = 1; i < lu.size(); ++i)
        CHECK(lu[i - 1] / lu[i] == doctest::Approx(std::pow(1e4, 1 / 8.0)));
    const double c = 0.5;
    const auto at = arctan_optimal(7, 0.002, 80.0, c);
    const double step = (std::atan(80.0 / c) - std::atan(0.002 / c)) / 7;
    for (std::size_t i = 1; i < at.size(); ++i)
        CHECK(std::atan(at[i - 1] / c) - std::atan(at[i] / c) == doctest::Approx(step).epsilon(1e-12));
    const auto vp = make_process("vp");
    const auto ut = uniform_t(6, 0.05, 50.0, *vp);
    const auto t = ut.times(*vp);
    for (std::size_t i = 1; i < t.size(); ++i)
        CHECK(t[i] - t[i - 1] == doctest::Approx(t[1] - t[0]).epsilon(1e-9));
    // uniform-t on EDM is uniform in sigma.
    const auto edm = make_process("edm");
    CHECK(uniform_t(4, 1.0, 5.0, *edm)[1] == doctest::Approx(4.0));
}

TEST_CASE("one step is just the end points") {
    const auto s = karras(1, 0.1, 10.0);
    CHECK(s.size() == 2);
    CHECK(s[0] == 10.0);
    CHECK(s[1] == 0.1);
}

TEST_CASE("invalid schedules are input errors with the position named") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH_AS(Schedule({3.0, 2.0, 2.5}), doctest::Contains("position 2"), InputError);
    CHECK_THROWS_WITH_AS(Schedule({3.0, nan, 1.0}), doctest::Contains("sigma[1]"), InputError);
    CHECK_THROWS_AS(Schedule({3.0, -1.0}), InputError);
    CHECK_THROWS_AS(Schedule({3.0}), InputError);
    CHECK_THROWS_AS(Schedule({3.0, 3.0}), InputError);
    CHECK_THROWS_AS(karras(0, 0.1, 1.0), InputError);
    CHECK_THROWS_AS(karras(5, 1.0, 0.1), InputError);
    CHECK_THROWS_AS(karras(5, 0.0, 1.0), InputError);
    CHECK_THROWS_AS(arctan_optimal(5, 0.1, 1.0, -1.0), InputError);
}
