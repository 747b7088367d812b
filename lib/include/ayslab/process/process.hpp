// Forward processes in the (s(t), sigma(t)) form of MATH.md §1:
//   x_t = s(t) (x_0 + sigma(t) eps),  f = s'/s,  g^2 = 2 s^2 sigma sigma'.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ayslab {

class Process {
  public:
    virtual ~Process() = default;
    virtual std::string name() const = 0;
    // Default time range of the process (sampling runs between these).
    virtual double t_min() const = 0;
    virtual double t_max() const = 0;
    virtual double s(double t) const = 0;
    virtual double ds_dt(double t) const = 0;
    virtual double sigma(double t) const = 0;
    virtual double dsigma_dt(double t) const = 0;
    // Inverse of sigma(t); throws InputError outside the process's sigma range.
    virtual double t_of_sigma(double sigma) const = 0;

    double f(double t) const { return ds_dt(t) / s(t); }
    // g^2 = 2 s^2 sigma sigma'; processes override it where a closed form avoids 0 * inf at sigma = 0.
    virtual double g2(double t) const { return 2.0 * s(t) * s(t) * sigma(t) * dsigma_dt(t); }
    // Marginal of x_t when x_0 has per-coordinate mean mu and variance v:
    // mean s mu, variance s^2 (v + sigma^2).
    double marginal_mean(double t, double mu) const { return s(t) * mu; }
    double marginal_variance(double t, double v) const {
        const double st = s(t), sg = sigma(t);
        return st * st * (v + sg * sg);
    }
    double sigma_min() const { return sigma(t_min()); }
    double sigma_max() const { return sigma(t_max()); }
};

// Names: edm, ve, vp, subvp, ddpm-linear, ddpm-scaled-linear, ddpm-cosine, flow.
std::unique_ptr<Process> make_process(std::string_view name);
std::vector<std::string> process_names();

}  // namespace ayslab
