// Sample metrics against closed forms: sliced W2 of shifted / scaled Gaussian samples, NLL of a
// Gaussian sample (entropy), published-schedule interpolation.
#include "ayslab/evaluation/metrics.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "ayslab/data/gaussian.hpp"
#include "ayslab/error.hpp"
#include "ayslab/schedule/published.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/rng.hpp"

using namespace ayslab;

TEST_CASE("sliced W2: zero for identical sets / a shift by v gives |v| times E|<u, e>| in rms") {
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

TEST_CASE("median: odd and even counts, unsorted input / a far outlier moves the mean, not the median") {
    CHECK(median({3.0, 1.0, 2.0}) == 2.0);
    CHECK(median({4.0, 1.0, 3.0, 2.0}) == 2.5);
    CHECK(median({1.0, 2.0, 3.0, 3e4}) == 2.5);
    CHECK(moments_of(std::vector<double>{1.0, 2.0, 3.0, 3e4}).mean() == doctest::Approx(7501.5));
    CHECK_THROWS_AS(median({}), InputError);
}

// Reference numbers from the peers' own code, run here: ComfyUI's AlignYourStepsScheduler.execute
// (comfy_extras/nodes_align_your_steps.py: NOISE_LEVELS, loglinear_interp, round(steps * denoise))
// and ComfyUI's BasicScheduler (total_steps = int(steps / denoise), sigmas[-(steps + 1):]) over
// k-diffusion's get_sigmas_karras formula in float64.
TEST_CASE("denoise: ComfyUI's AYS rule (round half to even) and BasicScheduler rule, the page lists") {
    // tol is absolute: ComfyUI's list is rounded to 10 decimals (5e-11), k-diffusion's values are exact.
    auto near = [](const Schedule& s, std::vector<double> want, double tol) {
        REQUIRE(s.sigmas().size() == want.size());
        for (std::size_t i = 0; i < want.size(); ++i) CHECK(std::abs(s[i] - want[i]) <= tol);
    };
    ScheduleSpec spec;
    spec.steps = 7;
    // ComfyUI's 10-digit SD1 list equals sigma(t) of the published timesteps to ~1e-11 relative.
    near(make_schedule("ays-sd15", spec),
         {14.6146412293, 5.189446010101512, 2.8369679700088386, 1.7288996588663745, 1.0714240518081375,
          0.6078477543163822, 0.22914204814219852, 0.0},
         1e-10);
    spec.denoise = 0.5;  // 3.5 steps -> 4 (half to even)
    near(make_schedule("ays-sd15", spec),
         {1.7288996588663745, 1.0714240518081375, 0.6078477543163822, 0.22914204814219852, 0.0}, 1e-10);
    spec.steps = 10;
    spec.denoise = 0.45;  // 4.5 -> 4
    near(make_schedule("ays-sd15", spec), {0.9642583904, 0.6523686016, 0.3977456272, 0.1515232662, 0.0}, 1e-10);
    spec.steps = 15;
    spec.denoise = 0.25;  // 3.75 -> 4
    near(make_schedule("ays-sd15", spec),
         {0.5531766477199824, 0.39774562719999995, 0.2090200850495106, 0.08748849007099517, 0.0}, 1e-10);
    // diffusers' strength on the page lists: floor(15 * 0.25) = 3 steps.
    CHECK(make_schedule("ays-sd15-sigmas", spec).steps() == 3);
    // BasicScheduler: karras over int(4 / 0.5) = 8 steps, the last 4 run.
    spec.steps = 4;
    spec.denoise = 0.5;
    near(make_schedule("karras-kdiffusion", spec),
         {1.2866142695789209, 0.267475361379462, 0.03518665099082092, 0.002, 0.0}, 1e-14);
    spec.steps = 5;
    spec.denoise = 0.7;  // int(7.14) = 7
    near(make_schedule("karras-kdiffusion", spec),
         {9.723201355260132, 2.515218976147159, 0.4699790579977467, 0.05153239432281774, 0.002, 0.0}, 1e-14);
    spec.denoise = 0.0;
    CHECK_THROWS_AS(make_schedule("karras", spec), InputError);
    // The page's 3-decimal lists differ from sigma(t) of the timesteps by up to 0.57% (SD 1.5, at
    // 0.029 vs 0.029167) and 1.4% (SDXL): more than a rounding, so they are kinds of their own.
    for (const auto model : {PublishedAys::sd15, PublishedAys::sdxl}) {
        const auto page = published_ays_page_sigmas(model), from_t = published_ays_sigmas(model);
        double worst = 0.0;
        for (std::size_t i = 0; i < 11; ++i) worst = std::max(worst, std::abs(page[i] - from_t[i]) / from_t[i]);
        CHECK(worst < 2e-2);
        CHECK(worst > 5e-3);
    }
}
