// Trained denoisers (LibTorch, built with AYSLAB_TORCH): a network is a TorchScript module whose
// forward(x, sigma) returns D(x; sigma) — k-diffusion's denoiser calling convention — with x float32
// (N x d) and sigma float32 (N). The MLP here puts EDM's preconditioning inside the module (MATH §8):
//     D = c_skip x + c_out F(c_in x, c_noise),  c_skip = sd^2/(s^2+sd^2), c_out = s sd/sqrt(s^2+sd^2),
//     c_in = 1/sqrt(s^2+sd^2), c_noise = ln(s)/4,
// so a model trained here loads with torch.jit.load in Python and runs as a k-diffusion denoiser. This
// header has no torch types: torch headers stay in lib/src/torch/ (they compile slowly).
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ayslab/denoisers/denoiser.hpp"
#include "ayslab/denoisers/model_function.hpp"
#include "ayslab/process/process.hpp"

namespace ayslab {

struct MlpOptions {
    std::size_t dim = 2;
    std::size_t width = 128;
    std::size_t depth = 3;          // hidden layers
    std::size_t frequencies = 16;   // Fourier features of c_noise (cos and sin of each)
    double frequency_scale = 4.0;   // frequencies ~ N(0, scale^2), fixed at construction
    double sigma_data = 0.5;        // EDM preconditioning's sigma_data
    std::uint64_t seed = 0;         // initial weights and frequencies
    // Class-conditional (classes > 0): forward(x, sigma, y) with y int64 [N] in 0..classes, classes
    // itself the null label (CFG training drops labels to it); a learned embedding of label_features
    // per class joins the input. The weights of the unconditional part are drawn as without classes.
    std::size_t classes = 0;
    std::size_t label_features = 16;
};

// A small U-Net for square images (Fashion-MNIST: 1 x 28 x 28), with the same EDM preconditioning and
// calling convention as the MLP: x is N x (channels * side * side), reshaped inside the module. Levels
// halve the resolution (a 3x3 stride-2 convolution down, a 2x2 stride-2 transposed convolution up, so
// side must be divisible by 2^(levels - 1)); level k has base_channels * 2^k channels, one residual block
// (GroupNorm, SiLU, 3x3 convolutions, the noise embedding added per channel) on each side, and the
// down path's features concatenated on the way up.
struct UnetOptions {
    std::size_t image_channels = 1;
    std::size_t side = 28;
    std::size_t base_channels = 16;
    std::size_t levels = 2;
    std::size_t frequencies = 16;
    double frequency_scale = 4.0;
    double sigma_data = 0.5;
    std::uint64_t seed = 0;
    // Class-conditional (classes > 0): forward(x, sigma, y) as the MLP's; a learned embedding per class
    // (and the null label `classes`) is added to the noise embedding. The other weights are drawn as
    // without classes.
    std::size_t classes = 0;
};

// How a model file takes its input (docs/your-model.md): the shape of one row (empty: a flat vector of
// dim values; {C, H, W}: an image, so x arrives as N x C x H x W, and the output may be N x C x H x W or
// N x dim), and whether forward has a third input y, int64 [N], the class of each row:
// forward(x, c, y).
struct ModelInput {
    std::vector<std::int64_t> shape{};
    bool labels = false;
    // Where the module runs: "cpu", "cuda" or "cuda:N" (LibTorch's device names; check_device_name()).
    // Inputs go there and outputs come back as CPU float32; a LibTorch without CUDA refuses "cuda".
    std::string device = "cpu";
    // Vector (text-like) conditioning: row k of this table (rows x embedding_dim, row-major) is label id
    // k's embedding, the null id's row the empty prompt's. The module is then called forward(x, c, e)
    // with e float32 [N, embedding_dim], each row's embedding, instead of int64 ids (labels must be set).
    std::vector<float> embedding{};
    std::size_t embedding_dim = 0;
};

// InputError unless `name` is cpu, cuda or cuda:N.
void check_device_name(const std::string& name);

// Whether this build has LibTorch (AYSLAB_TORCH); the functions below throw InputError without it.
bool torch_available();

class Network {
  public:
    static Network mlp(const MlpOptions& options);
    static Network unet(const UnetOptions& options);
    // A TorchScript file (ours or a user's with the same calling convention). InputError with one line
    // for a missing, unreadable or non-TorchScript file.
    static Network load(const std::filesystem::path& path, std::size_t dim, const ModelInput& input = {});
    // A model written as TorchScript source: `source` defines forward(self, x, sigma) with the same
    // calling convention (and may define helpers). Checked by the same probe call as load(); InputError
    // for source that does not compile. Tests build hostile models with it; a user can wrap a formula.
    static Network from_source(const std::string& source, std::size_t dim, const ModelInput& input = {});
    // Written through the atomic writer (whole or not at all).
    void save(const std::filesystem::path& path) const;

