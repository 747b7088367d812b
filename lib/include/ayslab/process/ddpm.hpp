// Discrete DDPM noise tables (MATH.md §1 and §6) and the DDPM process in (s, sigma) form.
#pragma once
#include <string>
#include <vector>

#include "ayslab/process/process.hpp"

namespace ayslab {

enum class BetaSchedule { linear, scaled_linear, cosine };

// Coefficients of q(x_{t-1} | x_t, x_0) = N(coef_x0 x_0 + coef_xt x_t, variance I)  (MATH §6).
struct DdpmPosterior {
    double coef_x0;
    double coef_xt;
    double variance;
};

// The 1-indexed table of MATH §6: beta_t, alpha_t = 1 - beta_t, alpha_bar_t = prod_{j<=t} alpha_j
// for t = 1..T, with alpha_bar_0 = 1.
class DdpmTable {
  public:
    explicit DdpmTable(BetaSchedule schedule, int steps = 1000);
    int steps() const { return static_cast<int>(beta_.size()) - 1; }
    double beta(int t) const;
    double alpha(int t) const { return 1.0 - beta(t); }
    double alpha_bar(int t) const;
    // sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t), computed without cancellation.
    double sigma(int t) const;
    DdpmPosterior posterior(int t) const;

  private:
    void check_index(int t, int lo) const;
    std::vector<double> beta_;           // beta_[t], t = 1..T (beta_[0] unused = 0)
    std::vector<double> log_alpha_bar_;  // log alpha_bar_t, t = 0..T
};

// DDPM as a continuous-time process over the diffusers timestep index k in [0, T-1]
// (k corresponds to alpha_bar_{k+1} of the 1-indexed table). Fractional timesteps interpolate
// log sigma linearly; s = sqrt(alpha_bar) = 1 / sqrt(1 + sigma^2).
class DdpmProcess final : public Process {
  public:
    DdpmProcess(BetaSchedule schedule, std::string name, int steps = 1000);
    std::string name() const override { return name_; }
    double t_min() const override { return 0.0; }
    double t_max() const override { return static_cast<double>(log_sigma_.size() - 1); }
    double s(double t) const override;
    double ds_dt(double t) const override;
    double sigma(double t) const override;
    double dsigma_dt(double t) const override;
    double t_of_sigma(double sigma) const override;
    const DdpmTable& table() const { return table_; }

  private:
    // Segment index and fraction for a timestep; throws outside [0, T-1].
    std::size_t segment(double t, double& frac) const;
    std::string name_;
    DdpmTable table_;
    std::vector<double> log_sigma_;  // log sigma at integer timesteps k = 0..T-1
};

}  // namespace ayslab
