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
      chunk_(std::max<std::size_t>(1, chunk)) {
    if (convention_.parametrisation == Parametrisation::flow && convention_.process != "flow")
        throw InputError(fmt::format("parametrisation 'flow' needs process 'flow', not '{}'", convention_.process));
    if (convention_.parametrisation == Parametrisation::edm && !(convention_.sigma_data > 0.0))
        throw InputError("parametrisation 'edm' needs sigma_data > 0");
    (void)network_.dim();  // a build without LibTorch says so here
}

std::size_t NetworkDenoiser::dim() const { return network_.dim(); }

void NetworkDenoiser::denoise(std::span<const double> x, std::size_t n, double sigma, std::span<double> out) const {
    check_batch(*this, x, n, out);
    thread_local std::vector<double> sig;  // reused: the sampler calls this every step
    sig.assign(n, sigma);
    denoise_rows(x, n, sig, out);
}

void NetworkDenoiser::denoise_rows(std::span<const double> x, std::size_t n, std::span<const double> sigmas,
                                   std::span<double> out) const {
    check_batch(*this, x, n, out);
    const std::size_t d = dim();
    const auto p = convention_.parametrisation;
    const double sd = convention_.sigma_data;
    // Work buffers reused across calls on this thread (no allocation per sampler step once sized).
    thread_local std::vector<float> xin, c, y;
    thread_local std::vector<double> s_of, t_of;
    s_of.resize(std::min(chunk_, n));
    t_of.resize(std::min(chunk_, n));
    for (std::size_t first = 0; first < n; first += chunk_) {
        const std::size_t count = std::min(chunk_, n - first);
        xin.resize(count * d);
        c.resize(count);
        y.resize(count * d);
        for (std::size_t i = 0; i < count; ++i) {
            const double sigma = sigmas[first + i];
            double scale = 1.0;  // what x~ is multiplied by to make the model's input
            switch (p) {
                case Parametrisation::denoiser:
                    c[i] = static_cast<float>(sigma);
                    break;
                case Parametrisation::edm:
                    scale = 1.0 / std::sqrt(sigma * sigma + sd * sd);  // c_in
                    c[i] = static_cast<float>(0.25 * std::log(sigma));  // c_noise
                    break;
                default: {
                    const double t = process_->t_of_sigma(sigma);
                    t_of[i] = t;
                    s_of[i] = process_->s(t);
                    scale = s_of[i];  // x_t = s x~
                    c[i] = static_cast<float>(convention_.time == TimeInput::t ? t : sigma);
                }
            }
            for (std::size_t j = 0; j < d; ++j) xin[i * d + j] = static_cast<float>(scale * x[(first + i) * d + j]);
        }
        network_.forward(xin, c, count, y, threads_);
        for (std::size_t i = 0; i < count; ++i) {
            const double sigma = sigmas[first + i];
            for (std::size_t j = 0; j < d; ++j) {
                const std::size_t k = (first + i) * d + j;
                const double xs = x[k], f = y[i * d + j];
                double den = f;
                switch (p) {
                    case Parametrisation::denoiser:
                    case Parametrisation::x0:
                        break;
                    case Parametrisation::edm: {
                        const double r = std::sqrt(sigma * sigma + sd * sd);
                        den = sd * sd / (r * r) * xs + sigma * sd / r * f;  // c_skip x~ + c_out F
                        break;
                    }
                    case Parametrisation::eps:
                        den = xs - sigma * f;
                        break;
                    case Parametrisation::score: {
                        const double s = s_of[i], xt = s * xs;
                        den = (xt + s * s * sigma * sigma * f) / s;  // Tweedie (MATH §2)
                        break;
                    }
                    case Parametrisation::v: {
                        const double s = s_of[i], xt = s * xs;
                        den = (s * xt - s * sigma * f) / (s * s * (1.0 + sigma * sigma));
                        break;
                    }
                    case Parametrisation::flow: {
                        const double xt = s_of[i] * xs;
                        den = xt - t_of[i] * f;
                        break;
                    }
                }
                out[k] = den;
            }
        }
    }
}

}  // namespace ayslab
