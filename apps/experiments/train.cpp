// train: a network denoiser on any data set (LibTorch), with any of the seeds' losses (MATH §8). Writes
// the EMA model as TorchScript (forward(x, sigma) -> D, k-diffusion's denoiser convention) and a JSON
// with the loss curve and, against the data's exact denoiser, the held-out excess error per sigma band.
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

#include "ayslab/denoisers/conditional.hpp"
#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/training/loss.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/stats.hpp"
#include "ayslab/training/train.hpp"
#include "ayslab/streams.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

// Held-out E|D - D*|^2 / d over sigma log-uniform in [lo, hi] (x0 from the data at addresses no
// training step uses), and the irreducible E|D* - x0|^2 / d on the same draws.
// The same for the untrained network, and the paired difference (untrained - trained) per draw.
struct BandError {
    Moments excess, irreducible, untrained, gain;
};
BandError band_error(const Data& data, const Denoiser& net, const Denoiser& untrained, double lo, double hi,
                     std::size_t n, std::uint64_t seed) {
    const std::size_t d = data.dim();
    std::vector<double> x0(n * d), eps(n * d), x(n * d), a(n * d), b(n * d), c(n * d), sig(n), u(n);
    data.sample(n, seed, streams::train_band_rows, x0);
    const auto stream = streams::train_bands;
    fill_normal_flat(seed, stream, 0, 0, eps);
    for (std::size_t i = 0; i < n; ++i) {
        fill_uniform({seed, stream, i, 1}, {&u[i], 1});
        sig[i] = lo * std::pow(hi / lo, u[i]);
        for (std::size_t j = 0; j < d; ++j) x[i * d + j] = x0[i * d + j] + sig[i] * eps[i * d + j];
    }
    net.denoise_rows(x, n, sig, a);
    data.denoiser().denoise_rows(x, n, sig, b);
    untrained.denoise_rows(x, n, sig, c);
    BandError e;
    const auto dd = static_cast<double>(d);
    for (std::size_t i = 0; i < n; ++i) {
        double ex = 0.0, ir = 0.0, un = 0.0;
        for (std::size_t j = 0; j < d; ++j) {
            const std::size_t k = i * d + j;
            ex += (a[k] - b[k]) * (a[k] - b[k]);
            ir += (b[k] - x0[k]) * (b[k] - x0[k]);
            un += (c[k] - b[k]) * (c[k] - b[k]);
        }
        e.excess.add(ex / dd);
        e.irreducible.add(ir / dd);
        e.untrained.add(un / dd);
        e.gain.add((un - ex) / dd);
    }
    return e;
}

