// Probability-flow ODE solvers in the sigma parametrisation (MATH.md §3).
#pragma once
#include <vector>

#include "ayslab/solver/solver.hpp"

namespace ayslab {

// Holds the denoised-batch buffer every solver needs.
class WorkspaceSolver : public Solver {
  public:
    void prepare(std::size_t n, std::size_t d) override;

  protected:
    std::span<double> denoised(std::size_t size) {
        if (denoised_.size() < size) denoised_.resize(size);  // only if prepare() was skipped
        return {denoised_.data(), size};
    }

  private:
    std::vector<double> denoised_;
};

class EulerSolver final : public WorkspaceSolver {
  public:
    std::string name() const override { return "euler"; }
    bool stochastic() const override { return false; }
    std::size_t nfe_per_step() const override { return 1; }
    std::unique_ptr<Solver> clone() const override { return std::make_unique<EulerSolver>(); }
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;
};

class DdimSolver final : public WorkspaceSolver {
  public:
    std::string name() const override { return "ddim"; }
    bool stochastic() const override { return false; }
    std::size_t nfe_per_step() const override { return 1; }
    std::unique_ptr<Solver> clone() const override { return std::make_unique<DdimSolver>(); }
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;
};

// EDM's second-order Heun (Karras et al. 2022, Algorithm 1), 2 evaluations per step.
class HeunSolver final : public WorkspaceSolver {
  public:
    std::string name() const override { return "heun"; }
    bool stochastic() const override { return false; }
    std::size_t nfe_per_step() const override { return 2; }
    std::unique_ptr<Solver> clone() const override { return std::make_unique<HeunSolver>(); }
    void prepare(std::size_t n, std::size_t d) override;
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;

  private:
    std::vector<double> x_pred_, d_pred_;
};

}  // namespace ayslab
