#include "result.hpp"

#include <cmath>

#include "ayslab/error.hpp"

namespace ayslab::app {

std::string criterion_name(Criterion c) {
    switch (c) {
        case Criterion::absolute:
            return "absolute";
        case Criterion::relative:
            return "relative";
        case Criterion::standard_errors:
            return "standard_errors";
        case Criterion::at_most:
            return "at_most";
    }
    return "?";
}

bool Check::passed() const {
    if (!std::isfinite(measured) || !std::isfinite(expected)) return false;
    const double diff = std::abs(measured - expected);
    switch (criterion) {
        case Criterion::absolute:
            return diff <= tolerance;
        case Criterion::relative:
            return diff <= tolerance * std::abs(expected);
        case Criterion::standard_errors:
            return standard_error && diff <= tolerance * *standard_error + absolute_floor;
        case Criterion::at_most:
            return measured <= expected + tolerance;
    }
    return false;
}

nlohmann::json Check::to_json() const {
    nlohmann::json j = {{"name", name},
                        {"expected", expected},
                        {"measured", measured},
                        {"tolerance", tolerance},
                        {"criterion", criterion_name(criterion)},
                        {"passed", passed()}};
    if (standard_error) {
        j["standard_error"] = *standard_error;
        j["z"] = *standard_error > 0 ? (measured - expected) / *standard_error : 0.0;
        if (absolute_floor > 0) j["absolute_floor"] = absolute_floor;
    }
    return j;
}

const Check& Result::check(Check c) {
    checks.push_back(std::move(c));
    return checks.back();
}

const Check& Result::check_se(std::string name, double expected, double measured, double se, double n_se,
                              double absolute_floor) {
    return check({std::move(name), expected, measured, n_se, Criterion::standard_errors, se, absolute_floor});
}

bool Result::passed() const {
    for (const auto& c : checks)
        if (!c.passed()) return false;
    return true;
}

}  // namespace ayslab::app
