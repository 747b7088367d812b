// Classifier-free guidance (guidance.hpp) and its exact laws on Gaussian classes (guided_law.hpp):
// the wrapper against the affine formula written out, the closed-form guided ODE law against an
// adaptive Dormand-Prince solve through the wrapper, solvers converging to it at their order, and
// the tilted law against quadrature.
#include "ayslab/denoisers/guidance.hpp"

#include <doctest/doctest.h>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "ayslab/denoisers/conditional.hpp"
#include "ayslab/data/datasets.hpp"
#include "ayslab/data/gaussian_classes.hpp"
#include "ayslab/divergence/guided_law.hpp"
#include "ayslab/error.hpp"
#include "ayslab/denoisers/model_function.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"

using namespace ayslab;

namespace {
// D of N(m, v) per coordinate, written out (MATH §2): m + v/(v + sigma^2) (x - m).
double gaussian_d(const DiagonalGaussian& g, std::size_t j, double x, double sigma) {
    const double v = g.variance()[j], m = g.mean()[j];
    return m + v / (v + sigma * sigma) * (x - m);
}
}  // namespace

TEST_CASE("guided denoiser: (1 - w) D_u + w D_y, one branch at w = 0 and 1 and outside the interval, batched = unbatched") {
    const auto toy = GaussianClasses::two_classes(4);
    const std::size_t d = 4, n = 6;
    std::vector<double> x(n * d);
    fill_normal({3, 0, 0, 0}, x);
    const std::vector<Label> labels{0, 1, 0, null_label, 1, 1};
    for (double w : {0.0, 1.0, 3.0, 7.5, -0.5}) {
        CAPTURE(w);
        for (bool batched : {true, false}) {
            const GuidedDenoiser g(toy, {w, 0.0, std::numeric_limits<double>::infinity(), batched});
            std::vector<double> out(n * d);
            g.denoise_labelled(x, n, 0.7, labels, out);
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < d; ++j) {
                    const double xu = gaussian_d(toy.given(null_label), j, x[i * d + j], 0.7);
                    const double xc = gaussian_d(toy.given(labels[i]), j, x[i * d + j], 0.7);
                    CHECK(out[i * d + j] == doctest::Approx(xu + w * (xc - xu)).epsilon(1e-14));
                }
            // Network evaluations: 2 per row when both branches run (1 call batched, 2 unbatched).
            const bool both = w != 0.0 && w != 1.0;
            CHECK(g.requested().rows == (both ? 2 * n : n));
            CHECK(g.requested().calls == (both && !batched ? 2u : 1u));
        }
    }
    // w = 1 is the conditional model and w = 0 the unconditional one, to the bit.
    std::vector<double> a(n * d), b(n * d);
    GuidedDenoiser(toy, {1.0}).denoise_labelled(x, n, 0.7, labels, a);
    toy.denoise_labelled(x, n, 0.7, labels, b);
    CHECK(a == b);
    GuidedDenoiser(toy, {0.0}).denoise_labelled(x, n, 0.7, labels, a);
    toy.denoise(x, n, 0.7, b);
    CHECK(a == b);
    // Batched and unbatched give the same bits; outside [lo, hi] the conditional model alone.
    const GuidedDenoiser one_call(toy, {3.0, 0.5, 2.0, true}), two_calls(toy, {3.0, 0.5, 2.0, false});
    one_call.denoise_labelled(x, n, 0.7, labels, a);
    two_calls.denoise_labelled(x, n, 0.7, labels, b);
    CHECK(a == b);
    one_call.reset_counts();
    one_call.denoise_labelled(x, n, 2.5, labels, a);
    toy.denoise_labelled(x, n, 2.5, labels, b);
    CHECK(a == b);
    CHECK(one_call.requested().rows == n);
    // The trace of the guided Jacobian is the same combination of the branches'.
    std::vector<double> tr(n), tu(n), tc(n);
    one_call.jacobian_trace_labelled(x, n, 0.7, labels, tr);
    toy.jacobian_trace(x, n, 0.7, tu);
    toy.jacobian_trace_labelled(x, n, 0.7, labels, tc);
    for (std::size_t i = 0; i < n; ++i) CHECK(tr[i] == doctest::Approx(tu[i] + 3.0 * (tc[i] - tu[i])).epsilon(1e-14));
    CHECK_THROWS_AS(GuidedDenoiser(toy.given(0), {3.0}), InputError);  // no classes
    CHECK_THROWS_AS(GuidedDenoiser(toy, {3.0, 2.0, 1.0}), InputError);  // empty interval
}

