// The feature network (feature_network.hpp) as a TorchScript module built from C++: parameters
// registered here, `features` and `forward` written in TorchScript, trained with cross-entropy.
#include <fmt/format.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <numbers>
#include <sstream>

#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/streams.hpp"
#include "features_api.hpp"
#include "network_impl.hpp"

namespace ayslab::detail {

namespace {

// [side, width, features, classes] as a buffer: what load() recognises the module by.
constexpr const char* shape_buffer = "ayslab_feature_network";

void add(torch::jit::Module& m, const std::string& name, torch::Tensor t) {
    m.register_parameter(name, t.requires_grad_(true), false);
}

}  // namespace

Network feature_build(const FeatureNetworkOptions& o) {
    deterministic_torchscript();
    if (o.side < 4 || o.side % 4 != 0 || o.width < 1 || o.features < 1 || o.classes < 2)
        throw InputError(fmt::format("feature network: side {} must be a multiple of 4, width and features at least 1, "
                                     "classes at least 2",
                                     o.side, o.width, o.features, o.classes));
    const auto w = static_cast<std::int64_t>(o.width), f = static_cast<std::int64_t>(o.features),
               k = static_cast<std::int64_t>(o.classes), s = static_cast<std::int64_t>(o.side);
    const std::int64_t flat = 2 * w * (s / 4) * (s / 4);
    torch::jit::Module m("AyslabFeatureNetwork");
    // He-style scales (fan-in), addressed normal draws: the same seed gives the same network anywhere.
    add(m, "c1_w", normal_tensor(o.seed, 2001, {w, 1, 3, 3}, std::sqrt(2.0 / 9.0)));
    add(m, "c1_b", torch::zeros({w}));
    add(m, "c2_w", normal_tensor(o.seed, 2002, {2 * w, w, 3, 3}, std::sqrt(2.0 / static_cast<double>(9 * w))));
    add(m, "c2_b", torch::zeros({2 * w}));
    add(m, "f1_w", normal_tensor(o.seed, 2003, {flat, f}, std::sqrt(2.0 / static_cast<double>(flat))));
    add(m, "f1_b", torch::zeros({f}));
    add(m, "f2_w", normal_tensor(o.seed, 2004, {f, k}, std::sqrt(1.0 / static_cast<double>(f))));
    add(m, "f2_b", torch::zeros({k}));
    m.register_buffer(shape_buffer, torch::tensor({s, w, f, k}, torch::kInt64));
    m.define(fmt::format(R"(
def features(self, x):
    h = x.reshape([x.size(0), 1, {side}, {side}])
    h = torch.max_pool2d(torch.relu(torch.conv2d(h, self.c1_w, self.c1_b, [1, 1], [1, 1])), [2, 2])
    h = torch.max_pool2d(torch.relu(torch.conv2d(h, self.c2_w, self.c2_b, [1, 1], [1, 1])), [2, 2])
    return torch.relu(h.reshape([x.size(0), {flat}]) @ self.f1_w + self.f1_b)

def forward(self, x):
    return self.features(x) @ self.f2_w + self.f2_b

def both(self, x):
    f = self.features(x)
    return f, f @ self.f2_w + self.f2_b
)",
                         fmt::arg("side", s), fmt::arg("flat", flat)));
    auto impl = std::make_shared<Network::Impl>();
    impl->module = std::move(m);
    impl->dim = static_cast<std::size_t>(s * s);
    impl->classes = o.classes;
    impl->description = fmt::format("feature network (1x{0}x{0}: conv {1}, conv {2}, {3} features, {4} classes)", s, w,
                                    2 * w, f, k);
    return Network(std::move(impl));
}

Network feature_load(const std::filesystem::path& path, std::array<std::size_t, 3>& dims) {
    deterministic_torchscript();
    torch::jit::Module m;
    try {
        m = torch::jit::load(path.string());
    } catch (const std::exception& e) {
        const std::string what = e.what();
        throw InputError(fmt::format("'{}' is not a TorchScript file: {}", path.string(), what.substr(0, what.find('\n'))));
    }
    if (!m.hasattr(shape_buffer) || !m.find_method("both"))
        throw InputError(fmt::format("'{}' is not an ayslab feature network (made by `run-experiment features`)",
                                     path.string()));
    const auto shape = m.attr(shape_buffer).toTensor();
    if (shape.numel() != 4) throw InputError(fmt::format("'{}': a damaged feature network", path.string()));
    const auto* v = shape.data_ptr<std::int64_t>();
    m.eval();
    auto impl = std::make_shared<Network::Impl>();
    impl->module = std::move(m);
    impl->dim = static_cast<std::size_t>(v[0] * v[0]);
    impl->classes = static_cast<std::size_t>(v[3]);
    impl->description = fmt::format("feature network (1x{0}x{0}: conv {1}, conv {2}, {3} features, {4} classes)", v[0],
                                    v[1], 2 * v[1], v[2], v[3]);
    dims = {impl->dim, static_cast<std::size_t>(v[2]), impl->classes};
    return Network(std::move(impl));
}

