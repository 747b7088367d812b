// The samplers the field uses, in the sigma parametrisation of k-diffusion (x means x/s): each class
// is one step of the named method, its formulas as in k-diffusion's sampling.py (Crowson), EDM
// (Karras et al. 2022, Alg. 2) and score-SDE (Song et al. 2021, PC sampling). t = -log sigma.
#pragma once
#include <vector>

#include "ayslab/solver/solver.hpp"

namespace ayslab {

// The last few (sigma, values) pairs of a multistep solver, oldest first. Storage is reused: after
// the first run nothing is allocated (the slots rotate).
class History {
  public:
    void clear() { count_ = 0; }
    std::size_t size() const { return count_; }
    double sigma(std::size_t i) const { return sigmas_[i]; }
    std::span<const double> values(std::size_t i) const { return slots_[i]; }
    // Appends (sigma, v), dropping the oldest entry beyond `keep`.
    void push(double sigma, std::span<const double> v, std::size_t keep);

  private:
    std::vector<std::vector<double>> slots_;
    std::vector<double> sigmas_;
    std::size_t count_ = 0;
};

// Buffers of n x d values, sized once in prepare(); a History for multistep solvers, cleared there.
class BufferedSolver : public Solver {
  public:
    explicit BufferedSolver(std::size_t buffers, SolverOptions options = {}) : count_(buffers), o_(options) {}
    void prepare(std::size_t n, std::size_t d) override;

  protected:
    std::span<double> buffer(std::size_t k, std::size_t size);
    // Fills z with N(0,1) noise number `draw` (0, 1, 2, ...) of this step for the batch: every
    // (step, draw) pair has its own address (step_noise_address).
    static void noise(const StepContext& ctx, std::size_t n, std::size_t draw, std::span<double> z);
    std::size_t count_;
    SolverOptions o_;
    std::vector<std::vector<double>> buffers_;
    History history_;
};

#define AYSLAB_SOLVER(Class, Name, Stochastic, Nfe, Buffers)                                   \
    class Class final : public BufferedSolver {                                                \
      public:                                                                                  \
        explicit Class(SolverOptions options = {}) : BufferedSolver(Buffers, options) {}       \
        std::string name() const override { return Name; }                                     \
        bool stochastic() const override { return Stochastic; }                                \
        std::size_t nfe_per_step() const override { return Nfe; }                              \
        std::unique_ptr<Solver> clone() const override { return std::make_unique<Class>(o_); } \
        std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,  \
                         const StepContext& ctx) override;                                     \
    };

// Deterministic.
AYSLAB_SOLVER(Dpm2Solver, "dpm2", false, 2, 3)         // DPM-Solver-2 (midpoint in log sigma)
AYSLAB_SOLVER(LmsSolver, "lms", false, 1, 1)           // linear multistep, order up to 4
AYSLAB_SOLVER(Dpmpp2mSolver, "dpmpp-2m", false, 1, 1)  // DPM-Solver++(2M)
AYSLAB_SOLVER(Dpmpp3mSolver, "dpmpp-3m", false, 1, 1)  // DPM-Solver++(3M), eta = 0
// Stochastic.
AYSLAB_SOLVER(EulerAncestralSolver, "euler-ancestral", true, 1, 2)
AYSLAB_SOLVER(Dpmpp2sAncestralSolver, "dpmpp-2s-ancestral", true, 2, 4)
AYSLAB_SOLVER(DpmppSdeSolver, "dpmpp-sde", true, 2, 4)
AYSLAB_SOLVER(Dpmpp2mSdeSolver, "dpmpp-2m-sde", true, 1, 2)
AYSLAB_SOLVER(Dpmpp3mSdeSolver, "dpmpp-3m-sde", true, 1, 2)
AYSLAB_SOLVER(EdmChurnSolver, "edm-churn", true, 2, 4)  // EDM Algorithm 2 (S_churn, S_tmin, S_tmax, S_noise)
AYSLAB_SOLVER(PcLangevinSolver, "pc-langevin", true, 2,
              3)  // Langevin corrector at sigma, then Euler-Maruyama

#undef AYSLAB_SOLVER

// Adaptive Dormand-Prince 5(4) on dx/dlog(sigma) = x - D (Boost.Odeint, rtol/atol from the options),
// integrating each schedule step adaptively: the reference "exact ODE" end point. NFE varies; step()
// returns the evaluations it used.
class Dopri5Solver final : public BufferedSolver {
  public:
    explicit Dopri5Solver(SolverOptions options = {}) : BufferedSolver(0, options) {}
    std::string name() const override { return "dopri5"; }
    bool stochastic() const override { return false; }
    std::size_t nfe_per_step() const override { return 0; }  // adaptive: see step()'s return value
    std::unique_ptr<Solver> clone() const override { return std::make_unique<Dopri5Solver>(o_); }
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;
};

// k-diffusion's get_ancestral_step: (sigma_down, sigma_up) for a step sigma -> sigma_next with eta.
std::pair<double, double> ancestral_step(double sigma, double sigma_next, double eta);

}  // namespace ayslab
