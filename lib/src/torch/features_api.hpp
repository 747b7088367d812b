// The feature network's torch side (feature_network.hpp), private to lib/: defined in the plugin
// (torch/features.cpp), forwarded by the core (torch/plugin.cpp), refused without LibTorch
// (torch/unavailable.cpp).
#pragma once
#include <array>
#include <filesystem>
#include <span>
#include <vector>

#include "ayslab/evaluation/feature_network.hpp"

namespace ayslab::detail {

Network feature_build(const FeatureNetworkOptions& options);
// dims: image dimension, feature dimension, classes.
Network feature_load(const std::filesystem::path& path, std::array<std::size_t, 3>& dims);
Network feature_train(const Network& initial, const PointSet& images, std::span<const Label> labels,
                      const FeatureNetworkOptions& options, std::vector<FeatureTrainingPoint>* curve,
                      const FeatureTrainingProgress& progress);
// rows images (float32) -> features (rows x feature dim) and logits (rows x classes).
void feature_evaluate(const Network& net, std::span<const float> images, std::size_t rows, std::span<float> features,
                      std::span<float> logits, std::size_t threads);

}  // namespace ayslab::detail
