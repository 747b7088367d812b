// The torch side of Network (private to lib/src/torch).
#pragma once
#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ayslab/denoisers/network.hpp"

namespace ayslab {

// TorchScript's profiling executor re-optimises a module's graph after its first calls, and the
// optimised graph rounds differently: the same call would give other bits on its 1st and 20th run
// (a resumed training run, or a denoiser evaluated in another order, would then not reproduce).
// ayslab runs every module unoptimised; called before any module is built or loaded.
void deterministic_torchscript();

// A float32 tensor of addressed normal draws times scale (not torch's global generator): the same seed
// gives the same network in any process, at any thread count.
torch::Tensor normal_tensor(std::uint64_t seed, std::uint64_t which, std::vector<std::int64_t> shape, double scale);

// The TorchScript lines of EDM's preconditioning (MATH §8) for the variables s (sigma, N x 1),
// r = sqrt(s^2 + sd^2), c_skip, c_out and the Fourier features `a` of c_noise = ln(sigma)/4.
std::string edm_preamble(double sigma_data);

struct Network::Impl {
    torch::jit::Module module;
    std::size_t dim = 0;
    std::string description;
    ModelInput input;
    std::size_t classes = 0;  // built conditional here (MlpOptions::classes)
    torch::Device device{torch::kCPU};  // where the module and its inputs live (ModelInput::device)
    torch::Tensor embedding;  // ModelInput::embedding as [rows, dim] float32 on `device`; undefined: ids
    // The shape x is passed in for `rows` rows: [rows, dim] or [rows, C, H, W].
    std::vector<std::int64_t> sizes(std::int64_t rows) const {
        std::vector<std::int64_t> s{rows};
        if (input.shape.empty())
            s.push_back(static_cast<std::int64_t>(dim));
        else
            s.insert(s.end(), input.shape.begin(), input.shape.end());
        return s;
    }
};

}  // namespace ayslab