    std::size_t dim() const;
    std::string description() const;
    bool takes_labels() const;
    // Classes of a network built here with MlpOptions::classes (its null label is this number); 0 for
    // an unconditional one and for loaded files (their convention: model_labels).
    std::size_t classes() const;
    // Whether calls from several threads run at once (on the CPU; a GPU module serialises them).
    bool concurrent() const;
    // The module's forward on a batch: x (n x dim, float32) and one number per row (c) -> out (n x dim).
    // Thread-safe; `threads` sets LibTorch's intra-op threads for this call (0 = as is). y: the rows'
    // class ids for a model that takes labels (n values), empty otherwise.
    void forward(std::span<const float> x, std::span<const float> c, std::size_t n, std::span<float> out,
                 std::size_t threads = 0, std::span<const std::int64_t> y = {}) const;
    // tr d forward(x, c) / dx per row, exact up to float32, by LibTorch's autograd (dim() backward passes
    // per batch). Assumes rows are independent (no batch statistics), as every denoiser is.
    void jacobian_trace(std::span<const float> x, std::span<const float> c, std::size_t n, std::span<double> out,
                        std::size_t threads = 0, std::span<const std::int64_t> y = {}) const;
    // All trainable parameters flattened in a fixed order (for reproducibility checks and EMA).
    std::vector<float> parameters() const;
    std::size_t parameter_count() const;
    Network clone() const;  // deep copy (its own parameters)

