// The exact denoisers of Gaussian mixtures and point sets as LibTorch operations on a device (issue
// #26): the samplers, KLUB and AYS loops stay the same, and the heavy part of each evaluation — the
// distances to every component, the log-sum-exp and the responsibility-weighted mean — runs as
// matrix products on `device` ("cpu", "cuda", "cuda:N"; float64, so the results are the exact
// denoiser's to rounding). MATH.md §2: with a_kj = 1 / (v_kj + sigma^2),
//   log r_k = log w_k - sum_j a_kj (x_j - mu_kj)^2 / 2 + sum_j log a_kj / 2   (then normalised),
//   D(x) = sum_k r_k (mu_k + v_k a_k (x - mu_k)),
// a point set being the mixture of its rows with v = 0 and equal weights. A label y keeps only the
// components (rows) of class y; the null label keeps all.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ayslab/data/data.hpp"

namespace ayslab {


// The tables of a GaussianMixture or an EmpiricalData (InputError for other data: no exact mixture).
MixtureTables mixture_tables(const Data& data);

// The denoiser of the tables on a device (LibTorch; InputError in a build without it, or for a device
// LibTorch cannot reach, naming it). Rows per call: traits().batch_rows (the whole particle set of a sampler
// chunk goes to the device at once).
class DeviceMixtureDenoiser final : public Denoiser {
  public:
    DeviceMixtureDenoiser(const MixtureTables& tables, const std::string& device);
    std::size_t dim() const override { return dim_; }
    DenoiserTraits traits() const override { return {.classes = classes_, .batch_rows = 16384}; }
    void evaluate(const Batch& batch, std::span<double> out) const override;

  private:
    std::size_t dim_, classes_;
    std::shared_ptr<const void> tables_;  // the plugin's tensors on the device
};

// The plugin's two operations (lib/src/torch/device_mixture.cpp; the core forwards to them).
std::shared_ptr<const void> upload_mixture(const MixtureTables& tables, const std::string& device);
// out[i] = D(x[i]; sigmas[i or 0], labels[i or 0]); sigmas: n or 1 values, labels: n, 1 or 0 (none).
void device_mixture_denoise(const void* tables, std::span<const double> x, std::size_t n,
                            std::span<const double> sigmas, std::span<const Label> labels, std::span<double> out);

}  // namespace ayslab
