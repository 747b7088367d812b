// Built without LibTorch (AYSLAB_TORCH off): the network API exists and says so in one line.
#include "ayslab/data/device_mixture.hpp"
#include "ayslab/error.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/training/train.hpp"
#include "features_api.hpp"

namespace ayslab {

namespace {
[[noreturn]] void unavailable() {
    throw InputError("this ayslab was built without LibTorch (install libtorch-dev and rebuild; see README)");
}
}  // namespace

struct Network::Impl {};

bool torch_available() { return false; }
Network Network::mlp(const MlpOptions&) { unavailable(); }
Network Network::unet(const UnetOptions&) { unavailable(); }
Network Network::load(const std::filesystem::path&, std::size_t, const ModelInput&) { unavailable(); }
Network Network::from_source(const std::string&, std::size_t, const ModelInput&) { unavailable(); }
void Network::save(const std::filesystem::path&) const { unavailable(); }
std::size_t Network::dim() const { unavailable(); }
std::string Network::description() const { unavailable(); }
bool Network::takes_labels() const { unavailable(); }
bool Network::concurrent() const { unavailable(); }
std::size_t Network::classes() const { unavailable(); }
std::vector<float> Network::parameters() const { unavailable(); }
std::size_t Network::parameter_count() const { unavailable(); }
Network Network::clone() const { unavailable(); }
void Network::forward(std::span<const float>, std::span<const float>, std::size_t, std::span<float>, std::size_t,
                      std::span<const std::int64_t>) const {
    unavailable();
}
void Network::jacobian_trace(std::span<const float>, std::span<const float>, std::size_t, std::span<double>,
                             std::size_t, std::span<const std::int64_t>) const {
    unavailable();
}
TrainResult train_network(const Network&, const Data&, const TrainOptions&, const TrainProgress&) { unavailable(); }
std::shared_ptr<const void> upload_mixture(const MixtureTables&, const std::string&) { unavailable(); }
void device_mixture_denoise(const void*, std::span<const double>, std::size_t, std::span<const double>,
                            std::span<const Label>, std::span<double>) {
    unavailable();
}
namespace detail {
Network feature_build(const FeatureNetworkOptions&) { unavailable(); }
Network feature_load(const std::filesystem::path&, std::array<std::size_t, 3>&) { unavailable(); }
Network feature_train(const Network&, const PointSet&, std::span<const Label>, const FeatureNetworkOptions&,
                      std::vector<FeatureTrainingPoint>*, const FeatureTrainingProgress&) {
    unavailable();
}
void feature_evaluate(const Network&, std::span<const float>, std::size_t, std::span<float>, std::span<float>,
                      std::size_t) {
    unavailable();
}
}  // namespace detail

}  // namespace ayslab
