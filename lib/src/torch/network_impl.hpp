// The torch side of Network (private to lib/src/torch).
#pragma once
#include <torch/script.h>

#include <string>

#include "ayslab/network.hpp"

namespace ayslab {

// TorchScript's profiling executor re-optimises a module's graph after its first calls, and the
// optimised graph rounds differently: the same call would give other bits on its 1st and 20th run
// (a resumed training run, or a denoiser evaluated in another order, would then not reproduce).
// ayslab runs every module unoptimised; called before any module is built or loaded.
void deterministic_torchscript();

struct Network::Impl {
    torch::jit::Module module;
    std::size_t dim = 0;
    std::string description;
};

}  // namespace ayslab
