// A network as a Denoiser: the parametrisation and time conventions of network.hpp turned into
// D(x; sigma) with the process's (s, sigma) (MATH §1-2). No torch headers: the network is called
// through Network::forward.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "ayslab/error.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/denoisers/preconditioning.hpp"
#include "ayslab/process/process.hpp"

namespace ayslab {

namespace {
constexpr std::string_view names[] = {"denoiser", "edm", "eps", "x0", "score", "v", "flow"};
}

void check_device_name(const std::string& name) {
    const bool index = name.size() > 5 && name.starts_with("cuda:") &&
                       name.find_first_not_of("0123456789", 5) == std::string::npos && name.size() <= 8;
    if (name != "cpu" && name != "cuda" && !index)
        throw InputError(fmt::format("device '{}' is not one ayslab runs a model on (cpu, cuda or cuda:N)", name));
}

std::vector<std::string> parametrisation_names() { return {std::begin(names), std::end(names)}; }

Parametrisation parse_parametrisation(std::string_view name) {
    for (std::size_t k = 0; k < std::size(names); ++k)
        if (names[k] == name) return static_cast<Parametrisation>(k);
    throw InputError(
        fmt::format("unknown parametrisation '{}' (known: {})", name, fmt::join(parametrisation_names(), ", ")));
}

ModelConvention model_convention(std::string_view parametrisation, std::string_view time, std::string process,
                                 double sigma_data, std::size_t classes, std::int64_t null_id) {
    if (time != "sigma" && time != "t") throw InputError(fmt::format("model_time must be 'sigma' or 't', not '{}'", time));
    const auto known = process_names();
    if (std::find(known.begin(), known.end(), process) == known.end())
        throw InputError(fmt::format("unknown model_process '{}' (known: {})", process, fmt::join(known, ", ")));
    return {parse_parametrisation(parametrisation), std::move(process), time == "sigma" ? TimeInput::sigma : TimeInput::t,
            sigma_data, classes, null_id};
}

void ModelFunction::jacobian_trace(std::span<const double>, std::span<const double>, std::size_t, std::span<double>,
                                   std::size_t, std::span<const std::int64_t>) const {
    throw InputError(fmt::format("{} has no divergence of its own", description()));
}

namespace {
// A TorchScript network as a ModelFunction: float64 rows rounded to float32 (x and c as the network
// takes them), its float32 output widened. Buffers are reused per thread (no allocation per call once
// sized).
class TorchModel final : public ModelFunction {
  public:
    explicit TorchModel(Network network) : network_(std::move(network)) {}
    std::size_t dim() const override { return network_.dim(); }
    bool takes_labels() const override { return network_.takes_labels(); }
    std::string description() const override { return network_.description(); }
    double rounding() const override { return 0x1p-23; }
    bool concurrent() const override { return network_.concurrent(); }
    bool has_jacobian_trace() const override { return true; }
    void forward(std::span<const double> x, std::span<const double> c, std::size_t n, std::span<double> out,
                 std::size_t threads, std::span<const std::int64_t> y) const override {
        thread_local std::vector<float> xf, cf, of;
        narrow(x, c, xf, cf);
        of.resize(out.size());
        network_.forward(xf, cf, n, of, threads, y);
        std::copy(of.begin(), of.end(), out.begin());
    }
    void jacobian_trace(std::span<const double> x, std::span<const double> c, std::size_t n, std::span<double> out,
                        std::size_t threads, std::span<const std::int64_t> y) const override {
        std::vector<float> xf, cf;
        narrow(x, c, xf, cf);
        network_.jacobian_trace(xf, cf, n, out, threads, y);
    }

