// The mixture / point-set denoiser as ATen operations on a device (ayslab/data/device_mixture.hpp,
// MATH.md §2). Per call of n rows: the squared distances to all K components in the metric
// a_k = 1 / (v_k + sigma^2) by three matrix products (x^2 a^T - 2 x (mu a)^T + sum_j mu^2 a), the
// log-responsibilities and their softmax over k, and D = r (mu (1 - v a)) + x (r (v a)) by two more.
// With one sigma per call the a-tables are computed once. With per-row sigmas (the KLUB's rows) each
// row has its own a: for isotropic components (and point sets) a is n x K and the same matrix products
// serve; only diagonal components need the n x K x d broadcast, done in row blocks of bounded size.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "ayslab/data/device_mixture.hpp"
#include "ayslab/error.hpp"
#include "device.hpp"

namespace ayslab {

namespace {
struct Tables {
    c10::Device device{c10::kCPU};
    std::size_t dim = 0, components = 0;
    at::Tensor log_w, mu, var, component_class;  // K; K x d; K x d; K (int64) or undefined
    at::Tensor iso_var, mu2;                      // K (each component's variance, when isotropic), |mu_k|^2
};

at::TensorOptions f64(const c10::Device& device) { return at::TensorOptions().dtype(at::kDouble).device(device); }
}  // namespace

std::shared_ptr<const void> upload_mixture(const MixtureTables& t, const std::string& device_name) {
    auto tables = std::make_shared<Tables>();
    tables->device = model_device(device_name);
    tables->dim = t.dim;
    tables->components = t.weights.size();
    const auto k = static_cast<std::int64_t>(t.weights.size()), d = static_cast<std::int64_t>(t.dim);
    // Copies (clone): from_blob views the caller's vectors, and .to() of a CPU tensor to the CPU is the
    // same tensor, so without them the tables would point at memory the caller frees.
    const auto cpu = f64(c10::kCPU);
    tables->log_w = at::from_blob(const_cast<double*>(t.weights.data()), {k}, cpu).log().to(tables->device);
    tables->mu = at::from_blob(const_cast<double*>(t.means.data()), {k, d}, cpu).clone().to(tables->device);
    tables->var = at::from_blob(const_cast<double*>(t.variances.data()), {k, d}, cpu).clone().to(tables->device);
    tables->mu2 = (tables->mu * tables->mu).sum(1);
    if (tables->var.eq(tables->var.select(1, 0).unsqueeze(1)).all().item<bool>()) tables->iso_var = tables->var.select(1, 0);
    if (!t.component_class.empty()) {
        std::vector<std::int64_t> c(t.component_class.begin(), t.component_class.end());
        tables->component_class =
            at::from_blob(c.data(), {k}, at::TensorOptions().dtype(at::kLong)).clone().to(tables->device);
    }
    return tables;
}

void device_mixture_denoise(const void* handle, std::span<const double> x, std::size_t n,
                            std::span<const double> sigmas, std::span<const Label> labels, std::span<double> out) {
    const auto& t = *static_cast<const Tables*>(handle);
    if (n == 0) return;
    // Diagonal components with a sigma per row: at most 2^24 values of n x K x d at a time.
    const std::size_t per_row = t.components * t.dim, block = std::max<std::size_t>(1, (std::size_t{1} << 24) / per_row);
    if (sigmas.size() > 1 && !t.iso_var.defined() && n > block) {
        for (std::size_t first = 0; first < n; first += block) {
            const std::size_t m = std::min(block, n - first);
            device_mixture_denoise(handle, x.subspan(first * t.dim, m * t.dim), m, sigmas.subspan(first, m),
                                   labels.size() > 1 ? labels.subspan(first, m) : labels,
                                   out.subspan(first * t.dim, m * t.dim));
        }
        return;
    }
    const auto rows = static_cast<std::int64_t>(n), d = static_cast<std::int64_t>(t.dim);
    const auto cpu = f64(c10::kCPU);
    const at::Tensor xs = at::from_blob(const_cast<double*>(x.data()), {rows, d}, cpu).to(t.device);
    at::Tensor logits, gain;  // n x K; K x d (one sigma), n x K (per row, isotropic) or n x K x d
    const bool per_row_isotropic = sigmas.size() > 1 && t.iso_var.defined();
    if (per_row_isotropic) {
        const at::Tensor s2 = at::from_blob(const_cast<double*>(sigmas.data()), {rows}, cpu).to(t.device).square();
        const at::Tensor a = (t.iso_var.unsqueeze(0) + s2.unsqueeze(1)).reciprocal();  // n x K
        const at::Tensor sq = (xs * xs).sum(1, true) - 2.0 * xs.matmul(t.mu.t()) + t.mu2;  // |x_i - mu_k|^2
        logits = t.log_w - 0.5 * a * sq + 0.5 * static_cast<double>(d) * a.log();
        gain = t.iso_var.unsqueeze(0) * a;  // v a, n x K
    } else if (sigmas.size() == 1) {
        const double s2 = sigmas[0] * sigmas[0];
        const at::Tensor a = (t.var + s2).reciprocal();  // K x d
        const at::Tensor quad = (xs * xs).matmul(a.t()) - 2.0 * xs.matmul((t.mu * a).t()) + (t.mu * t.mu * a).sum(1);
        logits = t.log_w - 0.5 * quad + 0.5 * a.log().sum(1);
        gain = t.var * a;  // v a
    } else {
        const at::Tensor s2 = at::from_blob(const_cast<double*>(sigmas.data()), {rows}, cpu).to(t.device).square();
        const at::Tensor a = (t.var.unsqueeze(0) + s2.view({rows, 1, 1})).reciprocal();  // n x K x d
        const at::Tensor diff = xs.unsqueeze(1) - t.mu.unsqueeze(0);                   // n x K x d
        logits = t.log_w - 0.5 * (diff * diff * a).sum(2) + 0.5 * a.log().sum(2);
        gain = t.var.unsqueeze(0) * a;
    }
    if (!labels.empty()) {
        // Only the components of each row's class (the null label: all of them).
        std::vector<std::int64_t> y(labels.begin(), labels.end());
        const at::Tensor ys =
            at::from_blob(y.data(), {static_cast<std::int64_t>(y.size())}, at::TensorOptions().dtype(at::kLong))
                .to(t.device)
                .view({-1, 1});
        const at::Tensor keep = (ys < 0) | (t.component_class.view({1, -1}) == ys);  // n (or 1) x K
        logits = logits.masked_fill(keep.logical_not(), -std::numeric_limits<double>::infinity());
    }
    const at::Tensor r = at::softmax(logits, 1);  // n x K
    at::Tensor result;
    if (per_row_isotropic)
        result = (r * (1.0 - gain)).matmul(t.mu) + xs * (r * gain).sum(1, true);
    else if (gain.dim() == 2)
        result = r.matmul(t.mu * (1.0 - gain)) + xs * r.matmul(gain);
    else
        result = (r.unsqueeze(2) * (t.mu.unsqueeze(0) * (1.0 - gain) + xs.unsqueeze(1) * gain)).sum(1);
    const at::Tensor host = result.to(c10::kCPU).contiguous();
    std::copy_n(host.data_ptr<double>(), n * t.dim, out.data());
}

}  // namespace ayslab
