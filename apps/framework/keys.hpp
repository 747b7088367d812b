// Config keys shared by experiments: each is declared once here (type, range, description), so a key
// means and accepts the same everywhere (`sigma_min` has one range in every experiment), and each group
// has one reader:
//   schedule  schedule, steps, sigma_min, sigma_max, rho, schedule_file, process  -> read_schedule
//   solver    solver / samplers / solvers, eta, s_churn, s_tmin, s_tmax, s_noise, snr,
//             corrector_steps, kdiffusion_3m                                     -> read_solver_options
//   data      data, file, points, held_out, precision, data_shards               -> read_dataset_options
//   evaluation eval_particles, eval_seeds, projections                           -> read_evaluation
//   denoiser  denoiser, model, parametrisation, model_process, model_time,
//             model_sigma_data                                                  -> read_model_denoiser
//   AYS       subdivisions, samples, validation_samples, golden_iterations, max_sweeps, patience,
//             min_improvement                                                    -> read_ays_options
// An experiment lists the shared keys it takes (shared_keys({...})) beside its own.
#pragma once
#include <initializer_list>
#include <memory>
#include <string_view>

#include "ayslab/denoisers/conditional.hpp"
#include "ayslab/data/datasets.hpp"
#include "ayslab/denoisers/guidance.hpp"
#include "ayslab/optimise/ays.hpp"
#include "ayslab/optimise/league.hpp"
#include "ayslab/process/process.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "ayslab/solver/solver.hpp"
#include "ayslab/denoisers/network.hpp"
#include "config.hpp"
#include "result.hpp"
#include "registry.hpp"

namespace ayslab::app {

// The shared declaration of `name` (InputError if there is none: a programming error caught by tests).
KeySpec shared_key(std::string_view name);
// The same key as a list of its type (e.g. "steps" as a list of step counts), with the same range.
KeySpec shared_list_key(std::string_view name);
// A shared key with the experiment's own wording (its type and range stay the shared ones).
KeySpec described(KeySpec key, std::string description);
// Several shared keys, in the order given.
Schema shared_keys(std::initializer_list<std::string_view> names);
// Every shared key's declaration (for the test that every experiment uses them unchanged).
const Schema& all_shared_keys();

// Joins schemas (an experiment's own keys and shared groups).
Schema operator+(Schema a, const Schema& b);

// The schedule group: make_schedule(cfg "schedule", ...) with the keys the experiment has; `c` is the
// arctan schedule's c (for data sets: their standard deviation).
ScheduleSpec read_schedule_spec(const Config& config, const Process* process, double c);
Schedule read_schedule(const Config& config, const Process* process, double c);
// AYS's start for data: the schedule keys (schedule, rho, schedule_file, steps, sigma_min, sigma_max) in the
// process key's process, arctan's c the data's standard deviation.
Schedule read_start_schedule(const Config& config, const Data& data);

// The solver group's options (keys the experiment lacks keep their defaults).
SolverOptions read_solver_options(const Config& config);

// The data group (seed from the config, threads from the run).
DatasetOptions read_dataset_options(const Config& config, const RunContext& context);

// The denoiser group (denoiser, model, parametrisation, model_process, model_time, model_sigma_data):
// The model a config names: `model=FILE` (TorchScript, loaded with model_shape / model_labels) or
// `model=@NAME` (registered in this process: ayslab/denoisers/model_function.hpp); InputError for a missing file
// or name, or a model of another dimension than dim.
std::shared_ptr<const ModelFunction> read_model_function(const Config& config, std::size_t dim);
// null for denoiser=exact (use the data's), else the model as a NetworkDenoiser. A missing file is
// an InputError before LibTorch is needed.
// With preflight=true (the default) the model's denoising error is checked before any work (its table
// goes into `result` when given) and a model worse than the trivial denoisers is refused (InputError).
// exact_on_device: without a model, device=cuda[:N] gives the data's exact denoiser as LibTorch
// operations on that device (mixtures and point sets: data/device_mixture.hpp); device=cpu keeps the
// native one (null).
// For a tool whose exact denoiser runs on the CPU only: device= without a model was silently ignored
// (model-check, likelihood, ays-guided). Refused: the device's own error on a CPU build, else one line.
void refuse_device_without_model(const Config& config, std::string_view tool);

std::unique_ptr<Denoiser> read_model_denoiser(const Config& config, const Data& data, const RunContext& context,
                                              Result* result = nullptr, bool exact_on_device = false);
// What the run's denoiser is, for its result: the model file, "exact", or "exact on DEVICE".
std::string denoiser_name(const Config& config);
// The model keys' readers: parametrisation, model_process, model_time, model_sigma_data, model_labels,
// model_null_label -> the convention; model_shape and model_labels -> how the file is called.
ModelConvention read_model_convention(const Config& config);
ModelInput read_model_input(const Config& config);

// The AYS group, with the seed, threads and checkpoint of the run.
// The network group (network, width, depth, channels, levels; frequencies and sigma_data where the
// experiment has them), validated against the data's dimension without LibTorch, so the errors read the
// same in every build; make_network builds it (needs LibTorch).
struct NetworkChoice {
    bool unet = false;
    MlpOptions mlp;
    UnetOptions unet_options;
};
NetworkChoice read_network(const Config& config, std::size_t dim, const std::string& data_name);
Network make_network(const NetworkChoice& choice);

// Everything a checkpointed result depends on: the whole config and hashes of the files it names.
// `not_state`: keys that do not change the checkpointed state (where the result goes, what is evaluated
// afterwards), left out so that changing them does not refuse a resume.
std::string run_fingerprint(const Config& config, std::initializer_list<const char*> not_state = {});
// A schedule optimiser's problem from the keys sigma_min, sigma_max, grid, samples and the seed (steps and
// the Gaussian judge are the caller's).
ScheduleProblem read_schedule_problem(const Config& config, const RunContext& context, const Data& data,
                                      const Denoiser& denoiser);
AysOptions read_ays_options(const Config& config, const RunContext& context);

// The conditioning group (label, guidance, guidance_interval): with label = -1 (the default) the data
// and denoiser as given; with a label, the data given y (its draws and exact p(x | y)) and the
// denoiser with y bound and guidance w applied (guidance.hpp; w = 1 is the conditional denoiser).
// InputError for guidance without a label, or a label the data or denoiser does not have.
struct Conditioning {
    Label label = null_label;
    const Data* data = nullptr;
    const Denoiser* denoiser = nullptr;
    std::unique_ptr<GuidedDenoiser> guided;  // set with a label: counts the network evaluations
    std::unique_ptr<Conditioned> view;
    bool all_classes = false;  // every class, each row at its own y: data and denoiser take labels per row
};
Conditioning read_conditioning(const Config& config, const Data& data, const Denoiser& denoiser);

}  // namespace ayslab::app
