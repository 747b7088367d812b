// The training loop (the second translation unit with torch headers).
#include "ayslab/training/train.hpp"

#include <fmt/format.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <sstream>

#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/io/fingerprint.hpp"
#include "ayslab/io/read_file.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/streams.hpp"
#include "network_impl.hpp"

namespace ayslab {

namespace {

std::vector<torch::Tensor> params_of(const Network& n) {
    std::vector<torch::Tensor> v;
    for (const auto& p : n.impl().module.parameters()) v.push_back(p);
    return v;
}

constexpr std::uint64_t train_stream = streams::training;

// The checkpoint: step, loss curve, weights, EMA weights and Adam's state, in one torch archive.
// Adam (Kingma & Ba) written out as PyTorch's torch.optim.Adam computes it (amsgrad off, no weight
// decay): its state is two tensors per parameter and one step count, saved and restored exactly.
struct Adam {
    std::vector<torch::Tensor> m, v;
    std::int64_t t = 0;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    explicit Adam(const std::vector<torch::Tensor>& params) {
        for (const auto& p : params) {
            m.push_back(torch::zeros_like(p).detach());
            v.push_back(torch::zeros_like(p).detach());
        }
    }
    void step(const std::vector<torch::Tensor>& params, double lr) {
        torch::NoGradGuard no_grad;
        ++t;
        const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(t));
        const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(t));
        for (std::size_t k = 0; k < params.size(); ++k) {
            const auto& g = params[k].grad();
            if (!g.defined()) continue;
            m[k].mul_(beta1).add_(g, 1.0 - beta1);
            v[k].mul_(beta2).addcmul_(g, g, 1.0 - beta2);
            const auto denom = (v[k].sqrt() / std::sqrt(bc2)).add_(eps);
            params[k].addcdiv_(m[k], denom, -lr / bc1);
        }
    }
};

torch::Tensor bytes_tensor(const std::string& s) {
    auto t = torch::empty({static_cast<std::int64_t>(s.size())}, torch::kUInt8);
    std::copy(s.begin(), s.end(), reinterpret_cast<char*>(t.data_ptr<std::uint8_t>()));
    return t;
}

void save_checkpoint(const std::filesystem::path& path, const std::string& fingerprint, std::size_t step,
                     const std::vector<TrainPoint>& curve, const std::vector<torch::Tensor>& params,
                     const std::vector<torch::Tensor>& ema, const Adam& adam) {
    torch::serialize::OutputArchive archive;
    archive.write("fingerprint", bytes_tensor(fingerprint));
    archive.write("step", torch::tensor(static_cast<std::int64_t>(step)));
    std::vector<double> flat;
    for (const auto& p : curve) {
        flat.push_back(static_cast<double>(p.step));
        flat.push_back(p.loss);
    }
    archive.write("curve", torch::tensor(flat, torch::kFloat64));
    for (std::size_t k = 0; k < params.size(); ++k) {
        archive.write(fmt::format("param{}", k), params[k].detach());
        archive.write(fmt::format("ema{}", k), ema[k].detach());
    }
    archive.write("adam_t", torch::tensor(adam.t));
    for (std::size_t k = 0; k < params.size(); ++k) {
        archive.write(fmt::format("adam_m{}", k), adam.m[k]);
        archive.write(fmt::format("adam_v{}", k), adam.v[k]);
    }
    std::ostringstream bytes;  // in memory first, as Network::save (a failing stream aborted in LibTorch)
    archive.save_to(bytes);
    refuse_symlink(path, "training checkpoint");
    write_text_atomically(path, "training checkpoint", bytes.str());
}

