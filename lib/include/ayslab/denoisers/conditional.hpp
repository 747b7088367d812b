// Conditional denoisers D(x; sigma, y) in the label-free loops (denoiser.hpp). Samplers, KLUB, AYS
// and the likelihood take a plain Denoiser; these views bind the labels:
//   Conditioned   one label for every row: class-conditional sampling, AYS or p(x | y) for one class;
//   LabelledRows  one label per row of one batch: the sampler makes one per chunk (SamplerOptions).
// evaluate_by_class() is the one label dispatch of a denoiser made of one denoiser per class.
#pragma once
#include <span>

#include "ayslab/denoisers/denoiser.hpp"

namespace ayslab {

// When the base has a denoiser of its own for the class (Denoiser::class_denoiser), every call goes
// to it, fast paths included; otherwise to the base with the label. The view takes no label itself.
class Conditioned final : public DenoiserView {
  public:
    // InputError if `label` is outside the base's classes (null_label is always accepted).
    Conditioned(const Denoiser& base, Label label);
    Label label() const { return label_; }
    DenoiserTraits traits() const override;
    void evaluate(const Batch& batch, std::span<double> out) const override;
    void trace(const Batch& batch, std::span<double> out) const override;

  private:
    Label label_;
    const Denoiser* direct_;  // base_.class_denoiser(label_)
};

class LabelledRows final : public DenoiserView {
  public:
    // labels: one per row of the batches this view is called with (InputError on a bad label).
    LabelledRows(const Denoiser& base, std::span<const Label> labels);
    DenoiserTraits traits() const override;
    // n must equal the number of labels (InputError otherwise: the rows would not be the labelled ones).
    void evaluate(const Batch& batch, std::span<double> out) const override;
    void trace(const Batch& batch, std::span<double> out) const override;

  private:
    std::span<const Label> labels_;
};

// A labelled batch (labels not empty) for a denoiser `self` made of its own unconditional kernels and
// one denoiser per class (per_class[y]); null-label rows go to self without labels.
//   One sigma: a batch with a single label goes to that label's denoiser whole (no copies); mixed
//   labels are grouped, each group evaluated by its own denoiser, the values put back in row order.
//   A sigma per row: one label for all rows goes to its denoiser whole (its per-row path); a label per
//   row, row by row.
// trace = true computes the trace (out: n values) instead of D (out: n x d).
void evaluate_by_class(const Denoiser& self, std::span<const Denoiser* const> per_class, const Batch& batch,
                       std::span<double> out, bool trace = false);

}  // namespace ayslab
