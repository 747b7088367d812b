// A network as a Denoiser: the parametrisation and time conventions of network.hpp turned into
// D(x; sigma) with the process's (s, sigma) (MATH §1-2). No torch headers: the network is called
// through Network::forward.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "ayslab/error.hpp"
#include "ayslab/network.hpp"

namespace ayslab {

namespace {
constexpr std::string_view names[] = {"denoiser", "edm", "eps", "x0", "score", "v", "flow"};
}

std::vector<std::string> parametrisation_names() { return {std::begin(names), std::end(names)}; }

Parametrisation parse_parametrisation(std::string_view name) {
    for (std::size_t k = 0; k < std::size(names); ++k)
        if (names[k] == name) return static_cast<Parametrisation>(k);
    throw InputError(
        fmt::format("unknown parametrisation '{}' (known: {})", name, fmt::join(parametrisation_names(), ", ")));
}

NetworkDenoiser::NetworkDenoiser(Network network, ModelConvention convention, std::size_t threads, std::size_t chunk)
    : network_(std::move(network)),
      convention_(std::move(convention)),
      process_(make_process(convention_.process)),
      threads_(threads),
      chunk_(std::max<std::size_t>(1, chunk / std::max<std::size_t>(1, network_.dim()))) {  // rows per call
    if (convention_.parametrisation == Parametrisation::flow && convention_.process != "flow")
        throw InputError(fmt::format("parametrisation 'flow' needs process 'flow', not '{}'", convention_.process));
    if (convention_.parametrisation == Parametrisation::edm && !(convention_.sigma_data > 0.0))
        throw InputError("parametrisation 'edm' needs sigma_data > 0");
    (void)network_.dim();  // a build without LibTorch says so here
    if ((convention_.classes > 0) != network_.takes_labels())
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

std::size_t NetworkDenoiser::dim() const { return network_.dim(); }

void NetworkDenoiser::denoise(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const {
    check_batch(*this, x, n, out);
    thread_local std::vector<double> sig;  // reused: the sampler calls this every step
    sig.assign(n, sigma);
    denoise_rows(x, n, sig, out);
}

NetworkDenoiser::RowMap NetworkDenoiser::row_map(double sigma) const {
    const double sd = convention_.sigma_data;
    switch (convention_.parametrisation) {
        case Parametrisation::denoiser:
            return {1.0, 0.0, 1.0, static_cast<float>(sigma)};
        case Parametrisation::edm: {
            // c_in, c_skip, c_out and c_noise = ln(sigma)/4 (NVlabs/edm EDMPrecond)
            const double r = std::sqrt(sigma * sigma + sd * sd);
            return {1.0 / r, sd * sd / (r * r), sigma * sd / r, static_cast<float>(0.25 * std::log(sigma))};
        }
        default:
            break;
    }
    const double t = process_->t_of_sigma(sigma), s = process_->s(t);
    const auto c = static_cast<float>(convention_.time == TimeInput::t ? t : sigma);
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

void NetworkDenoiser::denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                                   std::span<double> out) const {
    evaluate(x, n, sigmas, {}, out);
}

void NetworkDenoiser::denoise_labelled(std::span<const double> x, std::size_t n, double sigma,
                                       std::span<const Label> labels, std::span<double> out) const {
    check_labels(labels, n, classes());
    thread_local std::vector<double> sig;
    sig.assign(n, sigma);
    evaluate(x, n, sig, labels, out);
}

void NetworkDenoiser::evaluate(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                               std::span<const Label> labels, std::span<double> out) const {
    check_batch(*this, x, n, out);
    const std::size_t d = dim();
    // Work buffers reused across calls on this thread (no allocation per sampler step once sized).
    thread_local std::vector<float> xin, c, y;
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
                ids[i] = model_id(labels.empty() ? null_label : labels[labels.size() == 1 ? 0 : first + i]);
        }
        for (std::size_t i = 0; i < count; ++i) {
            maps[i] = row_map(sigmas[first + i]);
            c[i] = maps[i].c;
            for (std::size_t j = 0; j < d; ++j)
                xin[i * d + j] = static_cast<float>(maps[i].k * x[(first + i) * d + j]);
        }
        network_.forward(xin, c, count, y, threads_, ids);
        for (std::size_t i = 0; i < count; ++i)
            for (std::size_t j = 0; j < d; ++j) {
                const std::size_t k = (first + i) * d + j;
                out[k] = maps[i].a * x[k] + maps[i].b * static_cast<double>(y[i * d + j]);
            }
    }
}

void NetworkDenoiser::jacobian_trace(std::span<const double> x, std::size_t n, double sigma,
                                     std::span<double> out) const {
    trace(x, n, sigma, {}, out);
}

void NetworkDenoiser::jacobian_trace_labelled(std::span<const double> x, std::size_t n, double sigma,
                                              std::span<const Label> labels, std::span<double> out) const {
    check_labels(labels, n, classes());
    trace(x, n, sigma, labels, out);
}

void NetworkDenoiser::trace(std::span<const double> x, std::size_t n, double sigma, std::span<const Label> labels,
                            std::span<double> out) const {
    const std::size_t d = dim();
    if (x.size() != n * d || out.size() != n) throw InputError("jacobian_trace: wrong buffer sizes");
    const RowMap m = row_map(sigma);
    std::vector<float> xin(n * d), c(n, m.c);
    for (std::size_t k = 0; k < n * d; ++k) xin[k] = static_cast<float>(m.k * x[k]);
    std::vector<std::int64_t> ids;
    if (classes() > 0) {
        ids.resize(n);
        for (std::size_t i = 0; i < n; ++i) ids[i] = model_id(labels.empty() ? null_label : labels[labels.size() == 1 ? 0 : i]);
    }
    network_.jacobian_trace(xin, c, n, out, threads_, ids);
    // D = a x~ + b F(k x~): tr dD/dx~ = a d + b k tr dF/dx.
    for (std::size_t i = 0; i < n; ++i) out[i] = m.a * static_cast<double>(d) + m.b * m.k * out[i];
}

}  // namespace ayslab
