// The seeds' training losses as weighted denoising errors (MATH.md §8). Every one is
//     J(D) = E_{sigma ~ p} E_{x0, eps} lambda(sigma) R( D(x0 + sigma eps; sigma) - x0 ),
// R the per-sample reduction of its code: the mean over coordinates of the squares ("reduce_mean"),
// half their sum (score_sde's reduce_mean = False), or the mean of absolute values (DDPM's l1). So a
// loss is a noise-level distribution p, a weight lambda and a reduction; its value at the exact
// denoiser D* (the posterior mean) is irreducible, and for a quadratic R
//     J(D) - J(D*) = E lambda R(D - D*)                 (orthogonality of D* - x0 to functions of x).
// Written on the Denoiser interface, so the same code scores the exact denoisers here and a network.
#pragma once
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/process/process.hpp"
#include "ayslab/stats.hpp"

namespace ayslab {

enum class LossKind {
    ddpm_simple,  // seeds' GaussianDiffusion.get_losses: eps loss, t uniform over the T steps, l1 or l2
    score_sde,    // score_sde get_sde_loss_fn: continuous t ~ U[eps, T]; weight 1 or g^2 (likelihood)
    smld,         // score_sde get_smld_loss_fn: VE discrete sigmas, lambda = sigma^2 on the score loss
    ddpm,         // score_sde get_ddpm_loss_fn: VP discrete labels, eps loss
    edm           // Karras et al. 2022: ln sigma ~ N(P_mean, P_std^2), lambda = (s^2 + sd^2)/(s sd)^2
};
enum class Reduction { mean, half_sum, mean_abs };

struct LossOptions {
    LossKind kind = LossKind::edm;
    std::string process = "edm";  // score_sde: vp, subvp or ve (the SDE); smld ve; ddpm(-simple) vp; edm edm
    bool likelihood_weighting = false;  // score_sde only
    // score_sde with likelihood weighting: draw t log-uniformly on [eps, T] and weight each draw by
    // t ln(T/eps) / (T - eps), the same J with a bounded per-draw value (lambda R ~ 1/t near t = eps
    // under uniform t). false: t uniform, as score_sde's code draws it.
    bool importance_sampling = true;
    bool reduce_mean = true;            // score_sde, smld, ddpm (false: half the sum)
    bool l1 = false;                    // ddpm_simple only (true: DDPM's "l1")
    double eps = 1e-5;                  // score_sde: smallest t
    int steps = 1000;                   // discrete losses: N (T for ddpm_simple)
    double p_mean = -1.2, p_std = 1.2, sigma_data = 0.5;  // edm
};

std::vector<std::string> loss_names();  // ddpm-simple, score-sde, smld, ddpm, edm
LossKind parse_loss(std::string_view name);

class DenoisingLoss {
  public:
    explicit DenoisingLoss(const LossOptions& options);
    const LossOptions& options() const { return o_; }
    Reduction reduction() const { return reduction_; }
    // The noise level of a draw from p, from one uniform u in (0, 1] and, for the log-normal, one
    // standard normal z (draws are addressed, so common random numbers work across denoisers).
    double sigma(double u, double z) const;
    // lambda(sigma) in the per-sample loss lambda R(D - x0).
    double weight(double sigma) const;
    // The factor a draw's lambda R is multiplied by in a Monte Carlo estimate of J (1 unless t is
    // importance-sampled, see LossOptions::importance_sampling).
    double draw_factor(double sigma) const;
    // lambda R(D - x0) for one sample of d coordinates.
    double per_sample(std::span<const double> denoised, std::span<const double> x0, double sigma) const;
    // E_sigma[lambda(sigma) R-expectation] at the exact denoiser of Gaussian data N(mu, diag(var)):
    // per coordinate D* - x0 | x ~ N(0, v sigma^2/(v + sigma^2)) (MATH §8). Quadrature (continuous
    // and log-normal sigma) or the exact finite sum (discrete).
    double gaussian_irreducible(std::span<const double> variances) const;
    // E_sigma f(sigma) under p (the same quadrature / sum): exposed for tests and experiments.
    double expect_over_sigma(const std::function<double(double)>& f) const;

  private:
    bool log_uniform_t() const {
        return o_.kind == LossKind::score_sde && o_.likelihood_weighting && o_.importance_sampling;
    }
    LossOptions o_;
    Reduction reduction_;
    std::unique_ptr<Process> process_;  // continuous score_sde
    std::vector<double> discrete_;      // sigma of each discrete level (smld, ddpm, ddpm_simple)
};

struct LossEstimate {
    Moments loss;        // per-sample lambda R(D - x0)
    Moments excess;      // per-sample lambda R(D - D_ref) (quadratic reductions; empty otherwise)
    Moments difference;  // per-sample [lambda R(D - x0) - lambda R(D_ref - x0)] on the same draws
    Moments gap;         // per-sample difference - excess: mean 0 when D_ref is the posterior mean
};

// Monte Carlo of J over n draws (x0 from the data, sigma and eps addressed by (seed, sample)): the loss
// of `denoiser`, and, with `reference` (e.g. the exact D*), both sides of the excess-loss identity.
LossEstimate estimate_loss(const DenoisingLoss& loss, const Data& data, const Denoiser& denoiser,
                           const Denoiser* reference, std::size_t n, std::uint64_t seed, std::size_t threads);

}  // namespace ayslab
