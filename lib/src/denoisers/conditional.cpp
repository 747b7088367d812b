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

void Conditioned::denoise(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const {
    if (direct_) return direct_->denoise(x, n, sigma, out);
    base_.denoise_labelled(x, n, sigma, {&label_, 1}, out);
}

void Conditioned::denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                               std::span<double> out) const {
    if (direct_) return direct_->denoise_rows(x, n, sigmas, out);
    base_.denoise_rows_labelled(x, n, sigmas, {&label_, 1}, out);
}

void Conditioned::jacobian_trace(std::span<const double> x, std::size_t n, double sigma,
                                 std::span<double> out) const {
    if (direct_) return direct_->jacobian_trace(x, n, sigma, out);
    base_.jacobian_trace_labelled(x, n, sigma, {&label_, 1}, out);
}

LabelledRows::LabelledRows(const Denoiser& base, std::span<const Label> labels) : DenoiserView(base), labels_(labels) {
    check_labels(labels, labels.size(), base.classes());
}

void LabelledRows::denoise(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const {
    if (n != labels_.size())
        throw InputError(fmt::format("a batch of {} rows given to a view of {} labelled rows", n, labels_.size()));
    base_.denoise_labelled(x, n, sigma, labels_, out);
}

void LabelledRows::denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                                std::span<double> out) const {
    if (n != labels_.size())
        throw InputError(fmt::format("a batch of {} rows given to a view of {} labelled rows", n, labels_.size()));
    base_.denoise_rows_labelled(x, n, sigmas, labels_, out);
}

void LabelledRows::jacobian_trace(std::span<const double> x, std::size_t n, double sigma,
                                  std::span<double> out) const {
    if (n != labels_.size())
        throw InputError(fmt::format("a batch of {} rows given to a view of {} labelled rows", n, labels_.size()));
    base_.jacobian_trace_labelled(x, n, sigma, labels_, out);
}

namespace {
void evaluate(const Denoiser& denoiser, std::span<const double> x, std::size_t n, double sigma,
              std::span<double> out, bool trace) {
    if (trace)
        denoiser.jacobian_trace(x, n, sigma, out);
    else
        denoiser.denoise(x, n, sigma, out);
}
}  // namespace

void denoise_by_label(const Denoiser& unconditional, std::span<const Denoiser* const> per_class,
                      std::span<const double> x, std::size_t n, double sigma, std::span<const Label> labels,
                      std::span<double> out, bool trace) {
    const std::size_t d = unconditional.dim(), classes = per_class.size(), width = trace ? 1 : d;
    check_labels(labels, n, classes);
    if (x.size() != n * d || out.size() != n * width)
        throw InputError(fmt::format("conditional denoiser: {} rows of d = {} need {} values in and {} out, got {} and {}",
                                     n, d, n * d, n * width, x.size(), out.size()));
    auto of = [&](Label y) -> const Denoiser& { return y == null_label ? unconditional : *per_class[y]; };
    bool single = true;
    for (std::size_t i = 1; i < labels.size() && single; ++i) single = labels[i] == labels[0];
    if (n == 0) return;
    if (single) return evaluate(of(labels[0]), x, n, sigma, out, trace);
    // Mixed labels: gather each label's rows, evaluate them together, scatter back.
    thread_local std::vector<double> xs, os;
    thread_local std::vector<std::size_t> rows;
    for (Label y = null_label; y < static_cast<Label>(classes); ++y) {
        rows.clear();
        for (std::size_t i = 0; i < n; ++i)
            if (labels[i] == y) rows.push_back(i);
        if (rows.empty()) continue;
        const std::size_t m = rows.size();
        xs.resize(m * d);
        os.resize(m * width);
        for (std::size_t r = 0; r < m; ++r) std::copy_n(x.data() + rows[r] * d, d, xs.data() + r * d);
        evaluate(of(y), xs, m, sigma, os, trace);
        for (std::size_t r = 0; r < m; ++r) std::copy_n(os.data() + r * width, width, out.data() + rows[r] * width);
    }
}

}  // namespace ayslab
