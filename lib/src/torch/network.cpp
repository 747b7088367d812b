// TorchScript networks built and run from C++ (part of the LibTorch plugin, libayslab_torch.so: network.cpp,
// unet.cpp, train.cpp and device_mixture.cpp include torch's headers; api.hpp says why it is a plugin).
#include "ayslab/denoisers/network.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/script.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>
#include <torch/torch.h>

#include <cmath>
#include <algorithm>
#include <mutex>
#include <sstream>

#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/streams.hpp"
#include "device.hpp"
#include "network_impl.hpp"

namespace ayslab {

void deterministic_torchscript() {
    static const bool done = [] {
        torch::jit::setGraphExecutorOptimize(false);
        return true;
    }();
    (void)done;
}

// Weights from addressed normal draws (not torch's global generator): the same seed gives the same
// network in any process, at any thread count.
torch::Tensor normal_tensor(std::uint64_t seed, std::uint64_t which, std::vector<std::int64_t> shape, double scale) {
    std::int64_t count = 1;
    for (const auto n : shape) count *= n;
    std::vector<double> v(static_cast<std::size_t>(count));
    fill_normal({seed, streams::network_init, which, 0}, v);
    std::vector<float> f(v.size());
    for (std::size_t k = 0; k < v.size(); ++k) f[k] = static_cast<float>(scale * v[k]);
    return torch::from_blob(f.data(), shape, torch::kFloat32).clone();
}

std::string edm_preamble(double sd) {
    const double sd2 = sd * sd;
    return fmt::format(R"(    s = sigma.unsqueeze(1)
    r = torch.sqrt(s * s + {sd2:.17g})
    c_skip = {sd2:.17g} / (s * s + {sd2:.17g})
    c_out = s * {sd:.17g} / r
    c_noise = torch.log(s) * 0.25
    a = c_noise * self.freqs.unsqueeze(0) * 6.283185307179586
)",
                       fmt::arg("sd", sd), fmt::arg("sd2", sd2));
}

namespace {

// The first non-blank line (TorchScript's compile errors start with an empty line).
std::string first_line(const std::string& s) {
    std::size_t from = 0;
    while (from < s.size()) {
        const auto nl = s.find('\n', from);
        const auto line = s.substr(from, nl == std::string::npos ? std::string::npos : nl - from);
        if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
        if (nl == std::string::npos) break;
        from = nl + 1;
    }
    return s;
}

// A module on a GPU runs one call at a time. On the CPU calls from several threads run at once (inference
// on a module is thread-safe while nothing writes its parameters: pytorch/pytorch#51452), each with the
// intra-op threads its caller passes (parallel.hpp's inner_threads: the cores split, not multiplied).
std::mutex& module_mutex() {
    static std::mutex mutex;
    return mutex;
}

std::unique_lock<std::mutex> lock_unless_cpu(const torch::Device& device) {
    return device.is_cpu() ? std::unique_lock<std::mutex>() : std::unique_lock<std::mutex>(module_mutex());
}

// LibTorch's intra-op threads for this thread's next call (OpenMP keeps the count per calling thread).
void use_threads(std::size_t threads) {
    if (threads > 0 && static_cast<std::size_t>(at::get_num_threads()) != threads)
        at::set_num_threads(static_cast<int>(threads));
}

// The line of a TorchScript traceback that says what went wrong ("RuntimeError: The size of tensor a
// (3) must match ..."), or the first line when there is no such line.
std::string error_line(const std::string& s) {
    std::size_t start = 0;
    std::string found;
    while (start < s.size()) {
        auto end = s.find('\n', start);
        if (end == std::string::npos) end = s.size();
        const auto line = s.substr(start, end - start);
        if (line.find("Error: ") != std::string::npos && line.find(' ') > line.find("Error")) found = line;
        start = end + 1;
    }
    return found.empty() ? first_line(s) : found;
}

}  // namespace

