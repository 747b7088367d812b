#include "keys.hpp"

#include "ayslab/optimise/registry.hpp"

#include "model_preflight.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "ayslab/data/device_mixture.hpp"
#include "ayslab/data/io.hpp"
#include "ayslab/error.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/io/fingerprint.hpp"
#include "ayslab/precision.hpp"
#include "ayslab/solver/registry.hpp"

namespace ayslab::app {

namespace {
// ays's optimiser key: the registry's entries (optimise/registry.hpp) but ays-klub, which is ays with
// stop_on=klub there.
std::vector<std::string> optimiser_names() {
    std::vector<std::string> names;
    for (const auto& o : schedule_optimisers())
        if (o.name != "ays-klub") names.push_back(o.name);
    return names;
}
}  // namespace

namespace {

// The one declaration of every shared key. Ranges: sigmas within [1e-8, 1e8] (a schedule's sigmas
// must be positive and finite; AYS's KLUB and every solver are exercised on this range by the tests);
// counts from the smallest that computes anything to the largest that fits memory.
Schema make_table() {
    return {
        // schedule group
        {"schedule", KeyType::string, "schedule family", {}, {}, schedule_kinds()},
        {"denoise", KeyType::number,
         "img2img strength: run the tail of the schedule as the peer that takes it does (docs/schedule.md)", 1e-6, 1},
        {"schedule_file", KeyType::path, "schedule file for schedule=file (JSON, text list, or a result)"},
        {"steps", KeyType::integer, "sampling steps (intervals of the schedule)", 1, 1e6},
        {"sigma_min", KeyType::number, "smallest sigma of the schedule (> 0)", 1e-8, 1e8},
        {"sigma_max", KeyType::number, "largest sigma of the schedule", 1e-8, 1e8},
        {"rho", KeyType::number, "EDM / Karras rho", 0.01, 1000},
        {"process", KeyType::string, "process for the t / timesteps printed, and uniform-t", {}, {}, process_names()},
        {"c", KeyType::number, "data standard deviation c (MATH §2); the arctan schedule's c", 1e-6, 1e6},
        // solver group
        {"solver", KeyType::string, "sampler", {}, {}, solver_names()},
        {"samplers", KeyType::string_list, "samplers", {}, {}, solver_names()},
        {"solvers", KeyType::string_list, "deterministic samplers with an exact affine law", {}, {}, linear_solver_names()},
        {"eta", KeyType::number, "ancestral / SDE noise scale", 0, 10},
        {"s_churn", KeyType::number, "EDM S_churn", 0, 1e6},
        {"s_tmin", KeyType::number, "EDM S_tmin", 0, 1e300},
        {"s_tmax", KeyType::number, "EDM S_tmax", 0, 1e300},
        {"s_noise", KeyType::number, "EDM / k-diffusion S_noise", 0, 10},
        {"snr", KeyType::number, "predictor-corrector Langevin SNR", 0, 10},
        {"corrector_steps", KeyType::integer, "predictor-corrector Langevin steps per step", 0, 1000},
        {"kdiffusion_3m", KeyType::boolean, "DPM-Solver++(3M) with k-diffusion's weighting"},
        {"brownian", KeyType::boolean,
         "dpmpp-sde: the step's two draws from one Brownian path, as k-diffusion's default BrownianTreeNoiseSampler"},
        // data group
        {"data", KeyType::string, "data set", {}, {}, dataset_names()},
        {"file", KeyType::path,
         "data=file: a point set (.csv, .txt, .csv.gz, .txt.gz, .npy, IDX .idx/.gz); data=mixture-file: a mixture .json"},
        {"held_out_file", KeyType::path, "data=file: held-out points (same d) for sliced W2; empty: none or a split"},
        {"labels", KeyType::path,
         "data=file: one class label per row (0, 1, ...; .csv, .txt or .npy) for label= and guidance; empty: none"},
        {"held_out_fraction", KeyType::number,
         "data=file without held_out_file: hold out this seeded random share of the rows (0: none)", 0, 0.9},
        {"points", KeyType::integer, "points of the generated 2-D sets", 10, 1e7},
        {"held_out", KeyType::integer, "held-out points (test images for Fashion-MNIST) for sliced W2", 1, 1e7},
        precision_key(),
        {"subset", KeyType::integer, "data=fashion-mnist: training images used (the first N)", 1, 60000},
        {"directory", KeyType::path, "data=fashion-mnist: directory (Debian's dataset-fashion-mnist)"},
        {"data_shards", KeyType::integer,
         "point sets: split the data into this many shards over the MPI ranks (1 = every rank holds all)", 1, 1e6},
        // denoiser group: the data's exact denoiser, or a model (network.hpp, docs/your-model.md)
        {"denoiser", KeyType::string, "what the sampler calls: the data's exact denoiser, or a model file", {}, {},
         {"exact", "model"}},
        {"model", KeyType::path, "TorchScript model file for denoiser=model (@NAME: a Python callable handed to the run in memory)"},
        {"parametrisation", KeyType::string, "what the model outputs", {}, {}, parametrisation_names()},
        {"model_process", KeyType::string, "the model's process (s(t), sigma(t) for its inputs)", {}, {}, process_names()},
        {"model_time", KeyType::string, "the model's second input: the process's t, or sigma", {}, {}, {"t", "sigma"}},
        {"model_sigma_data", KeyType::number, "parametrisation=edm: sigma_data", 1e-6, 1e6},
        {"model_labels", KeyType::integer,
         "classes of a class-conditional model, whose forward is forward(x, c, y) with y int64 [N]; 0 = the model takes "
         "no label",
         0, 1e6},
        {"model_null_label", KeyType::integer,
         "the class id the model reads as 'no label' (unconditional; CFG training's dropped label); -1 = model_labels "
         "(the extra class)",
         -1, 1e6},
        {"model_embedding", KeyType::path,
         ".npy table for a model conditioned on vectors (text-like prompts): row k is class k's embedding, row "
         "model_labels (or model_null_label) the null (empty prompt) one; the model's forward(x, c, e) gets e float32 "
         "[N, E], each row's embedding; empty: int64 class ids"},
        {"device", KeyType::string,
         "where a TorchScript model file runs: cpu, cuda or cuda:N (a build against a CUDA LibTorch; a CPU build refuses "
         "it); the solver state, KLUB and metrics stay float64 on the CPU"},
        {"model_shape", KeyType::string,
         "the shape of one row as the model takes it, C,H,W (x passed as N x C x H x W); empty = a flat vector of d"},
        {"preflight", KeyType::boolean,
         "denoiser=model: before any work, check the model's denoising error per sigma band against the trivial "
         "denoisers and every other reading of it (parametrisation, time input, process, sigma_data); refuse a band "
         "30x worse than trivial or a reading of the same parametrisation that fits better beyond noise, naming the "
         "band and the keys to set (false: run anyway, said on stderr and in the result)"},
        // training group (train, ays-trained, features)
        {"train_steps", KeyType::integer, "optimiser (Adam) steps", 1, 1e8},
        {"batch", KeyType::integer, "minibatch size", 1, 1e6},
        {"lr", KeyType::number, "Adam learning rate (the peak, after any warm-up)", 1e-8, 1},
        {"model_out", KeyType::string, "where the trained network is written (TorchScript; train: the EMA model)"},
        // image output group (sample, recommend)
        {"png_columns", KeyType::integer, "images per row of the PNG grid", 1, 64},
        // network group (train, ays-trained): network.hpp's MLP and U-Net
        {"network", KeyType::string, "mlp (any d) or unet (square one-channel images)", {}, {}, {"mlp", "unet"}},
        {"width", KeyType::integer, "MLP width", 1, 4096},
        {"depth", KeyType::integer, "MLP hidden layers", 1, 64},
        {"channels", KeyType::integer, "U-Net base channels (level k has channels * 2^k)", 1, 1024},
        {"levels", KeyType::integer, "U-Net resolution levels", 1, 6},
        // evaluation group
        {"eval_particles", KeyType::integer, "particles per evaluation seed", 10, 1e8},
        {"eval_seeds", KeyType::integer, "evaluation seeds (standard errors over seeds)", 2, 1000},
        {"projections", KeyType::integer, "sliced W2 projections", 1, 1e6},
        // AYS group
        {"subdivisions", KeyType::integer, "AYS stages after the first (steps double each time)", 0, 6},
        {"refine", KeyType::string,
         "after a subdivision: new (the paper's hierarchy: only the new points move, the old ones fixed) or all "
         "(the new points first, then every point)",
         {}, {}, {"new", "all"}},
        {"samples", KeyType::integer, "KLUB Monte Carlo samples per interval evaluation", 2, 1e8},
        {"validation_samples", KeyType::integer, "samples of the early-stopping KLUB estimate", 2, 1e8},
        {"golden_iterations", KeyType::integer, "golden-section steps per coordinate update", 1, 200},
        {"max_sweeps", KeyType::integer, "coordinate sweeps per stage at most", 1, 1000},
        {"patience", KeyType::integer, "sweeps without improvement before a stage stops", 1, 1000},
        {"min_improvement", KeyType::number, "relative improvement (of the KLUB, or of the stop proxy) that counts", 0, 1},
        {"stop_on", KeyType::string,
         "what ends an AYS stage and picks its schedule: nll (the paper's early stopping: the NLL of stop_sampler's "
         "samples under the data's density), teacher (their distance to a 256-step Heun solution) or klub (the "
         "validation KLUB); sliced_w2 (their sliced W2 to the held-out rows: for point sets, whose exact density "
         "rewards memorisation)",
         {}, {}, {"nll", "sliced_w2", "teacher", "klub"}},
        {"stop_sampler", KeyType::string_list,
         "the sampler(s) whose samples the stop proxy judges (several: their mean per draw); samplers (the "
         "default): the samplers the run evaluates",
         {}, {}, [] {
             auto names = solver_names();
             names.push_back("samplers");
             return names;
         }()},
        {"stop_n_se", KeyType::number,
         "a sweep replaces the schedule the stop proxy keeps only when better by more than this many paired "
         "standard errors (over the proxy's fixed draws or projections)",
         0, 100},
        {"optimiser", KeyType::string,
         "what chooses the schedule: ays (the paper's coordinate descent, stopped early) or one of the league's "
         "(docs/optimiser-league.md): ays-dp (the KLUB's optimum over a grid), ays-path (the same from one table "
         "of `samples` Brownian paths through 4 (grid - 1) + 1 sigmas: far fewer denoiser rows), ays-grid "
         "(coordinate descent on the grid), watson (DP on the ancestral step's ELBO terms), gits, oss, ld3 "
         "(teacher-based, for optimiser_sampler)",
         {}, {}, optimiser_names()},
        {"optimiser_sampler", KeyType::string, "the (deterministic) sampler gits, oss and ld3 choose the schedule for",
         {}, {}, solver_names()},
        {"grid", KeyType::integer, "candidate sigmas of the DP methods (log-uniform)", 3, 400},
        {"teacher_steps", KeyType::integer, "Heun steps of the teacher", 10, 1e6},
        {"ld3_iterations", KeyType::integer, "LD3 gradient steps", 0, 1000},
        {"ld3_slack", KeyType::number,
         "LD3's slack r: student starts may move within r sigma_max of the teacher's (0: none)", 0, 10},
        {"stop_particles", KeyType::integer, "fixed x_T draws of the stop proxy", 10, 1e7},
        {"klub_c", KeyType::number,
         "c of the KLUB's importance-sampling proposal pi(sigma) (MATH §5; the paper uses 0.5); 0 = the data's "
         "standard deviation",
         0, 1e6},
        // Gaussian-data experiments and checks
        {"dims", KeyType::integer, "data dimensions", 1, 1e5},
        {"spectrum_exponent", KeyType::number, "decay p of the variance spectrum k^-p", 0, 10},
        {"n_se", KeyType::number, "check tolerance in standard errors", 0, 100},
        {"batches", KeyType::integer, "independent batches for standard errors", 2, 1e5},
        {"pairs", KeyType::integer, "Monte Carlo (x0, x_sigma) pairs", 300, 1e9},
        {"particles", KeyType::integer, "particles", 2, 1e9},
        // Conditioning (read_conditioning)
        {"label", KeyType::integer,
         "class label y of a conditional denoiser (the ring8 and mixture components are classes); -1 = none", -1, 1e6},
        {"guidance", KeyType::number,
         "classifier-free guidance scale w (diffusers' guidance_scale, ComfyUI's cfg): D_u + w (D_y - D_u); 1 = the "
         "conditional model, 0 = the unconditional one; needs a label or all_classes",
         -100, 100},
        {"all_classes", KeyType::boolean,
         "one schedule for a conditional denoiser over every class: the KLUB's x_0 and the evaluation's starts come "
         "with their class y (by the class weights), the denoiser is called at each row's y (guidance per row), the "
         "NLL is -log p(x | y); not with label"},
        {"guidance_interval", KeyType::number_list,
         "[sigma_lo, sigma_hi]: guidance only for sigma in it (the conditional model outside); [0, 1e300] = every "
         "sigma",
         0, 1e300},
    };
}

KeyType list_of(KeyType t) {
    switch (t) {
        case KeyType::integer:
            return KeyType::integer_list;
        case KeyType::number:
            return KeyType::number_list;
        case KeyType::string:
            return KeyType::string_list;
        default:
            return t;
    }
}

}  // namespace

const Schema& all_shared_keys() {
    static const Schema table = make_table();
    return table;
}

KeySpec shared_key(std::string_view name) {
    for (const auto& k : all_shared_keys())
        if (k.name == name) return k;
    throw InputError(fmt::format("internal: no shared config key '{}'", name));
}

KeySpec shared_list_key(std::string_view name) {
    KeySpec k = shared_key(name);
    k.type = list_of(k.type);
    return k;
}

KeySpec described(KeySpec key, std::string description) {
    key.description = std::move(description);
    return key;
}

Schema shared_keys(std::initializer_list<std::string_view> names) {
    Schema s;
    for (const auto name : names) s.push_back(shared_key(name));
    return s;
}

Schema operator+(Schema a, const Schema& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

namespace {
bool has(const Config& cfg, const char* key) { return cfg.json().contains(key); }
}  // namespace

ScheduleSpec read_schedule_spec(const Config& cfg, const Process* process, double c) {
    ScheduleSpec spec;
    if (has(cfg, "steps")) spec.steps = static_cast<std::size_t>(cfg.integer("steps"));
    if (has(cfg, "sigma_min")) spec.sigma_min = cfg.number("sigma_min");
    if (has(cfg, "sigma_max")) spec.sigma_max = cfg.number("sigma_max");
    if (has(cfg, "rho")) spec.rho = cfg.number("rho");
    if (const auto rows = cfg.array("schedule_file")) {
        spec.sigmas = rows->values;  // a list handed over in memory (any shape: its values in order)
    } else if (has(cfg, "schedule_file")) {
        spec.file = cfg.string("schedule_file");
    }
    if (has(cfg, "denoise")) spec.denoise = cfg.number("denoise");
    spec.c = c;
    spec.process = process;
    return spec;
}

Schedule read_schedule(const Config& cfg, const Process* process, double c) {
    const std::string kind = cfg.string("schedule");
    const auto spec = read_schedule_spec(cfg, process, c);
    if (kind == "file" && spec.file.empty() && spec.sigmas.empty()) throw InputError("schedule=file needs --set schedule_file=PATH");
    return make_schedule(kind, spec);
}

Schedule read_start_schedule(const Config& cfg, const Data& data) {
    const auto process = make_process(cfg.string("process"));
    return read_schedule(cfg, process.get(), std::sqrt(data.data_variance()));
}

SolverOptions read_solver_options(const Config& cfg) {
    SolverOptions o;
    for (const auto& key : solver_option_keys()) {
        if (!has(cfg, key.c_str())) continue;
        const auto& value = cfg.json().at(key);  // (validated: a number, or a flag for the flags)
        set_solver_option(o, key, value.is_boolean() ? (value.get<bool>() ? 1.0 : 0.0) : value.get<double>());
    }
    return o;
}

DatasetOptions read_dataset_options(const Config& cfg, const RunContext& ctx) {
    DatasetOptions o;
    o.seed = cfg.seed();
    o.threads = ctx.threads;
    if (has(cfg, "points")) o.points = static_cast<std::size_t>(cfg.integer("points"));
    if (has(cfg, "held_out")) o.held_out = static_cast<std::size_t>(cfg.integer("held_out"));
    if (auto rows = cfg.array("file")) {
        o.rows = std::move(rows);
    } else if (has(cfg, "file")) {
        o.file = cfg.string("file");
    }
    if (has(cfg, "held_out_file")) o.held_out_file = cfg.string("held_out_file");
    if (auto rows = cfg.array("labels")) {
        o.label_rows = std::move(rows);
    } else if (has(cfg, "labels")) {
        o.labels_file = cfg.string("labels");
    }
    if (has(cfg, "held_out_fraction")) o.held_out_fraction = cfg.number("held_out_fraction");
    if (has(cfg, "precision")) o.precision = parse_precision(cfg.string("precision"));
    if (has(cfg, "data_shards")) o.shards = static_cast<std::size_t>(cfg.integer("data_shards"));
    if (has(cfg, "subset")) o.subset = static_cast<std::size_t>(cfg.integer("subset"));
    if (has(cfg, "directory")) o.fashion_mnist_dir = cfg.string("directory");
    return o;
}

NetworkChoice read_network(const Config& cfg, std::size_t dim, const std::string& data_name) {
    NetworkChoice c;
    c.unet = cfg.string("network") == "unet";
    c.mlp.dim = dim;
    c.mlp.width = static_cast<std::size_t>(cfg.integer("width"));
    c.mlp.depth = static_cast<std::size_t>(cfg.integer("depth"));
    if (has(cfg, "frequencies")) c.mlp.frequencies = static_cast<std::size_t>(cfg.integer("frequencies"));
    if (has(cfg, "sigma_data")) c.mlp.sigma_data = cfg.number("sigma_data");
    c.mlp.seed = cfg.seed();
    c.unet_options.side = static_cast<std::size_t>(std::lround(std::sqrt(static_cast<double>(dim))));
    c.unet_options.base_channels = static_cast<std::size_t>(cfg.integer("channels"));
    c.unet_options.levels = static_cast<std::size_t>(cfg.integer("levels"));
    c.unet_options.frequencies = c.mlp.frequencies;
    c.unet_options.sigma_data = c.mlp.sigma_data;
    c.unet_options.seed = c.mlp.seed;
    if (c.unet) {
        const auto& u = c.unet_options;
        if (u.side * u.side != dim)
            throw InputError(
                fmt::format("network=unet needs square one-channel images; data '{}' has d = {}", data_name, dim));
        if (u.side % (std::size_t{1} << (u.levels - 1)) != 0)
            throw InputError(fmt::format("key 'levels': {} levels need the image side ({}) divisible by 2^{}", u.levels,
                                         u.side, u.levels - 1));
    }
    return c;
}

Network make_network(const NetworkChoice& choice) {
    return choice.unet ? Network::unet(choice.unet_options) : Network::mlp(choice.mlp);
}

ModelConvention read_model_convention(const Config& cfg) {
    return model_convention(cfg.string("parametrisation"), cfg.string("model_time"), cfg.string("model_process"),
                            cfg.number("model_sigma_data"),
                            has(cfg, "model_labels") ? static_cast<std::size_t>(cfg.integer("model_labels")) : 0,
                            has(cfg, "model_null_label") ? cfg.integer("model_null_label") : -1);
}

ModelInput read_model_input(const Config& cfg) {
    ModelInput input;
    input.labels = has(cfg, "model_labels") && cfg.integer("model_labels") > 0;
    if (has(cfg, "device")) {
        input.device = cfg.string("device");
        check_device_name(input.device);
    }
    if (has(cfg, "model_embedding") && !cfg.string("model_embedding").empty()) {
        const std::string path = cfg.string("model_embedding");
        const std::size_t classes = has(cfg, "model_labels") ? static_cast<std::size_t>(cfg.integer("model_labels")) : 0;
        if (classes == 0)
            throw InputError(fmt::format("model_embedding '{}' needs model_labels = the number of classes", path));
        const NpyArray table = load_npy_array(path);
        const std::int64_t null_id = has(cfg, "model_null_label") ? cfg.integer("model_null_label") : -1;
        const std::size_t need = std::max<std::size_t>(classes, null_id < 0 ? classes : static_cast<std::size_t>(null_id)) + 1;
        if (table.shape.size() != 2 || table.shape[1] == 0 || table.shape[0] < need)
            throw InputError(fmt::format("model_embedding '{}': expected a 2-D table of at least {} rows (classes 0..{} and "
                                         "the null label's id {}), got shape [{}]",
                                         path, need, classes - 1, null_id < 0 ? static_cast<std::int64_t>(classes) : null_id,
                                         fmt::join(table.shape, ", ")));
        // The table is passed as float32: a value beyond float32's range would reach the model as inf.
        for (std::size_t k = 0; k < table.values.size(); ++k)
            if (!(std::abs(table.values[k]) <= static_cast<double>(std::numeric_limits<float>::max())))
                throw InputError(fmt::format("model_embedding '{}': value {} (row {}) = {} does not fit float32", path, k,
                                             k / table.shape[1], table.values[k]));
        input.embedding.assign(table.values.begin(), table.values.end());
        input.embedding_dim = table.shape[1];
    }
    if (!has(cfg, "model_shape")) return input;
    const std::string text = cfg.string("model_shape");
    if (text.empty()) return input;
    std::size_t at = 0;
    while (at <= text.size()) {
        const auto comma = std::min(text.find(',', at), text.size());
        const std::string part = text.substr(at, comma - at);
        std::size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(part, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != part.size() || v <= 0)
            throw InputError(fmt::format("model_shape '{}': '{}' is not a positive integer (write C,H,W)", text, part));
        // The product must stay a size (3,6148914691236517206 wrapped to a small one and passed).
        std::int64_t product = v;
        for (const auto e : input.shape)
            if (__builtin_mul_overflow(product, e, &product) || product > (std::int64_t{1} << 40))
                throw InputError(fmt::format("model_shape '{}' holds more than 2^40 values", text));
        if (product > (std::int64_t{1} << 40)) throw InputError(fmt::format("model_shape '{}' holds more than 2^40 values", text));
        input.shape.push_back(v);
        at = comma + 1;
    }
    return input;
}

std::shared_ptr<const ModelFunction> read_model_function(const Config& cfg, std::size_t dim) {
    const std::string name = cfg.string("model");
    if (name.empty()) throw InputError("denoiser=model needs --set model=FILE (a TorchScript model)");
    const ModelInput input = read_model_input(cfg);
    if (name.starts_with("@")) {  // handed over in memory with the run (the Python binding's callables)
        if (input.device != "cpu")
            throw InputError(fmt::format("device={} applies to TorchScript model files; a Python callable runs where its "
                                         "own code puts its tensors (ayslab.torch.denoiser(module, device=...))",
                                         input.device));
        auto model = cfg.memory_model();
        if (!model)
            throw InputError(fmt::format("model={}: no model came with the run ('@NAME' names a Python callable handed "
                                         "over in memory; a file path names a TorchScript model)",
                                         name));
        if (model->dim() != dim)
            throw InputError(fmt::format("model '{}' takes {} values per row, the data has {}", model->description(),
                                         model->dim(), dim));
        return model;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(name, ec))
        throw InputError(fmt::format("model file '{}' does not exist or is not a file", name));
    return model_function(Network::load(name, dim, input));
}

void refuse_device_without_model(const Config& cfg, std::string_view tool) {
    if (!has(cfg, "device") || cfg.string("device") == "cpu" || model_given(cfg)) return;
    check_device_name(cfg.string("device"));
    throw InputError(fmt::format("device={}: {} runs the data's exact denoiser on the CPU; device applies to a model file "
                                 "(model=FILE)",
                                 cfg.string("device"), tool));
}

std::unique_ptr<Denoiser> read_model_denoiser(const Config& cfg, const Data& data, const RunContext& ctx, Result* result,
                                              bool exact_on_device) {
    if (!model_given(cfg)) {
        if (!exact_on_device || !has(cfg, "device") || cfg.string("device") == "cpu") return nullptr;
        return std::make_unique<DeviceMixtureDenoiser>(mixture_tables(data), cfg.string("device"));
    }
    const ModelConvention convention = read_model_convention(cfg);
    const auto network = read_model_function(cfg, data.dim());
    auto model = std::make_unique<NetworkDenoiser>(network, convention, ctx.threads);
    if (!has(cfg, "preflight") || !cfg.boolean("preflight")) {
        // Said once, on stderr and in the result (a skipped check printed nothing: issue 41).
        if (has(cfg, "preflight")) {
            if (result) {
                result->values["preflight"] = {{"skipped", "preflight=false: the model's reading was not checked"}};
                result->line("pre-flight: skipped (preflight=false): the model's reading was not checked");
            }
            if (ctx.progress) fmt::print(stderr, "[pre-flight] skipped (preflight=false): the model's reading was not checked\n");
        }
        return model;
    }
    // Messages name the model as the user knows it (a Python Model's name, model=@NAME).
    const std::string shown = cfg.string("model").starts_with("@") ? network->description() : cfg.string("model");
    run_preflight(cfg, data, *model, network, convention, shown, ctx, result);
    return model;
}

std::string denoiser_name(const Config& cfg) {
    if (model_given(cfg)) return cfg.string("model");
    if (has(cfg, "device") && cfg.string("device") != "cpu") return "exact on " + cfg.string("device");
    return "exact";
}

ScheduleProblem read_schedule_problem(const Config& cfg, const RunContext& ctx, const Data& data,
                                      const Denoiser& denoiser) {
    ScheduleProblem p;
    p.data = &data;
    p.denoiser = &denoiser;
    p.sigma_min = cfg.number("sigma_min");
    p.sigma_max = cfg.number("sigma_max");
    p.grid = static_cast<std::size_t>(cfg.integer("grid"));
    p.klub_samples = static_cast<std::size_t>(cfg.integer("samples"));
    p.seed = cfg.seed();
    p.threads = ctx.threads;
    return p;
}

AysOptions read_ays_options(const Config& cfg, const RunContext& ctx) {
    AysOptions o;
    auto size = [&](const char* key) { return static_cast<std::size_t>(cfg.integer(key)); };
    if (has(cfg, "subdivisions")) o.subdivisions = size("subdivisions");
    if (has(cfg, "refine")) o.refine_all = cfg.string("refine") == "all";
    if (has(cfg, "samples")) o.samples = size("samples");
    if (has(cfg, "validation_samples")) o.validation_samples = size("validation_samples");
    if (has(cfg, "golden_iterations")) o.golden_iterations = size("golden_iterations");
    if (has(cfg, "max_sweeps")) o.max_sweeps = size("max_sweeps");
    if (has(cfg, "patience")) o.patience = size("patience");
    if (has(cfg, "min_improvement")) o.min_improvement = cfg.number("min_improvement");
    if (has(cfg, "klub_c")) o.proposal_variance = cfg.number("klub_c") * cfg.number("klub_c");
    o.seed = cfg.seed();
    o.threads = ctx.threads;
    o.checkpoint = ctx.checkpoint;
    o.resume = ctx.resume;
    o.fingerprint = run_fingerprint(cfg);
    return o;
}

namespace {
// FNV-1a, 64 bits, over a file's bytes, into h.
bool hash_file(const std::filesystem::path& path, Fnv1a& h) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) h.mix(buffer, static_cast<std::size_t>(in.gcount()));
    return true;
}

// Rows handed over in memory, as their content: FNV-1a over the shape and the float64 values' bytes.
std::string rows_content(const PointSet& rows) {
    Fnv1a h;
    const std::uint64_t shape[2] = {rows.n, rows.d};
    h.mix(shape, sizeof shape);
    h.mix(rows.values.data(), rows.values.size() * sizeof(double));
    return fmt::format("memory {:016x}", h.value());
}

// What a path key names, as its content: a file's hash; a folder's regular files (names and contents, in
// name order); "absent" or "not a regular file" otherwise (the run itself then reports why; a FIFO
// would block here).
std::string path_content(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto status = fs::status(path, ec);
    Fnv1a h;
    if (fs::is_regular_file(status)) return hash_file(path, h) ? fmt::format("{:016x}", h.value()) : "unreadable";
    if (!fs::is_directory(status)) return fs::exists(status) ? "not a regular file" : "absent";
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path, ec))
        if (entry.is_regular_file(ec)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        const std::string name = f.filename().string();
        h.mix(name.c_str(), name.size() + 1);  // with its terminating 0
        if (!hash_file(f, h)) return "unreadable";
    }
    return fmt::format("folder {:016x}", h.value());
}
}  // namespace