TEST_CASE("guided ODE law: the closed form equals Dormand-Prince through the wrapper, with and without an interval") {
    // Dopri5 at rtol = atol = 1e-12 integrates dx/dsigma = (x - D_w)/sigma through the wrapper; the
    // closed form integrates the same ODE analytically (and its inhomogeneous part by quadrature).
    // A sign or branch error in either (w on the wrong branch, the interval ignored) moves the end
    // points by far more than the 1e-8 allowed.
    const auto toy = GaussianClasses::two_classes(3);
    const std::size_t d = 3;
    SolverOptions so;
    so.rtol = 1e-12;
    so.atol = 1e-12;
    const auto dopri = make_solver("dopri5", so);
    const Schedule schedule = karras(4, 0.02, 20.0, 7.0);
    const GaussianLaw unit{std::vector<double>(d, 0.0), std::vector<double>(d, 1.0)};
    for (double w : {0.0, 1.0, 3.0, 7.5}) {
        for (const auto& range : {std::pair{0.0, 1e300}, std::pair{0.3, 4.0}}) {  // no structured binding: clang 14 cannot capture one in CAPTURE's lambda
            const double lo = range.first, hi = range.second;
            CAPTURE(w);
            CAPTURE(lo);
            const GuidanceOptions go{w, lo, hi, true};
            const GuidedDenoiser g(toy, go);
            const Conditioned view(g, 0);
            // From x_T = 0 the end point is B; from x_T = 1 it is A + B.
            std::vector<double> x(2 * d, 0.0);
            for (std::size_t j = 0; j < d; ++j) x[d + j] = 1.0;
            sample(view, *dopri, schedule, x, 2, {0, 1, 2});
            const auto law = guided_ode_law(toy.given(null_label), toy.given(0), go, 20.0, 0.02, unit);
            for (std::size_t j = 0; j < d; ++j) {
                CHECK(x[j] == doctest::Approx(law.mean[j]).epsilon(1e-8));
                CHECK(x[d + j] - x[j] == doctest::Approx(std::sqrt(law.variance[j])).epsilon(1e-8));
            }
        }
    }
}

TEST_CASE("guided ODE law: equal means give B = mu (1 - A) in closed form / w = 1 is the Gaussian flow of MATH §4") {
    std::vector<DiagonalGaussian> cls;
    cls.emplace_back(std::vector<double>{0.4, -1.0}, std::vector<double>{0.2, 0.5});
    const GaussianClasses same(std::move(cls), DiagonalGaussian({0.4, -1.0}, {1.0, 0.8}));
    const GaussianLaw start{{0.0, 0.0}, {1.0, 1.0}};
    for (double w : {0.0, 2.0, 7.5}) {
        const auto law = guided_ode_law(same.given(null_label), same.given(0), {w}, 50.0, 0.01, start);
        for (std::size_t j = 0; j < 2; ++j) {
            const double A = std::sqrt(law.variance[j]), mu = same.given(0).mean()[j];
            CHECK(law.mean[j] == doctest::Approx(mu * (1.0 - A)).epsilon(1e-12));
            // A = prod of ((v + s_to^2)/(v + s_from^2))^(power/2) over the two branches.
            const double vu = same.given(null_label).variance()[j], vc = same.given(0).variance()[j];
            const double expect = std::pow((vu + 1e-4) / (vu + 2500.0), 0.5 * (1.0 - w)) *
                                  std::pow((vc + 1e-4) / (vc + 2500.0), 0.5 * w);
            CHECK(A == doctest::Approx(expect).epsilon(1e-12));
        }
    }
}