// Every field is checked before anything is used (a damaged file is one InputError naming the field,
// never a crash): the fingerprint, then the step, the loss curve, each tensor's shape and finiteness.
std::size_t load_checkpoint(const std::filesystem::path& path, const TrainOptions& o, std::vector<TrainPoint>& curve,
                            const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& ema,
                            Adam& adam) {
    refuse_symlink(path, "training checkpoint");
    refuse_non_regular(path, "training checkpoint");
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path.string());
        auto get = [&](const std::string& key) {
            torch::Tensor t;  // undefined: read() assigns rather than resizing
            if (!archive.try_read(key, t) || !t.defined()) throw InputError(fmt::format("'{}' is missing", key));
            if (t.layout() != torch::kStrided || !t.device().is_cpu())
                throw InputError(fmt::format("'{}' is not a dense CPU tensor", key));
            return t;
        };
        auto damaged = [](const std::string& field, const std::string& why) {
            return std::runtime_error(fmt::format("'{}' {}", field, why));
        };
        {
            torch::Tensor f;
            if (!archive.try_read("fingerprint", f) || !f.defined() || f.scalar_type() != torch::kUInt8 || f.dim() != 1)
                throw InputError("it has no run fingerprint (written by an older ayslab): delete it to start again");
            f = f.contiguous();
            const std::string then(reinterpret_cast<const char*>(f.data_ptr<std::uint8_t>()),
                                   static_cast<std::size_t>(f.numel()));
            if (const auto diff = fingerprint_difference(then, o.fingerprint); !diff.empty())
                throw InputError(fmt::format("it was made for another run: {}", diff));
        }
        auto scalar = [&](const std::string& key) {
            const auto t = get(key);
            if (t.numel() != 1 || t.scalar_type() != torch::kInt64) throw damaged(key, "is not one integer");
            return t.item<std::int64_t>();
        };
        const std::int64_t step = scalar("step");
        if (step < 1 || static_cast<std::uint64_t>(step) >= o.steps)
            throw damaged("step", fmt::format("= {} is not in [1, {})", step, o.steps));
        const auto c = get("curve");
        const auto points = static_cast<std::int64_t>(static_cast<std::size_t>(step) / o.record_every);
        if (c.scalar_type() != torch::kFloat64 || c.dim() != 1 || c.numel() != 2 * points)
            throw damaged("curve", fmt::format("does not hold the {} points of {} steps", points, step));
        const auto cc = c.contiguous();
        const double* cv = cc.data_ptr<double>();
        curve.clear();
        for (std::int64_t k = 0; k < points; ++k) {
            const double at = cv[2 * k], loss = cv[2 * k + 1];
            if (at != static_cast<double>((static_cast<std::size_t>(k) + 1) * o.record_every) || !std::isfinite(loss))
                throw damaged("curve", fmt::format("point {} is ({}, {})", k, at, loss));
            curve.push_back({static_cast<std::size_t>(at), loss});
        }
        if (scalar("adam_t") != step) throw damaged("adam_t", fmt::format("is not the step {}", step));
        auto tensor_like = [&](const std::string& key, const torch::Tensor& like) {
            const auto t = get(key);
            if (!t.sizes().equals(like.sizes()) || t.scalar_type() != like.scalar_type())
                throw InputError(fmt::format("'{}' has another shape or type than this network's", key));
            if (!torch::isfinite(t).all().item<bool>()) throw damaged(key, "holds a non-finite value");
            return t;
        };
        std::vector<torch::Tensor> p(params.size()), e(params.size()), m(params.size()), v(params.size());
        for (std::size_t k = 0; k < params.size(); ++k) {
            p[k] = tensor_like(fmt::format("param{}", k), params[k]);
            e[k] = tensor_like(fmt::format("ema{}", k), ema[k]);
            m[k] = tensor_like(fmt::format("adam_m{}", k), adam.m[k]);
            v[k] = tensor_like(fmt::format("adam_v{}", k), adam.v[k]);
        }
        // All checked: only now is the state changed.
        torch::NoGradGuard no_grad;
        for (std::size_t k = 0; k < params.size(); ++k) {
            params[k].copy_(p[k]);
            ema[k].copy_(e[k]);
            adam.m[k].copy_(m[k]);
            adam.v[k].copy_(v[k]);
        }
        adam.t = step;
        return static_cast<std::size_t>(step);
    } catch (const InputError& e) {
        throw InputError(fmt::format("training checkpoint '{}' does not fit this run: {}", path.string(), e.what()));
    } catch (const std::exception& e) {
        const std::string what = e.what();
        throw InputError(fmt::format("training checkpoint '{}' is damaged: {}", path.string(),
                                     what.substr(0, what.find('\n'))));
    }
}

}  // namespace

