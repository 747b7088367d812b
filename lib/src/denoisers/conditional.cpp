#include "ayslab/denoisers/conditional.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "ayslab/error.hpp"

namespace ayslab {

Conditioned::Conditioned(const Denoiser& base, Label label) : DenoiserView(base), label_(label), direct_(nullptr) {
    check_labels({&label_, 1}, 1, base.classes());
    if (label != null_label) direct_ = base.class_denoiser(label);
}

DenoiserTraits Conditioned::traits() const {
    DenoiserTraits t = base_.traits();
    if (direct_) {
        t.exact_divergence = direct_->exact_divergence();
        t.rounding = direct_->rounding();
    }
    t.classes = 0;  // the label is bound
    return t;
}

void Conditioned::evaluate(const Batch& b, std::span<double> out) const {
    check_labels(b.labels, b.n, 0);
    if (direct_) return direct_->evaluate(b.with_labels({}), out);
    base_.evaluate(b.with_labels({&label_, 1}), out);
}

void Conditioned::trace(const Batch& b, std::span<double> out) const {
    check_labels(b.labels, b.n, 0);
    if (direct_) return direct_->trace(b.with_labels({}), out);
    base_.trace(b.with_labels({&label_, 1}), out);
}

LabelledRows::LabelledRows(const Denoiser& base, std::span<const Label> labels) : DenoiserView(base), labels_(labels) {
    check_labels(labels, labels.size(), base.classes());
}

DenoiserTraits LabelledRows::traits() const {
    DenoiserTraits t = base_.traits();
    t.classes = 0;  // the labels are bound
    return t;
}

namespace {
void check_rows_of_view(std::size_t n, std::size_t labels) {
    if (n != labels)
        throw InputError(fmt::format("a batch of {} rows given to a view of {} labelled rows", n, labels));
}
}  // namespace

void LabelledRows::evaluate(const Batch& b, std::span<double> out) const {
    check_rows_of_view(b.n, labels_.size());
    check_labels(b.labels, b.n, 0);
    base_.evaluate(b.with_labels(labels_), out);
}

void LabelledRows::trace(const Batch& b, std::span<double> out) const {
    check_rows_of_view(b.n, labels_.size());
    check_labels(b.labels, b.n, 0);
    base_.trace(b.with_labels(labels_), out);
}

namespace {
void evaluate_or_trace(const Denoiser& denoiser, const Batch& b, std::span<double> out, bool trace) {
    if (trace)
        denoiser.trace(b, out);
    else
        denoiser.evaluate(b, out);
}
}  // namespace

void evaluate_by_class(const Denoiser& self, std::span<const Denoiser* const> per_class, const Batch& b,
                       std::span<double> out, bool trace) {
    const std::size_t n = b.n, d = self.dim(), classes = per_class.size(), width = trace ? 1 : d;
    check_labels(b.labels, n, classes);
    if (b.x.size() != n * d || out.size() != n * width)
        throw InputError(fmt::format("conditional denoiser: {} rows of d = {} need {} values in and {} out, got {} and {}",
                                     n, d, n * d, n * width, b.x.size(), out.size()));
    if (!b.one_sigma() && b.sigmas.size() != n) throw InputError(fmt::format("{} sigmas for {} rows", b.sigmas.size(), n));
    // Label y's denoiser, called without labels (null: self's own kernels).
    auto of = [&](Label y) -> const Denoiser& { return y == null_label ? self : *per_class[y]; };
    if (n == 0) return;
    const Batch plain = b.with_labels({});
    if (!b.one_sigma()) {
        if (b.labels.size() <= 1) return evaluate_or_trace(of(b.label_of(0)), plain, out, trace);
        for (std::size_t i = 0; i < n; ++i)
            evaluate_or_trace(of(b.labels[i]), plain.row(i, b.x.subspan(i * d, d)), out.subspan(i * width, width), trace);
        return;
    }
    bool single = true;
    for (std::size_t i = 1; i < b.labels.size() && single; ++i) single = b.labels[i] == b.labels[0];
    if (single) return evaluate_or_trace(of(b.label_of(0)), plain, out, trace);
    // Mixed labels: gather each label's rows, evaluate them together, scatter back.
    thread_local std::vector<double> xs, os;
    thread_local std::vector<std::size_t> rows;
    for (Label y = null_label; y < static_cast<Label>(classes); ++y) {
        rows.clear();
        for (std::size_t i = 0; i < n; ++i)
            if (b.labels[i] == y) rows.push_back(i);
        if (rows.empty()) continue;
        const std::size_t m = rows.size();
        xs.resize(m * d);
        os.resize(m * width);
        for (std::size_t r = 0; r < m; ++r) std::copy_n(b.x.data() + rows[r] * d, d, xs.data() + r * d);
        evaluate_or_trace(of(y), {xs, m, b.sigma, {}, {}}, os, trace);
        for (std::size_t r = 0; r < m; ++r) std::copy_n(os.data() + r * width, width, out.data() + rows[r] * width);
    }
}

}  // namespace ayslab
