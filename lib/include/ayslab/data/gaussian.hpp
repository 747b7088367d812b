// Gaussian data N(mu, diag(c^2)) in any dimension (MATH.md §2): exact denoiser, score, log p_sigma.
#pragma once
#include <vector>

#include "ayslab/data/data.hpp"

namespace ayslab {

// Data and its own exact denoiser (with the exact divergence).
class DiagonalGaussian final : public Data, public Denoiser {
  public:
    // mean and std (c) per coordinate; same length, std > 0.
    DiagonalGaussian(std::vector<double> mean, std::vector<double> std);
    // Isotropic N(mu 1, c^2 I) in d dimensions.
    static DiagonalGaussian isotropic(std::size_t d, double mu, double c);

    std::size_t dim() const override { return mean_.size(); }
    const Denoiser& denoiser() const override { return *this; }
    const DiagonalGaussian* diagonal_gaussian() const override { return this; }
    DenoiserTraits traits() const override { return {.exact_divergence = true}; }
    void evaluate(const Batch& b, std::span<double> out) const override {
        evaluate_at_each_sigma(*this, b, out, dim(), [this](auto... a) { denoise_at(a...); });
    }
    void trace(const Batch& b, std::span<double> out) const override {
        evaluate_at_each_sigma(*this, b, out, 1, [this](auto... a) { trace_at(a...); });
    }
    double log_density(std::span<const double> x, double sigma) const override;
    double data_variance() const override;
    void sample(std::size_t n, std::uint64_t seed, std::uint64_t first, std::span<double> out) const override;

    bool moments(std::vector<double>& mean, std::vector<double>& covariance) const override;
    const std::vector<double>& mean() const { return mean_; }
    const std::vector<double>& variance() const { return var_; }

  private:
    // The kernels at one sigma: D and its trace (the same for every x).
    void denoise_at(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const;
    void trace_at(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const;
    std::vector<double> mean_, var_;
};

}  // namespace ayslab