TEST_CASE("guided sampling converges to the guided ODE law at each solver's order (exact KL, N -> 2N steps)") {
    // KL ~ (error)^2 ~ h^(2 order): Euler's KL falls ~4x per doubling, Heun's ~16x (measured 4.31, 4.15,
    // 4.07 and 16.4, ... from 256 steps; 20% allowed for the pre-asymptotic part). A solver law that
    // aimed at another ODE (the guided law mis-derived) would stall at a positive KL instead.
    const auto toy = GaussianClasses::two_classes(4);
    const GuidedDenoiser g(toy, {3.0});
    const Conditioned view(g, 1);
    const GaussianLaw start{toy.given(1).mean(), std::vector<double>(4)};
    auto start_at = [&](double s) {
        GaussianLaw st = start;
        for (std::size_t j = 0; j < 4; ++j) st.variance[j] = toy.given(1).variance()[j] + s * s;
        return st;
    };
    for (const auto& entry : {std::pair<std::string, double>{"euler", 4.0}, {"heun", 16.0}}) {  // no structured binding: clang 14 cannot capture one in CAPTURE's lambda
        const std::string& name = entry.first;
        const double ratio = entry.second;
        CAPTURE(name);
        const auto solver = make_solver(name);
        double previous = 0.0;
        for (std::size_t steps : {256, 512, 1024, 2048}) {
            const Schedule s = karras(steps, 0.02, 20.0, 7.0);
            const auto st = start_at(20.0);
            const auto exact = guided_ode_law(toy.given(null_label), toy.given(1), {3.0}, 20.0, 0.02, st);
            const auto got = affine_output_law(*solver, s, view, st);
            const double kl = kl_gaussian_diag(exact.mean, exact.variance, got.mean, got.variance);
            CAPTURE(steps);
            CAPTURE(kl);
            CHECK(kl > 0.0);
            if (previous > 0.0) CHECK(previous / kl == doctest::Approx(ratio).epsilon(0.2));
            previous = kl;
        }
    }
}

TEST_CASE("tilted law p_c^w p_u^(1-w): mean and variance equal quadrature of the normalised product") {
    std::vector<DiagonalGaussian> cls;
    cls.emplace_back(std::vector<double>{0.8}, std::vector<double>{0.3});
    const GaussianClasses toy(std::move(cls), DiagonalGaussian({0.1}, {1.1}));
    for (double w : {0.0, 1.0, 3.0, 7.5}) {
        const double sigma = 0.2;
        const auto law = tilted_law(toy.given(null_label), toy.given(0), w, sigma);
        REQUIRE(law.has_value());
        auto logp = [&](const DiagonalGaussian& g, double x) {
            const double v = g.variance()[0] + sigma * sigma, r = x - g.mean()[0];
            return -0.5 * (std::log(2 * std::numbers::pi * v) + r * r / v);
        };
        auto f = [&](double x, int moment) {
            return std::pow(x, moment) *
                   std::exp(w * logp(toy.given(0), x) + (1 - w) * logp(toy.given(null_label), x));
        };
        using Q = boost::math::quadrature::gauss_kronrod<double, 61>;
        const double z = Q::integrate([&](double x) { return f(x, 0); }, -20.0, 20.0, 15, 1e-14);
        const double m = Q::integrate([&](double x) { return f(x, 1); }, -20.0, 20.0, 15, 1e-14) / z;
        const double m2 = Q::integrate([&](double x) { return f(x, 2); }, -20.0, 20.0, 15, 1e-14) / z;
        CHECK(law->mean[0] == doctest::Approx(m).epsilon(1e-10));
        CHECK(law->variance[0] == doctest::Approx(m2 - m * m).epsilon(1e-9));
    }
    // w large and negative: no distribution.
    CHECK_FALSE(tilted_law(toy.given(null_label), toy.given(0), -20.0, 0.2).has_value());
}

