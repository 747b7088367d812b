// The solvers, one registration each (lib/src/solver/registry.cpp): name, factory and traits. Every
// list of solvers (the names a config accepts, the affine ones the exact-KL judge takes, ...) is read
// from this one table.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ayslab/solver/solver.hpp"

namespace ayslab {

struct SolverEntry {
    SolverTraits traits;
    std::unique_ptr<Solver> (*make)(const SolverTraits& traits, const SolverOptions& options);
};

// In a fixed order: the deterministic solvers, then the stochastic ones.
const std::vector<SolverEntry>& solver_registry();
const SolverEntry& find_solver(std::string_view name);  // InputError naming the known ones
std::unique_ptr<Solver> make_solver(std::string_view name, const SolverOptions& options = {});

// Names of the registered solvers whose traits satisfy `keep` (all of them by default).
std::vector<std::string> solver_names(const std::function<bool(const SolverTraits&)>& keep = {});
// Deterministic ones (including the adaptive reference).
std::vector<std::string> deterministic_solver_names();
// Those with an exact output law on Gaussian data of the given kind.
std::vector<std::string> solver_names_with_law(ExactLaw law);
// Deterministic solvers whose map is exactly affine on Gaussian data (all but the adaptive one).
inline std::vector<std::string> linear_solver_names() { return solver_names_with_law(ExactLaw::affine); }

}  // namespace ayslab
