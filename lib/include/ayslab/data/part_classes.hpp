// The class plumbing of a data law made of parts (a mixture's components, a point set's rows), written
// once for GaussianMixture and EmpiricalData: part j belongs to class part_class[j]; the law given y is a
// Self made of y's parts alone (its exact denoiser is the conditional one, MATH.md §2 on y's parts), and
// y's weight is its parts' total weight. Self provides
//   std::size_t draw_part(seed, index, row): draws row `index` of a sample() call, returns its part;
// and calls set_part_classes() with a maker of the law of a list of parts (and their total weight);
// its exact denoiser's kernels, unlabelled, at one sigma:
//   void denoise_at(x, n, sigma, out), void trace_at(x, n, sigma, out) (tr dD/dx, exact),
// and, if it has one, a kernel for a sigma per row: void denoise_rows_at(const Batch&, out) (else
// row by row). The Denoiser door (evaluate, trace) is written here once for both.
#pragma once
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "ayslab/denoisers/conditional.hpp"
#include "ayslab/data/data.hpp"
#include "ayslab/error.hpp"

namespace ayslab {

template <class Self>
class PartClasses : public Data, public Denoiser {
  public:
    std::size_t classes() const override { return by_class_.size(); }
    double class_weight(Label y) const override {
        check_labels({&y, 1}, 1, classes());
        return y == null_label ? 1.0 : class_weights_[static_cast<std::size_t>(y)];
    }
    const Data& given(Label y) const override {
        check_labels({&y, 1}, 1, classes());
        return y == null_label ? static_cast<const Data&>(*this) : *by_class_[static_cast<std::size_t>(y)];
    }
    void sample_labelled(std::size_t n, std::uint64_t seed, std::uint64_t first, std::span<double> out,
                         std::span<Label> labels) const override {
        if (classes() == 0) throw InputError("this data has no classes");
        const auto& self = static_cast<const Self&>(*this);
        const std::size_t d = self.dim();
        if (out.size() != n * d || labels.size() != n) throw InputError("labelled sample: output has the wrong size");
        for (std::size_t i = 0; i < n; ++i) labels[i] = part_class_[self.draw_part(seed, first + i, out.subspan(i * d, d))];
    }
    DenoiserTraits traits() const override { return {.classes = classes(), .exact_divergence = true}; }
    void evaluate(const Batch& b, std::span<double> out) const override {
        const auto& self = static_cast<const Self&>(*this);
        if (!b.labels.empty()) return evaluate_by_class(*this, class_denoisers_, b, out);
        if constexpr (requires { self.denoise_rows_at(b, out); })
            if (!b.one_sigma()) return self.denoise_rows_at(b, out);
        evaluate_at_each_sigma(*this, b, out, self.dim(), [&self](auto... a) { self.denoise_at(a...); });
    }
    void trace(const Batch& b, std::span<double> out) const override {
        const auto& self = static_cast<const Self&>(*this);
        if (!b.labels.empty()) return evaluate_by_class(*this, class_denoisers_, b, out, true);
        evaluate_at_each_sigma(*this, b, out, 1, [&self](auto... a) { self.trace_at(a...); });
    }
    const Denoiser* class_denoiser(Label y) const override {
        return y >= 0 && static_cast<std::size_t>(y) < by_class_.size() ? by_class_[static_cast<std::size_t>(y)].get()
                                                                          : nullptr;
    }
    const std::vector<Label>& part_classes() const { return part_class_; }  // empty: no classes

  protected:
    // The law of the listed parts (in order) and their total weight.
    using MakeClass = std::function<std::pair<std::unique_ptr<Self>, double>(const std::vector<std::size_t>& parts)>;
    // InputError naming `what` and `part` (e.g. "data labels", "row") on a list of another length than
    // `parts`, a negative label, or a class 0..max without a part.
    void set_part_classes(std::vector<Label> part_class, std::size_t parts, const char* what, const char* part,
                          const MakeClass& make) {
        if (part_class.size() != parts)
            throw InputError(fmt::format("{}: {} labels for {} {}s", what, part_class.size(), parts, part));
        Label top = -1;
        for (Label y : part_class) {
            if (y < 0) throw InputError(fmt::format("{}: label {} is negative", what, y));
            top = std::max(top, y);
        }
        std::vector<std::unique_ptr<Self>> by_class;
        std::vector<double> weights;
        for (Label y = 0; y <= top; ++y) {
            std::vector<std::size_t> mine;
            for (std::size_t j = 0; j < parts; ++j)
                if (part_class[j] == y) mine.push_back(j);
            if (mine.empty())
                throw InputError(fmt::format("{}: class {} has no {} (labels must be 0..{})", what, y, part, top));
            auto [law, weight] = make(mine);
            by_class.push_back(std::move(law));
            weights.push_back(weight);
        }
        part_class_ = std::move(part_class);
        by_class_ = std::move(by_class);
        class_weights_ = std::move(weights);
        class_denoisers_.assign(by_class_.size(), nullptr);
        for (std::size_t y = 0; y < by_class_.size(); ++y) class_denoisers_[y] = by_class_[y].get();
    }
    const std::vector<std::unique_ptr<Self>>& class_laws() const { return by_class_; }

  private:
    std::vector<Label> part_class_;
    std::vector<std::unique_ptr<Self>> by_class_;  // the law given each class
    std::vector<double> class_weights_;
    std::vector<const Denoiser*> class_denoisers_;
};

}  // namespace ayslab