Network Network::mlp(const MlpOptions& o) {
    deterministic_torchscript();
    if (o.dim < 1 || o.width < 1 || o.depth < 1 || o.frequencies < 1)
        throw InputError("mlp: dim, width, depth and frequencies must be at least 1");
    if (!(o.sigma_data > 0.0)) throw InputError("mlp: sigma_data must be positive");
    torch::jit::Module m("AyslabMlp");
    const auto d = static_cast<std::int64_t>(o.dim), w = static_cast<std::int64_t>(o.width),
               f = static_cast<std::int64_t>(o.frequencies);
    m.register_buffer("freqs", normal_tensor(o.seed, 0, {f}, o.frequency_scale));
    const auto e = static_cast<std::int64_t>(o.label_features), k_classes = static_cast<std::int64_t>(o.classes);
    if (o.classes > 0) {
        if (o.label_features < 1) throw InputError("mlp: label_features must be at least 1");
        // One row per class and one for the null label; drawn at its own address, so the other
        // weights are those of the unconditional network with the same seed.
        m.register_parameter("emb", normal_tensor(o.seed, 1000, {k_classes + 1, e}, 1.0).requires_grad_(true), false);
    }
    std::int64_t in = d + 2 * f + (o.classes > 0 ? e : 0);
    std::string body;
    std::uint64_t which = 1;
    for (std::size_t k = 0; k <= o.depth; ++k) {
        const bool last = k == o.depth;
        const std::int64_t out = last ? d : w;
        // Scaled normal initialisation (fan-in); the output layer starts at zero, so an untrained
        // network is D = c_skip x, the denoiser of N(0, sigma_data^2).
        auto weight = last ? torch::zeros({in, out}) : normal_tensor(o.seed, which++, {in, out}, 1.0 / std::sqrt(double(in)));
        m.register_parameter(fmt::format("w{}", k), weight.requires_grad_(true), false);
        m.register_parameter(fmt::format("b{}", k), torch::zeros({out}).requires_grad_(true), false);
        body += fmt::format("    h = h @ self.w{0} + self.b{0}\n", k);
        if (!last) body += "    h = h * torch.sigmoid(h)\n";
        in = out;
    }
    // EDM preconditioning around the MLP F (MATH §8): D = c_skip x + c_out F(c_in x, c_noise).
    if (o.classes == 0)
        m.define(fmt::format(R"(
def forward(self, x, sigma):
{preamble}    h = torch.cat([x / r, torch.cos(a), torch.sin(a)], 1)
{body}    return c_skip * x + c_out * h
)",
                             fmt::arg("preamble", edm_preamble(o.sigma_data)), fmt::arg("body", body)));
    else
        m.define(fmt::format(R"(
def forward(self, x, sigma, y):
{preamble}    h = torch.cat([x / r, torch.cos(a), torch.sin(a), self.emb.index_select(0, y)], 1)
{body}    return c_skip * x + c_out * h
)",
                             fmt::arg("preamble", edm_preamble(o.sigma_data)), fmt::arg("body", body)));
    auto impl = std::make_shared<Impl>();
    impl->module = std::move(m);
    impl->dim = o.dim;
    impl->input.labels = o.classes > 0;
    impl->classes = o.classes;
    impl->description = fmt::format("mlp (width {}, depth {}, {} Fourier features, EDM preconditioning, sigma_data {}{})",
                                    o.width, o.depth, o.frequencies, o.sigma_data,
                                    o.classes > 0 ? fmt::format(", {} classes + null label {}", o.classes, o.classes) : "");
    return Network(std::move(impl));
}

namespace {
std::string shape_of(const torch::Tensor& t) {
    std::vector<std::int64_t> sizes(t.sizes().begin(), t.sizes().end());
    return fmt::format("[{}]", fmt::join(sizes, ", "));
}

// A model's output as the dense real [rows, cols] tensor the denoiser needs, or an InputError naming
// what it is instead (its whole shape; a sparse, meta, complex or non-floating tensor is refused, not
// read through data_ptr or cast with its imaginary part dropped).
torch::Tensor checked_output(const torch::Tensor& y, std::int64_t rows, std::int64_t cols, const std::string& who,
                             const torch::Device& device, const std::vector<std::int64_t>& image = {}) {
    if (!y.defined()) throw InputError(fmt::format("{}: forward returned an undefined tensor", who));
    if (y.layout() != torch::kStrided)
        throw InputError(fmt::format("{}: forward returned a sparse tensor (layout {}); return a dense one", who,
                                     c10::str(y.layout())));
    if (y.device() != device)
        throw InputError(fmt::format("{}: forward returned a tensor on device '{}'; the model runs on '{}'", who,
                                     y.device().str(), device.str()));
    if (y.is_complex())
        throw InputError(fmt::format("{}: forward returned a complex tensor ({}); a denoiser's output is real", who,
                                     c10::toString(y.scalar_type())));
    if (!y.is_floating_point())
        throw InputError(fmt::format("{}: forward returned a {} tensor; expected floating point", who,
                                     c10::toString(y.scalar_type())));
    if (!image.empty() && y.sizes().vec() == image) return y.reshape({rows, cols});  // an image model's N x C x H x W
    if (y.dim() != 2 || y.size(0) != rows || y.size(1) != cols)
        throw InputError(fmt::format("{}: forward returned shape {}; expected [{}, {}]{}", who, shape_of(y), rows, cols,
                                     image.empty() ? "" : fmt::format(" or [{}]", fmt::join(image, ", "))));
    return y;
}

// The inputs of a call: x in the model's shape, c, and y (int64) for a model that takes labels.
std::vector<torch::jit::IValue> call_inputs(const Network::Impl& impl, const torch::Tensor& x, const torch::Tensor& c,
                                           const torch::Tensor& y) {
    std::vector<torch::jit::IValue> in{x.reshape(impl.sizes(x.size(0))).to(impl.device), c.to(impl.device)};
    if (impl.input.labels)  // ids, or each row's embedding (ModelInput::embedding)
        in.emplace_back(impl.embedding.defined() ? impl.embedding.index_select(0, y.to(impl.device)) : y.to(impl.device));
    return in;
}

// The device of ModelInput::device, or an InputError that says why it cannot be used here (a LibTorch
// without CUDA, as Debian's is, or no such GPU).
}  // namespace

