// Likelihood bounds on Gaussian data, in closed form (MATH.md §9):
//  - Song et al. 2021, Theorem 1: KL(p_0 || p_theta) <= J_SM(theta; g^2) + KL(p_T || prior) for the
//    reverse SDE with a model score, here the exact score of N(0, c_theta^2) (an affine score of the
//    wrong slope) on data N(0, c^2), EDM process (sigma = t, g^2 = 2t);
//  - the DDPM variational bound (seed 003): L = L_T + sum_{t>=2} L_{t-1} + L_0 with the exact
//    eps-prediction on data N(0, c^2), against the model's own NLL and the data entropy.
#pragma once
#include <span>
#include <vector>

namespace ayslab {

struct ScoreBound {
    double kl = 0.0;              // KL(p_0 || p_theta), p_theta = N(0, model_variance)
    double score_matching = 0.0;  // J_SM(theta; g^2) = 1/2 int_0^T g^2 E|s_theta - grad log p_t|^2 dt
    double prior_kl = 0.0;        // KL(p_T || prior)
    double model_variance = 0.0;  // the reverse SDE's output variance at sigma = 0
    double bound() const { return score_matching + prior_kl; }
};
// Data N(0, c^2), model score -x / (c_theta^2 + sigma^2), reverse SDE from N(0, prior_variance) at
// sigma_max down to 0. Closed forms (the variance ODE and J_SM by partial fractions).
ScoreBound score_likelihood_bound(double c, double c_theta, double sigma_max, double prior_variance);

struct DdpmElbo {
    double prior = 0.0;        // L_T = E KL(q(x_T | x_0) || N(0, 1))
    double transitions = 0.0;  // sum_{t=2}^T L_{t-1}
    double decoder = 0.0;      // L_0 = -E log p_theta(x_0 | x_1) (Gaussian decoder)
    double model_nll = 0.0;    // -E_data log p_theta(x_0): the ancestral chain's own output law
    double data_entropy = 0.0; // -E_data log p_data(x_0) = 1/2 ln(2 pi e c^2)
    std::vector<double> step_terms;  // L_{t-1} for t = 2..T (index t - 2)
    double total() const { return prior + transitions + decoder; }
};
// betas[t - 1] = beta_t (t = 1..T); the reverse variance is beta_t (DDPM's sampler) or beta-tilde_t.
// Per data dimension, in nats. The model is the exact eps-prediction E[eps | x_t].
DdpmElbo ddpm_elbo_gaussian(std::span<const double> betas, double c, bool beta_tilde);
// score_sde's discrete VPSDE: beta_i = beta_min/N + (i - 1)(beta_max - beta_min)/(N (N - 1)), i = 1..N.
std::vector<double> vp_discrete_betas(int steps, double beta_min = 0.1, double beta_max = 20.0);

}  // namespace ayslab
