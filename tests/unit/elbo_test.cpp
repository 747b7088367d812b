// MATH §9: the likelihood-weighting bound (Song et al. 2021) and the DDPM ELBO on Gaussian data. Each
// closed form against an independent computation: the variance ODE integrated numerically, J_SM by
// quadrature, the ELBO terms by Monte Carlo (seed 13, 3 standard errors), the betas against ddpm.hpp.
#include "ayslab/divergence/elbo.hpp"

#include <doctest/doctest.h>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <numbers>
#include <vector>

#include "ayslab/process/ddpm.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/stats.hpp"

using namespace ayslab;

TEST_CASE("score bound: the closed forms against the variance ODE and quadrature") {
    const double c = 0.5, T = 80.0;
    for (double ct : {0.2, 0.45, 0.5, 0.8, 2.0})
        for (double prior : {T * T, c * c + T * T, 2.0 * T * T}) {
            CAPTURE(ct);
            CAPTURE(prior);
            const auto r = score_likelihood_bound(c, ct, T, prior);
            // dV/dt = 4t V/(ct^2 + t^2) - 2t from t = T (V = prior) down to 0, Dormand-Prince.
            std::vector<double> v = {prior};
            namespace odeint = boost::numeric::odeint;
            odeint::integrate_adaptive(
                odeint::make_controlled(1e-13, 1e-13, odeint::runge_kutta_dopri5<std::vector<double>>()),
                [&](const std::vector<double>& y, std::vector<double>& dy, double t) {
                    dy[0] = 4.0 * t * y[0] / (ct * ct + t * t) - 2.0 * t;
                },
                v, T, 0.0, -1e-3);
            CHECK(r.model_variance == doctest::Approx(v[0]).epsilon(1e-8));
            const double j = 0.5 * boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
                                       [&](double t) {
                                           const double d = 1.0 / (ct * ct + t * t) - 1.0 / (c * c + t * t);
                                           return 2.0 * t * (c * c + t * t) * d * d;
                                       },
                                       0.0, T, 20, 1e-14);
            CHECK(r.score_matching == doctest::Approx(j).epsilon(1e-9).scale(1e-12));
            // Theorem 1 of Song et al. 2021: the bound holds.
            CHECK(r.kl <= r.bound() * (1 + 1e-12));
        }
    // Tight at the exact score with the exact prior: both sides are 0.
    const auto exact = score_likelihood_bound(c, c, T, c * c + T * T);
    CHECK(exact.kl == doctest::Approx(0.0).scale(1e-12));
    CHECK(exact.bound() == doctest::Approx(0.0).scale(1e-12));
}

TEST_CASE("DDPM betas are score_sde's discrete VPSDE, and at N = 1000 DDPM's linear table") {
    const auto betas = vp_discrete_betas(1000);
    const DdpmTable table(BetaSchedule::linear, 1000);
    for (int t : {1, 2, 500, 999, 1000}) CHECK(betas[static_cast<std::size_t>(t - 1)] == doctest::Approx(table.beta(t)).epsilon(1e-12));
}

TEST_CASE("DDPM ELBO terms on Gaussian data against Monte Carlo of the same KLs (seed 13, 3 SE)") {
    const double c = 0.7, b = c * c;
    const auto betas = vp_discrete_betas(50);
    for (bool tilde : {false, true}) {
        CAPTURE(tilde);
        const auto r = ddpm_elbo_gaussian(betas, c, tilde);
        // Entropy <= the model's NLL <= the ELBO.
        CHECK(r.data_entropy <= r.model_nll);
        CHECK(r.model_nll <= r.total());
        // Monte Carlo of L_{t-1} at a few t and of L_0: draw x0, then x_t ~ q(x_t | x0), and evaluate the
        // Gaussian KL per draw from the posterior formulas of ddpm.hpp's MATH §6 (written out here).
        std::vector<double> ab(betas.size() + 1, 1.0);
        for (std::size_t t = 1; t <= betas.size(); ++t) ab[t] = ab[t - 1] * (1.0 - betas[t - 1]);
        const std::size_t n = 200000;
        std::vector<double> z(3);
        for (std::size_t t : {2u, 10u, 49u}) {
            CAPTURE(t);
            const double beta = betas[t - 1], alpha = 1.0 - beta, m = ab[t] * b + 1.0 - ab[t];
            const double tilde_var = (1.0 - ab[t - 1]) / (1.0 - ab[t]) * beta, var = tilde ? tilde_var : beta;
            Moments kl;
            for (std::size_t i = 0; i < n; ++i) {
                fill_normal({13, 1, i, t}, z);
                const double x0 = c * z[0], xt = std::sqrt(ab[t]) * x0 + std::sqrt(1.0 - ab[t]) * z[1];
                const double mu_post = std::sqrt(ab[t - 1]) * beta / (1.0 - ab[t]) * x0 +
                                       std::sqrt(alpha) * (1.0 - ab[t - 1]) / (1.0 - ab[t]) * xt;
                const double eps_hat = std::sqrt(1.0 - ab[t]) * xt / m;  // E[eps | x_t] for this data
                const double mu_model = (xt - beta / std::sqrt(1.0 - ab[t]) * eps_hat) / std::sqrt(alpha);
                const double d = mu_post - mu_model, q = tilde_var / var;
                kl.add(d * d / (2.0 * var) + 0.5 * (q - 1.0 - std::log(q)));
            }
            CAPTURE(kl.mean());
            CAPTURE(r.step_terms[t - 2]);
            CHECK(std::abs(kl.mean() - r.step_terms[t - 2]) < 3 * kl.se_mean());
            CHECK(kl.se_mean() < 0.05 * r.step_terms[t - 2]);
        }
        Moments dec;
        const double a1 = (1.0 - betas[0] / (ab[1] * b + 1.0 - ab[1])) / std::sqrt(1.0 - betas[0]);
        for (std::size_t i = 0; i < n; ++i) {
            fill_normal({13, 2, i, 0}, z);
            const double x0 = c * z[0], x1 = std::sqrt(ab[1]) * x0 + std::sqrt(1.0 - ab[1]) * z[1];
            const double e = x0 - a1 * x1;
            dec.add(0.5 * std::log(2.0 * std::numbers::pi * betas[0]) + e * e / (2.0 * betas[0]));
        }
        CHECK(std::abs(dec.mean() - r.decoder) < 3 * dec.se_mean());
    }
}

TEST_CASE("DDPM ELBO: the gap to the data entropy shrinks as the chain gets longer") {
    double last = 1e300;
    for (int steps : {25, 50, 100, 300, 1000, 3000}) {  // beta_N ~ 20/N must stay below 1
        CAPTURE(steps);
        const auto r = ddpm_elbo_gaussian(vp_discrete_betas(steps), 0.5, false);
        const double gap = r.total() - r.data_entropy;
        CAPTURE(gap);
        CHECK(gap > 0.0);
        CHECK(gap < last);
        last = gap;
    }
}
