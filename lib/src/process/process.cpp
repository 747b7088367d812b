// Continuous processes of MATH.md §1 and the factory.
#include "ayslab/process/process.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "ayslab/process/ddpm.hpp"
#include "ayslab/error.hpp"

namespace ayslab {
namespace {

void require_in_range(double value, double lo, double hi, const char* what, const std::string& who) {
    if (!std::isfinite(value) || !(value >= lo * (1 - 1e-12) && value <= hi * (1 + 1e-12)))
        throw InputError(fmt::format("{} {} outside the {} range [{}, {}]", what, value, who, lo, hi));
}

// EDM: s = 1, sigma = t.
class Edm final : public Process {
  public:
    std::string name() const override { return "edm"; }
    double t_min() const override { return 0.002; }
    double t_max() const override { return 80.0; }
    double s(double) const override { return 1.0; }
    double ds_dt(double) const override { return 0.0; }
    double sigma(double t) const override { return t; }
    double dsigma_dt(double) const override { return 1.0; }
    double t_of_sigma(double sg) const override {
        if (!(sg >= 0.0) || !std::isfinite(sg))
            throw InputError(fmt::format("sigma {} is not a finite number >= 0", sg));
        return sg;
    }
};

// VE (SMLD): s = 1, sigma = sigma_min (sigma_max/sigma_min)^t on t in [0, 1].
class Ve final : public Process {
  public:
    std::string name() const override { return "ve"; }
    double t_min() const override { return 0.0; }
    double t_max() const override { return 1.0; }
    double s(double) const override { return 1.0; }
    double ds_dt(double) const override { return 0.0; }
    double sigma(double t) const override { return lo_ * std::exp(t * log_ratio_); }
    double dsigma_dt(double t) const override { return sigma(t) * log_ratio_; }
    double t_of_sigma(double sg) const override {
        require_in_range(sg, lo_, hi_, "sigma", name());
        return std::log(sg / lo_) / log_ratio_;
    }

  private:
    double lo_ = 0.01, hi_ = 50.0, log_ratio_ = std::log(50.0 / 0.01);
};

// Shared by VP and sub-VP: alpha(t) = exp(-t^2 (b1 - b0)/4 - t b0/2), beta(t) = b0 + t (b1 - b0).
class AlphaProcess : public Process {
  public:
    double t_min() const override { return 1e-3; }
    double t_max() const override { return 1.0; }
    double log_alpha(double t) const { return -0.25 * t * t * (b1_ - b0_) - 0.5 * t * b0_; }
    double beta(double t) const { return b0_ + t * (b1_ - b0_); }
    double s(double t) const override { return std::exp(log_alpha(t)); }
    double ds_dt(double t) const override { return -0.5 * beta(t) * s(t); }

  protected:
    // Inverse of log_alpha: solve t^2 (b1-b0)/4 + t b0/2 = L (L = -log alpha >= 0), stably.
    double t_of_minus_log_alpha(double minus_log_alpha) const {
        const double db = b1_ - b0_;
        return 2.0 * minus_log_alpha / (0.5 * b0_ + std::sqrt(0.25 * b0_ * b0_ + db * minus_log_alpha));
    }
    double b0_ = 0.1, b1_ = 20.0;
};

// VP: sigma = sqrt(1 - alpha^2) / alpha = sqrt(expm1(-2 log alpha)).
class Vp final : public AlphaProcess {
  public:
    std::string name() const override { return "vp"; }
    double sigma(double t) const override { return std::sqrt(std::expm1(-2.0 * log_alpha(t))); }
    // 2 sigma sigma' = (sigma^2 + 1) beta.
    double dsigma_dt(double t) const override {
        const double sg = sigma(t);
        return (sg * sg + 1.0) * beta(t) / (2.0 * sg);
    }
    double g2(double t) const override { return beta(t); }  // score-SDE's VP diffusion
    double t_of_sigma(double sg) const override {
        require_in_range(sg, 0.0, sigma(1.0), "sigma", name());
        return t_of_minus_log_alpha(0.5 * std::log1p(sg * sg));
    }
};

// sub-VP: sigma = (1 - alpha^2) / alpha = 1/alpha - alpha (marginal std 1 - alpha^2).
class SubVp final : public AlphaProcess {
  public:
    std::string name() const override { return "subvp"; }
    double sigma(double t) const override {
        const double la = log_alpha(t);
        return -2.0 * std::sinh(la);  // e^{-la} - e^{la}
    }
    // sigma' = (beta/2) (1/alpha + alpha).
    double dsigma_dt(double t) const override { return 0.5 * beta(t) * 2.0 * std::cosh(log_alpha(t)); }
    // beta (1 - alpha^4) = beta (1 - exp(-2 int beta)): score-SDE's sub-VP diffusion.
    double g2(double t) const override { return -beta(t) * std::expm1(4.0 * log_alpha(t)); }
    double t_of_sigma(double sg) const override {
        require_in_range(sg, 0.0, sigma(1.0), "sigma", name());
        // alpha = 2 / (sigma + sqrt(sigma^2 + 4)), i.e. -log alpha = asinh(sigma/2).
        return t_of_minus_log_alpha(std::asinh(0.5 * sg));
    }
};

// Rectified flow / flow matching: x_t = (1-t) x_0 + t eps, so s = 1 - t, sigma = t / (1 - t).
class Flow final : public Process {
  public:
    std::string name() const override { return "flow"; }
    double t_min() const override { return 0.002 / 1.002; }
    double t_max() const override { return 80.0 / 81.0; }
    double s(double t) const override { return 1.0 - t; }
    double ds_dt(double) const override { return -1.0; }
    double sigma(double t) const override { return t / (1.0 - t); }
    double dsigma_dt(double t) const override { return 1.0 / ((1.0 - t) * (1.0 - t)); }
    double t_of_sigma(double sg) const override {
        if (!(sg >= 0.0) || !std::isfinite(sg))
            throw InputError(fmt::format("sigma {} is not a finite number >= 0", sg));
        return sg / (1.0 + sg);
    }
};

}  // namespace

std::vector<std::string> process_names() {
    return {"edm", "ve", "vp", "subvp", "ddpm-linear", "ddpm-scaled-linear", "ddpm-cosine", "flow"};
}

std::unique_ptr<Process> make_process(std::string_view name) {
    if (name == "edm") return std::make_unique<Edm>();
    if (name == "ve") return std::make_unique<Ve>();
    if (name == "vp") return std::make_unique<Vp>();
    if (name == "subvp") return std::make_unique<SubVp>();
    if (name == "flow") return std::make_unique<Flow>();
    if (name == "ddpm-linear") return std::make_unique<DdpmProcess>(BetaSchedule::linear, std::string(name));
    if (name == "ddpm-scaled-linear")
        return std::make_unique<DdpmProcess>(BetaSchedule::scaled_linear, std::string(name));
    if (name == "ddpm-cosine") return std::make_unique<DdpmProcess>(BetaSchedule::cosine, std::string(name));
    throw InputError(fmt::format("unknown process '{}' (known: {})", name, fmt::join(process_names(), ", ")));
}

}  // namespace ayslab
