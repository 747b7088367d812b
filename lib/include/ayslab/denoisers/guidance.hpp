// Classifier-free guidance (Ho & Salimans 2022) as a denoiser wrapper:
//   D_w(x; sigma, y) = D(x; sigma, unconditional) + w (D(x; sigma, y) - D(x; sigma, unconditional)).
// w is diffusers' guidance_scale and ComfyUI's cfg (comfy/samplers.py, cfg_function: uncond_pred +
// (cond_pred - uncond_pred) * cond_scale, on denoised values): w = 1 is the conditional model, w = 0
// the unconditional one. Ho & Salimans' eps~ = (1 + w') eps_c - w' eps_u is w = 1 + w'. D = x - sigma
// eps is affine in eps, so the same combination holds for D, eps, v and the score.
// Peers differ at w <= 1: diffusers evaluates only the conditional model when guidance_scale <= 1
// (do_classifier_free_guidance is guidance_scale > 1), ComfyUI when cfg == 1; here only w = 1 (one
// conditional evaluation) and w = 0 (one unconditional) skip a branch, and 0 < w < 1 is the mixture.
#pragma once
#include <limits>

#include "ayslab/denoisers/denoiser.hpp"

namespace ayslab {

struct GuidanceOptions {
    double scale = 1.0;  // w
    // Guidance interval (Kynkaenniemi et al. 2024): w applies for sigma in [sigma_lo, sigma_hi];
    // outside it the conditional model alone (w = 1, one evaluation).
    double sigma_lo = 0.0;
    double sigma_hi = std::numeric_limits<double>::infinity();
    // true: the unconditional and the conditional rows go to the model in one call of 2n rows (as
    // diffusers and ComfyUI batch them); false: two calls of n rows. Same values either way.
    bool batched = true;
};

class GuidedDenoiser final : public DenoiserView {
  public:
    // base: a conditional denoiser (classes() > 0). InputError otherwise, or for a non-finite w or an
    // empty interval.
    GuidedDenoiser(const Denoiser& base, const GuidanceOptions& options);
    const GuidanceOptions& options() const { return o_; }
    // True when both branches are evaluated at this sigma (w is neither 0 nor 1 and sigma lies in
    // the interval).
    bool guides_at(double sigma) const;
    // Without labels: the unconditional model. With labels, at one sigma: both branches in one call of
    // 2n rows when batched (two calls, unconditional then conditional, if not). With a sigma per row:
    // each row's branches chosen at its sigma, all rows of both branches in one call to the base when
    // batched.
    void evaluate(const Batch& batch, std::span<double> out) const override;
    // tr dD_w/dx = (1 - w) tr dD_u/dx + w tr dD_c/dx (D_w is linear in the two branches).
    void trace(const Batch& batch, std::span<double> out) const override;

    // What the base model was asked for since construction (or reset_counts()): rows evaluated (a
    // guided row counts 2: network evaluations) and calls made (a batched guided step is 1 call),
    // counted here because an exact base counts nothing.
    Evaluations requested() const { return requested_.total(); }
    void reset_counts() const { requested_.reset(); }

  private:
    void evaluate_one_sigma(const Batch& batch, std::span<double> out) const;
    void evaluate_rows(const Batch& batch, std::span<double> out) const;
    GuidanceOptions o_;
    EvaluationCounter requested_;
};

}  // namespace ayslab
