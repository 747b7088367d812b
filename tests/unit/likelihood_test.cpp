// MATH.md §7: exact Jacobian traces against central differences of D (the default implementation),
// and the probability-flow log-likelihood against exact log-densities.
#include "ayslab/evaluation/likelihood.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/empirical.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/error.hpp"
#include "forwarding_denoiser.hpp"

using namespace ayslab;

namespace {
// The base-class finite-difference trace, reached through a wrapper that does not override it.
using FiniteDifference = test::ForwardingDenoiser;
}  // namespace

TEST_CASE("exact Jacobian traces equal finite differences of D") {
    const DiagonalGaussian g({0.1, -0.2, 0.3}, {0.5, 1.0, 2.0});
    const GaussianMixture m({0.3, 0.7}, {-1, 0, 1, 1}, {0.2, 0.1, 0.05, 0.4}, 2);
    const auto moons = make_dataset("moons", {300, 10, 1, 10, {}, {}});
    const Denoiser* all[] = {&g, &m, &moons.data->denoiser()};
    for (const Denoiser* data : all) {
        const std::size_t d = data->dim();
        std::vector<double> x(d, 0.37);
        CHECK(data->exact_divergence());
        CHECK_FALSE(FiniteDifference(*data).exact_divergence());
        for (double sigma : {0.1, 0.6, 3.0}) {
            CAPTURE(sigma);
            double exact = 0.0, fd = 0.0;
            data->jacobian_trace(x, 1, sigma, {&exact, 1});
            FiniteDifference(*data).jacobian_trace(x, 1, sigma, {&fd, 1});
            CHECK(exact == doctest::Approx(fd).epsilon(1e-6).scale(1e-6));
        }
    }
}

TEST_CASE("probability-flow log-likelihood equals the exact log-density (ring of 8, 1e-6 nats)") {
    const auto ring = make_dataset("ring8", {});
    LikelihoodOptions o;
    o.rtol = o.atol = 1e-11;
    std::vector<double> x = {1.9, 0.1};
    const auto r = probability_flow_log_likelihood(ring.data->denoiser(), x, o, ring.data.get());
    CHECK(r.log_p == doctest::Approx(ring.data->log_density(x, o.sigma_min)).epsilon(1e-6));
    CHECK(bits_per_dim(-std::log(2.0) * 2, 2) == doctest::Approx(1.0));
}

TEST_CASE("likelihood runs on any denoiser / the exact prior comes from the data (the data/denoiser split)") {
    const auto ring = make_dataset("ring8", {});
    LikelihoodOptions o;
    o.rtol = o.atol = 1e-11;
    o.divergence = Divergence::hutchinson_rademacher;  // a denoiser without an exact divergence
    std::vector<double> x = {1.9, 0.1};
    // A denoiser that is not a data set (it only forwards D): same ODE, same prior, same answer.
    const FiniteDifference network_like(ring.data->denoiser());
    const auto via_data = probability_flow_log_likelihood(ring.data->denoiser(), x, o, ring.data.get());
    const auto via_other = probability_flow_log_likelihood(network_like, x, o, ring.data.get());
    CHECK(via_other.log_p == via_data.log_p);
    // The exact prior needs the data.
    CHECK_THROWS_WITH_AS(probability_flow_log_likelihood(network_like, x, o), doctest::Contains("exact prior"),
                         InputError);
    o.exact_prior = false;
    CHECK(std::isfinite(probability_flow_log_likelihood(network_like, x, o).log_p));
}

TEST_CASE("Hutchinson probes batched along one trajectory: each is the single-probe run with that probe") {
    // Probe j of a 5-probe run is probe (probe + j) of its own run: the path does not depend on the
    // probe, only the step control sees more components (agreement to the ODE tolerance, 1e-8 here).
    // A wrong row in the batch (+/- swapped, probe j's rows read for probe j + 1) breaks it.
    const auto ring = make_dataset("ring8", {});
    std::vector<double> x = {1.7, 0.4};
    for (auto div : {Divergence::hutchinson_rademacher, Divergence::hutchinson_gaussian}) {
        LikelihoodOptions o;
        o.rtol = o.atol = 1e-11;
        o.divergence = div;
        o.seed = 3;
        o.probe = 10;
        o.probes = 5;
        const auto batch = probability_flow_log_likelihood(ring.data->denoiser(), x, o, ring.data.get());
        REQUIRE(batch.log_p_probes.size() == 5);
        double mean = 0.0;
        for (std::size_t j = 0; j < 5; ++j) {
            LikelihoodOptions one = o;
            one.probes = 1;
            one.probe = 10 + j;
            const auto single = probability_flow_log_likelihood(ring.data->denoiser(), x, one, ring.data.get());
            CHECK(batch.log_p_probes[j] == doctest::Approx(single.log_p).epsilon(1e-8));
            mean += batch.log_p_probes[j] / 5.0;
        }
        CHECK(batch.log_p == doctest::Approx(mean).epsilon(1e-14));
    }
    // The probes differ from one another (Gaussian probes: every estimate distinct).
    LikelihoodOptions o;
    o.divergence = Divergence::hutchinson_gaussian;
    o.probes = 3;
    const auto r = probability_flow_log_likelihood(ring.data->denoiser(), x, o, ring.data.get());
    CHECK(r.log_p_probes[0] != r.log_p_probes[1]);
    CHECK(r.log_p_probes[1] != r.log_p_probes[2]);
    o.probes = 0;
    CHECK_THROWS_AS(probability_flow_log_likelihood(ring.data->denoiser(), x, o, ring.data.get()), InputError);
}