Network feature_train(const Network& initial, const PointSet& images, std::span<const Label> labels,
                      const FeatureNetworkOptions& o, std::vector<FeatureTrainingPoint>* curve,
                      const FeatureTrainingProgress& progress) {
    const std::size_t d = initial.dim(), n = images.n, b = o.batch;
    if (images.d != d)
        throw InputError(fmt::format("the feature network takes images of {} values, the data has {}", d, images.d));
    if (labels.size() != n) throw InputError(fmt::format("{} images but {} labels", n, labels.size()));
    if (n == 0 || b == 0 || o.steps == 0) throw InputError("feature network training needs images, a batch and steps");
    for (const Label y : labels)
        if (y < 0 || static_cast<std::size_t>(y) >= initial.classes())
            throw InputError(fmt::format("label {} is outside the network's {} classes", y, initial.classes()));
    // One intra-op thread: LibTorch's parallel reductions in the convolutions' backward pass round
    // differently at other thread counts (measured: 30 steps at 1 and 2 threads gave other weights), and
    // a feature network must be the same for a seed whatever the machine's cores. (Evaluation is
    // bit-identical at any thread count: feature_evaluate takes `threads`.)
    at::set_num_threads(1);
    Network net = initial.clone();
    auto& module = net.impl().module;
    module.train();
    std::vector<torch::Tensor> params;
    for (const auto& p : module.parameters()) params.push_back(p);
    torch::optim::Adam adam(params, torch::optim::AdamOptions(o.lr));
    auto xs = torch::empty({static_cast<std::int64_t>(b), static_cast<std::int64_t>(d)}, torch::kFloat32);
    auto ys = torch::empty({static_cast<std::int64_t>(b)}, torch::kInt64);
    std::vector<double> u(b);
    double window = 0.0;
    std::size_t in_window = 0;
    constexpr std::size_t record_every = 50;
    for (std::size_t step = 0; step < o.steps; ++step) {
        fill_uniform({o.seed, streams::feature_batches, step, 0}, u);
        float* xp = xs.data_ptr<float>();
        auto* yp = ys.data_ptr<std::int64_t>();
        for (std::size_t i = 0; i < b; ++i) {
            const std::size_t row = std::min(n - 1, static_cast<std::size_t>(u[i] * static_cast<double>(n)));
            for (std::size_t j = 0; j < d; ++j) xp[i * d + j] = static_cast<float>(images.values[row * d + j]);
            yp[i] = labels[row];
        }
        // Linear warm-up, then a cosine decay to 0 over the remaining steps.
        const double warm = std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(std::max<std::size_t>(1, o.warmup)));
        const double lr = o.lr * warm * 0.5 * (1.0 + std::cos(std::numbers::pi * static_cast<double>(step) / static_cast<double>(o.steps)));
        for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
        adam.zero_grad();
        const auto logits = module.forward({xs}).toTensor();
        const auto loss = torch::nn::functional::cross_entropy(logits, ys);
        const double lv = loss.item<double>();
        if (!std::isfinite(lv)) throw NumericalError(fmt::format("feature network loss is {} at step {}", lv, step + 1));
        loss.backward();
        adam.step();
        window += lv;
        ++in_window;
        if ((step + 1) % record_every == 0 || step + 1 == o.steps) {
            const FeatureTrainingPoint p{step + 1, window / static_cast<double>(in_window)};
            if (curve) curve->push_back(p);
            if (progress) progress(p);
            window = 0.0;
            in_window = 0;
        }
    }
    module.eval();
    return net;
}

void feature_evaluate(const Network& net, std::span<const float> images, std::size_t rows, std::span<float> features,
                      std::span<float> logits, std::size_t threads) {
    if (threads > 0) at::set_num_threads(static_cast<int>(threads));
    torch::NoGradGuard no_grad;
    const auto d = static_cast<std::int64_t>(net.dim());
    auto x = torch::from_blob(const_cast<float*>(images.data()), {static_cast<std::int64_t>(rows), d}, torch::kFloat32);
    auto out = net.impl().module.get_method("both")({x}).toTuple();
    const auto f = out->elements()[0].toTensor().contiguous(), l = out->elements()[1].toTensor().contiguous();
    if (static_cast<std::size_t>(f.numel()) != features.size() || static_cast<std::size_t>(l.numel()) != logits.size())
        throw InputError("feature network: unexpected output size");
    std::copy_n(f.data_ptr<float>(), features.size(), features.begin());
    std::copy_n(l.data_ptr<float>(), logits.size(), logits.begin());
}

}  // namespace ayslab::detail