// (device.hpp) The device a name means, refused in one line where LibTorch cannot reach it.
torch::Device model_device(const std::string& name) {
    check_device_name(name);
    const torch::Device device(name);
    if (device.is_cpu()) return device;
    if (!torch::cuda::is_available())
        throw InputError(fmt::format(
            "device={}: this build's LibTorch {} has no CUDA, or no GPU is visible; build against a CUDA LibTorch "
            "(README, \"A GPU\") or use device=cpu",
            name, TORCH_VERSION));
    if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count()))
        throw InputError(fmt::format("device={}: this machine has {} CUDA device(s)", name, torch::cuda::device_count()));
    return device;
}

namespace {

// What a call looks like, for messages: "forward(x [N, 2], sigma [N])" or "forward(x [N, 1, 28, 28], sigma [N], y [N])".
std::string call_text(const Network::Impl& impl, const std::string& rows) {
    auto sizes = impl.sizes(1);
    std::vector<std::string> parts{rows};
    for (std::size_t k = 1; k < sizes.size(); ++k) parts.push_back(std::to_string(sizes[k]));
    const std::string label = !impl.input.labels ? ""
                              : impl.embedding.defined() ? fmt::format(", e [{}, {}]", rows, impl.input.embedding_dim)
                                                         : fmt::format(", y [{}]", rows);
    return fmt::format("forward(x [{}], sigma [{}]{})", fmt::join(parts, ", "), rows, label);
}

// The calling convention forward(x [N x d], sigma [N][, y [N]]) -> [N x d], checked on a call with N = 2.
void probe(Network::Impl& impl, std::size_t dim, const ModelInput& input, const std::string& who) {
    impl.module.eval();
    impl.dim = dim;
    impl.input = input;
    impl.device = model_device(input.device);
    if (!impl.device.is_cpu()) impl.module.to(impl.device);
    impl.embedding = torch::Tensor();
    if (!input.embedding.empty()) {
        const auto e = static_cast<std::int64_t>(input.embedding_dim);
        if (!input.labels || e < 1 || input.embedding.size() % input.embedding_dim != 0)
            throw InputError(fmt::format("{}: an embedding table needs labels and whole rows of embedding_dim values", who));
        // On the module's device once (a call then moves only the ids); the table lives only here.
        impl.embedding = torch::from_blob(const_cast<float*>(input.embedding.data()),
                                          {static_cast<std::int64_t>(input.embedding.size()) / e, e}, torch::kFloat32)
                             .to(impl.device, torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
        impl.input.embedding = {};
    }
    if (!input.shape.empty()) {
        std::int64_t size = 1;
        for (const auto s : input.shape) {
            if (s <= 0) throw InputError(fmt::format("{}: model_shape has a non-positive size {}", who, s));
            size *= s;
        }
        if (size != static_cast<std::int64_t>(dim))
            throw InputError(fmt::format("{}: model_shape [{}] holds {} values; the data has d = {}", who,
                                         fmt::join(input.shape, ", "), size, dim));
    }
    try {
        torch::NoGradGuard no_grad;
        const auto out = impl.module.forward(call_inputs(impl, torch::zeros({2, static_cast<std::int64_t>(dim)}),
                                                         torch::ones({2}), torch::zeros({2}, torch::kInt64)));
        if (!out.isTensor())
            throw InputError(fmt::format("{}: {} returned a {}, not a tensor", who, call_text(impl, "2"), out.tagKind()));
        (void)checked_output(out.toTensor(), 2, static_cast<std::int64_t>(dim),
                             fmt::format("{} (probe {})", who, call_text(impl, "2")), impl.device,
                             input.shape.empty() ? std::vector<std::int64_t>{} : impl.sizes(2));
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& e) {
        throw InputError(fmt::format("{}: {} failed: {}", who, call_text(impl, "N"), error_line(e.what())));
    }
}
}  // namespace

Network Network::load(const std::filesystem::path& path, std::size_t dim, const ModelInput& input) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw InputError(fmt::format("model file '{}' does not exist or is not a file", path.string()));
    deterministic_torchscript();
    auto impl = std::make_shared<Impl>();
    try {
        impl->module = torch::jit::load(path.string());
    } catch (const std::exception& e) {
        throw InputError(fmt::format("model file '{}' is not TorchScript that LibTorch {} can read: {}", path.string(),
                                     TORCH_VERSION, first_line(e.what())));
    }
    impl->description = fmt::format("TorchScript model '{}'", path.string());
    probe(*impl, dim, input, fmt::format("model file '{}'", path.string()));
    return Network(std::move(impl));
}

