#include "registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <map>

#include "ayslab/cluster.hpp"
#include "ayslab/error.hpp"
#include "ayslab/precision.hpp"
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

nlohmann::json run_experiment(const Experiment& experiment, const Config& config, const RunContext& context) {
    const auto start = std::chrono::steady_clock::now();
    Result result = experiment.run(config, context);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : result.checks) checks.push_back(c.to_json());
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
        {"run", {{"threads", context.threads}, {"mpi_ranks", cluster::ranks()}, {"wall_time_s", wall}}},
    };
}

}  // namespace ayslab::app