Result run(const Config& cfg, const RunContext& ctx) {
    const Dataset ds = make_dataset(cfg.string("data"), read_dataset_options(cfg, ctx));
    LossOptions lo;
    lo.kind = parse_loss(cfg.string("loss"));
    lo.process = cfg.string("process");
    lo.likelihood_weighting = cfg.boolean("likelihood_weighting");
    lo.reduce_mean = cfg.boolean("reduce_mean");
    lo.l1 = cfg.boolean("l1");
    lo.sigma_data = cfg.number("sigma_data");
    const DenoisingLoss loss(lo);  // validates the loss against the process before any training
    const std::size_t dim = ds.data->dim();
    NetworkChoice network = read_network(cfg, dim, ds.name);  // validated before any training
    // Class-conditional (CFG) training: the data's labels, dropped to the null label at label_dropout.
    const bool conditional = cfg.boolean("conditional");
    if (conditional) {
        if (ds.data->classes() == 0)
            throw InputError(fmt::format("conditional=true needs labelled data; '{}' has no classes", ds.name));
        // The U-Net adds the label per channel before a GroupNorm of at most 8 groups: with one channel per
        // group the norm removes it (the network could not see y).
        if (network.unet && network.unet_options.base_channels < 16)
            throw InputError(fmt::format("conditional=true with network=unet needs channels >= 16 (got {}): with fewer, "
                                         "GroupNorm removes the label embedding",
                                         network.unet_options.base_channels));
        network.mlp.classes = network.unet_options.classes = ds.data->classes();
    }
    const std::string model_out = cfg.string("model_out");
    check_writable_target(model_out, "model");
    const auto edges = cfg.numbers("bands");  // checked before any training (it was after, model written)
    for (std::size_t k = 0; k + 1 < edges.size(); ++k)
        if (!(edges[k + 1] > edges[k]))
            throw InputError(fmt::format("key 'bands' must be increasing: {} follows {}", edges[k + 1], edges[k]));
    if (edges.size() < 2) throw InputError("key 'bands' needs at least 2 edges (one sigma band)");
    // Input errors above read the same in every build; this one only where LibTorch is missing.
    if (!torch_available())
        throw InputError("the train experiment needs LibTorch: this ayslab was built without LibTorch (install libtorch-dev)");
    TrainOptions to;
    to.loss = lo;
    to.steps = static_cast<std::size_t>(cfg.integer("train_steps"));
    to.batch = static_cast<std::size_t>(cfg.integer("batch"));
    to.lr = cfg.number("lr");
    to.warmup = static_cast<std::size_t>(cfg.integer("warmup"));
    to.grad_clip = cfg.number("grad_clip");
    to.ema_decay = cfg.number("ema_decay");
    to.ema_start = static_cast<std::size_t>(cfg.integer("ema_start"));
    to.ema_update_rate = static_cast<std::size_t>(cfg.integer("ema_update_rate"));
    to.record_every = static_cast<std::size_t>(cfg.integer("record_every"));
    to.checkpoint_every = static_cast<std::size_t>(cfg.integer("checkpoint_every"));
    to.label_dropout = cfg.number("label_dropout");
    to.seed = cfg.seed();
    to.threads = ctx.threads;
    to.checkpoint = ctx.checkpoint;
    to.resume = ctx.resume;
    // Where the model goes and what is evaluated afterwards do not change the training state.
    to.fingerprint = run_fingerprint(cfg, {"model_out", "eval_samples", "bands"});
    const auto initial = make_network(network);
    const bool show = ctx.progress && ::isatty(2);
    const auto trained = train_network(initial, *ds.data, to, [&](const TrainPoint& p, double rate) {
        if (!show) return;
        const double left = rate > 0.0 ? static_cast<double>(to.steps - p.step) / rate : 0.0;
        fmt::print(stderr, "\r[train] step {}/{}: loss {:.5g}, {:.0f} steps/s, ~{:.0f} s left   ", p.step, to.steps,
                   p.loss, rate, left);
    });
    if (show) fmt::print(stderr, "\n");
    trained.ema.save(model_out);

    Result r;
    r.values["model"] = {{"file", model_out}, {"network", trained.ema.description()},
                         {"parameters", trained.ema.parameter_count()}};
    nlohmann::json curve = nlohmann::json::array();
    for (const auto& p : trained.curve) curve.push_back({p.step, p.loss});
    r.values["curve"] = curve;
    r.line(fmt::format("{} on {} (d = {}), {} loss, {} steps of {}: loss {:.5g} -> {:.5g}; model {}",
                       trained.ema.description(), ds.name, dim, cfg.string("loss"), to.steps, to.batch,
                       trained.curve.front().loss, trained.curve.back().loss, model_out));
    r.check({"the training loss fell (last recorded vs first)", trained.curve.front().loss,
             trained.curve.back().loss, 0.0, Criterion::at_most});
    // Held-out error against the exact denoiser, per sigma band, for the trained (EMA) and the untrained
    // network on the same draws.
    ModelConvention convention;
    convention.classes = trained.ema.classes();  // the null label is `classes` (MlpOptions)
    const NetworkDenoiser net(trained.ema, convention, ctx.threads), untrained(initial, convention, ctx.threads);
    const auto n = static_cast<std::size_t>(cfg.integer("eval_samples"));
    r.line(fmt::format("{:>18} {:>22} {:>22} {:>14}", "sigma band", "E|D - D*|^2/d (EMA)", "untrained",
                       "irreducible"));
    for (std::size_t k = 0; k + 1 < edges.size(); ++k) {
        const double a = edges[k], b = edges[k + 1];
        const auto e = band_error(*ds.data, net, untrained, a, b, n, streams::train_band_error(cfg.seed()));
        const std::string at = fmt::format("sigma in [{}, {}]", a, b);
        r.values["bands"][at] = {{"excess", e.excess.mean()},
                                 {"excess_se", e.excess.se_mean()},
                                 {"untrained_excess", e.untrained.mean()},
                                 {"irreducible", e.irreducible.mean()},
                                 {"irreducible_se", e.irreducible.se_mean()}};
        const bool within_10_percent = e.excess.mean() <= 0.1 * e.irreducible.mean();
        if (ds.data->nearest_points() == nullptr || within_10_percent) {
            // The network's error on top of the exact denoiser's own below 10% of the irreducible error
            // (for sampling, as good as the exact denoiser in that band).
            r.check({at + ": E|D - D*|^2 at most 10% of the irreducible E|D* - x0|^2", 0.1 * e.irreducible.mean(),
                     e.excess.mean(), 0.0, Criterion::at_most});
        } else {
            // A point set's ideal denoiser memorises its points, which a network should not, so where the
            // network is not within 10% the claim is only that training moved it towards the ideal one:
            // the paired gain (untrained - trained error, same draws) is positive by more than 2 SE.
            r.check({at + ": 2 SE of the paired gain (untrained - trained E|D - D*|^2) at most the gain",
                     e.gain.mean(), 2.0 * e.gain.se_mean(), 0.0, Criterion::at_most});
        }
        r.line(fmt::format("{:>18} {:>22} {:>22} {:>14.4g}", fmt::format("[{}, {}]", a, b),
                           fmt::format("{:.4g} ± {:.2g}", e.excess.mean(), e.excess.se_mean()),
                           fmt::format("{:.4g}", e.untrained.mean()), e.irreducible.mean()));
    }
    if (conditional) {
        // The conditional network against the exact class-conditional denoiser, pooled over the classes
        // (each class's draws from the class, weighted equally): the same criterion per band. Above, the
        // null label's output was checked against the exact unconditional denoiser.
        r.line(fmt::format("conditional (label y, pooled over {} classes; label_dropout {}):", ds.data->classes(),
                           to.label_dropout));
        for (std::size_t k = 0; k + 1 < edges.size(); ++k) {
            const double a = edges[k], b = edges[k + 1];
            Moments excess, irreducible;
            for (Label y = 0; y < static_cast<Label>(ds.data->classes()); ++y) {
                const Conditioned by_net(net, y), by_untrained(untrained, y);
                const auto e = band_error(ds.data->given(y), by_net, by_untrained, a, b, n / ds.data->classes() + 1,
                                          streams::class_band_error(cfg.seed(), static_cast<std::uint64_t>(y)));
                excess.merge(e.excess);
                irreducible.merge(e.irreducible);
            }
            // What the label is worth in this band: the exact denoisers' error without it minus with it.
            const double without = r.values["bands"][fmt::format("sigma in [{}, {}]", a, b)]["irreducible"];
            const double worth = std::max(0.0, without - irreducible.mean());
            const std::string at = fmt::format("sigma in [{}, {}], given y", a, b);
            r.values["conditional_bands"][at] = {{"excess", excess.mean()},
                                                 {"excess_se", excess.se_mean()},
                                                 {"irreducible", irreducible.mean()},
                                                 {"label_worth", worth}};
            // Within 10% of the exact conditional denoiser's own error, or keeping 90% of what the label
            // is worth (at large sigma, where given y the data is nearly known, the exact error is tiny
            // and the label is worth almost the whole unconditional error).
            r.check({at + ": E|D(x; y) - D*(x; y)|^2 at most 10% of max(irreducible given y, what the label is worth)",
                     0.1 * std::max(irreducible.mean(), worth), excess.mean(), 0.0, Criterion::at_most});
            r.line(fmt::format("{:>18} {:>22} {:>22} {:>14.4g}", fmt::format("[{}, {}]", a, b),
                               fmt::format("{:.4g} ± {:.2g}", excess.mean(), excess.se_mean()),
                               fmt::format("label worth {:.4g}", worth), irreducible.mean()));
        }
        r.values["model"]["classes"] = ds.data->classes();
        r.line(fmt::format("the model takes labels: run it with model_labels={} (null label {})", ds.data->classes(),
                           ds.data->classes()));
    }
    return r;
}

}  // namespace

