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
// Deterministic multistage / multistep (deterministic_steps.cpp).
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
AYSLAB_STEP(Dpmpp3mSdeSolver, 2)
AYSLAB_STEP(EulerChurnSolver, 2)  // k-diffusion's sample_euler with s_churn
AYSLAB_STEP(Dpm2AncestralSolver, 4)
// The two-stage solvers (two_stage_steps.cpp): D at sigma, or at EDM's churned sigma_hat (Churn),
// then Heun's or DPM-Solver-2's second stage to sigma_next.
enum class SecondStage { heun, dpm2 };
template <SecondStage Second, bool Churn>
class TwoStageStep final : public SolverWith<TwoStageStep<Second, Churn>, Churn ? 4 : 3> {
  public:
    using SolverWith<TwoStageStep<Second, Churn>, Churn ? 4 : 3>::SolverWith;
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;
};
using HeunSolver = TwoStageStep<SecondStage::heun, false>;      // EDM Algorithm 1, 2 evaluations per step
using Dpm2Solver = TwoStageStep<SecondStage::dpm2, false>;      // DPM-Solver-2 (midpoint in log sigma)
using EdmChurnSolver = TwoStageStep<SecondStage::heun, true>;   // EDM Algorithm 2 (S_churn, S_tmin, S_tmax, S_noise)
using Dpm2ChurnSolver = TwoStageStep<SecondStage::dpm2, true>;  // k-diffusion's sample_dpm_2 with s_churn
// DPM-Solver++(2M) SDE with k-diffusion's solver_type 'midpoint' (Heun = false) or 'heun'.
template <bool Heun>
class Dpmpp2mSdeStep final : public SolverWith<Dpmpp2mSdeStep<Heun>, 2> {
  public:
    using SolverWith<Dpmpp2mSdeStep<Heun>, 2>::SolverWith;
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;
};
using Dpmpp2mSdeSolver = Dpmpp2mSdeStep<false>;
using Dpmpp2mSdeHeunSolver = Dpmpp2mSdeStep<true>;
// ER-SDE-Solver-1/2/3 (Cui et al. 2023, arXiv:2309.06169) as ComfyUI's sample_er_sde with max_stage
// = Stages and its default noise scaler x (e^{x^0.3} + 10): an exponential-integrator step in
// er_lambda = sigma (k-diffusion's x: alpha = 1), corrected by divided differences of the last one or
// two denoiser outputs, the integrals by ComfyUI's 200-point left Riemann sum.
template <int Stages>
class ErSdeStep final : public SolverWith<ErSdeStep<Stages>, 2> {
  public:
    using SolverWith<ErSdeStep<Stages>, 2>::SolverWith;
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;
};
// Langevin correctors at sigma, then Euler-Maruyama: 1 + corrector_steps evaluations per step.
class PcLangevinSolver final : public SolverWith<PcLangevinSolver, 2> {
  public:
    using SolverWith::SolverWith;
    std::size_t nfe_per_step() const override { return 1 + o_.corrector_steps; }
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;
};
// k-diffusion's DPMSolver (Lu et al. 2022, noise-prediction form in t = -log sigma) with its own steps
// between the schedule's sigma_max and smallest positive sigma (dpm_solver_steps.cpp; eta = 0):
//  dpm-fast      sample_dpm_fast(n = the schedule's steps): floor(n/3) + 1 steps uniform in t, orders
//                3, ..., 3 then (2, 1) or n mod 3 — n evaluations in all;
//  dpm-adaptive  sample_dpm_adaptive (order 3: DPM-Solver-2 with r1 = 1/3 against DPM-Solver-3, PID
//                step control with k-diffusion's defaults; the error norm is over the chunk, as
//                k-diffusion's is over its batch).
class DpmFastSolver final : public SolverWith<DpmFastSolver, 6, Solver> {
  public:
    using SolverWith::SolverWith;
    std::size_t solve(std::span<double> x, std::size_t n, const StepContext& ctx, const AfterStep& after_step) override;
};
class DpmAdaptiveSolver final : public SolverWith<DpmAdaptiveSolver, 8, Solver> {
  public:
    using SolverWith::SolverWith;
    std::size_t solve(std::span<double> x, std::size_t n, const StepContext& ctx, const AfterStep& after_step) override;
};
// Every "x_next = mean(x, D) + noise_std z" solver (gaussian_steps.cpp, MATH §3, §6): the two maps
// come from its traits (euler-maruyama, linearised-sde, ddpm-ancestral), so the exact judge reads the
// same maps the sampler runs. Their one draw per step keeps the address it had before
// step_noise_address (step k, not k << 2), so seeded results are unchanged.
class GaussianStepSolver final : public SolverWith<GaussianStepSolver, 2> {
  public:
    using SolverWith::SolverWith;
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;
    StepNoiseAddress noise_address(std::size_t step, std::size_t draw) const override { return {step, draw}; }
};

#undef AYSLAB_STEP

// k-diffusion's get_ancestral_step: (sigma_down, sigma_up) for a step sigma -> sigma_next with eta.
std::pair<double, double> ancestral_step(double sigma, double sigma_next, double eta);

}  // namespace ayslab
