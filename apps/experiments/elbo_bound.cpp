// elbo-bound (MATH §9): Song et al. 2021, Theorem 1 — KL(p_0 || p_theta) <= J_SM(theta; g^2) +
// KL(p_T || prior) — on data N(0, c^2) with the EDM process and a model whose score is that of
// N(0, c_theta^2) (an affine score of the wrong slope). Both sides are closed form: the bound is checked
// for every c_theta and both priors, and shown tight (both sides 0) at the exact score and prior.
#include <fmt/format.h>

#include "ayslab/divergence/elbo.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {
Result run(const Config& cfg, const RunContext&) {
    const double c = cfg.number("c"), T = cfg.number("sigma_max");
    Result r;
    r.line(fmt::format("data N(0, {}^2), EDM process to sigma_max = {}; model score of N(0, c_theta^2)", c, T));
    r.line(fmt::format("{:>8} {:>9} {:>14} {:>14} {:>14} {:>14}", "c_theta", "prior", "KL(p0||p_th)",
                       "J_SM(g^2)", "KL(pT||prior)", "bound - KL"));
    const std::pair<std::string, double> priors[] = {{"exact", c * c + T * T}, {"ve", T * T}};
    for (const double ct : cfg.numbers("c_thetas"))
        for (const auto& [prior_name, prior] : priors) {
            const auto b = score_likelihood_bound(c, ct, T, prior);
            const std::string at = fmt::format("c_theta={} prior={}", ct, prior_name);
            r.check({at + ": KL(p0 || p_theta) <= J_SM + KL(pT || prior)", b.bound(), b.kl, 0.0, Criterion::at_most});
            r.values["bounds"][at] = {{"c_theta", ct},
                                      {"prior", prior_name},
                                      {"kl", b.kl},
                                      {"score_matching", b.score_matching},
                                      {"prior_kl", b.prior_kl},
                                      {"bound", b.bound()},
                                      {"model_variance", b.model_variance}};
            r.line(fmt::format("{:>8.4g} {:>9} {:>14.6e} {:>14.6e} {:>14.6e} {:>14.6e}", ct, prior_name, b.kl,
                               b.score_matching, b.prior_kl, b.bound() - b.kl));
        }
    // Tight at the exact score with the exact prior: both sides are 0.
    const auto exact = score_likelihood_bound(c, c, T, c * c + T * T);
    r.check({"exact score and prior: KL(p0 || p_theta) = 0", 0.0, exact.kl, 1e-12, Criterion::absolute});
    r.check({"exact score and prior: the bound = 0", 0.0, exact.bound(), 1e-12, Criterion::absolute});
    return r;
}
}  // namespace

Experiment elbo_bound_experiment() {
    return {"elbo-bound",
            "likelihood-weighting bound KL(p0||p_theta) <= J_SM(g^2) + KL(pT||prior) on Gaussian data (MATH §9)",
            Schema{seed_key()} + shared_keys({"c", "sigma_max"}) +
                Schema{{"c_thetas", KeyType::number_list, "data std the model's score belongs to", 1e-6, 1e6}},
            run};
}

}  // namespace ayslab::app