Network Network::from_source(const std::string& source, std::size_t dim, const ModelInput& input) {
    deterministic_torchscript();
    auto impl = std::make_shared<Impl>();
    impl->module = torch::jit::Module("ayslab_source_model");
    try {
        impl->module.define(source);
    } catch (const std::exception& e) {
        throw InputError(fmt::format("TorchScript source does not compile: {}", first_line(e.what())));
    }
    impl->description = "TorchScript source model";
    probe(*impl, dim, input, impl->description);
    return Network(std::move(impl));
}

void Network::save(const std::filesystem::path& path) const {
    // Serialised in memory first: LibTorch's writer throws c10::Error from a destructor when the stream
    // fails (a full disk aborted with 134); the bytes then go through the atomic writer, whose errors
    // are one InputError (exit 2) with the temporary file removed.
    std::ostringstream bytes;
    impl_->module.save(bytes);
    write_text_atomically(path, "model", bytes.str());
}

std::size_t Network::dim() const { return impl_->dim; }
bool Network::concurrent() const { return impl_->device.is_cpu(); }

bool Network::takes_labels() const { return impl_->input.labels; }
std::size_t Network::classes() const { return impl_->classes; }
std::string Network::description() const { return impl_->description; }

std::vector<float> Network::parameters() const {
    std::vector<float> all;
    for (const auto& p : impl_->module.parameters()) {
        const auto c = p.detach().to(torch::kFloat32).contiguous();
        all.insert(all.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return all;
}

std::size_t Network::parameter_count() const {
    std::size_t n = 0;
    for (const auto& p : impl_->module.parameters()) n += static_cast<std::size_t>(p.numel());
    return n;
}

Network Network::clone() const {
    auto impl = std::make_shared<Impl>();
    impl->module = impl_->module.clone();
    // Module::clone copies parameters with clone(), which records an autograd edge: make each a leaf
    // again (in place, so the module keeps referring to it) that requires grad as the original did.
    {
        torch::NoGradGuard no_grad;
        auto original = impl_->module.parameters().begin();
        for (auto p : impl->module.parameters()) {
            const bool grad = (*original).requires_grad();
            p.detach_();
            p.requires_grad_(grad);
            ++original;
        }
    }
    impl->dim = impl_->dim;
    impl->description = impl_->description;
    impl->input = impl_->input;
    impl->classes = impl_->classes;
    impl->device = impl_->device;
    impl->embedding = impl_->embedding;
    return Network(std::move(impl));
}

namespace {
torch::Tensor label_tensor(const Network::Impl& impl, std::span<const std::int64_t> y, std::size_t n) {
    if (!impl.input.labels) {
        if (!y.empty()) throw InputError(fmt::format("{} takes no labels", impl.description));
        return {};
    }
    if (y.size() != n) throw InputError(fmt::format("{}: {} labels for {} rows", impl.description, y.size(), n));
    if (impl.embedding.defined())
        for (const auto id : y)
            if (id < 0 || id >= impl.embedding.size(0))
                throw InputError(fmt::format("{}: label id {} has no row in the embedding table ({} rows)", impl.description,
                                             id, impl.embedding.size(0)));
    return torch::from_blob(const_cast<std::int64_t*>(y.data()), {static_cast<std::int64_t>(n)}, torch::kInt64);
}

// The module's output on prepared inputs (rows x cols, label ids ys): a tensor of the model's shape on
// its device, InputError otherwise.
torch::Tensor module_output(Network::Impl& impl, const torch::Tensor& xs, const torch::Tensor& cs,
                            const torch::Tensor& ys, std::int64_t rows, std::int64_t cols) {
    const auto image = impl.input.shape.empty() ? std::vector<std::int64_t>{} : impl.sizes(rows);
    const auto result = impl.module.forward(call_inputs(impl, xs, cs, ys));
    if (!result.isTensor())
        throw InputError(fmt::format("{}: forward returned a {}, not a tensor", impl.description, result.tagKind()));
    return checked_output(result.toTensor(), rows, cols, impl.description, impl.device, image);
}
}  // namespace

void Network::forward(std::span<const float> x, std::span<const float> c, std::size_t n, std::span<float> out,
                      std::size_t threads, std::span<const std::int64_t> labels) const {
    const std::size_t d = impl_->dim;
    if (x.size() != n * d || c.size() != n || out.size() != n * d)
        throw InputError(fmt::format("network forward: {} rows of dimension {} need {} values", n, d, n * d));
    const auto ys = label_tensor(*impl_, labels, n);
    const auto lock = lock_unless_cpu(impl_->device);
    use_threads(threads);
    torch::NoGradGuard no_grad;
    const auto rows = static_cast<std::int64_t>(n), cols = static_cast<std::int64_t>(d);
    auto xs = torch::from_blob(const_cast<float*>(x.data()), {rows, cols}, torch::kFloat32);
    auto cs = torch::from_blob(const_cast<float*>(c.data()), {rows}, torch::kFloat32);
    try {
        const auto y = module_output(*impl_, xs, cs, ys, rows, cols).to(torch::kCPU, torch::kFloat32).contiguous();
        std::copy_n(y.data_ptr<float>(), n * d, out.data());
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& e) {
        throw InputError(fmt::format("{}: forward failed: {}", impl_->description, error_line(e.what())));
    }
}

void Network::jacobian_trace(std::span<const float> x, std::span<const float> c, std::size_t n,
                             std::span<double> out, std::size_t threads, std::span<const std::int64_t> labels) const {
    const std::size_t d = impl_->dim;
    if (x.size() != n * d || c.size() != n || out.size() != n)
        throw InputError(fmt::format("network jacobian_trace: {} rows of dimension {} need {} values", n, d, n * d));
    const auto ys = label_tensor(*impl_, labels, n);
    const auto lock = lock_unless_cpu(impl_->device);
    use_threads(threads);
    const auto rows = static_cast<std::int64_t>(n), cols = static_cast<std::int64_t>(d);
    auto xs = torch::from_blob(const_cast<float*>(x.data()), {rows, cols}, torch::kFloat32)
                  .to(impl_->device, torch::kFloat32, /*non_blocking=*/false, /*copy=*/true)  // one copy on any device
                  .requires_grad_(true);
    auto cs = torch::from_blob(const_cast<float*>(c.data()), {rows}, torch::kFloat32);
    try {
        const auto y = module_output(*impl_, xs, cs, ys, rows, cols);
        // A model whose output does not depend on x (a constant) has divergence 0: nothing to differentiate.
        if (!y.requires_grad()) {
            std::fill(out.begin(), out.end(), 0.0);
            return;
        }
        // Rows are independent, so the gradient of column j summed over rows holds dF_ij/dx_i in row i;
        // its j-th entry is the diagonal element.
        auto trace = torch::zeros({rows}, torch::TensorOptions().dtype(torch::kFloat64).device(impl_->device));
        for (std::int64_t j = 0; j < cols; ++j) {
            const auto g = torch::autograd::grad({y.select(1, j).sum()}, {xs}, {}, /*retain_graph=*/j + 1 < cols,
                                                 /*create_graph=*/false, /*allow_unused=*/true)[0];
            if (g.defined()) trace += g.select(1, j).to(torch::kFloat64);
        }
        trace = trace.to(torch::kCPU).contiguous();
        std::copy_n(trace.data_ptr<double>(), n, out.data());
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& e) {
        throw InputError(fmt::format("{}: jacobian trace failed: {}", impl_->description, error_line(e.what())));
    }
}

}  // namespace ayslab
