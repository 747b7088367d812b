// Conditional denoisers D(x; sigma, y) in the label-free loops (denoiser.hpp). Samplers, KLUB, AYS
// and the likelihood take a plain Denoiser; these views bind the labels:
//   Conditioned   one label for every row: class-conditional sampling, AYS or p(x | y) for one class;
//   LabelledRows  one label per row of one batch: the sampler makes one per chunk (SamplerOptions).
// denoise_by_label() is the one label dispatch of a denoiser made of one denoiser per class.
#pragma once
#include <span>

#include "ayslab/denoisers/denoiser.hpp"

namespace ayslab {

// When the base has a denoiser of its own for the class (Denoiser::class_denoiser), every call goes
// to it, fast paths included; otherwise through denoise_labelled with the label.
class Conditioned final : public DenoiserView {
  public:
    // InputError if `label` is outside the base's classes (null_label is always accepted).
    Conditioned(const Denoiser& base, Label label);
    Label label() const { return label_; }
    void denoise(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const override;
    void denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                      std::span<double> out) const override;
    bool exact_divergence() const override { return (direct_ ? *direct_ : base_).exact_divergence(); }
    void jacobian_trace(std::span<const double> x, std::size_t n, double sigma,
                        std::span<double> out) const override;
    double rounding() const override { return (direct_ ? *direct_ : base_).rounding(); }

  private:
    Label label_;
    const Denoiser* direct_;  // base_.class_denoiser(label_)
};

class LabelledRows final : public DenoiserView {
  public:
    // labels: one per row of the batches this view is called with (InputError on a bad label).
    LabelledRows(const Denoiser& base, std::span<const Label> labels);
    // n must equal the number of labels (InputError otherwise: the rows would not be the labelled ones).
    void denoise(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const override;
    void denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                      std::span<double> out) const override;
    void jacobian_trace(std::span<const double> x, std::size_t n, double sigma,
                        std::span<double> out) const override;

  private:
    std::span<const Label> labels_;
};

// For a denoiser made of `unconditional` and one denoiser per class (per_class[y]): rows grouped by
// label, each group evaluated by its own denoiser, the values put back in row order. A batch with a
// single label is passed through without copies. trace = true computes jacobian_trace (out: n values)
// instead of denoise (out: n x d).
void denoise_by_label(const Denoiser& unconditional, std::span<const Denoiser* const> per_class,
                      std::span<const double> x, std::size_t n, double sigma, std::span<const Label> labels,
                      std::span<double> out, bool trace = false);

}  // namespace ayslab
