#include "registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sys/resource.h>
#include <cmath>
#include <map>

#include "ayslab/denoisers/network.hpp"
#include "ayslab/cluster.hpp"
#include "ayslab/error.hpp"
#include "ayslab/denoisers/model_function.hpp"
#include "ayslab/precision.hpp"
#include "ayslab/process/process.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/version.hpp"

namespace ayslab::app {

const std::map<std::string, std::string>& embedded_configs();  // generated from experiments/*.json

KeySpec seed_key() { return {"seed", KeyType::integer, "random seed (all Monte Carlo draws)", 0, 9e15}; }

KeySpec precision_key() {
    return {"precision",
            KeyType::string,
            "denoiser arithmetic: float64, or float32 (solver state and metrics stay float64)",
            {},
            {},
            precision_names()};
}

const Experiment& find_experiment(const std::string& name) {
    std::vector<std::string> names;
    for (const auto& e : experiments()) {
        if (e.name == name) return e;
        names.push_back(e.name);
    }
    throw InputError(fmt::format("unknown experiment '{}' (known: {})", name, fmt::join(names, ", ")));
}

nlohmann::json default_config(const std::string& name) {
    const auto& all = embedded_configs();
    const auto it = all.find(name);
    if (it == all.end())
        throw InputError(fmt::format("experiment '{}' has no experiments/{}.json", name, name));
    return nlohmann::json::parse(it->second);
}

namespace {
// The JSON path of the first number in `j` that is not finite ("" when none).
std::string first_non_finite(const nlohmann::json& j, const std::string& path) {
    if (j.is_number_float()) return std::isfinite(j.get<double>()) ? "" : path;
    if (j.is_object()) {
        for (const auto& [key, value] : j.items())
            if (auto p = first_non_finite(value, path + "/" + key); !p.empty()) return p;
    } else if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i)
            if (auto p = first_non_finite(j[i], path + "/" + std::to_string(i)); !p.empty()) return p;
    }
    return "";
}
}  // namespace

double physical_memory_bytes() {
    // The least of the machine's memory, this process's address-space limit (ulimit -v) and its
    // cgroup's limit (cgroup v2 memory.max): a run under a limit is refused by the limit.
    double bytes = 0.0;
    {
        std::ifstream meminfo("/proc/meminfo");
        std::string key, unit;
        double kib = 0.0;
        while (meminfo >> key >> kib >> unit)
            if (key == "MemTotal:") {
                bytes = kib * 1024.0;
                break;
            }
    }
    auto lower = [&](double limit) {
        if (limit > 0.0 && (bytes <= 0.0 || limit < bytes)) bytes = limit;
    };
    if (rlimit r{}; ::getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur != RLIM_INFINITY) lower(static_cast<double>(r.rlim_cur));
    std::ifstream cgroup("/sys/fs/cgroup/memory.max");
    if (std::string v; cgroup >> v && v != "max") {
        try {
            lower(std::stod(v));
        } catch (const std::exception&) {
        }
    }
    return bytes;
}

void check_memory(const std::string& experiment, const MemoryNeed& need, double available) {
    if (available <= 0.0 || need.bytes <= available) return;
    constexpr double gib = 1024.0 * 1024.0 * 1024.0;
    throw InputError(fmt::format("{}: {} needs about {:.3g} GiB of memory, this machine has {:.3g} GiB; reduce them",
                                 experiment, need.keys, need.bytes / gib, available / gib));
}

namespace {
// A sigma range the process cannot express (VE's sigma starts at 0.01, SD's table ends at 14.6) fails
// when the schedule is converted to the process's t: refuse it before any work, naming the keys.
void check_sigma_range(const Config& config) {
    for (const char* key : {"process", "sigma_min", "sigma_max"})
        if (!config.json().contains(key)) return;
    const auto process = make_process(config.string("process"));
    const double lo = config.number("sigma_min"), hi = config.number("sigma_max");
    for (const double sigma : {lo, hi}) {
        try {
            (void)process->t_of_sigma(sigma);
        } catch (const InputError&) {
            throw InputError(fmt::format(
                "sigma_min = {}, sigma_max = {} do not fit process '{}', whose sigma range is [{:.10g}, {:.10g}]; "
                "set sigma_min and sigma_max inside it",
                lo, hi, config.string("process"), process->sigma(process->t_min()), process->sigma(process->t_max())));
        }
    }
}
}  // namespace

