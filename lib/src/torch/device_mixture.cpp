// The mixture / point-set denoiser as ATen operations on a device (ayslab/data/device_mixture.hpp,
// MATH.md §2). Per call of n rows: the squared distances to all K components in the metric
// a_k = 1 / (v_k + sigma^2) by three matrix products (x^2 a^T - 2 x (mu a)^T + sum_j mu^2 a), the
// log-responsibilities and their softmax over k, and D = r (mu (1 - v a)) + x (r (v a)) by two more.
// With one sigma per call the a-tables are computed once; with per-row sigmas (the KLUB's rows) each
// row has its own a, so the distances are taken by broadcasting instead (n x K x d).
#include <ATen/ATen.h>
#include <fmt/format.h>

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
    const auto rows = static_cast<std::int64_t>(n), d = static_cast<std::int64_t>(t.dim);
    const auto cpu = f64(c10::kCPU);
    const at::Tensor xs = at::from_blob(const_cast<double*>(x.data()), {rows, d}, cpu).to(t.device);
    at::Tensor logits, gain;  // n x K; K x d (one sigma) or n x K x d (per row)
    if (sigmas.size() == 1) {
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
    if (gain.dim() == 2)
        result = r.matmul(t.mu * (1.0 - gain)) + xs * r.matmul(gain);
    else
        result = (r.unsqueeze(2) * (t.mu.unsqueeze(0) * (1.0 - gain) + xs.unsqueeze(1) * gain)).sum(1);
    const at::Tensor host = result.to(c10::kCPU).contiguous();
    std::copy_n(host.data_ptr<double>(), n * t.dim, out.data());
}

}  // namespace ayslab
