#include "ayslab/training/loss.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <numbers>

#include "ayslab/cluster.hpp"
#include "ayslab/process/ddpm.hpp"
#include "ayslab/error.hpp"
#include "ayslab/denoisers/preconditioning.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/streams.hpp"

namespace ayslab {

namespace {
constexpr std::string_view names[] = {"ddpm-simple", "score-sde", "smld", "ddpm", "edm"};

template <class F>
double integrate(F f, double a, double b) {
    return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(f, a, b, 15, 1e-13);
}
}  // namespace

std::vector<std::string> loss_names() { return {std::begin(names), std::end(names)}; }

LossKind parse_loss(std::string_view name) {
    for (std::size_t k = 0; k < std::size(names); ++k)
        if (names[k] == name) return static_cast<LossKind>(k);
    throw InputError(fmt::format("unknown loss '{}' (known: {})", name, fmt::join(loss_names(), ", ")));
}

DenoisingLoss::DenoisingLoss(const LossOptions& o) : o_(o) {
    auto need_process = [&](std::initializer_list<std::string_view> ok) {
        for (auto p : ok)
            if (o.process == p) return;
        throw InputError(fmt::format("loss '{}' does not fit process '{}' (it needs {})",
                                     names[static_cast<int>(o.kind)], o.process, fmt::join(ok, " or ")));
    };
    if (o.steps < 2 && o.kind != LossKind::score_sde && o.kind != LossKind::edm)
        throw InputError(fmt::format("a discrete loss needs at least 2 noise levels, got {}", o.steps));
    switch (o.kind) {
        case LossKind::ddpm_simple:
        case LossKind::ddpm: {
            need_process({"vp"});
            // DDPM's linear betas linspace(1e-4, 0.02, N), sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t).
            // score_sde's discrete VPSDE uses linspace(beta_min / N, beta_max / N, N) = linspace(0.1 / N,
            // 20 / N, N): the same table only at N = 1000 (its configs' num_scales); at other N ayslab
            // keeps DDPM's paper range, as seed 003's DDPM code does.
            const DdpmTable table(BetaSchedule::linear, o.steps);
            for (int t = 1; t <= o.steps; ++t) discrete_.push_back(table.sigma(t));
            break;
        }
        case LossKind::smld: {
            need_process({"ve"});
            // score_sde's VESDE.discrete_sigmas: exp(linspace(log 0.01, log 50, N)).
            const double lo = std::log(0.01), hi = std::log(50.0);
            for (int i = 0; i < o.steps; ++i)
                discrete_.push_back(std::exp(lo + (hi - lo) * i / static_cast<double>(o.steps - 1)));
            break;
        }
        case LossKind::score_sde:
            need_process({"vp", "subvp", "ve"});
            process_ = make_process(o.process);
            if (!(o.eps > 0.0) || !(o.eps < process_->t_max()))
                throw InputError(fmt::format("score-sde loss: eps = {} must be in (0, T)", o.eps));
            break;
        case LossKind::edm:
            need_process({"edm"});
            if (!(o.p_std > 0.0) || !(o.sigma_data > 0.0))
                throw InputError("edm loss: P_std and sigma_data must be positive");
            break;
    }
    reduction_ = o.kind == LossKind::ddpm_simple ? (o.l1 ? Reduction::mean_abs : Reduction::mean)
                 : o.kind == LossKind::edm       ? Reduction::mean
                 : o.reduce_mean                 ? Reduction::mean
                                                 : Reduction::half_sum;
}

double DenoisingLoss::sigma(double u, double z) const {
    switch (o_.kind) {
        case LossKind::score_sde: {
            const double a = o_.eps, b = process_->t_max();
            const double t = log_uniform_t() ? a * std::pow(b / a, u)  // ln t ~ U[ln eps, ln T]
                                             : a + u * (b - a);        // t ~ U[eps, T]
            return process_->sigma(t);
        }
        case LossKind::edm:
            return std::exp(o_.p_mean + o_.p_std * z);
        default: {
            // a label uniform over the N levels (u in (0, 1])
            const auto n = discrete_.size();
            const auto k = std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n)));
            return discrete_[k];
        }
    }
}

double DenoisingLoss::draw_factor(double s) const {
    if (!log_uniform_t()) return 1.0;
    // density of uniform t over density of log-uniform t: (1/(T - eps)) / (1/(t ln(T/eps)))
    const double a = o_.eps, b = process_->t_max(), t = process_->t_of_sigma(s);
    return t * std::log(b / a) / (b - a);
}

double DenoisingLoss::weight(double s) const {
    switch (o_.kind) {
        case LossKind::ddpm_simple:
            // eps_hat - eps = (x0 - D)/sigma (MATH §2): squared -> 1/sigma^2; absolute -> 1/sigma
            return o_.l1 ? 1.0 / s : 1.0 / (s * s);
        case LossKind::ddpm:
        case LossKind::smld:  // sigma^2 |score - target|^2 = |D - x0|^2 / sigma^2 (MATH §8)
            return 1.0 / (s * s);
        case LossKind::score_sde: {
            if (!o_.likelihood_weighting) return 1.0 / (s * s);  // |score std + z|^2 = |D - x0|^2/sigma^2
            // g^2 |score + z/std|^2 = g^2 |D - x0|^2 / (s^2 sigma^4) = 2 sigma' |D - x0|^2 / sigma^3
            const double t = process_->t_of_sigma(s), st = process_->s(t);
            return process_->g2(t) / (st * st * s * s * s * s);
        }
        case LossKind::edm:
            return edm_loss_weight(s, o_.sigma_data);  // 1 / c_out^2 (preconditioning.hpp)
    }
    return 0.0;
}