std::string run_fingerprint(const Config& cfg, std::initializer_list<const char*> not_state) {
    nlohmann::json j = {{"config", cfg.json()}};
    for (const char* key : not_state) j["config"].erase(key);
    // A model handed over in memory is named by model=@NAME, NAME its description (the Python Model's
    // name), so a resumed run with the same model matches.
    // Every file the run reads (the keys of type path) by its content, not its name: the same file
    // under another name (a Python array's temporary copy, each rank's own folder) is the same run, and
    // a changed file (labels, a noise table, a model) is another.
    for (const auto& spec : cfg.schema()) {
        if (spec.type != KeyType::path || !j["config"].contains(spec.name)) continue;
        const std::string path = cfg.string(spec.name);
        if (const auto rows = cfg.array(spec.name)) {  // rows in memory: by their content too
            j["config"].erase(spec.name);
            j["files"][spec.name] = rows_content(*rows);
            continue;
        }
        if (path.starts_with("@")) continue;
        j["config"].erase(spec.name);
        j["files"][spec.name] = path.empty() ? "none" : path_content(path);
    }
    return j.dump();
}

}  // namespace ayslab::app

namespace ayslab::app {

Conditioning read_conditioning(const Config& cfg, const Data& data, const Denoiser& denoiser) {
    Conditioning c;
    c.data = &data;
    c.denoiser = &denoiser;
    const Label y = has(cfg, "label") ? static_cast<Label>(cfg.integer("label")) : null_label;
    const double w = has(cfg, "guidance") ? cfg.number("guidance") : 1.0;
    const std::vector<double> interval =
        has(cfg, "guidance_interval") ? cfg.numbers("guidance_interval") : std::vector<double>{0.0, 1e300};
    if (interval.size() != 2 || !(interval[0] <= interval[1]))
        throw InputError("guidance_interval needs two numbers [sigma_lo, sigma_hi] with sigma_lo <= sigma_hi");
    const bool everywhere = interval[0] == 0.0 && interval[1] >= 1e300;
    if (!everywhere && has(cfg, "sigma_min") && has(cfg, "sigma_max") &&
        (interval[1] < cfg.number("sigma_min") || interval[0] > cfg.number("sigma_max")))
        throw InputError(fmt::format("guidance_interval [{}, {}] misses the schedule's sigma range [{}, {}]: guidance would "
                                     "never apply",
                                     interval[0], interval[1], cfg.number("sigma_min"), cfg.number("sigma_max")));
    const bool all = has(cfg, "all_classes") && cfg.boolean("all_classes");
    if (all && y != null_label) throw InputError(fmt::format("all_classes=true takes no label (label={})", y));
    if (y == null_label && !all) {
        if (w != 1.0 || !everywhere)
            throw InputError(fmt::format("guidance={} needs a label or all_classes=true (label=-1 is the "
                                         "unconditional model)",
                                         w));
        return c;
    }
    const std::string what = all ? "all_classes=true" : fmt::format("label={}", y);
    if (data.classes() == 0 || denoiser.classes() == 0)
        throw InputError(fmt::format("{}: {} has no classes (labelled: ring8, mixture, moons, fashion-mnist, "
                                     "file with labels=FILE)",
                                     what, data.classes() == 0 ? "the data" : "the denoiser"));
    if (denoiser.classes() != data.classes())
        throw InputError(fmt::format("{}: the model has {} classes (model_labels), the data {}", what,
                                     denoiser.classes(), data.classes()));
    if (y != null_label && static_cast<std::size_t>(y) >= data.classes())
        throw InputError(fmt::format("label={} is outside the data's {} classes 0..{}", y, data.classes(), data.classes() - 1));
    GuidanceOptions g{w};
    if (!everywhere) {
        g.sigma_lo = interval[0];
        g.sigma_hi = interval[1];
    }
    if (all) {
        c.all_classes = true;
        c.guided = std::make_unique<GuidedDenoiser>(denoiser, g);
        c.denoiser = c.guided.get();
        return c;
    }
    c.label = y;
    c.data = &data.given(y);
    c.guided = std::make_unique<GuidedDenoiser>(denoiser, g);
    c.view = std::make_unique<Conditioned>(*c.guided, y);
    c.denoiser = c.view.get();
    return c;
}

}  // namespace ayslab::app
