// sample: one sampler run — any solver over any schedule — from the exact p_{sigma_max} or from
// start points in a .npy file, writing the end points to .npy (float64, C order) so they can be
// compared point by point with other implementations; reports NFE and sample metrics.
#include <fmt/format.h>

#include <chrono>

#include <cmath>

#include "ayslab/cluster.hpp"
#include "ayslab/data/datasets.hpp"
#include "ayslab/data/io.hpp"
#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/io/image_grid.hpp"
#include "ayslab/evaluation/metrics.hpp"
#include "ayslab/parallel.hpp"
#include "ayslab/solver/sampler.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/streams.hpp"
#include "evaluate.hpp"
#include "keys.hpp"
#include "list.hpp"
#include "schedule_format.hpp"

namespace ayslab::app {

namespace {

Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    const Dataset ds = make_dataset(cfg.string("data"), read_dataset_options(cfg, ctx));
    const auto process = make_process(cfg.string("process"));
    // arctan's c is the data's standard deviation (as in ays).
    const Schedule schedule = read_schedule(cfg, process.get(), std::sqrt(ds.data->data_variance()));
    const SolverOptions so = read_solver_options(cfg);
    const auto solver = make_solver(cfg.string("solver"), so);
    const std::string out = cfg.string("output");
    if (!out.empty()) check_writable_target(out, "samples");  // refused before any work
    const std::size_t d = ds.data->dim();
    const std::string png = cfg.string("png");
    const std::size_t side = png.empty() ? 0 : image_side(d, ds.name);
    if (!png.empty()) check_writable_target(png, "sample grid");
    // The sampler calls the data's exact denoiser, or a model (metrics stay against the exact data); a
    // label binds the class (and guidance) to it and the metrics use the data given the class.
    const auto model = read_model_denoiser(cfg, *ds.data, ctx, &r, true);
    const Conditioning cond = read_conditioning(cfg, *ds.data, model ? *model : ds.data->denoiser());
    std::vector<double> x;
    std::size_t n = static_cast<std::size_t>(cfg.integer("particles"));
    if (const auto start = cfg.string("start"); !start.empty()) {
        const auto given = cfg.array("start");
        auto ps = given ? *given : load_npy(start);
        if (ps.d != d)
            throw InputError(fmt::format("{}: start points have dimension {}, the data {}", start, ps.d, d));
        n = ps.n;
        x = std::move(ps.values);
        // start_units = unit: diffusers' unit-variance latents, which its schedulers scale by
        // init_noise_sigma = sqrt(sigma_max^2 + 1) (the VP scaling s = 1/sqrt(1 + sigma^2) undone) into
        // k-diffusion's x at sigma_max, the units ayslab samples in.
        if (cfg.string("start_units") == "unit") {
            const double scale = std::sqrt(schedule.sigma_max() * schedule.sigma_max() + 1.0);
            for (double& v : x) v *= scale;
        }
    } else {
        x.resize(n * d);
        // With a label: draws of p_{sigma_max}(x | y).
        sample_marginal(*cond.data, schedule.sigma_max(), x, n, cfg.seed(), ctx.threads);
    }
    // Noise from a file, for a draw-by-draw comparison with a peer: (steps, n, d) for one draw per step,
    // or (steps, draws, n, d).
    NpyArray noise_file;
    NoiseTable table;
    if (const auto path = cfg.string("noise"); !path.empty()) {
        noise_file = load_npy_array(path);
        const auto& sh = noise_file.shape;
        if (sh.size() != 3 && sh.size() != 4)
            throw InputError(fmt::format(
                "{}: noise must have shape (steps, particles, dim) or (steps, draws, particles, dim), not {} dimensions",
                path, sh.size()));
        table = {sh[0], sh.size() == 4 ? sh[1] : 1, sh[sh.size() - 2], sh.back(), noise_file.values};
        if (table.particles != n || table.dim != d)
            throw InputError(fmt::format("{}: noise is for {} particles of dimension {}; the run has {} of dimension {}",
                                         path, table.particles, table.dim, n, d));
        if (table.steps < schedule.steps())
            throw InputError(fmt::format("{}: noise has {} steps; the schedule has {}", path, table.steps, schedule.steps()));
    }
    const Denoiser& denoiser = *cond.denoiser;
    const auto started = std::chrono::steady_clock::now();
    // chunk = 0: a model gets all particles in one call per step (its batch), the exact denoiser chunks of 256.
    const std::size_t chunk = sampler_chunk(denoiser, static_cast<std::size_t>(cfg.integer("chunk")), 256, n);
    const auto stats =
        sample(denoiser, *solver, schedule, x, n, {cfg.seed(), ctx.threads, chunk, table.steps > 0 ? &table : nullptr});
    r.timings["sampling"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    describe_dataset(ds, r);
    r.values["schedule"] = schedule_json(schedule, *process);
    r.values["nfe"] = stats.nfe;
    r.values["particles"] = n;
    if (cond.guided) {
        // NFE counts solver evaluations; a guided step costs two network evaluations (one batched call).
        const double evaluations = static_cast<double>(cluster::sum_over_ranks(cond.guided->requested().rows)) / static_cast<double>(n);
        r.values["label"] = cond.label;
        r.values["guidance"] = {{"scale", cond.guided->options().scale},
                                {"network_evaluations", evaluations},
                                {"model_calls_per_chunk", static_cast<double>(cond.guided->requested().calls) /
                                                              static_cast<double>(chunk_count(n, chunk))}};
        r.line(fmt::format("label {}, guidance w = {}: {:.4g} network evaluations per particle for NFE {}", cond.label,
                           cond.guided->options().scale, evaluations, stats.nfe));
    }
    if (!schedule.ends_at_zero()) {
        const auto nll = negative_log_likelihood(*cond.data, x, n, schedule.sigma_min(), ctx.threads);
        r.values["nll"] = {{"mean", nll.mean()}, {"se", nll.se_mean()}};
        r.line(fmt::format("NLL under the exact p_sigma_min{}: {:.5g} ± {:.2g}",
                           cond.guided ? fmt::format("(x | y = {})", cond.label) : "", nll.mean(), nll.se_mean()));
    }
    if (ds.held_out.n > 0 && !cond.guided) {  // (held-out rows are of every class)
        const double w =
            sliced_wasserstein2(x, n, ds.held_out.values, ds.held_out.n, d, 128, streams::sliced_w2_projections(cfg.seed()));
        r.values["sliced_w2"] = w;
        r.line(fmt::format("sliced W2 to held-out data: {:.5g}", w));
    }
    if (!out.empty()) {
        save_npy(out, {n, d, x});
        r.values["output"] = out;
    }
    if (ctx.keep_array) ctx.keep_array("samples", {n, d, x});
    if (!png.empty()) {
        // The first png_columns^2 end points, row by row (values in [-1, 1] as the image data hold them).
        const auto columns = static_cast<std::size_t>(cfg.integer("png_columns"));
        const std::size_t shown = std::min(n, columns * columns);
        GridLayout layout{(shown + columns - 1) / columns, columns, side, side};
        write_png(png, image_grid(std::span<const double>(x).first(shown * d), shown, layout), "sample grid");
        r.values["png"] = {{"file", png}, {"images", shown}, {"columns", columns}};
        r.line(fmt::format("sample grid of the first {} end points: {}", shown, png));
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
        Schema{seed_key()} + shared_keys({"data", "file", "held_out_file", "held_out_fraction", "precision", "solver", "schedule", "schedule_file", "steps",
                                          "sigma_min", "sigma_max", "rho", "process"}) +
            Schema{described(shared_key("particles"), "particles (ignored with start)"),
                   {"start", KeyType::path,
                    ".npy of start points x_T (n x d), in start_units; empty: exact draws of p_sigma_max"},
                   {"start_units", KeyType::string,
                    "units of the start file: sigma (k-diffusion's x = x0 + sigma_max eps, variance ~ sigma_max^2) or "
                    "unit (diffusers' unit-variance latents: multiplied by sqrt(sigma_max^2 + 1), its init_noise_sigma)",
                    {}, {}, {"sigma", "unit"}},
                   {"output", KeyType::string, ".npy for the end points (float64); empty: not saved"},
                   {"png", KeyType::string,
                    "image data: a PNG grid of the first png_columns^2 end points (values [-1, 1] as black to white); "
                    "empty: none"},
                   {"noise", KeyType::path,
                    ".npy of the stochastic samplers' N(0,1) draws, (steps, n, d) or (steps, draws, n, d); empty: "
                    "seeded"},
                   {"chunk", KeyType::integer,
                    "particles per sampler batch; 0 = a model's whole batch (one model call per step on all particles, as "
                    "a Python loop calls it), 256 for the exact denoiser: dpm-adaptive's error norm and pc-langevin's step "
                    "size are taken over a batch, as k-diffusion's and score_sde's are over one call; set it >= particles "
                    "to match one peer call on all of them (every other solver gives the same points for any chunk)",
                    0, 1e9}} +
            shared_keys({"png_columns", "eta", "s_churn", "s_tmin", "s_tmax", "s_noise", "snr", "corrector_steps", "kdiffusion_3m", "brownian",
                         "denoiser", "model", "parametrisation", "model_process", "model_time", "model_sigma_data", "preflight",
                         "model_labels", "model_null_label", "model_shape", "model_embedding", "device", "label", "guidance", "guidance_interval", "labels"}),
        run};
}

}  // namespace ayslab::app