namespace {
// The toy's exact conditional denoiser as a model (parametrisation "denoiser": forward = D, c = sigma),
// counting what it is asked for, as a network would be.
struct ToyModel final : ModelFunction {
    const GaussianClasses& toy;
    mutable std::size_t calls = 0, rows = 0;
    explicit ToyModel(const GaussianClasses& t) : toy(t) {}
    std::size_t dim() const override { return toy.dim(); }
    bool takes_labels() const override { return true; }
    std::string description() const override { return "the toy's exact D"; }
    double rounding() const override { return 0x1p-52; }
    void forward(std::span<const double> x, std::span<const double> c, std::size_t n, std::span<double> out,
                 std::size_t, std::span<const std::int64_t> y) const override {
        ++calls;
        rows += n;
        const std::size_t d = dim();
        for (std::size_t i = 0; i < n; ++i) {
            // id `classes` is the model's null label (ModelConvention::null_id = -1)
            const Label label = y[i] == static_cast<std::int64_t>(toy.classes()) ? null_label : static_cast<Label>(y[i]);
            toy.denoise_labelled(x.subspan(i * d, d), 1, c[i], {&label, 1}, out.subspan(i * d, d));
        }
    }
};
}  // namespace

TEST_CASE("guided rows with their own sigmas: one model call of both branches, the bits of the per-sigma calls") {
    // Catches a class-bound guided view that falls back to one call per row (the KLUB's per-row sigmas),
    // or that mixes up which rows need which branch under an interval.
    const auto toy = GaussianClasses::two_classes(3);
    const std::size_t d = 3, n = 7;
    std::vector<double> x(n * d);
    fill_normal({5, 0, 0, 0}, x);
    const std::vector<double> sigmas{0.1, 0.7, 2.5, 0.4, 9.0, 0.7, 1.9};
    const std::vector<Label> labels{1, 0, 1, null_label, 0, 1, 1};
    for (double w : {0.0, 1.0, 3.0}) {
        for (bool batched : {true, false}) {
            CAPTURE(w);
            CAPTURE(batched);
            const auto model = std::make_shared<ToyModel>(toy);
            ModelConvention convention;
            convention.parametrisation = Parametrisation::denoiser;
            convention.classes = 2;
            const NetworkDenoiser network(model, convention);
            const GuidedDenoiser guided(network, {w, 0.3, 2.0, batched});  // sigma 0.1, 2.5, 9 outside
            // Expected: each row alone, through the per-sigma labelled call.
            std::vector<double> want(n * d), got(n * d);
            for (std::size_t i = 0; i < n; ++i)
                guided.denoise_labelled(std::span(x).subspan(i * d, d), 1, sigmas[i], {&labels[i], 1},
                                        std::span(want).subspan(i * d, d));
            model->calls = model->rows = 0;
            guided.reset_counts();
            LabelledRows(guided, labels).denoise_rows(x, n, sigmas, got);
            CHECK(got == want);
            // Rows with both branches: sigma in [0.3, 2] (4 rows) when w is neither 0 nor 1.
            const std::size_t both = w != 0.0 && w != 1.0 ? 4 : 0;
            CHECK(model->rows == n + both);
            CHECK(guided.requested().rows == n + both);
            // Unbatched: one call per branch that some row needs (at w = 0 the rows outside the interval
            // take the conditional branch, inside it the unconditional one; at w = 1 all conditional).
            const std::size_t calls = batched || w == 1.0 ? 1u : 2u;
            CHECK(model->calls == calls);
            // A class-bound view (what AYS for one class calls) takes the same path.
            for (std::size_t i = 0; i < n; ++i)
                guided.denoise_labelled(std::span(x).subspan(i * d, d), 1, sigmas[i], {&labels[0], 1},
                                        std::span(want).subspan(i * d, d));
            model->calls = 0;
            Conditioned(guided, labels[0]).denoise_rows(x, n, sigmas, got);
            CHECK(got == want);
            CHECK(model->calls == calls);
        }
    }
}