double DenoisingLoss::per_sample(std::span<const double> d, std::span<const double> x0, double s) const {
    const std::size_t n = d.size();
    double acc = 0.0;
    if (reduction_ == Reduction::mean_abs) {
        for (std::size_t j = 0; j < n; ++j) acc += std::abs(d[j] - x0[j]);
        return weight(s) * acc / static_cast<double>(n);
    }
    for (std::size_t j = 0; j < n; ++j) acc += (d[j] - x0[j]) * (d[j] - x0[j]);
    return weight(s) * (reduction_ == Reduction::mean ? acc / static_cast<double>(n) : 0.5 * acc);
}

double DenoisingLoss::expect_over_sigma(const std::function<double(double)>& f) const {
    switch (o_.kind) {
        case LossKind::score_sde: {
            const double a = o_.eps, b = process_->t_max();
            return integrate([&](double t) { return f(process_->sigma(t)); }, a, b) / (b - a);
        }
        case LossKind::edm: {
            const double c = 1.0 / std::sqrt(2.0 * std::numbers::pi);
            return integrate([&](double z) { return c * std::exp(-0.5 * z * z) * f(std::exp(o_.p_mean + o_.p_std * z)); },
                             -12.0, 12.0);
        }
        default: {
            double acc = 0.0;
            for (double s : discrete_) acc += f(s);
            return acc / static_cast<double>(discrete_.size());
        }
    }
}

double DenoisingLoss::gaussian_irreducible(std::span<const double> variances) const {
    const double d = static_cast<double>(variances.size());
    return expect_over_sigma([&](double s) {
        double acc = 0.0;
        for (double v : variances) {
            const double post = v * s * s / (v + s * s);  // Var[x0 | x] per coordinate (MATH §8)
            acc += reduction_ == Reduction::mean_abs ? std::sqrt(2.0 / std::numbers::pi * post) : post;
        }
        return weight(s) * (reduction_ == Reduction::half_sum ? 0.5 * acc : acc / d);
    });
}

LossEstimate estimate_loss(const DenoisingLoss& loss, const Data& data, const Denoiser& denoiser,
                           const Denoiser* reference, std::size_t n, std::uint64_t seed, std::size_t threads) {
    const std::size_t d = data.dim();
    if (denoiser.dim() != d || (reference && reference->dim() != d))
        throw InputError(fmt::format("loss: the denoiser has dimension {}, the data {}", denoiser.dim(), d));
    if (n < 2) throw InputError("loss Monte Carlo needs at least 2 samples");
    constexpr std::size_t chunk = 256;
    const std::size_t chunks = chunk_count(n, chunk);
    const bool quadratic = loss.reduction() != Reduction::mean_abs;
    // Per chunk: loss, excess, difference (Moments are trivially copyable: shared between ranks).
    std::vector<Moments> parts(4 * chunks);
    const auto stream = streams::loss_draws;
    // Sharded data must be drawn collectively even when the denoiser is not.
    const Denoiser& callee = data.denoiser().collective() ? data.denoiser() : denoiser;
    cluster::distributed_for_calling(callee, chunks, threads, std::span(parts), 4, [&](std::size_t c) {
        const std::size_t first = c * chunk, count = std::min(chunk, n - first);
        std::vector<double> x0(count * d), eps(count * d), x(count * d), den(count * d), ref(count * d),
            sig(count), u(count), z(count);
        data.sample(count, seed, first, x0);
        fill_normal_flat(seed, stream, 0, first * d, eps);
        fill_normal_flat(seed, stream, 1, first, z);
        for (std::size_t i = 0; i < count; ++i) fill_uniform({seed, stream, first + i, 2}, {&u[i], 1});
        for (std::size_t i = 0; i < count; ++i) {
            sig[i] = loss.sigma(u[i], z[i]);
            for (std::size_t j = 0; j < d; ++j) x[i * d + j] = x0[i * d + j] + sig[i] * eps[i * d + j];
        }
        denoiser.denoise_rows(x, count, sig, den);
        if (reference) reference->denoise_rows(x, count, sig, ref);
        Moments* out = parts.data() + 4 * c;
        for (std::size_t i = 0; i < count; ++i) {
            const auto row = [&](const std::vector<double>& v) { return std::span(v).subspan(i * d, d); };
            const double f = loss.draw_factor(sig[i]);
            const double l = f * loss.per_sample(row(den), row(x0), sig[i]);
            out[0].add(l);
            if (!reference) continue;
            const double diff = l - f * loss.per_sample(row(ref), row(x0), sig[i]);
            out[2].add(diff);
            if (!quadratic) continue;
            const double excess = f * loss.per_sample(row(den), row(ref), sig[i]);
            out[1].add(excess);
            out[3].add(diff - excess);
        }
    });
    LossEstimate e;
    for (std::size_t c = 0; c < chunks; ++c) {
        e.loss.merge(parts[4 * c]);
        e.excess.merge(parts[4 * c + 1]);
        e.difference.merge(parts[4 * c + 2]);
        e.gap.merge(parts[4 * c + 3]);
    }
    return e;
}

}  // namespace ayslab
