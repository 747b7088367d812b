// Reverse-SDE and ancestral solvers (MATH.md §3, §6): x_next = mean(x, D) + noise_std * z, with z
// addressed by (seed, step_noise, flat element particle * d + coordinate, step).
#pragma once
#include <vector>

#include "ayslab/solver/ode.hpp"

namespace ayslab {

// Shared loop of every "mean + std * z" step; subclasses give the two formulas. Every mean here is
// linear in (x, D), so the loop uses mean = A x + B D with A = mean(1, 0), B = mean(0, 1) per step.
class GaussianStepSolver : public WorkspaceSolver {
  public:
    bool stochastic() const override { return true; }
    std::size_t nfe_per_step() const override { return 1; }
    void prepare(std::size_t n, std::size_t d) override;
    std::size_t step(std::span<double> x, std::size_t n, double sigma, double sigma_next,
                     const StepContext& ctx) override;
    virtual double mean(double x, double d, double sigma, double sigma_next) const = 0;
    virtual double noise_std(double sigma, double sigma_next) const = 0;

  private:
    std::vector<double> noise_;
};

class EulerMaruyamaSolver final : public GaussianStepSolver {
  public:
    std::string name() const override { return "euler-maruyama"; }
    std::unique_ptr<Solver> clone() const override { return std::make_unique<EulerMaruyamaSolver>(); }
    double mean(double x, double d, double sigma, double sigma_next) const override;
    double noise_std(double sigma, double sigma_next) const override;
};

class LinearisedSdeSolver final : public GaussianStepSolver {
  public:
    std::string name() const override { return "linearised-sde"; }
    std::unique_ptr<Solver> clone() const override { return std::make_unique<LinearisedSdeSolver>(); }
    double mean(double x, double d, double sigma, double sigma_next) const override;
    double noise_std(double sigma, double sigma_next) const override;
};

// DDPM ancestral sampling with variance beta_t (MATH §6), expressed in sigma with s^2 = 1/(1+sigma^2).
class DdpmAncestralSolver final : public GaussianStepSolver {
  public:
    std::string name() const override { return "ddpm-ancestral"; }
    std::unique_ptr<Solver> clone() const override { return std::make_unique<DdpmAncestralSolver>(); }
    double mean(double x, double d, double sigma, double sigma_next) const override;
    double noise_std(double sigma, double sigma_next) const override;
};

}  // namespace ayslab