    struct Impl;
    explicit Network(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
    Impl& impl() const { return *impl_; }

  private:
    std::shared_ptr<Impl> impl_;
};

// What a model's forward(x, c) means (docs/your-model.md). With x~ = x_t / s(t) the state in sigma
// units and the process's (s(t), sigma(t)) (MATH §1):
//   denoiser  forward(x~, sigma) = D                                        (k-diffusion's convention)
//   edm       forward(c_in x~, ln(sigma)/4) = F, D = c_skip x~ + c_out F   (EDM; sigma_data)
//   eps       forward(x_t, time) = eps_hat,          D = x~ - sigma eps_hat
//   x0        forward(x_t, time) = x0_hat,           D = x0_hat
//   score     forward(x_t, time) = grad log p_t(x_t), D = (x_t + s^2 sigma^2 score) / s
//   v         forward(x_t, time) = v = s eps - s sigma x0,  D = (s x_t - s sigma v) / (s^2 (1 + sigma^2))
//   flow      forward(x_t, time) = u = eps - x0 (x_t = (1 - t) x0 + t eps), D = x_t - t u (process flow)
// time is the process's t (DDPM processes: the fractional timestep, log sigma interpolated as
// k-diffusion's DiscreteSchedule; score_sde's continuous t) or sigma itself.
enum class Parametrisation { denoiser, edm, eps, x0, score, v, flow };
enum class TimeInput { t, sigma };
std::vector<std::string> parametrisation_names();
Parametrisation parse_parametrisation(std::string_view name);

struct ModelConvention {
    Parametrisation parametrisation = Parametrisation::denoiser;
    std::string process = "edm";  // for s(t) and t(sigma)
    TimeInput time = TimeInput::t;
    double sigma_data = 0.5;  // edm
    // A class-conditional model (forward(x, c, y)): its number of classes (0: it takes no label) and
    // the id it reads as "no label" (-1: the extra class `classes`, the usual CFG-training convention).
    std::size_t classes = 0;
    std::int64_t null_id = -1;
};

// A convention from the names that run-experiment's model keys and ayslab.Model use: parametrisation,
// model_time ("sigma" or "t"), model_process, model_sigma_data, model_labels, model_null_label.
// InputError naming a name that is not one.
ModelConvention model_convention(std::string_view parametrisation, std::string_view time, std::string process,
                                 double sigma_data, std::size_t classes, std::int64_t null_id);

// The network as a ModelFunction (float64 rows rounded to float32 for the module, its output widened).
std::shared_ptr<const ModelFunction> model_function(Network network);

inline constexpr std::size_t max_model_rows = 16384;

// A model behind the Denoiser interface (a Network, or any ModelFunction): the solver state stays
// float64, a network runs in float32 on batches of at most `chunk` input values and at most
// max_model_rows rows (chunk / d rows, at least 1: 16384 rows of low-d data per call, ~1300
// Fashion-MNIST images) with LibTorch's intra-op threads set to `threads` (0 = as is). The row cap
// bounds a call's intermediates (an MLP 128 wide at 10^5 rows allocates 51 MB per layer, above
// glibc's largest heap block, and ran 10x slower per row than at 10^4; 16384 rows of that MLP are
// 8 MB) while a call still amortises the module's fixed cost (docs/performance.md).
// jacobian_trace is the network's own by autograd (float32; exact_divergence() is true): with the
// conventions above D = a x~ + b F(k x~, c) per row, so tr dD/dx~ = a d + b k tr dF/dx. A model
// without its own (a Python callable) gets the Denoiser default: central differences of D.
class NetworkDenoiser final : public Denoiser {
  public:
    NetworkDenoiser(std::shared_ptr<const ModelFunction> model, ModelConvention convention = {},
                    std::size_t threads = 1, std::size_t chunk = std::size_t{1} << 20);
    NetworkDenoiser(Network network, ModelConvention convention = {}, std::size_t threads = 1,
                    std::size_t chunk = std::size_t{1} << 20)
        : NetworkDenoiser(model_function(std::move(network)), std::move(convention), threads, chunk) {}
    NetworkDenoiser(Network network, std::size_t threads, std::size_t chunk = std::size_t{1} << 20)
        : NetworkDenoiser(std::move(network), ModelConvention{}, threads, chunk) {}
    std::size_t dim() const override;
    // A class-conditional model (classes = convention.classes): labels become the model's ids
    // (null_label its null id).
    DenoiserTraits traits() const override;
    void evaluate(const Batch& batch, std::span<double> out) const override;
    void trace(const Batch& batch, std::span<double> out) const override;
    // A call's rows are cut into slices run at once on the cores (call()): at least min_slice_rows each
    // (below, a slice's fixed cost outweighs what it saves) and at most max_slice_rows (a 128-wide MLP's
    // intermediates at 2048 rows stay in cache: docs/performance.md, "Threads").
    static constexpr std::size_t min_slice_rows = 64;
    static constexpr std::size_t max_slice_rows = 2048;
    Evaluations evaluations() const override { return calls_.total(); }
    const ModelFunction& model() const { return *model_; }

  private:
    // The model's own trace (autograd) at one sigma.
    void model_trace(const Batch& batch, std::span<double> out) const;
    // One model call on n prepared rows (inputs x, c, ids -> raw outputs y), split over the cores.
    void call(std::span<const double> x, std::span<const double> c, std::size_t n, std::span<double> y,
              std::span<const std::int64_t> ids) const;
    std::int64_t model_id(Label y) const;
    // Per row: the model's input scale k (input = k x~), its second input c, and D = a x~ + b F.
    struct RowMap {
        double k, a, b, c;
    };
    RowMap row_map(double sigma) const;
    std::shared_ptr<const ModelFunction> model_;
    ModelConvention convention_;
    std::shared_ptr<const Process> process_;
    std::size_t threads_, chunk_;
    EvaluationCounter calls_;
};

}  // namespace ayslab
