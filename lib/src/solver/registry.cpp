// The solver table: one line per solver (name, summary, stochastic, NFE per step, order, exact law),
// and its factory. Every list of solver names in ayslab is read from here.
#include "ayslab/solver/registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ayslab/error.hpp"
#include "ayslab/solver/steps.hpp"
#include "ayslab/solver/updates.hpp"

namespace ayslab {

namespace {

template <class S>
std::unique_ptr<Solver> make(const SolverTraits& traits, const SolverOptions& options) {
    return std::make_unique<S>(traits, options);
}

constexpr auto affine = ExactLaw::affine, none = ExactLaw::none, gaussian_step = ExactLaw::gaussian_step;
double euler_maruyama_mean(double x, double d, double sigma, double sigma_next) {
    return update::euler_maruyama_mean(x, d, sigma, sigma_next);
}
double linearised_mean(double x, double d, double sigma, double sigma_next) {
    return update::linearised_mean(x, d, sigma, sigma_next);
}
constexpr GaussianStepMaps euler_maruyama{&euler_maruyama_mean, &update::euler_maruyama_noise_std};
constexpr GaussianStepMaps linearised{&linearised_mean, &update::linearised_noise_std};
constexpr GaussianStepMaps ddpm_beta{&linearised_mean, &update::ddpm_beta_noise_std};

}  // namespace

const std::vector<SolverEntry>& solver_registry() {
    // name, summary, stochastic, NFE per step (0 = adaptive), order, exact law on Gaussian data
    static const std::vector<SolverEntry> table = {
        {{"euler", "Euler on the probability-flow ODE", false, 1, 1, affine}, make<EulerSolver>},
        {{"heun", "EDM's Heun (Algorithm 1), Euler on the last step to 0", false, 2, 2, affine}, make<HeunSolver>},
        {{"ddim", "DDIM / DPM-Solver-1 (D frozen over the step)", false, 1, 1, affine}, make<DdimSolver>},
        {{"dpm2", "DPM-Solver-2 (midpoint in log sigma)", false, 2, 2, affine}, make<Dpm2Solver>},
        {{"lms", "k-diffusion's linear multistep, order 4", false, 1, 4, affine}, make<LmsSolver>},
        {{"dpmpp-2m", "DPM-Solver++(2M)", false, 1, 2, affine}, make<Dpmpp2mSolver>},
        {{"dpmpp-3m", "DPM-Solver++(3M)", false, 1, 3, affine}, make<Dpmpp3mSolver>},
        {{"dpm-fast", "k-diffusion's DPM-Solver-fast: own steps, NFE = the schedule's steps (its ends only)", false, 1,
          3, none},
         make<DpmFastSolver>},
        {{"dpm-adaptive", "k-diffusion's DPM-Solver-23 adaptive: own steps between the schedule's ends", false, 0, 3,
          none},
         make<DpmAdaptiveSolver>},
        {{"dopri5", "adaptive Dormand-Prince 5(4): the reference ODE end point", false, 0, 5, none},
         make<Dopri5Solver>},
        {{"euler-maruyama", "Euler-Maruyama on the reverse SDE", true, 1, 1, gaussian_step, euler_maruyama},
         make<GaussianStepSolver>},
        {{"linearised-sde", "exact step of the reverse SDE with D frozen (DDPM posterior mean, beta-tilde)", true,
          1, 1, gaussian_step, linearised},
         make<GaussianStepSolver>},
        {{"ddpm-ancestral", "DDPM ancestral sampling with variance beta", true, 1, 1, gaussian_step, ddpm_beta},
         make<GaussianStepSolver>},
        {{"euler-ancestral", "k-diffusion's Euler ancestral (eta, s_noise)", true, 1, 1, none},
         make<EulerAncestralSolver>},
        {{"dpmpp-2s-ancestral", "DPM-Solver++(2S) ancestral", true, 2, 2, none}, make<Dpmpp2sAncestralSolver>},
        {{"dpmpp-sde", "DPM-Solver++ SDE (r = 1/2)", true, 2, 2, none}, make<DpmppSdeSolver>},
        {{"dpmpp-2m-sde", "DPM-Solver++(2M) SDE (k-diffusion's solver_type='midpoint')", true, 1, 2, none},
         make<Dpmpp2mSdeSolver>},
        {{"dpmpp-2m-sde-heun", "DPM-Solver++(2M) SDE, k-diffusion's solver_type='heun'", true, 1, 2, none},
         make<Dpmpp2mSdeHeunSolver>},
        {{"dpmpp-3m-sde", "DPM-Solver++(3M) SDE", true, 1, 3, none}, make<Dpmpp3mSdeSolver>},
        {{"er-sde-1", "ER-SDE-Solver-1 (Cui et al.; ComfyUI's er_sde, max_stage 1)", true, 1, 1, none},
         make<ErSdeStep<1>>},
        {{"er-sde-2", "ER-SDE-Solver-2 (ComfyUI's er_sde, max_stage 2)", true, 1, 2, none}, make<ErSdeStep<2>>},
        {{"er-sde-3", "ER-SDE-Solver-3 (ComfyUI's er_sde, its default max_stage 3)", true, 1, 3, none},
         make<ErSdeStep<3>>},
        {{"edm-churn", "EDM's stochastic sampler (Algorithm 2; k-diffusion's sample_heun with s_churn)", true, 2,
          2, none},
         make<EdmChurnSolver>},
        {{"euler-churn", "k-diffusion's sample_euler with s_churn (churn, then an Euler step)", true, 1, 1, none},
         make<EulerChurnSolver>},
        {{"dpm2-churn", "k-diffusion's sample_dpm_2 with s_churn (churn, then DPM-Solver-2)", true, 2, 2, none},
         make<Dpm2ChurnSolver>},
        {{"dpm2-ancestral", "k-diffusion's DPM-Solver-2 ancestral (eta, s_noise)", true, 2, 2, none},
         make<Dpm2AncestralSolver>},
        {{"pc-langevin", "score-SDE predictor-corrector (Langevin corrector, Euler-Maruyama predictor)", true, 2,
          1, none},
         make<PcLangevinSolver>},
    };
    return table;
}

std::vector<std::string> solver_names(const std::function<bool(const SolverTraits&)>& keep) {
    std::vector<std::string> names;
    for (const auto& e : solver_registry())
        if (!keep || keep(e.traits)) names.emplace_back(e.traits.name);
    return names;
}

std::vector<std::string> deterministic_solver_names() {
    return solver_names([](const SolverTraits& t) { return !t.stochastic; });
}

std::vector<std::string> solver_names_with_law(ExactLaw law) {
    return solver_names([law](const SolverTraits& t) { return t.law == law; });
}

const SolverEntry& find_solver(std::string_view name) {
    for (const auto& e : solver_registry())
        if (e.traits.name == name) return e;
    throw InputError(fmt::format("unknown solver '{}' (known: {})", name, fmt::join(solver_names(), ", ")));
}

std::unique_ptr<Solver> make_solver(std::string_view name, const SolverOptions& options) {
    const auto& entry = find_solver(name);
    return entry.make(entry.traits, options);
}

}  // namespace ayslab
