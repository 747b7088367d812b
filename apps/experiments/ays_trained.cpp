// ays-trained: Align Your Steps for a trained network (docs/ays-trained.md). Trains an MLP on a 2-D
// set or a U-Net on Fashion-MNIST (or loads a model file), optimises AYS with the network's denoiser and with the data's exact one,
// and compares AYS(network), AYS(exact), EDM rho=7, log-SNR-uniform and time-uniform, all sampled with
// the network, by NLL under the exact data density and sliced W2 over seeds (same start points per seed
// for every schedule, so differences are paired). The decomposition separates the schedule's error
// from the network's: (network, schedule) vs (exact denoiser, same schedule) vs (network,
// reference_steps EDM steps).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "ayslab/data/datasets.hpp"
#include "ayslab/error.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/optimise/ays.hpp"
#include "ayslab/optimise/registry.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/stats.hpp"
#include "ayslab/training/train.hpp"
#include "evaluate.hpp"
#include "keys.hpp"
#include "list.hpp"
#include "schedule_format.hpp"
#include "stop_proxy.hpp"

namespace ayslab::app {

namespace {

Network trained(const Config& cfg, const Dataset& ds, const RunContext& ctx, Result& r) {
    if (!torch_available())
        throw InputError("ays-trained trains its network with LibTorch: this ayslab was built without LibTorch "
                         "(install libtorch-dev)");
    const Network initial = make_network(read_network(cfg, ds.data->dim(), ds.name));
    TrainOptions t;  // EDM loss, Adam, the seeds' EMA (train.hpp defaults)
    t.loss.kind = LossKind::edm;
    t.steps = static_cast<std::size_t>(cfg.integer("train_steps"));
    t.batch = static_cast<std::size_t>(cfg.integer("batch"));
    t.ema_start = t.steps / 6;
    t.record_every = std::max<std::size_t>(1, t.steps / 20);
    t.checkpoint_every = t.record_every;  // no checkpoint path: only the divisibility rule applies
    t.seed = cfg.seed();
    t.threads = ctx.threads;
    t.lr = cfg.number("lr");
    const auto result = train_network(initial, *ds.data, t);
    r.line(fmt::format("model: {} trained {} steps of {} (EDM loss): loss {:.4g} -> {:.4g}", result.ema.description(),
                       t.steps, t.batch, result.curve.front().loss, result.curve.back().loss));
    return result.ema;
}

// AYS twice from the same start, each stopped on its own denoiser's samples (the paper's early stopping),
// each with its own checkpoint tied to its denoiser: for the network, and for the exact denoiser.
std::pair<AysResult, AysResult> ays_both(const Config& cfg, const RunContext& ctx, const Schedule& start,
                                         const Problem& by_network, const Problem& by_exact, Result& r) {
    const AysOptions o = read_ays_options(cfg, ctx);
    AysOptions on = o, oe = o;
    if (!ctx.checkpoint.empty()) {
        on.checkpoint = ctx.checkpoint.string() + ".network";
        oe.checkpoint = ctx.checkpoint.string() + ".exact";
    }
    auto tagged = [&](const char* denoiser) {
        auto j = nlohmann::json::parse(o.fingerprint);
        j["denoiser"] = denoiser;
        return j.dump();
    };
    on.fingerprint = tagged("network");
    oe.fingerprint = tagged("exact");
    set_stop_proxy(on, cfg, by_network, ctx);
    set_stop_proxy(oe, cfg, by_exact, ctx);
    auto ays_net = *optimise_schedule("ays", *by_network.data, *by_network.denoiser, start, on).ays;
    auto ays_exact = *optimise_schedule("ays", *by_exact.data, *by_exact.denoiser, start, oe).ays;
    report_max_sweeps(ays_net, on, r, "ays_network_stopped_at_max_sweeps", "AYS(network)");
    report_max_sweeps(ays_exact, oe, r, "ays_exact_stopped_at_max_sweeps", "AYS(exact)");
    return {std::move(ays_net), std::move(ays_exact)};
}

// One sampler at one stage: its row per schedule, the decomposition of AYS(network)'s error (the exact
// denoiser on its schedule: the schedule's own error; the network with reference_steps EDM steps: the
// network's own), and the claims, each a paired comparison over seeds (the same start points per seed).
void judge_sampler(const Config& cfg, const std::string& sampler, const std::vector<SampleQuality>& q,
                   const std::vector<NamedSchedule>& schedules, const Problem& by_network, const Problem& by_exact,
                   const EvaluationOptions& eo, nlohmann::json& out, Result& r) {
    const double lo = cfg.number("sigma_min"), hi = cfg.number("sigma_max");
    const std::size_t n = schedules[0].schedule.steps();
    const std::string metric_name = cfg.string("claim_metric");
    // The judged metric: the NLL under the exact density where it means something (2-D sets); sliced W2
    // for images, where the exact density is the training set's memorising mixture.
    const Metric metric = metric_name == "nll" ? Metric::nll : Metric::sliced_w2;
    const auto solver = make_solver(sampler);
    const auto with_exact = evaluate_samples(by_exact, *solver, schedules[0].schedule, eo);
    const auto reference = evaluate_samples(
        by_network, *solver, karras(static_cast<std::size_t>(cfg.integer("reference_steps")), lo, hi), eo);
    out["decomposition"] = {{"network_schedule", quality_json(q[0])},
                            {"exact_denoiser_same_schedule", quality_json(with_exact)},
                            {"network_reference_steps", quality_json(reference)}};
    r.line(fmt::format("{:>3} steps {:<15} AYS(network) schedule with the exact denoiser NLL {:>20}; network "
                       "with {} steps NLL {:>20}",
                       n, sampler, plus_minus(with_exact.nll), cfg.integer("reference_steps"), plus_minus(reference.nll)));
    const auto vs_karras = paired_difference(q[0], q[2], metric);
    const auto vs_exact_ays = paired_difference(q[0], q[1], metric);
    out["metric"] = metric_name;
    out["ays_network_minus_karras"] = {{"mean", vs_karras.mean()}, {"se", vs_karras.se_mean()}};
    out["ays_network_minus_ays_exact"] = {{"mean", vs_exact_ays.mean()}, {"se", vs_exact_ays.se_mean()}};
    const double z = vs_karras.mean() / vs_karras.se_mean();
    const std::string verdict = z < -2.0 ? "better" : z > 2.0 ? "worse" : "within 2 SE";
    out["ays_network_vs_karras"] = verdict;
    r.line(fmt::format("{:>3} steps {:<15} AYS(network) - EDM rho=7: {} {:+.4g} ± {:.2g} ({}); - AYS(exact): "
                       "{:+.4g} ± {:.2g}",
                       n, sampler, metric_name, vs_karras.mean(), vs_karras.se_mean(), verdict, vs_exact_ays.mean(),
                       vs_exact_ays.se_mean()));
    // The claim is made for the samplers named in claimed_samplers (the KLUB models a first-order
    // step; docs/ays-trained.md); for the others the verdict above is measured and reported.
    const auto claimed = cfg.strings("claimed_samplers");
    if (std::find(claimed.begin(), claimed.end(), sampler) != claimed.end())
        r.check({fmt::format("{} steps, {}: AYS(network) {} not worse than EDM rho=7's by more than 2 SE "
                             "(paired over seeds)",
                             n, sampler, metric_name),
                 2.0 * vs_karras.se_mean(), vs_karras.mean(), 0.0, Criterion::at_most});
}

Result run(const Config& cfg, const RunContext& ctx) {
    // Keys that only matter after both AYS runs are checked before any work (this was after them).
    const auto samplers = cfg.strings("samplers");
    for (const auto& c : cfg.strings("claimed_samplers"))
        if (std::find(samplers.begin(), samplers.end(), c) == samplers.end())
            throw InputError(fmt::format("key 'claimed_samplers': '{}' is not one of the samplers", c));
    Result r;
    const Dataset ds = make_dataset(cfg.string("data"), read_dataset_options(cfg, ctx));
    const double lo = cfg.number("sigma_min"), hi = cfg.number("sigma_max");
    const auto process = make_process(cfg.string("process"));
    // AYS's start (before any training): any schedule family, EDM rho = 7 by default; arctan's c is the
    // data's standard deviation.
    const Schedule start = read_schedule(cfg, process.get(), std::sqrt(ds.data->data_variance()));
    // A model file is read with every denoiser key (parametrisation, model_process, model_time,
    // model_sigma_data) and checked by the pre-flight, as in every tool; without one, an MLP or U-Net
    // is trained here (k-diffusion's denoiser convention).
    std::unique_ptr<Denoiser> loaded = read_model_denoiser(cfg, *ds.data, ctx, &r);
    if (loaded) r.line(fmt::format("model: {} (loaded)", cfg.string("model")));
    std::optional<NetworkDenoiser> own;
    if (!loaded) own.emplace(trained(cfg, ds, ctx, r), ctx.threads);
    const Denoiser& network = loaded ? *loaded : *own;
    // Printed t / timesteps (and the exports from the result) in the model's own process.
    const auto shown = make_process(loaded ? cfg.string("model_process") : cfg.string("process"));
    const Problem by_network = problem_of(ds, &network), by_exact = problem_of(ds, &ds.data->denoiser());
    const auto [ays_net, ays_exact] = ays_both(cfg, ctx, start, by_network, by_exact, r);

    const EvaluationOptions eo = read_evaluation(cfg, ctx);
    r.line(fmt::format("== {}: samples by the network, NLL under the exact p_sigma_min, sliced W2 to held-out; "
                       "mean ± SE over {} seeds",
                       ds.name, eo.seeds));
    for (std::size_t stage = 0; stage < ays_net.stages.size(); ++stage) {
        const std::size_t n = ays_net.stages[stage].schedule.steps();
        const ScheduleSpec spec{n, lo, hi, 7.0, 0.5, process.get(), {}};
        const std::vector<NamedSchedule> schedules = {
            {"ays-network", ays_net.stages[stage].schedule},
            {"ays-exact", ays_exact.stages[stage].schedule},
            {"karras", make_schedule("karras", spec)},
            {"log-snr", make_schedule("loguniform", spec)},
            {"time-uniform", make_schedule("uniform-t", spec)}};
        auto& out = r.values[std::to_string(n)];
        out["ays_network_schedule"] = schedule_json(schedules[0].schedule, *shown);
        out["ays_exact_schedule"] = schedule_json(schedules[1].schedule, *shown);
        const Comparison table = compare(by_network, samplers, schedules, eo);
        for (std::size_t i = 0; i < samplers.size(); ++i) {
            std::vector<SampleQuality> q;
            for (std::size_t j = 0; j < schedules.size(); ++j) {
                q.push_back(table.at(i, j));
                out[samplers[i]][schedules[j].name] = quality_json(q.back());
                r.line(fmt::format("{:>3} steps {:<15} {:<13} NLL {:>20}  SW2 {:>18}", n, samplers[i], schedules[j].name,
                                   plus_minus(q.back().nll), plus_minus(q.back().sw2)));
            }
            judge_sampler(cfg, samplers[i], q, schedules, by_network, by_exact, eo, out[samplers[i]], r);
        }
    }
    return r;
}

}  // namespace

Experiment ays_trained_experiment() {
    return {"ays-trained",
            "AYS for a trained network (LibTorch) vs AYS for the exact denoiser and the usual schedules, "
            "sampled with the network, judged by the exact data",
            Schema{seed_key(),
                   {"model", KeyType::path,
                    "a model file (TorchScript; its convention in parametrisation, model_process, model_time, "
                    "model_sigma_data); empty = train an MLP or U-Net"},
                   {"claimed_samplers", KeyType::string_list,
                    "samplers for which AYS(network) not worse than EDM rho=7 is checked (others: measured)", {}, {},
                    solver_names()},
                   {"claim_metric", KeyType::string, "metric of the paired comparisons: nll or sliced_w2", {}, {},
                    {"nll", "sliced_w2"}},
                   {"reference_steps", KeyType::integer, "EDM rho=7 steps of the network's reference run", 2, 1e6}} +
                shared_keys({"schedule", "schedule_file", "rho", "train_steps", "batch", "lr", "network", "width", "depth", "channels", "levels", "subset", "directory", "data", "points",
                             "held_out", "process", "steps", "sigma_min", "sigma_max", "samplers",
                             "eval_particles", "eval_seeds", "projections", "subdivisions", "refine", "samples",
                             "validation_samples", "golden_iterations", "max_sweeps", "patience", "min_improvement", "stop_on",
                             "stop_sampler", "stop_particles", "stop_n_se", "klub_c", "parametrisation",
                             "model_process", "model_time", "model_sigma_data", "preflight"}),
            run};
}

}  // namespace ayslab::app
