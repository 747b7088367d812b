// klub: the KLUB (MATH.md §5) of one schedule for a data set and a denoiser — the data's exact one or
// a model, a class, with guidance — per interval and in total, with standard errors: what AYS
// minimises, for a schedule a user already has (a published table, one pasted from a sampler, one
// ays wrote). The Monte Carlo draws are the ones ays's comparison uses for its final schedule (same
// seed and samples give the same numbers). On Gaussian data with its exact denoiser the closed form
// (klub.hpp) is printed beside it and checked.
#include <fmt/format.h>

#include <cmath>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/divergence/klub.hpp"
#include "ayslab/error.hpp"
#include "ayslab/streams.hpp"
#include "evaluate.hpp"
#include "keys.hpp"
#include "list.hpp"
#include "schedule_format.hpp"

namespace ayslab::app {

namespace {

Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    const Dataset dataset = make_dataset(cfg.string("data"), read_dataset_options(cfg, ctx));
    const auto process = make_process(cfg.string("process"));
    const Schedule schedule = read_schedule(cfg, process.get(), std::sqrt(dataset.data->data_variance()));
    if (!(schedule.sigmas().back() > 0.0))
        throw InputError("the KLUB needs a schedule whose last sigma is > 0 (its integrand has sigma^-3)");
    const auto model = read_model_denoiser(cfg, *dataset.data, ctx, &r, true);
    const Conditioning cond = read_conditioning(cfg, *dataset.data, model ? *model : dataset.data->denoiser());
    const Data& data = *cond.data;  // the class's law when a label is given
    const Denoiser& denoiser = *cond.denoiser;
    const Evaluations before = denoiser.evaluations();

    KlubMonteCarlo mc{static_cast<std::size_t>(cfg.integer("samples")), streams::ays_final_klub(cfg.seed()), 0.0,
                      ctx.threads, cond.all_classes};
    if (cfg.number("klub_c") > 0.0) mc.proposal_variance = cfg.number("klub_c") * cfg.number("klub_c");
    std::vector<KlubEstimate> intervals;
    const KlubEstimate total = klub_schedule_mc(data, denoiser, schedule, mc, &intervals);

    // The closed form where it exists: Gaussian data judged with its own exact denoiser.
    const DiagonalGaussian* gaussian = model || cond.guided ? nullptr : data.diagonal_gaussian();
    std::vector<double> exact;
    if (gaussian) exact = klub_schedule_gaussian(schedule, gaussian->variance());

    describe_dataset(dataset, r);
    r.values["denoiser"] = denoiser_name(cfg);
    if (cond.guided) {
        r.values["label"] = cond.all_classes ? nlohmann::json("all") : nlohmann::json(cond.label);
        r.values["guidance"] = cond.guided->options().scale;
    }
    r.values["schedule"] = schedule_json(schedule, *process);
    r.values["samples"] = mc.samples;
    r.values["klub"] = {{"value", total.value}, {"se", total.standard_error}};
    r.line(fmt::format("KLUB of a {}-step schedule ({}) on {}{}, denoiser {}, {} Monte Carlo samples per interval",
                       schedule.steps(), cfg.string("schedule"), dataset.name,
                       cond.guided ? fmt::format(" {} at guidance w = {}",
                                                 cond.all_classes ? "every class (x_0, y)"
                                                                  : fmt::format("class {}", cond.label),
                                                 cond.guided->options().scale)
                                   : std::string(),
                       denoiser_name(cfg), mc.samples));
    r.line(fmt::format("{:>4} {:>11} {:>11} {:>24}{}", "k", "sigma_hi", "sigma_lo", "KLUB ± SE",
                       gaussian ? fmt::format(" {:>14}", "closed form") : std::string()));
    const auto& s = schedule.sigmas();
    double exact_total = 0.0;
    for (std::size_t k = 0; k < intervals.size(); ++k) {
        nlohmann::json entry = {{"sigma_hi", s[k]}, {"sigma_lo", s[k + 1]}, {"klub", intervals[k].value},
                                {"se", intervals[k].standard_error}};
        std::string line = fmt::format("{:>4} {:>11.5g} {:>11.5g} {:>24}", k, s[k], s[k + 1],
                                       fmt::format("{:.6g} ± {:.2g}", intervals[k].value, intervals[k].standard_error));
        if (gaussian) {
            entry["closed_form"] = exact[k];
            exact_total += exact[k];
            line += fmt::format(" {:>14.6g}", exact[k]);
        }
        r.values["intervals"].push_back(entry);
        r.line(line);
    }
    r.line(fmt::format("total {:>52}{}", fmt::format("{:.6g} ± {:.2g}", total.value, total.standard_error),
                       gaussian ? fmt::format(" {:>14.6g}", exact_total) : std::string()));
    if (gaussian) {
        r.values["klub"]["closed_form"] = exact_total;
        r.check_se("total KLUB by Monte Carlo vs the Gaussian closed form", exact_total, total.value,
                   total.standard_error, cfg.number("n_se"));
    }
    if (model) {
        const Evaluations after = denoiser.evaluations();
        r.values["model_evaluations"] = {{"rows", after.rows - before.rows}, {"calls", after.calls - before.calls}};
        r.line(fmt::format("model evaluations: {} rows in {} calls", after.rows - before.rows, after.calls - before.calls));
    }
    return r;
}

}  // namespace

Experiment klub_experiment() {
    return {"klub", "KLUB of one schedule (per interval, with SE) for a data set and a denoiser or model (MATH §5)",
            Schema{seed_key()} +
                shared_keys({"data", "points", "file", "held_out_file", "held_out_fraction", "precision", "process",
                             "steps", "sigma_min", "sigma_max", "schedule", "schedule_file", "rho", "samples",
                             "klub_c", "n_se", "denoiser", "model", "parametrisation", "model_process", "model_time",
                             "model_sigma_data", "preflight", "model_labels", "model_null_label", "model_shape", "model_embedding", "device",
                             "label", "all_classes", "guidance", "guidance_interval", "labels"}),
            run};
}

}  // namespace ayslab::app
