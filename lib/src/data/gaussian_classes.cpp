#include "ayslab/data/gaussian_classes.hpp"

#include <fmt/format.h>

#include <cmath>

#include "ayslab/denoisers/conditional.hpp"
#include "ayslab/error.hpp"

namespace ayslab {

GaussianClasses::GaussianClasses(std::vector<DiagonalGaussian> classes, DiagonalGaussian unconditional)
    : classes_(std::move(classes)), unconditional_(std::move(unconditional)) {
    if (classes_.empty()) throw InputError("Gaussian classes: at least one class");
    for (const auto& c : classes_) {
        if (c.dim() != unconditional_.dim())
            throw InputError(fmt::format("Gaussian classes: a class of dimension {}, the unconditional model {}",
                                         c.dim(), unconditional_.dim()));
        per_class_.push_back(&c);
    }
}

GaussianClasses GaussianClasses::moment_matched(std::vector<DiagonalGaussian> classes) {
    if (classes.empty()) throw InputError("Gaussian classes: at least one class");
    const std::size_t d = classes[0].dim(), k = classes.size();
    std::vector<double> mean(d, 0.0), second(d, 0.0), std(d);
    for (const auto& c : classes) {
        if (c.dim() != d) throw InputError("Gaussian classes: the classes differ in dimension");
        for (std::size_t j = 0; j < d; ++j) {
            mean[j] += c.mean()[j] / static_cast<double>(k);
            second[j] += (c.variance()[j] + c.mean()[j] * c.mean()[j]) / static_cast<double>(k);
        }
    }
    for (std::size_t j = 0; j < d; ++j) std[j] = std::sqrt(second[j] - mean[j] * mean[j]);
    return GaussianClasses(std::move(classes), DiagonalGaussian(std::move(mean), std::move(std)));
}

GaussianClasses GaussianClasses::two_classes(std::size_t d) {
    if (d == 0) throw InputError("Gaussian classes: d >= 1");
    std::vector<double> std(d), plus(d, 0.5), minus(d, -0.5);
    for (std::size_t j = 0; j < d; ++j)
        std[j] = d == 1 ? 0.1 : 0.1 * std::pow(10.0, static_cast<double>(j) / static_cast<double>(d - 1));
    std::vector<DiagonalGaussian> classes;
    classes.emplace_back(plus, std);
    classes.emplace_back(minus, std);
    return moment_matched(std::move(classes));
}

const DiagonalGaussian& GaussianClasses::given(Label y) const {
    check_labels({&y, 1}, 1, classes());
    return y == null_label ? unconditional_ : classes_[y];
}

void GaussianClasses::evaluate(const Batch& b, std::span<double> out) const {
    if (b.labels.empty()) return unconditional_.evaluate(b, out);
    evaluate_by_class(*this, per_class_, b, out);
}

void GaussianClasses::trace(const Batch& b, std::span<double> out) const {
    if (b.labels.empty()) return unconditional_.trace(b, out);
    evaluate_by_class(*this, per_class_, b, out, true);
}

}  // namespace ayslab
