// Experiments registered by name: a schema beside one run function. The CLI and the tests both
// go through run_experiment(), so they share validation and the result format.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "config.hpp"
#include "result.hpp"

namespace ayslab::app {

struct RunContext {
    std::size_t threads = 1;
    bool progress = false;  // print progress lines on stderr
    // Long optimisations write their state here after every sweep (empty = no checkpoints) and,
    // with resume, continue from it.
    std::filesystem::path checkpoint{};
    bool resume = false;
};

struct Experiment {
    std::string name;
    std::string summary;
    Schema schema;
    std::function<Result(const Config&, const RunContext&)> run;
};

const std::vector<Experiment>& experiments();
const Experiment& find_experiment(const std::string& name);  // throws InputError
// The embedded experiments/NAME.json.
nlohmann::json default_config(const std::string& name);

// Runs with validated config; returns the full result document (config, version, checks, ...).
// The "run" member (wall time, threads) is the only part that may differ between identical runs.
nlohmann::json run_experiment(const Experiment& experiment, const Config& config, const RunContext& context);

// The common "seed" key every schema starts with.
KeySpec seed_key();
// "precision": float64 | float32, the arithmetic of the denoiser evaluations (ayslab/precision.hpp).
KeySpec precision_key();

}  // namespace ayslab::app