nlohmann::json sigma_range_from_process(const Config& merged, const nlohmann::json& given) {
    nlohmann::json moved = nlohmann::json::object();
    for (const char* key : {"sigma_min", "sigma_max"})
        if (!merged.json().contains(key)) return moved;
    // The run's process, and with a model the model's own (its inputs need its t(sigma)): a default
    // must fit both (an eps model on DDPM-linear cannot take sigma = 0.002 even when process=edm).
    // model-check and likelihood have no `process`: the model's alone (they named sigma = 0.00726).
    std::vector<std::unique_ptr<Process>> processes;
    if (merged.json().contains("process")) processes.push_back(make_process(merged.string("process")));
    if (merged.json().contains("model_process") && model_given(merged))
        processes.push_back(make_process(merged.string("model_process")));
    if (processes.empty()) return moved;
    for (const char* key : {"sigma_min", "sigma_max"}) {
        if (given.contains(key)) continue;
        double v = merged.number(key);
        bool changed = false;
        for (const auto& process : processes) {
            const double a = process->sigma(process->t_min()), b = process->sigma(process->t_max());
            try {
                (void)process->t_of_sigma(v);  // fits (vp and flow extrapolate below t_min): kept
            } catch (const InputError&) {
                v = std::clamp(v, std::min(a, b), std::max(a, b));
                changed = true;
            }
        }
        if (changed) moved[key] = v;
    }
    return moved;
}

const nlohmann::json& image_model_budget() {
    static const nlohmann::json budget = {
        {"candidates", {"fast"}}, {"eval_particles", 200}, {"eval_seeds", 3}, {"screen_particles", 160}, {"finalists", 2},
        {"teacher_steps", 100},   {"particles", 32},       {"grid", 24},     {"ld3_iterations", 2},      {"samples", 96}};
    return budget;
}

nlohmann::json defaults_that_follow(const Config& merged, const nlohmann::json& given) {
    nlohmann::json moved = sigma_range_from_process(merged, given);
    // likelihood with a model: 64 Hutchinson probes, not 4096 (each probe is a model call per ODE step:
    // no result after 400 s on a user's MLP; the model's own divergence is exact anyway, and the probes
    // only check the estimator, within their standard error).
    if (merged.json().contains("probes") && model_given(merged) && !given.contains("probes") &&
        merged.integer("probes") > 64)
        moved["probes"] = 64;
    // train: the per-sample reduction follows score_sde's configs for its losses unless given:
    // half the sum for smld and score-sde (default_*_configs: training.reduce_mean = False), the mean
    // for ddpm (configs/vp/ddpm/*.py: reduce_mean = True). ddpm-simple and edm ignore the key.
    if (merged.json().contains("reduce_mean") && merged.json().contains("loss") && !given.contains("reduce_mean")) {
        const std::string loss = merged.string("loss");
        const bool mean = !(loss == "smld" || loss == "score-sde");
        if (merged.boolean("reduce_mean") != mean) moved["reduce_mean"] = mean;
    }
    // schedule=file: `steps` defaults to the file's own count; a given `steps` re-spaces the file
    // log-linearly (resample_loglinear, NVIDIA's rule for its tables).
    const auto& m = merged.json();
    if (m.contains("schedule") && merged.string("schedule") == "file" && m.contains("schedule_file") &&
        !merged.string("schedule_file").empty() && m.contains("steps") && !given.contains("steps")) {
        // A file that cannot be read leaves the default alone: the run reports it where it reads it
        // (after the checks that come first, e.g. denoise < 1 with a file).
        try {
            const auto given_list = merged.array("schedule_file");  // a list handed over in memory
            const auto own = static_cast<std::int64_t>(
                (given_list ? schedule_of(given_list->values, "schedule_file") : read_schedule_file(merged.string("schedule_file")))
                    .steps());
            if (merged.integer("steps") != own) moved["steps"] = own;
        } catch (const InputError&) {
        }
    }
    // recommend: the current schedule a user of a DDPM process has is diffusers' default spacing (timesteps
    // evenly spaced in t), not EDM rho = 7.
    if (m.contains("current") && m.contains("process") && !given.contains("current") &&
        merged.string("process").starts_with("ddpm") && merged.string("current") == "karras")
        moved["current"] = "uniform-t";
    // recommend with a model on images (fashion-mnist, an image-shaped model, or an FID judge): the budget
    // follows the model. Each model row costs ~1 ms on 2 cores where the exact denoisers cost ~1 us, so
    // the exact cases' budget (judge 5 x 2000 starts, a 1000-step teacher of 128 particles, a 48-sigma
    // grid, 10 LD3 passes, AYS's coordinate descent) would take hours; this one takes Euler, Heun and
    // DPM-Solver++(2M) at NFE 10 for w = 1 and 3 in the minutes docs/recommend.md measures. Any of
    // these keys given keeps its value.
    if (m.contains("candidates") && m.contains("nfe") && model_given(merged) &&
        (merged.string("data") == "fashion-mnist" || !merged.string("model_shape").empty() ||
         !merged.string("features_model").empty())) {
        for (const auto& [key, value] : image_model_budget().items())
            if (!given.contains(key) && m.at(key) != value) moved[key] = value;
    }
    // likelihood: a model runs in float32, where the ODE tolerance's default 1e-10 never finishes (300 s
    // for one point measured) and buys nothing; 1e-6 is as accurate as float32 allows (6 s). A model
    // handed over in memory in float64 (a Python callable declared so) keeps the default.
    const bool float64_model = model_given(merged) && merged.string("model").starts_with("@") && merged.memory_model() &&
                               merged.memory_model()->rounding() < 0x1p-30;
    if (model_given(merged) && !float64_model)
        for (const char* key : {"rtol", "atol"})
            if (merged.json().contains(key) && !given.contains(key) && merged.number(key) < 1e-6) moved[key] = 1e-6;
    return moved;
}

