// The step of every solver ayslab has, in the sigma parametrisation of k-diffusion (x means x/s);
// formulas as in k-diffusion's sampling.py (Crowson), EDM (Karras et al. 2022, Alg. 1-2) and
// score-SDE (Song et al. 2021, PC sampling); t = -log sigma. Which name, traits and factory each has
// is the registry's (solver/registry.hpp); the loop over a schedule is sampler.hpp.
//
// To add a solver: a class here (one line for the common shape), its step() in the .cpp of its family
// under lib/src/solver/, and one line in lib/src/solver/registry.cpp (docs/architecture.md).
#pragma once
#include <utility>

#include "ayslab/solver/solver.hpp"

namespace ayslab {

// A solver whose whole behaviour is step(): class Name, with Buffers work buffers.
#define AYSLAB_STEP(Class, Buffers)                                                           \
    class Class final : public SolverWith<Class, Buffers> {                                    \
      public:                                                                                  \
        using SolverWith::SolverWith;                                                          \
        std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next, \
                         const StepContext& ctx) override;                                     \
    };

// Probability-flow ODE (ode_steps.cpp, MATH §3).
AYSLAB_STEP(EulerSolver, 1)
AYSLAB_STEP(DdimSolver, 1)
AYSLAB_STEP(HeunSolver, 3)  // EDM Algorithm 1, 2 evaluations per step
// Deterministic multistage / multistep (deterministic_steps.cpp).
AYSLAB_STEP(Dpm2Solver, 3)     // DPM-Solver-2 (midpoint in log sigma)
AYSLAB_STEP(LmsSolver, 1)      // linear multistep, order up to 4
AYSLAB_STEP(Dpmpp2mSolver, 1)  // DPM-Solver++(2M)
AYSLAB_STEP(Dpmpp3mSolver, 1)  // DPM-Solver++(3M), eta = 0
// Adaptive Dormand-Prince 5(4) on dx/dlog(sigma) = x - D (Boost.Odeint, rtol/atol from the options),
// integrating each schedule step adaptively: the reference "exact ODE" end point. NFE varies; step()
// returns the evaluations it used.
AYSLAB_STEP(Dopri5Solver, 0)
// Stochastic (stochastic_steps.cpp).
AYSLAB_STEP(EulerAncestralSolver, 2)
AYSLAB_STEP(Dpmpp2sAncestralSolver, 4)
AYSLAB_STEP(DpmppSdeSolver, 4)
AYSLAB_STEP(Dpmpp2mSdeSolver, 2)
AYSLAB_STEP(Dpmpp3mSdeSolver, 2)
AYSLAB_STEP(EdmChurnSolver, 4)    // EDM Algorithm 2 (S_churn, S_tmin, S_tmax, S_noise)
// Langevin correctors at sigma, then Euler-Maruyama: 1 + corrector_steps evaluations per step.
class PcLangevinSolver final : public SolverWith<PcLangevinSolver, 2> {
  public:
    using SolverWith::SolverWith;
    std::size_t nfe_per_step() const override { return 1 + o_.corrector_steps; }
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;
};
// Every "x_next = mean(x, D) + noise_std z" solver (gaussian_steps.cpp, MATH §3, §6): the two maps
// come from its traits (euler-maruyama, linearised-sde, ddpm-ancestral), so the exact judge reads the
// same maps the sampler runs.
AYSLAB_STEP(GaussianStepSolver, 2)

#undef AYSLAB_STEP

// k-diffusion's get_ancestral_step: (sigma_down, sigma_up) for a step sigma -> sigma_next with eta.
std::pair<double, double> ancestral_step(double sigma, double sigma_next, double eta);

}  // namespace ayslab
