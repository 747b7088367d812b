// The core's side of the LibTorch plugin (api.hpp): Network's methods and train_network() forward to
// libayslab_torch.so, loaded on first use. Where it is: $AYSLAB_TORCH_PLUGIN, else beside the program
// or extension holding the core, else the build tree's copy, else the installed one (both compiled in).
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "api.hpp"
#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/io/fingerprint.hpp"
#include "ayslab/io/read_file.hpp"
#include "ayslab/training/loss.hpp"

namespace ayslab {

namespace {

const torch_plugin::Api* load_plugin() {
    // The plugin resolves the core's functions (errors, atomic files, ...) against this process. An
    // executable exports them (-rdynamic); a shared object loaded RTLD_LOCAL (the Python extension)
    // is promoted to the global scope first.
    Dl_info self{};
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("AYSLAB_TORCH_PLUGIN"); env && *env) candidates.emplace_back(env);
    if (::dladdr(reinterpret_cast<void*>(&load_plugin), &self) != 0 && self.dli_fname) {
        (void)::dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
        // Beside the object holding the core (a pip-installed package: the extension's folder).
        candidates.push_back((std::filesystem::path(self.dli_fname).parent_path() / "libayslab_torch.so").string());
    }
    candidates.emplace_back(AYSLAB_TORCH_PLUGIN_BUILD);
    candidates.emplace_back(AYSLAB_TORCH_PLUGIN_INSTALLED);
    std::string why;
    for (const auto& path : candidates) {
        void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            const char* e = ::dlerror();
            why += fmt::format("{}{}", why.empty() ? "" : "; ", e ? e : path);
            continue;
        }
        using Entry = const torch_plugin::Api* (*)();
        const auto entry = reinterpret_cast<Entry>(::dlsym(handle, "ayslab_torch_plugin_api"));
        const torch_plugin::Api* api = entry ? entry() : nullptr;
        if (api && api->version == torch_plugin::api_version) return api;  // never unloaded
        why += fmt::format("{}{}: not this ayslab's LibTorch plugin", why.empty() ? "" : "; ", path);
    }
    throw InputError(fmt::format("the LibTorch plugin (libayslab_torch.so) could not be loaded: {} "
                                 "(set AYSLAB_TORCH_PLUGIN to its path)",
                                 why));
}

const torch_plugin::Api& api() {
    static std::once_flag once;
    static const torch_plugin::Api* loaded = nullptr;
    std::call_once(once, [] { loaded = load_plugin(); });  // a failed load throws and is retried next call
    return *loaded;
}

}  // namespace

// What the plugin calls in the core (`nm -Du libayslab_torch.so | grep ayslab`), referenced here so that
// every program that can load the plugin links those objects (a static archive brings only the ones a
// program uses) and exports them. Never called.
void torch_plugin_core_anchor(const LossOptions& o) {
    const DenoisingLoss loss(o);
    (void)loss.draw_factor(0.0);
    (void)loss.sigma(0.0, 0.0);
    (void)loss.weight(0.0);
    write_text_atomically("", "", "");
    refuse_non_regular("", "");
    (void)fingerprint_difference("", "");
}

bool torch_available() { return true; }
Network Network::mlp(const MlpOptions& o) { return api().mlp(o); }
Network Network::unet(const UnetOptions& o) { return api().unet(o); }
Network Network::load(const std::filesystem::path& p, std::size_t d, const ModelInput& i) { return api().load(p, d, i); }
Network Network::from_source(const std::string& s, std::size_t d, const ModelInput& i) {
    return api().from_source(s, d, i);
}
void Network::save(const std::filesystem::path& p) const { api().save(*this, p); }
std::size_t Network::dim() const { return api().dim(*this); }
std::string Network::description() const { return api().description(*this); }
bool Network::takes_labels() const { return api().takes_labels(*this); }
bool Network::concurrent() const { return api().concurrent(*this); }
std::size_t Network::classes() const { return api().classes(*this); }
std::vector<float> Network::parameters() const { return api().parameters(*this); }
std::size_t Network::parameter_count() const { return api().parameter_count(*this); }
Network Network::clone() const { return api().clone(*this); }
void Network::forward(std::span<const float> x, std::span<const float> c, std::size_t n, std::span<float> out,
                      std::size_t threads, std::span<const std::int64_t> y) const {
    api().forward(*this, x, c, n, out, threads, y);
}
void Network::jacobian_trace(std::span<const float> x, std::span<const float> c, std::size_t n, std::span<double> out,
                             std::size_t threads, std::span<const std::int64_t> y) const {
    api().jacobian_trace(*this, x, c, n, out, threads, y);
}
TrainResult train_network(const Network& initial, const Data& data, const TrainOptions& o, const TrainProgress& p) {
    return api().train(initial, data, o, p);
}
std::shared_ptr<const void> upload_mixture(const MixtureTables& t, const std::string& device) {
    return api().upload_mixture(t, device);
}
void device_mixture_denoise(const void* t, std::span<const double> x, std::size_t n, std::span<const double> s,
                            std::span<const Label> y, std::span<double> out) {
    api().mixture_denoise(t, x, n, s, y, out);
}
namespace detail {
Network feature_build(const FeatureNetworkOptions& o) { return api().feature_build(o); }
Network feature_load(const std::filesystem::path& p, std::array<std::size_t, 3>& dims) {
    return api().feature_load(p, dims);
}
Network feature_train(const Network& n, const PointSet& x, std::span<const Label> y, const FeatureNetworkOptions& o,
                      std::vector<FeatureTrainingPoint>* curve, const FeatureTrainingProgress& progress) {
    return api().feature_train(n, x, y, o, curve, progress);
}
void feature_evaluate(const Network& n, std::span<const float> x, std::size_t rows, std::span<float> f,
                      std::span<float> l, std::size_t threads) {
    api().feature_evaluate(n, x, rows, f, l, threads);
}
}  // namespace detail

}  // namespace ayslab
