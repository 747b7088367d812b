#include "ayslab/evaluation/feature_network.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>

#include "ayslab/error.hpp"
#include "ayslab/io/fingerprint.hpp"
#include "../torch/features_api.hpp"

namespace ayslab {

namespace {

// FNV-1a (64 bits) over the description's bytes and every parameter's float32 bits.
std::string fingerprint_of(const Network& net) {
    Fnv1a h;
    const std::string description = net.description();
    h.mix(description.data(), description.size());
    const std::vector<float> params = net.parameters();
    h.mix(params.data(), params.size() * sizeof(float));
    return fmt::format("fnv1a64:{:016x}", h.value());
}

}  // namespace

FeatureNetwork::FeatureNetwork(Network net) : net_(std::move(net)) { fingerprint_ = fingerprint_of(net_); }

FeatureNetwork FeatureNetwork::build(const FeatureNetworkOptions& o) {
    FeatureNetwork f(detail::feature_build(o));
    f.image_dim_ = o.side * o.side;
    f.feature_dim_ = o.features;
    f.classes_ = o.classes;
    return f;
}

FeatureNetwork FeatureNetwork::load(const std::filesystem::path& path) {
    std::array<std::size_t, 3> dims{};
    FeatureNetwork f(detail::feature_load(path, dims));
    f.image_dim_ = dims[0];
    f.feature_dim_ = dims[1];
    f.classes_ = dims[2];
    return f;
}

FeatureNetwork FeatureNetwork::trained(const PointSet& images, std::span<const Label> labels,
                                       const FeatureNetworkOptions& o, std::vector<FeatureTrainingPoint>* curve,
                                       const FeatureTrainingProgress& progress) const {
    FeatureNetwork f(detail::feature_train(net_, images, labels, o, curve, progress));
    f.image_dim_ = image_dim_;
    f.feature_dim_ = feature_dim_;
    f.classes_ = classes_;
    return f;
}

void FeatureNetwork::save(const std::filesystem::path& path) const { net_.save(path); }

void FeatureNetwork::evaluate(std::span<const double> images, std::size_t n, std::vector<double>& features,
                              std::vector<Label>* predicted, std::size_t threads, std::size_t batch) const {
    if (images.size() != n * image_dim_)
        throw InputError(fmt::format("the feature network ({}) takes images of {} values; got {} values for {} images",
                                     fingerprint_, image_dim_, images.size(), n));
    if (batch == 0) throw InputError("feature network: batch must be at least 1");
    features.assign(n * feature_dim_, 0.0);
    if (predicted) predicted->assign(n, 0);
    std::vector<float> x, f, l;
    for (std::size_t start = 0; start < n; start += batch) {
        const std::size_t rows = std::min(batch, n - start);
        x.assign(images.begin() + static_cast<std::ptrdiff_t>(start * image_dim_),
                 images.begin() + static_cast<std::ptrdiff_t>((start + rows) * image_dim_));
        f.assign(rows * feature_dim_, 0.0f);
        l.assign(rows * classes_, 0.0f);
        detail::feature_evaluate(net_, x, rows, f, l, threads);
        for (std::size_t i = 0; i < rows * feature_dim_; ++i) features[start * feature_dim_ + i] = f[i];
        if (predicted)
            for (std::size_t i = 0; i < rows; ++i) {
                std::size_t best = 0;
                for (std::size_t c = 1; c < classes_; ++c)
                    if (l[i * classes_ + c] > l[i * classes_ + best]) best = c;
                (*predicted)[start + i] = static_cast<Label>(best);
            }
    }
}

}  // namespace ayslab
