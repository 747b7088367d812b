// sample: one sampler run — any solver over any schedule — from the exact p_{sigma_max} or from
// start points in a .npy file, writing the end points to .npy (float64, C order) so they can be
// compared point by point with other implementations; reports NFE and sample metrics.
#include <fmt/format.h>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/io.hpp"
#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/metrics.hpp"
#include "ayslab/sampler.hpp"
#include "ayslab/schedule_factory.hpp"
#include "ayslab/solver/registry.hpp"
#include "list.hpp"
#include "schedule_format.hpp"

namespace ayslab::app {

namespace {

Result run(const Config& cfg, const RunContext& ctx) {
    DatasetOptions dopt;
    dopt.seed = cfg.seed();
    dopt.precision = parse_precision(cfg.string("precision"));
    dopt.file = cfg.string("file");
    const Dataset ds = make_dataset(cfg.string("data"), dopt);
    const auto process = make_process(cfg.string("process"));
    ScheduleSpec spec{static_cast<std::size_t>(cfg.integer("steps")),
                      cfg.number("sigma_min"),
                      cfg.number("sigma_max"),
                      cfg.number("rho"),
                      0.5,
                      process.get(),
                      cfg.string("schedule_file")};
    const Schedule schedule = make_schedule(cfg.string("schedule"), spec);
    SolverOptions so;
    so.eta = cfg.number("eta");
    so.s_churn = cfg.number("s_churn");
    so.s_tmin = cfg.number("s_tmin");
    so.s_tmax = cfg.number("s_tmax");
    so.s_noise = cfg.number("s_noise");
    so.snr = cfg.number("snr");
    so.kdiffusion_3m = cfg.boolean("kdiffusion_3m");
    const auto solver = make_solver(cfg.string("solver"), so);
    const std::string out = cfg.string("output");
    if (!out.empty()) check_writable_target(out, "samples");  // refused before any work
    const std::size_t d = ds.data->dim();
    std::vector<double> x;
    std::size_t n = static_cast<std::size_t>(cfg.integer("particles"));
    if (const auto start = cfg.string("start"); !start.empty()) {
        auto ps = load_npy(start);
        if (ps.d != d)
            throw InputError(fmt::format("{}: start points have dimension {}, the data {}", start, ps.d, d));
        n = ps.n;
        x = std::move(ps.values);
    } else {
        x.resize(n * d);
        sample_marginal(*ds.data, schedule.sigma_max(), x, n, cfg.seed(), ctx.threads);
    }
    const auto stats = sample(ds.data->denoiser(), *solver, schedule, x, n, {cfg.seed(), ctx.threads, 256});
    Result r;
    r.values["schedule"] = schedule_json(schedule, *process);
    r.values["nfe"] = stats.nfe;
    r.values["particles"] = n;
    if (!schedule.ends_at_zero()) {
        const auto nll = negative_log_likelihood(*ds.data, x, n, schedule.sigma_min(), ctx.threads);
        r.values["nll"] = {{"mean", nll.mean()}, {"se", nll.se_mean()}};
        r.line(fmt::format("NLL under the exact p_sigma_min: {:.5g} ± {:.2g}", nll.mean(), nll.se_mean()));
    }
    if (ds.held_out.n > 0) {
        const double w =
            sliced_wasserstein2(x, n, ds.held_out.values, ds.held_out.n, d, 128, cfg.seed() + 77);
        r.values["sliced_w2"] = w;
        r.line(fmt::format("sliced W2 to held-out data: {:.5g}", w));
    }
    if (!out.empty()) {
        save_npy(out, {n, d, x});
        r.values["output"] = out;
    }
    r.line(fmt::format("{} x {} steps on {} ({} particles, NFE {}) -> {}", solver->name(), schedule.steps(),
                       ds.name, n, stats.nfe, out.empty() ? "(not saved)" : out));
    return r;
}

}  // namespace

Experiment sample_experiment() {
    return {
        "sample",
        "one sampler run from p_sigma_max or a .npy of start points; end points to .npy",
        {
            seed_key(),
            {"data", KeyType::string, "data set", {}, {}, dataset_names()},
            {"file", KeyType::string, "point set for data=file"},
            precision_key(),
            {"solver", KeyType::string, "sampler", {}, {}, solver_names()},
            {"schedule", KeyType::string, "schedule family", {}, {}, schedule_kinds()},
            {"schedule_file", KeyType::string, "schedule file for schedule=file"},
            {"steps", KeyType::integer, "steps", 1, 1e6},
            {"sigma_min", KeyType::number, "smallest sigma", 1e-8, 1e8},
            {"sigma_max", KeyType::number, "largest sigma", 1e-8, 1e8},
            {"rho", KeyType::number, "karras rho", 0.01, 1000},
            {"process", KeyType::string, "process for uniform-t and the printed t", {}, {}, process_names()},
            {"particles", KeyType::integer, "particles (ignored with start)", 1, 1e8},
            {"start", KeyType::string, ".npy of start points at sigma_max (n x d); empty: exact p_sigma_max"},
            {"output", KeyType::string, ".npy for the end points (float64); empty: not saved"},
            {"eta", KeyType::number, "ancestral / SDE noise scale", 0, 10},
            {"s_churn", KeyType::number, "EDM S_churn", 0, 1e6},
            {"s_tmin", KeyType::number, "EDM S_tmin", 0, 1e300},
            {"s_tmax", KeyType::number, "EDM S_tmax", 0, 1e300},
            {"s_noise", KeyType::number, "EDM / k-diffusion S_noise", 0, 10},
            {"snr", KeyType::number, "predictor-corrector Langevin SNR", 0, 10},
            {"kdiffusion_3m", KeyType::boolean, "DPM-Solver++(3M) with k-diffusion's weighting"},
        },
        run};
}

}  // namespace ayslab::app
