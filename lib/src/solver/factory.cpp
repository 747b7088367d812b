#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ayslab/error.hpp"
#include "ayslab/solver/ode.hpp"
#include "ayslab/solver/sde.hpp"

namespace ayslab {

std::vector<std::string> deterministic_solver_names() { return {"euler", "heun", "ddim"}; }

std::vector<std::string> solver_names() {
    return {"euler", "heun", "ddim", "euler-maruyama", "linearised-sde", "ddpm-ancestral"};
}

std::unique_ptr<Solver> make_solver(std::string_view name) {
    if (name == "euler") return std::make_unique<EulerSolver>();
    if (name == "heun") return std::make_unique<HeunSolver>();
    if (name == "ddim") return std::make_unique<DdimSolver>();
    if (name == "euler-maruyama") return std::make_unique<EulerMaruyamaSolver>();
    if (name == "linearised-sde") return std::make_unique<LinearisedSdeSolver>();
    if (name == "ddpm-ancestral") return std::make_unique<DdpmAncestralSolver>();
    throw InputError(fmt::format("unknown solver '{}' (known: {})", name, fmt::join(solver_names(), ", ")));
}

}  // namespace ayslab
