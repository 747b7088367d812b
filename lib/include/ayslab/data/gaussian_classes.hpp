// Gaussian classes: the exact toy for classifier-free guidance (MATH.md §2 per coordinate). Class y
// has the law N(mu_y, diag c_y^2) and the unconditional model is a Gaussian N(mu_u, diag c_u^2) too —
// by default the classes' moment-matched Gaussian, not their mixture — so that every guided denoiser
// (1 - w) D_u + w D_y is affine in x and the guided sampler's output law is exactly computable
// (divergence/guided_law.hpp).
#pragma once
#include <vector>

#include "ayslab/data/gaussian.hpp"

namespace ayslab {

class GaussianClasses final : public Denoiser {
  public:
    // classes: one law per class (same dimension, at least one); unconditional: the model without a label.
    GaussianClasses(std::vector<DiagonalGaussian> classes, DiagonalGaussian unconditional);
    // The unconditional model is the Gaussian with the mean and per-coordinate variance of the equal-
    // weight mixture of the classes.
    static GaussianClasses moment_matched(std::vector<DiagonalGaussian> classes);
    // The built-in toy: d coordinates with std c_j geometric from 0.1 to 1, two classes with means
    // +m and -m (m = 0.5 in every coordinate); unconditional moment-matched (mean 0, c_j^2 + m^2).
    static GaussianClasses two_classes(std::size_t d);
    GaussianClasses(GaussianClasses&&) = default;  // (per_class_ points into classes_' buffer, which moves)
    GaussianClasses(const GaussianClasses&) = delete;
    GaussianClasses& operator=(const GaussianClasses&) = delete;

    std::size_t dim() const override { return unconditional_.dim(); }
    DenoiserTraits traits() const override { return {.classes = classes_.size(), .exact_divergence = true}; }
    const DiagonalGaussian& given(Label y) const;  // y = null_label: the unconditional model
    // Without labels the unconditional model; with labels each class's Gaussian (conditional.hpp).
    void evaluate(const Batch& batch, std::span<double> out) const override;
    void trace(const Batch& batch, std::span<double> out) const override;
    const Denoiser* class_denoiser(Label y) const override {
        return y >= 0 && static_cast<std::size_t>(y) < classes_.size() ? &classes_[y] : nullptr;
    }

  private:
    std::vector<DiagonalGaussian> classes_;
    DiagonalGaussian unconditional_;
    std::vector<const Denoiser*> per_class_;
};

}  // namespace ayslab
