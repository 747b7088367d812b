// Schedules: each family against its defining formula, and validation.
#include "ayslab/schedule/published.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/schedule/schedule.hpp"

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

TEST_CASE("ComfyUI's GITS and OSS tables, applied as its nodes apply them (numbers from its own rule in numpy)") {
    // GITSScheduler(coeff 1.20, steps 10): the tabulated row with its last sigma replaced by 0.
    const auto g10 = comfyui_gits_schedule(10);
    const std::vector<double> row10 = {14.61464119, 5.85520077, 2.84484982, 1.67050016, 1.08895338, 0.74807048,
                                       0.50118381,  0.32104823, 0.19894916, 0.09824532, 0.0};
    CHECK(std::vector<double>(g10.sigmas().begin(), g10.sigmas().end()) == row10);
    // 25 steps: the 20-step row log-linearly interpolated (ComfyUI's loglinear_interp, run in numpy).
    const auto g25 = comfyui_gits_schedule(25);
    REQUIRE(g25.size() == 26);
    const double want25[] = {14.61464119, 8.561381485204283, 5.630276071006637, 3.942295272121796,
                             2.8741216479628275, 2.19988537};
    for (std::size_t i = 0; i < 6; ++i) CHECK(g25[i] == doctest::Approx(want25[i]).epsilon(1e-13));
    CHECK(g25.sigma_min() == 0.0);
    // denoise 0.45 of 10 steps: round(4.5) = 4 (halves to even), so the last 4 steps.
    const auto gd = comfyui_gits_schedule(10, 0.45);
    const std::vector<double> tail = {0.50118381, 0.32104823, 0.19894916, 0.09824532, 0.0};
    CHECK(std::vector<double>(gd.sigmas().begin(), gd.sigmas().end()) == tail);
    CHECK_THROWS_AS(comfyui_gits_schedule(1), InputError);
    // OptimalStepsScheduler FLUX at 20 steps, interpolated in t; sigma = t / (1 - t).
    const auto f20 = comfyui_oss_schedule("flux", 20);
    REQUIRE(f20.size() == 21);
    const double t20[] = {0.9968, 0.9926915331561966, 0.9886, 0.9852443047285279, 0.9819, 0.9784439176570112};
    for (std::size_t i = 0; i < 6; ++i) CHECK(f20[i] == doctest::Approx(t20[i] / (1 - t20[i])).epsilon(1e-12));
    CHECK(f20[19] == doctest::Approx(0.016757088052522736 / (1 - 0.016757088052522736)).epsilon(1e-12));
    const auto f10 = comfyui_oss_schedule("flux", 10, 0.25);  // round(2.5) = 2 steps: t 0.5512, 0.2808, 0
    REQUIRE(f10.size() == 3);
    CHECK(f10[0] == doctest::Approx(0.5512 / (1 - 0.5512)).epsilon(1e-14));
    CHECK(f10[1] == doctest::Approx(0.2808 / (1 - 0.2808)).epsilon(1e-14));
    CHECK(comfyui_oss_schedule("chroma", 40).sigma_max() == doctest::Approx(0.992 / 0.008).epsilon(1e-14));
    CHECK_THROWS_WITH_AS(comfyui_oss_schedule("wan", 10), doctest::Contains("unknown OSS table 'wan'"), InputError);
}

TEST_CASE("kl-optimal is ComfyUI's kl_optimal_scheduler: arctan spacing with c = 1, steps sigmas then 0") {
    // comfy/samplers.py's formula evaluated in float64 torch (ComfyUI itself runs it in float32, which
    // rounds these to ~1e-7 relative: 14.614632606 for the first).
    ScheduleSpec spec;
    spec.steps = 10;
    spec.sigma_min = 0.0291675;
    spec.sigma_max = 14.614642;
    const auto s = make_schedule("kl-optimal", spec);
    const double want[] = {14.614642000000018, 4.232351272659622,   2.3937194171915257, 1.5970665958391215,
                           1.1329972189922748, 0.8152448441661853,  0.5729145327197993, 0.37248448627566494,
                           0.1952886616119694, 0.0291675,           0.0};
    REQUIRE(s.size() == 11);
    for (std::size_t i = 0; i < 11; ++i) CHECK(s[i] == doctest::Approx(want[i]).epsilon(1e-13));
    spec.steps = 1;
    CHECK_THROWS_AS(make_schedule("kl-optimal", spec), InputError);
}

TEST_CASE("resample_loglinear: a log-uniform schedule re-spaced is the log-uniform schedule of the new count") {
    // Log-linear interpolation over a normalised index is exact on a schedule that is itself linear in
    // log sigma; interpolating sigma (not log sigma), or mapping the index as k/count instead of
    // k/(count-1), misses by far more than 1e-12.
    for (const std::size_t from : {3u, 10u, 40u})
        for (const std::size_t to : {1u, 2u, 7u, 10u, 33u}) {
            const auto got = resample_loglinear(log_uniform(from, 0.002, 80.0), to);
            const auto want = log_uniform(to, 0.002, 80.0);
            REQUIRE(got.size() == want.size());
            for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-12));
        }
    // A final 0 stays the final step: the positive knots are re-spaced, 0 appended.
    auto with_zero = [](const Schedule& s) {
        std::vector<double> v(s.sigmas().begin(), s.sigmas().end());
        v.push_back(0.0);
        return Schedule(v);
    };
    for (const std::size_t to : {1u, 5u, 20u}) {
        const auto got = resample_loglinear(with_zero(log_uniform(9, 0.03, 14.6)), to);
        REQUIRE(got.steps() == to);
        CHECK(got.ends_at_zero());
        if (to > 1) {
            const auto want = log_uniform(to - 1, 0.03, 14.6);
            for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-12));
        } else {
            CHECK(got[0] == 14.6);
        }
    }
    // The same count gives the schedule itself; a 1-step schedule to 0 has nothing to interpolate.
    const auto k = karras(12, 0.002, 80.0);
    CHECK(resample_loglinear(k, 12).sigmas()[5] == k[5]);
    CHECK_THROWS_AS(resample_loglinear(Schedule({5.0, 0.0}), 4), InputError);
    // NVIDIA's tables go through the same rule: the published SD 1.5 list to 20 points.
    const auto pub = published_ays_sigmas(PublishedAys::sd15);
    const auto re = resample_loglinear(Schedule(pub), 19);
    const auto li = loglinear_interpolate(pub, 20);
    for (std::size_t i = 0; i < li.size(); ++i) CHECK(re[i] == li[i]);
}