namespace {
TrainResult train(const Network& initial, const Data& data, const TrainOptions& o, const TrainProgress& progress);
}  // namespace

// LibTorch reports a failed allocation as c10::Error ("DefaultCPUAllocator: can't allocate memory"):
// that is a configuration too large for this machine or its limit (exit 2), not a bug.
TrainResult train_network(const Network& initial, const Data& data, const TrainOptions& o,
                          const TrainProgress& progress) {
    try {
        return train(initial, data, o, progress);
    } catch (const c10::Error& e) {
        const std::string what = e.what();
        if (what.find("allocate") == std::string::npos) throw;
        throw InputError(fmt::format("training ran out of memory (batch {}): {}; reduce batch, width, depth or channels",
                                     o.batch, what.substr(0, what.find('\n'))));
    }
}

namespace {
TrainResult train(const Network& initial, const Data& data, const TrainOptions& o, const TrainProgress& progress) {
    if (initial.dim() != data.dim())
        throw InputError(fmt::format("the network has dimension {}, the data {}", initial.dim(), data.dim()));
    if (o.batch < 1 || o.steps < 1) throw InputError("training needs at least 1 step of at least 1 sample");
    if (o.record_every < 1 || (o.checkpoint_every > 0 && o.checkpoint_every % o.record_every != 0))
        throw InputError("checkpoint_every must be a multiple of record_every (a resumed loss curve is then exact)");
    if (!(o.lr > 0.0) || !(o.ema_decay >= 0.0 && o.ema_decay <= 1.0) || o.ema_update_rate < 1)
        throw InputError("training needs lr > 0, ema_decay in [0, 1] and ema_update_rate >= 1");
    const DenoisingLoss loss(o.loss);
    if (o.threads > 0) at::set_num_threads(static_cast<int>(o.threads));
    TrainResult r{initial.clone(), initial.clone(), {}};
    auto& module = r.model.impl().module;
    module.train();
    const auto params = params_of(r.model), ema = params_of(r.ema);
    Adam adam(params);
    std::size_t step = 0;
    std::error_code ec;
    if (o.resume && !o.checkpoint.empty() && std::filesystem::exists(o.checkpoint, ec))
        step = load_checkpoint(o.checkpoint, o, r.curve, params, ema, adam);

    const std::size_t d = data.dim(), b = o.batch;
    const std::size_t classes = initial.classes();
    if (initial.takes_labels() && classes == 0)
        throw InputError("training a model file that takes labels is not supported: build the network here");
    if (classes > 0 && data.classes() != classes)
        throw InputError(fmt::format("a network for {} classes, data with {}", classes, data.classes()));
    if (!(o.label_dropout >= 0.0 && o.label_dropout <= 1.0))
        throw InputError(fmt::format("label_dropout = {} must be in [0, 1]", o.label_dropout));
    std::vector<double> x0(b * d), eps(b * d), u(b), z(b), sig(b), w(b), drop(b);
    std::vector<Label> labels(b);
    auto ys = torch::empty({static_cast<std::int64_t>(b)}, torch::kInt64);
    auto xs = torch::empty({static_cast<std::int64_t>(b), static_cast<std::int64_t>(d)}, torch::kFloat32);
    auto x0s = torch::empty_like(xs);
    auto ss = torch::empty({static_cast<std::int64_t>(b)}, torch::kFloat32);
    auto ws = torch::empty_like(ss);
    double window = 0.0;
    std::size_t in_window = 0;
    auto started = std::chrono::steady_clock::now();
    const std::size_t first_step = step;
    for (; step < o.steps; ++step) {
        // Draws addressed by (seed, step, row): the data rows of step k are rows k b .. k b + b - 1 (with
        // labels: the same rows, and their classes).
        if (classes > 0) {
            data.sample_labelled(b, o.seed, step * b, x0, labels);
            fill_uniform({o.seed, streams::label_dropout, step, 0}, drop);
            auto* yp = ys.data_ptr<std::int64_t>();
            for (std::size_t i = 0; i < b; ++i)
                yp[i] = drop[i] < o.label_dropout ? static_cast<std::int64_t>(classes) : labels[i];
        } else {
            data.sample(b, o.seed, step * b, x0);
        }
        fill_normal_flat(o.seed, train_stream, 3 * step, 0, eps);
        fill_normal_flat(o.seed, train_stream, 3 * step + 1, 0, z);
        fill_uniform({o.seed, train_stream, 0, 3 * step + 2}, u);
        float* xp = xs.data_ptr<float>();
        float* x0p = x0s.data_ptr<float>();
        for (std::size_t i = 0; i < b; ++i) {
            sig[i] = loss.sigma(u[i], z[i]);
            w[i] = loss.draw_factor(sig[i]) * loss.weight(sig[i]);
            ss.data_ptr<float>()[i] = static_cast<float>(sig[i]);
            ws.data_ptr<float>()[i] = static_cast<float>(w[i]);
            for (std::size_t j = 0; j < d; ++j) {
                x0p[i * d + j] = static_cast<float>(x0[i * d + j]);
                xp[i * d + j] = static_cast<float>(x0[i * d + j] + sig[i] * eps[i * d + j]);
            }
        }
        const auto den = (classes > 0 ? module.forward({xs, ss, ys}) : module.forward({xs, ss})).toTensor();
        const auto diff = den - x0s;
        torch::Tensor per_row;
        switch (loss.reduction()) {
            case Reduction::mean:
                per_row = diff.square().mean(1);
                break;
            case Reduction::half_sum:
                per_row = 0.5 * diff.square().sum(1);
                break;
            case Reduction::mean_abs:
                per_row = diff.abs().mean(1);
                break;
        }
        const auto value = (ws * per_row).mean();
        const double lv = value.item<double>();
        if (!std::isfinite(lv))
            throw NumericalError(fmt::format("training loss is {} at step {}", lv, step + 1));
        const double lr = o.lr * std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(std::max<std::size_t>(1, o.warmup)));
        // Gradients start undefined every step (not zeroed in place), so a resumed run's first step
        // computes them exactly as every other step does.
        for (auto& p : params) p.mutable_grad() = torch::Tensor();
        value.backward();
        if (o.grad_clip > 0.0) torch::nn::utils::clip_grad_norm_(params, o.grad_clip);
        adam.step(params, lr);
        // EMA exactly as the seeds' update_ema: the step counter first, then copy or average.
        const std::size_t counter = step + 1;
        if (counter % o.ema_update_rate == 0) {
            torch::NoGradGuard no_grad;
            for (std::size_t k = 0; k < params.size(); ++k) {
                if (counter < o.ema_start)
                    ema[k].copy_(params[k]);
                else
                    ema[k].mul_(o.ema_decay).add_(params[k], 1.0 - o.ema_decay);
            }
        }
        window += lv;
        ++in_window;
        if (counter % o.record_every == 0 || counter == o.steps) {
            const TrainPoint p{counter, window / static_cast<double>(in_window)};
            r.curve.push_back(p);
            window = 0.0;
            in_window = 0;
            if (progress) {
                const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                progress(p, secs > 0.0 ? static_cast<double>(counter - first_step) / secs : 0.0);
            }
        }
        if (!o.checkpoint.empty() && o.checkpoint_every > 0 && counter % o.checkpoint_every == 0 && counter < o.steps)
            save_checkpoint(o.checkpoint, o.fingerprint, counter, r.curve, params, ema, adam);
    }
    module.eval();
    r.ema.impl().module.eval();
    return r;  // the checkpoint stays: the caller removes it once its result is written
}
}  // namespace

}  // namespace ayslab
