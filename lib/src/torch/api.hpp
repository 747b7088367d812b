// The LibTorch plugin's table (private to lib/): libayslab_torch.so holds the trained-network side
// (network.cpp, unet.cpp, train.cpp, linked with LibTorch) and hands the core this table; the core's
// Network methods and train_network() (plugin.cpp) call through it. So a process loads LibTorch only
// when it first touches a network — not every run-experiment start (LibTorch's start-up cost 0.7 s a
// process), and not `import ayslab` in a process that has its own PyTorch.
#pragma once
#include "ayslab/data/device_mixture.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/training/train.hpp"
#include "features_api.hpp"

namespace ayslab::torch_plugin {

// Bumped whenever the table or the types it passes change: the core refuses another plugin's table.
inline constexpr int api_version = 4;

struct Api {
    int version;
    Network (*mlp)(const MlpOptions&);
    Network (*unet)(const UnetOptions&);
    Network (*load)(const std::filesystem::path&, std::size_t, const ModelInput&);
    Network (*from_source)(const std::string&, std::size_t, const ModelInput&);
    void (*save)(const Network&, const std::filesystem::path&);
    std::size_t (*dim)(const Network&);
    std::string (*description)(const Network&);
    bool (*takes_labels)(const Network&);
    bool (*concurrent)(const Network&);
    std::size_t (*classes)(const Network&);
    std::vector<float> (*parameters)(const Network&);
    std::size_t (*parameter_count)(const Network&);
    Network (*clone)(const Network&);
    void (*forward)(const Network&, std::span<const float>, std::span<const float>, std::size_t, std::span<float>,
                    std::size_t, std::span<const std::int64_t>);
    void (*jacobian_trace)(const Network&, std::span<const float>, std::span<const float>, std::size_t,
                           std::span<double>, std::size_t, std::span<const std::int64_t>);
    TrainResult (*train)(const Network&, const Data&, const TrainOptions&, const TrainProgress&);
    std::shared_ptr<const void> (*upload_mixture)(const MixtureTables&, const std::string&);
    void (*mixture_denoise)(const void*, std::span<const double>, std::size_t, std::span<const double>,
                            std::span<const Label>, std::span<double>);
    // The feature network (feature_network.hpp, features_api.hpp).
    Network (*feature_build)(const FeatureNetworkOptions&);
    Network (*feature_load)(const std::filesystem::path&, std::array<std::size_t, 3>&);
    Network (*feature_train)(const Network&, const PointSet&, std::span<const Label>, const FeatureNetworkOptions&,
                             std::vector<FeatureTrainingPoint>*, const FeatureTrainingProgress&);
    void (*feature_evaluate)(const Network&, std::span<const float>, std::size_t, std::span<float>, std::span<float>,
                             std::size_t);
};

}  // namespace ayslab::torch_plugin

// The plugin's one exported entry point.
extern "C" const ayslab::torch_plugin::Api* ayslab_torch_plugin_api();
