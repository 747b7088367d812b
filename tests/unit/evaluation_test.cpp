// The evaluation layer (evaluation.hpp) on a labelled problem: every particle draws its class with its
// start, the sampler calls the denoiser at the particle's class, and the NLL is -log p(x | y).
#include "ayslab/evaluation/evaluation.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "ayslab/denoisers/conditional.hpp"
#include "ayslab/data/datasets.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/error.hpp"
#include "ayslab/evaluation/metrics.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/solver/registry.hpp"

using namespace ayslab;

// Ring of 8 with its exact class-conditional denoiser: given y the law is one component N(mu_y, 0.01 I),
// so a converged sampler's samples have E[-log p_{sigma_min}(x | y)] = log(2 pi e (0.01 + sigma_min^2))
// (d = 2), the entropy of the component at sigma_min. 2000 particles per seed: -log p is a constant plus
// chi^2_2 / 2 (variance 1), SE 0.016 over the two seeds; Heun with 40 steps (seed 3): measured 0.0097 nats
// above the entropy, within one SE. Tolerance 0.1 (6 SE). A labelled run whose labels did not reach the denoiser samples
// the unconditional ring (7 of 8 particles in another class: NLL in the hundreds); labels not matching the
// starts' classes likewise; checked below by running the same problem unlabelled.
TEST_CASE("labelled evaluation: ring of 8, each particle at its own class, NLL -log p(x | y) = the component's entropy") {
    const auto ring = make_dataset("ring8", DatasetOptions{});
    const Data& data = *ring.data;
    Problem p{"ring8", &data, &data.denoiser()};
    p.labelled = true;
    EvaluationOptions o;
    o.particles = 2000;
    o.seeds = 2;
    o.seed = 3;
    o.threads = 2;
    const auto heun = make_solver("heun");
    const Schedule s = karras(40, 0.002, 80.0);
    const auto q = evaluate_samples(p, *heun, s, o);
    const double entropy = std::log(2.0 * std::numbers::pi * std::numbers::e * (0.01 + 0.002 * 0.002));
    CAPTURE(q.nll.mean());
    CAPTURE(entropy);
    CHECK(std::abs(q.nll.mean() - entropy) < 0.1);
    // The per-class NLL equals what negative_log_likelihoods_labelled gives for the same samples, and
    // the labels are the starts' classes (a point's class is its nearest ring point after sampling).
    std::vector<double> x(o.particles * 2);
    std::vector<Label> labels(o.particles);
    sample_marginal_labelled(data, s.sigma_max(), x, labels, o.particles, 77, 2);
    sample(data.denoiser(), *heun, s, x, o.particles, {77, 2, 64, nullptr, labels});
    std::size_t wrong_class = 0;
    for (std::size_t i = 0; i < o.particles; ++i) {
        const long k = std::lround(std::atan2(x[2 * i + 1], x[2 * i]) / (std::numbers::pi / 4.0));
        if ((k + 8) % 8 != labels[i]) ++wrong_class;
    }
    CHECK(wrong_class == 0);
    // Unlabelled, the same problem samples the whole ring, judged by the mixture's own density: log 8
    // nats more spread than one component (the NLL of the mixture is the component's entropy + log 8).
    p.labelled = false;
    const auto u = evaluate_samples(p, *heun, s, o);
    CAPTURE(u.nll.mean());
    CHECK(std::abs(u.nll.mean() - (entropy + std::log(8.0))) < 0.1);
    // A denoiser without the data's classes cannot be evaluated labelled.
    const auto gaussian = DiagonalGaussian::isotropic(2, 0.0, 1.0);
    Problem bad{"bad", &data, &gaussian};
    bad.labelled = true;
    CHECK_THROWS_AS(evaluate_samples(bad, *heun, s, o), InputError);
}