  private:
    static void narrow(std::span<const double> x, std::span<const double> c, std::vector<float>& xf,
                       std::vector<float>& cf) {
        xf.resize(x.size());
        cf.resize(c.size());
        std::transform(x.begin(), x.end(), xf.begin(), [](double v) { return static_cast<float>(v); });
        std::transform(c.begin(), c.end(), cf.begin(), [](double v) { return static_cast<float>(v); });
    }
    Network network_;
};

}  // namespace

std::shared_ptr<const ModelFunction> model_function(Network network) {
    (void)network.dim();  // a build without LibTorch says so here
    return std::make_shared<TorchModel>(std::move(network));
}

NetworkDenoiser::NetworkDenoiser(std::shared_ptr<const ModelFunction> model, ModelConvention convention,
                                 std::size_t threads, std::size_t chunk)
    : model_(std::move(model)),
      convention_(std::move(convention)),
      process_(make_process(convention_.process)),
      threads_(threads),
      chunk_(std::clamp<std::size_t>(chunk / std::max<std::size_t>(1, model_->dim()), 1, max_model_rows)) {  // rows per call
    if (convention_.parametrisation == Parametrisation::flow && convention_.process != "flow")
        throw InputError(fmt::format("parametrisation 'flow' needs process 'flow', not '{}'", convention_.process));
    if (convention_.parametrisation == Parametrisation::edm && !(convention_.sigma_data > 0.0))
        throw InputError("parametrisation 'edm' needs sigma_data > 0");
    if ((convention_.classes > 0) != model_->takes_labels())
        throw InputError(convention_.classes > 0
                             ? fmt::format("model_labels={} needs a model loaded with labels (forward(x, c, y))", convention_.classes)
                             : std::string("a model whose forward takes labels needs model_labels = its number of classes"));
    if (convention_.null_id < -1)
        throw InputError(fmt::format("model_null_label {} must be -1 (the extra class) or an id >= 0", convention_.null_id));
}

std::int64_t NetworkDenoiser::model_id(Label y) const {
    if (y != null_label) return y;
    return convention_.null_id >= 0 ? convention_.null_id : static_cast<std::int64_t>(convention_.classes);
}

std::size_t NetworkDenoiser::dim() const { return model_->dim(); }

DenoiserTraits NetworkDenoiser::traits() const {
    DenoiserTraits t;
    t.classes = convention_.classes;
    t.exact_divergence = model_->has_jacobian_trace();
    t.rounding = model_->rounding();
    t.concurrent_calls = model_->concurrent();
    t.batch_rows = chunk_;
    return t;
}

NetworkDenoiser::RowMap NetworkDenoiser::row_map(double sigma) const {
    const double sd = convention_.sigma_data;
    switch (convention_.parametrisation) {
        case Parametrisation::denoiser:
            return {1.0, 0.0, 1.0, sigma};
        case Parametrisation::edm: {  // preconditioning.hpp
            const EdmPreconditioning p = edm_preconditioning(sigma, sd);
            return {p.c_in, p.c_skip, p.c_out, p.c_noise};
        }
        default:
            break;
    }
    const double t = process_->t_of_sigma(sigma), s = process_->s(t);
    const double c = convention_.time == TimeInput::t ? t : sigma;
    // The model sees x_t = s x~; D from its output F (MATH §1-2):
    switch (convention_.parametrisation) {
        case Parametrisation::x0:
            return {s, 0.0, 1.0, c};
        case Parametrisation::eps:  // D = x~ - sigma eps
            return {s, 1.0, -sigma, c};
        case Parametrisation::score:  // Tweedie: D = (x_t + s^2 sigma^2 score) / s
            return {s, 1.0, s * sigma * sigma, c};
        case Parametrisation::v:  // v = s eps - s sigma x0: D = (s x_t - s sigma v) / (s^2 (1 + sigma^2))
            return {s, 1.0 / (1.0 + sigma * sigma), -sigma / (s * (1.0 + sigma * sigma)), c};
        case Parametrisation::flow:  // u = eps - x0, x_t = (1 - t) x0 + t eps: D = x_t - t u
            return {s, s, -t, c};
        default:
            throw InputError("unreachable parametrisation");
    }
}

void NetworkDenoiser::evaluate(const Batch& b, std::span<double> out) const {
    const std::span<const double> x = b.x;
    const std::size_t n = b.n;
    check_labels(b.labels, n, classes());
    check_rows(*this, b, out, dim());
    const std::size_t d = dim();
    // Work buffers reused across calls on this thread (no allocation per sampler step once sized).
    thread_local std::vector<double> xin, c, y;
    thread_local std::vector<RowMap> maps;
    thread_local std::vector<std::int64_t> ids;
    for (std::size_t first = 0; first < n; first += chunk_) {
        const std::size_t count = std::min(chunk_, n - first);
        xin.resize(count * d);
        c.resize(count);
        y.resize(count * d);
        maps.resize(count);
        ids.clear();
        if (classes() > 0) {  // a conditional model: every row gets an id (null when no label is given)
            ids.resize(count);
            for (std::size_t i = 0; i < count; ++i)
                ids[i] = model_id(b.label_of(first + i));
        }
        for (std::size_t i = 0; i < count; ++i) {
            maps[i] = row_map(b.sigma_of(first + i));
            c[i] = maps[i].c;
            for (std::size_t j = 0; j < d; ++j)
                xin[i * d + j] = maps[i].k * x[(first + i) * d + j];
        }
        call(xin, c, count, y, ids);
        calls_.count(count);
        for (std::size_t i = 0; i < count; ++i)
            for (std::size_t j = 0; j < d; ++j) {
                const std::size_t k = (first + i) * d + j;
                out[k] = maps[i].a * x[k] + maps[i].b * y[i * d + j];
            }
    }
}

void NetworkDenoiser::call(std::span<const double> x, std::span<const double> c, std::size_t n, std::span<double> y,
                           std::span<const std::int64_t> ids) const {
    // The cores this call may use: all of them from a single-threaded loop, a worker's share inside a
    // parallel one (parallel.hpp). A model whose calls run at once (a module on the CPU) gets its rows
    // in slices of at least min_slice_rows, one per core, each sliced call on one intra-op thread: rows
    // are independent, so the answer is the same, and an MLP's small matrix products (which LibTorch
    // does not spread over threads inside a call) use every core. Otherwise one call on every core.
    const std::size_t cores = inner_threads(threads_);
    if (!model_->concurrent()) return model_->forward(x, c, n, y, cores, ids);
    // At least one slice per core, slices of at most max_slice_rows (an MLP's intermediates then stay in
    // cache, whatever the core count), taken by the cores in turn, each on its share of them.
    const std::size_t slices = std::clamp<std::size_t>(n / min_slice_rows, 1, cores);
    const std::size_t d = dim(), per = std::min(chunk_count(n, slices), max_slice_rows), parts = chunk_count(n, per);
    if (parts == 1) return model_->forward(x, c, n, y, cores, ids);
    const std::size_t each = std::max<std::size_t>(1, cores / slices);
    parallel_for(parts, slices, [&](std::size_t k) {
        const std::size_t first = k * per, count = std::min(per, n - first);
        model_->forward(x.subspan(first * d, count * d), c.subspan(first, count), count,
                        y.subspan(first * d, count * d), each, ids.empty() ? ids : ids.subspan(first, count));
    });
}

void NetworkDenoiser::trace(const Batch& b, std::span<double> out) const {
    check_labels(b.labels, b.n, classes());
    // Without the model's own: central differences of D (a Python callable without a divergence).
    if (!model_->has_jacobian_trace() || !b.one_sigma()) return Denoiser::trace(b, out);
    model_trace(b, out);
}

void NetworkDenoiser::model_trace(const Batch& b, std::span<double> out) const {
    const std::span<const double> x = b.x;
    const std::size_t n = b.n, d = dim();
    const double sigma = b.sigma;
    if (x.size() != n * d || out.size() != n) throw InputError("jacobian_trace: wrong buffer sizes");
    const RowMap m = row_map(sigma);
    std::vector<double> xin(n * d), c(n, m.c);
    for (std::size_t k = 0; k < n * d; ++k) xin[k] = m.k * x[k];
    std::vector<std::int64_t> ids;
    if (classes() > 0) {
        ids.resize(n);
        for (std::size_t i = 0; i < n; ++i) ids[i] = model_id(b.label_of(i));
    }
    model_->jacobian_trace(xin, c, n, out, inner_threads(threads_), ids);
    // D = a x~ + b F(k x~): tr dD/dx~ = a d + b k tr dF/dx.
    for (std::size_t i = 0; i < n; ++i) out[i] = m.a * static_cast<double>(d) + m.b * m.k * out[i];
}

}  // namespace ayslab
