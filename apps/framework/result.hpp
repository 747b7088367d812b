// What an experiment returns: measured values (free-form JSON), checks with their closed-form value,
// measured value, tolerance and verdict, and human summary lines.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ayslab::app {

// How a check's tolerance is read.
enum class Criterion {
    absolute,         // |measured - expected| <= tolerance
    relative,         // |measured - expected| <= tolerance |expected|
    standard_errors,  // |measured - expected| <= tolerance * standard_error
    at_most,          // measured <= expected + tolerance (expected is a bound)
};

struct Check {
    std::string name;
    double expected;
    double measured;
    double tolerance;
    Criterion criterion;
    std::optional<double> standard_error{};
    double absolute_floor = 0.0;  // standard_errors: also allowed, e.g. an ODE's stated accuracy when SE = 0
    bool passed() const;
    nlohmann::json to_json() const;
};

class Result {
  public:
    nlohmann::json values = nlohmann::json::object();
    std::vector<Check> checks;
    std::vector<std::string> summary;
    // Wall-clock measurements (seconds) an experiment reports: written under "run" with the run's own
    // wall time, outside the results, which stay bit-identical for any thread count.
    nlohmann::json timings = nlohmann::json::object();

    const Check& check(Check c);
    // Shorthand for a Monte Carlo check at `n_se` standard errors.
    const Check& check_se(std::string name, double expected, double measured, double se, double n_se,
                          double absolute_floor = 0.0);
    bool passed() const;
    void line(std::string text) { summary.push_back(std::move(text)); }
};

std::string criterion_name(Criterion c);

}  // namespace ayslab::app
