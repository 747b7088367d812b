#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ayslab/error.hpp"
#include "ayslab/solver/ode.hpp"
#include "ayslab/solver/samplers.hpp"
#include "ayslab/solver/sde.hpp"

namespace ayslab {

std::vector<std::string> linear_solver_names() {
    return {"euler", "heun", "ddim", "dpm2", "lms", "dpmpp-2m", "dpmpp-3m"};
}

std::vector<std::string> deterministic_solver_names() {
    auto v = linear_solver_names();
    v.push_back("dopri5");
    return v;
}

std::vector<std::string> solver_names() {
    auto v = deterministic_solver_names();
    for (const char* s :
         {"euler-maruyama", "linearised-sde", "ddpm-ancestral", "euler-ancestral", "dpmpp-2s-ancestral",
          "dpmpp-sde", "dpmpp-2m-sde", "dpmpp-3m-sde", "edm-churn", "pc-langevin"})
        v.emplace_back(s);
    return v;
}

std::unique_ptr<Solver> make_solver(std::string_view name, const SolverOptions& o) {
    if (name == "dpm2") return std::make_unique<Dpm2Solver>(o);
    if (name == "lms") return std::make_unique<LmsSolver>(o);
    if (name == "dpmpp-2m") return std::make_unique<Dpmpp2mSolver>(o);
    if (name == "dpmpp-3m") return std::make_unique<Dpmpp3mSolver>(o);
    if (name == "dopri5") return std::make_unique<Dopri5Solver>(o);
    if (name == "euler-ancestral") return std::make_unique<EulerAncestralSolver>(o);
    if (name == "dpmpp-2s-ancestral") return std::make_unique<Dpmpp2sAncestralSolver>(o);
    if (name == "dpmpp-sde") return std::make_unique<DpmppSdeSolver>(o);
    if (name == "dpmpp-2m-sde") return std::make_unique<Dpmpp2mSdeSolver>(o);
    if (name == "dpmpp-3m-sde") return std::make_unique<Dpmpp3mSdeSolver>(o);
    if (name == "edm-churn") return std::make_unique<EdmChurnSolver>(o);
    if (name == "pc-langevin") return std::make_unique<PcLangevinSolver>(o);
    if (name == "euler") return std::make_unique<EulerSolver>();
    if (name == "heun") return std::make_unique<HeunSolver>();
    if (name == "ddim") return std::make_unique<DdimSolver>();
    if (name == "euler-maruyama") return std::make_unique<EulerMaruyamaSolver>();
    if (name == "linearised-sde") return std::make_unique<LinearisedSdeSolver>();
    if (name == "ddpm-ancestral") return std::make_unique<DdpmAncestralSolver>();
    throw InputError(fmt::format("unknown solver '{}' (known: {})", name, fmt::join(solver_names(), ", ")));
}

}  // namespace ayslab