Experiment train_experiment() {
    return {"train",
            "train an MLP or U-Net denoiser (LibTorch) with one of the seeds' losses; TorchScript model + loss curve "
            "+ held-out error vs the exact denoiser",
            Schema{seed_key()} +
                shared_keys({"train_steps", "batch", "lr", "model_out", "subset", "directory", "data", "points", "file", "labels", "held_out", "network", "width", "depth",
                             "channels", "levels"}) +
                Schema{{"loss", KeyType::string, "training loss (MATH §8)", {}, {}, loss_names()},
                       {"process", KeyType::string, "process the loss belongs to (score-sde: vp, subvp, ve)", {}, {},
                        process_names()},
                       {"likelihood_weighting", KeyType::boolean, "score-sde: weight g^2 (Song et al. 2021)"},
                       {"reduce_mean", KeyType::boolean, "score-sde, smld, ddpm: mean over dimensions (else half the sum); when not given it follows score_sde's configs: half the sum for smld and score-sde, the mean for ddpm"},
                       {"l1", KeyType::boolean, "ddpm-simple: l1 instead of l2"},
                       {"frequencies", KeyType::integer, "Fourier features of c_noise", 1, 1024},
                       {"sigma_data", KeyType::number, "EDM preconditioning's sigma_data", 1e-6, 1e6},
                       {"warmup", KeyType::integer, "linear warm-up steps", 0, 1e8},
                       {"grad_clip", KeyType::number, "global gradient-norm clip (0 = none)", 0, 1e6},
                       {"ema_decay", KeyType::number, "EMA decay", 0, 1},
                       {"ema_start", KeyType::integer, "steps before the EMA averages (copies until then)", 0, 1e8},
                       {"ema_update_rate", KeyType::integer, "steps between EMA updates", 1, 1e6},
                       {"record_every", KeyType::integer, "loss-curve resolution in steps", 1, 1e6},
                       {"checkpoint_every", KeyType::integer, "steps between checkpoints (a multiple of record_every)",
                        1, 1e8},
                       {"eval_samples", KeyType::integer, "held-out draws per sigma band", 2, 1e8},
                       {"bands", KeyType::number_list, "sigma band edges, increasing", 1e-8, 1e8},
                       {"conditional", KeyType::boolean,
                        "train a class-conditional network (labelled data; mlp or unet): forward(x, sigma, y), the null "
                        "label = the number of classes"},
                       {"label_dropout", KeyType::number,
                        "conditional: probability of training on the null label instead of the row's (CFG training)", 0,
                        1}},
            run,
            // LibTorch's training step holds, per minibatch row, every layer's activations and their
            // gradients (float32): ~6 values per unit of the MLP's width x depth, ~40 per pixel and
            // channel of the U-Net's levels (28 x 28 images); the weights cost 5 copies (weights, EMA,
            // gradient, two Adam moments). A rough bound, meant to refuse what cannot run, not to plan.
            [](const Config& cfg) {
                const double batch = static_cast<double>(cfg.integer("batch"));
                if (cfg.string("network") == "unet") {
                    const double c = static_cast<double>(cfg.integer("channels")),
                                 levels = static_cast<double>(cfg.integer("levels"));
                    return MemoryNeed{4.0 * batch * 40.0 * c * 784.0 * levels,
                                      fmt::format("batch = {} x channels = {} x levels = {}", cfg.integer("batch"),
                                                  cfg.integer("channels"), cfg.integer("levels"))};
                }
                const double w = static_cast<double>(cfg.integer("width")), depth = static_cast<double>(cfg.integer("depth"));
                return MemoryNeed{4.0 * (6.0 * batch * w * (depth + 1.0) + 5.0 * w * w * depth),
                                  fmt::format("batch = {} x width = {} x depth = {}", cfg.integer("batch"),
                                              cfg.integer("width"), cfg.integer("depth"))};
            }};
}

}  // namespace ayslab::app
