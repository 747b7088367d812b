// Gaussian mixture sum_k w_k N(mu_k, diag(v_k)) (MATH.md §2): responsibilities by log-sum-exp,
// D = sum_k r_k (mu_k + v_k/(v_k + sigma^2) (x - mu_k)), exact log p_sigma.
#pragma once
#include <filesystem>
#include <memory>
#include <vector>

#include "ayslab/data/data.hpp"
#include "ayslab/data/part_classes.hpp"
#include "ayslab/precision.hpp"

namespace ayslab {

// Data and its own exact denoiser (with the exact divergence).
class GaussianMixture final : public PartClasses<GaussianMixture> {
  public:
    // weights: K (positive, normalised here); means: K x d row-major; variances: K x d (diagonal)
    // or K (isotropic per component).
    GaussianMixture(std::vector<double> weights, std::vector<double> means, std::vector<double> variances,
                    std::size_t dim);

    std::size_t dim() const override { return dim_; }
    const Denoiser& denoiser() const override { return *this; }
    std::size_t components() const { return weights_.size(); }
    // The tables (weights normalised; means and variances K x d; classes per component or empty).
    const std::vector<double>& weights() const { return weights_; }
    const std::vector<double>& means() const { return means_; }
    const std::vector<double>& variances() const { return var_; }
    const std::vector<Label>& component_classes() const { return part_classes(); }
    double log_density(std::span<const double> x, double sigma) const override;
    double data_variance() const override;
    void sample(std::size_t n, std::uint64_t seed, std::uint64_t first, std::span<double> out) const override;

    // float32: D computes in single precision (log densities stay float64).
    void set_precision(Precision p);
    Precision precision() const { return precision_; }

    // The exact mean (d) and covariance (d x d, row-major) of the data (sigma = 0).
    bool moments(std::vector<double>& mean, std::vector<double>& covariance) const override;
    bool mixture(MixtureTables& out) const override {
        out = {dim(), weights(), means(), variances(), component_classes(), classes()};
        return true;
    }

    // Classes: component k belongs to class component_class[k] (K entries; the classes 0..C-1 each
    // own at least one component). The data given y is the mixture of y's components, its weights
    // renormalised; the exact conditional denoiser is that mixture's (MATH.md §2 on the components
    // of y alone). InputError on a bad list.
    // (The class members are PartClasses', data/part_classes.hpp.)
    void set_classes(std::vector<Label> component_class);
    // Draws one x_0 row (row `index` of a sample() call) and returns its component.
    std::size_t draw_part(std::uint64_t seed, std::uint64_t index, std::span<double> row) const;

    // Log responsibilities plus normaliser for one point: fills log_r (K) and returns log p_sigma(x).
    double log_responsibilities(std::span<const double> x, double sigma, std::span<double> log_r) const;

  private:
    friend class PartClasses<GaussianMixture>;
    // The exact denoiser at one sigma (the paths below by size and precision) and its exact trace.
    void denoise_at(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const;
    void trace_at(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const;
    // Any mixture: blocks of particles, transposed so the loops over particles vectorise.
    template <class T>
    void denoise_small(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const;
    // Isotropic components and d >= 8: squared distances and the mixing by two GEMMs (OpenBLAS).
    template <class T>
    void denoise_gemm(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const;
    // The isotropic paths' per-sigma tables, K entries padded with zero-weight ones to `padded`.
    template <class T>
    void iso_tables(double sigma, std::size_t padded, std::vector<T>& log_norm, std::vector<T>& inv2t,
                    std::vector<T>& shrink, std::vector<T>& norms) const;
    // Isotropic components whose means fit in the caches: one fused pass (lib/src/kernels/mixture_fused.inl).
    template <class T>
    void denoise_fused(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const;
    template <class T>
    const std::vector<T>& means_as() const;

    std::size_t dim_;
    std::vector<double> weights_, log_weights_, means_, var_;  // var_: K x d
    std::vector<double> iso_var_, mean_norms_;                 // per component, when isotropic
    bool isotropic_ = false;
    Precision precision_ = Precision::float64;
    std::vector<float> means_f_;  // float32 copy of means_ (set_precision)
    // The fused path's means, zero-padded to whole 64-byte vectors: d x kp (transposed) and K x dp.
    std::vector<double> fused_mu_t_, fused_mu_;
    std::vector<float> fused_mu_t_f_, fused_mu_f_;  // (set_precision)
};

// A mixture from a JSON file, so a peer's test problem runs as is:
//   {"weights": [w_1, ...], "means": [[...], ...], "variances": [[...], ...] or [v_1, ...]}
// weights positive (normalised), means K rows of one length d >= 1, variances K rows of d (diagonal)
// or K numbers (isotropic), all finite and positive. InputError names the file and the field.
std::unique_ptr<GaussianMixture> load_mixture(const std::filesystem::path& path);

}  // namespace ayslab
