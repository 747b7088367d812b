// The table libayslab_torch.so hands the core (api.hpp). Linked with -Bsymbolic-functions, so the
// Network methods called here are this library's own (LibTorch) definitions, not the core's stubs.
#include "api.hpp"

namespace ayslab::torch_plugin {
namespace {
const Api table{
    api_version,
    [](const MlpOptions& o) { return Network::mlp(o); },
    [](const UnetOptions& o) { return Network::unet(o); },
    [](const std::filesystem::path& p, std::size_t d, const ModelInput& i) { return Network::load(p, d, i); },
    [](const std::string& s, std::size_t d, const ModelInput& i) { return Network::from_source(s, d, i); },
    [](const Network& n, const std::filesystem::path& p) { n.save(p); },
    [](const Network& n) { return n.dim(); },
    [](const Network& n) { return n.description(); },
    [](const Network& n) { return n.takes_labels(); },
    [](const Network& n) { return n.concurrent(); },
    [](const Network& n) { return n.classes(); },
    [](const Network& n) { return n.parameters(); },
    [](const Network& n) { return n.parameter_count(); },
    [](const Network& n) { return n.clone(); },
    [](const Network& n, std::span<const float> x, std::span<const float> c, std::size_t rows, std::span<float> out,
       std::size_t threads, std::span<const std::int64_t> y) { n.forward(x, c, rows, out, threads, y); },
    [](const Network& n, std::span<const float> x, std::span<const float> c, std::size_t rows, std::span<double> out,
       std::size_t threads, std::span<const std::int64_t> y) { n.jacobian_trace(x, c, rows, out, threads, y); },
    [](const Network& n, const Data& d, const TrainOptions& o, const TrainProgress& p) {
        return train_network(n, d, o, p);
    },
    [](const MixtureTables& t, const std::string& device) { return upload_mixture(t, device); },
    [](const void* t, std::span<const double> x, std::size_t n, std::span<const double> s, std::span<const Label> y,
       std::span<double> out) { device_mixture_denoise(t, x, n, s, y, out); },
    &detail::feature_build,
    &detail::feature_load,
    &detail::feature_train,
    &detail::feature_evaluate,
};
}  // namespace
}  // namespace ayslab::torch_plugin

extern "C" const ayslab::torch_plugin::Api* ayslab_torch_plugin_api() { return &ayslab::torch_plugin::table; }