nlohmann::json model_selects_denoiser(const Experiment& experiment, const nlohmann::json& given) {
    nlohmann::json moved = nlohmann::json::object();
    const auto model = given.find("model");
    if (model == given.end() || !model->is_string() || model->get<std::string>().empty()) return moved;
    if (!find_key(experiment.schema, "denoiser")) return moved;
    // An explicit denoiser=exact keeps the exact denoiser (the same keys run both sides of a comparison).
    if (!given.contains("denoiser")) moved["denoiser"] = "model";
    return moved;
}

Config configure(const Experiment& experiment, const nlohmann::json& given_keys, const std::string& source,
                 std::shared_ptr<const MemoryInputs> memory) {
    const nlohmann::json defaults = default_config(experiment.name);
    nlohmann::json given = given_keys;
    given.update(model_selects_denoiser(experiment, given_keys));
    Config config = make_config(experiment.schema, defaults, given, source);
    config.set_memory(memory);
    const nlohmann::json moved = defaults_that_follow(config, given);
    if (moved.empty()) return config;
    nlohmann::json all = given;
    all.update(moved);
    Config followed = make_config(experiment.schema, defaults, all, source);
    followed.set_memory(std::move(memory));
    return followed;
}

namespace {
// The runs that keep a checkpoint --resume continues: AYS's own optimiser (ays, and ays_compare's ays-toy
// and ays-fashion-mnist), ays-trained and train. Elsewhere --resume was accepted and ignored.
bool keeps_checkpoint(const Experiment& e, const Config& c) {
    if (e.name == "ays") return c.string("optimiser") == "ays";
    return e.name == "ays-toy" || e.name == "ays-fashion-mnist" || e.name == "ays-trained" || e.name == "train";
}

// How the run split its cores (docs/performance.md, "Threads"): ayslab's workers, and a model's calls
// cut into row slices run at once, each on one LibTorch intra-op thread (NetworkDenoiser::call); a GPU
// module takes one call at a time. Outside the results: they do not depend on it.
nlohmann::json thread_split(const Config& config, std::size_t cores) {
    nlohmann::json split{{"cores", cores}, {"workers", cores}};
    if (!model_given(config)) return split;
    const auto& j = config.json();
    const bool gpu = j.contains("device") && config.string("device") != "cpu";
    split["model_calls"] = gpu ? "one at a time" : "row slices run at once";
    split["model_slice_rows"] = gpu ? nlohmann::json(nullptr)
                                    : nlohmann::json{NetworkDenoiser::min_slice_rows, NetworkDenoiser::max_slice_rows};
    split["model_intra_op_threads"] = gpu ? cores : 1;
    return split;
}
}  // namespace

nlohmann::json run_experiment(const Experiment& experiment, const Config& config, const RunContext& context) {
    if (context.resume && !keeps_checkpoint(experiment, config))
        throw InputError(fmt::format("--resume: {}{} keeps no checkpoint, so there is nothing to resume", experiment.name,
                                     experiment.name == "ays" ? fmt::format(" with optimiser={}", config.string("optimiser")) : ""));
    if (experiment.memory) check_memory(experiment.name, experiment.memory(config), physical_memory_bytes());
    check_sigma_range(config);
    const auto start = std::chrono::steady_clock::now();
    Result result = experiment.run(config, context);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : result.checks) checks.push_back(c.to_json());
    // A NaN or infinity anywhere in a result is a numerical failure (exit 3, no result file): JSON
    // would write it as null, and a null standard error reads as "no uncertainty".
    for (const auto* part : {&result.values})
        if (const auto where = first_non_finite(*part, "/results"); !where.empty())
            throw NumericalError(fmt::format("{}: the result value {} is not a finite number (no result written)",
                                             experiment.name, where));
    for (const auto& c : checks)
        if (const auto where = first_non_finite(c, "/checks"); !where.empty())
            throw NumericalError(fmt::format("{}: check '{}' has a value that is not a finite number (no result written)",
                                             experiment.name, c.value("name", "?")));
    return {
        {"experiment", experiment.name},
        {"ayslab_version", version},
        {"git_revision", git_revision},
        {"seed", config.seed()},
        {"config", config.json()},
        {"results", result.values},
        {"checks", checks},
        {"passed", result.passed()},
        {"summary", result.summary},
        {"run",
         {{"threads", context.threads},
          {"thread_split", thread_split(config, context.threads)},
          {"mpi_ranks", cluster::ranks()},
          {"wall_time_s", wall},
          {"timings_s", result.timings}}},
    };
}

}  // namespace ayslab::app
