// ddpm-elbo (MATH §9, seed 003's DDPM section): the variational bound L = L_T + sum L_{t-1} + L_0 of the
// DDPM chain with the exact eps-prediction on data N(0, c^2), per dimension in nats, for chains of
// several lengths (score_sde's discrete VPSDE betas). Checked: data entropy <= the chain's own NLL <=
// L for every length, and the gap L - entropy shrinks as the chain gets longer.
#include <fmt/format.h>

#include "ayslab/divergence/elbo.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {
Result run(const Config& cfg, const RunContext&) {
    const double c = cfg.number("c");
    const bool tilde = cfg.string("reverse_variance") == "beta-tilde";
    Result r;
    r.line(fmt::format("data N(0, {}^2); reverse variance {}; nats per dimension", c, cfg.string("reverse_variance")));
    r.line(fmt::format("{:>6} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}", "T", "L_T", "sum L_t-1", "L_0",
                       "ELBO L", "model NLL", "L - H"));
    double last_gap = 0.0;
    bool first = true;
    for (const auto steps64 : cfg.integers("steps")) {
        const int steps = static_cast<int>(steps64);
        const auto e = ddpm_elbo_gaussian(vp_discrete_betas(steps), c, tilde);
        const std::string at = fmt::format("T={}", steps);
        const double gap = e.total() - e.data_entropy;
        r.check({at + ": data entropy <= the chain's NLL", e.model_nll, e.data_entropy, 0.0, Criterion::at_most});
        r.check({at + ": the chain's NLL <= the ELBO", e.total(), e.model_nll, 0.0, Criterion::at_most});
        if (!first)
            r.check({at + ": the gap shrinks as T grows (L - H at most the previous T's)", last_gap, gap, 0.0,
                     Criterion::at_most});
        first = false;
        last_gap = gap;
        r.values["chains"][at] = {{"steps", steps},           {"prior", e.prior},
                                  {"transitions", e.transitions}, {"decoder", e.decoder},
                                  {"elbo", e.total()},        {"model_nll", e.model_nll},
                                  {"data_entropy", e.data_entropy}, {"gap", gap}};
        r.line(fmt::format("{:>6} {:>11.4e} {:>11.4e} {:>11.5f} {:>11.6f} {:>11.6f} {:>11.4e}", steps, e.prior,
                           e.transitions, e.decoder, e.total(), e.model_nll, gap));
    }
    r.line(fmt::format("data entropy H = 1/2 ln(2 pi e c^2) = {:.6f}", ddpm_elbo_gaussian(vp_discrete_betas(30), c, tilde).data_entropy));
    return r;
}
}  // namespace

Experiment ddpm_elbo_experiment() {
    return {"ddpm-elbo",
            "DDPM variational bound (L_T, L_t-1, L_0) with the exact eps on Gaussian data vs the exact NLL (MATH §9)",
            Schema{seed_key(), shared_key("c"), described(shared_list_key("steps"), "chain lengths T (> 20: beta_T ~ 20/T)"),
                   {"reverse_variance", KeyType::string, "reverse-step variance", {}, {}, {"beta", "beta-tilde"}}},
            run};
}

}  // namespace ayslab::app
