// load_mixture: a Gaussian mixture (weights, means, diagonal or isotropic variances, any d) from JSON.
#include <fmt/format.h>

#include <cmath>

#include "ayslab/data/io.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/error.hpp"
#include "ayslab/io/json_input.hpp"

namespace ayslab {

namespace {
double number(const nlohmann::json& v, const std::string& where, bool positive) {
    if (!v.is_number()) throw InputError(fmt::format("{} is not a number", where));
    const double x = v.get<double>();
    if (!std::isfinite(x) || (positive && !(x > 0.0)))
        throw InputError(fmt::format("{} = {} is not a {}finite number", where, x, positive ? "positive " : ""));
    return x;
}
}  // namespace

std::unique_ptr<GaussianMixture> load_mixture(const std::filesystem::path& path) {
    const std::string where = path.filename().string();
    const auto j = parse_json_input(read_data_file(path), where);
    if (j.is_discarded()) throw InputError(fmt::format("{}: not valid JSON", where));
    if (!j.is_object()) throw InputError(fmt::format("{}: a mixture is an object with weights, means, variances", where));
    for (const auto& [key, value] : j.items())
        if (key != "weights" && key != "means" && key != "variances")
            throw InputError(fmt::format("{}: unknown field '{}' (a mixture has weights, means, variances)", where,
                                         key.substr(0, 40)));
    for (const char* key : {"weights", "means", "variances"})
        if (!j.contains(key) || !j[key].is_array() || j[key].empty())
            throw InputError(fmt::format("{}: '{}' must be a non-empty list", where, key));
    const auto& w = j["weights"];
    const auto& m = j["means"];
    const auto& v = j["variances"];
    const std::size_t k = w.size();
    if (m.size() != k || v.size() != k)
        throw InputError(fmt::format("{}: {} weights, {} means, {} variances: one of each per component", where, k,
                                     m.size(), v.size()));
    std::vector<double> weights, means, variances;
    std::size_t d = 0;
    for (std::size_t i = 0; i < k; ++i) {
        weights.push_back(number(w[i], fmt::format("{}: weights[{}]", where, i), true));
        if (!m[i].is_array() || m[i].empty())
            throw InputError(fmt::format("{}: means[{}] must be a non-empty list", where, i));
        if (i == 0) d = m[0].size();
        if (m[i].size() != d)
            throw InputError(fmt::format("{}: means[{}] has {} values, means[0] {}", where, i, m[i].size(), d));
        for (std::size_t c = 0; c < d; ++c) means.push_back(number(m[i][c], fmt::format("{}: means[{}][{}]", where, i, c), false));
    }
    const bool isotropic = !v[0].is_array();
    for (std::size_t i = 0; i < k; ++i) {
        if (isotropic) {
            variances.push_back(number(v[i], fmt::format("{}: variances[{}]", where, i), true));
            continue;
        }
        if (!v[i].is_array() || v[i].size() != d)
            throw InputError(fmt::format("{}: variances[{}] must be a list of {} values (or every entry one number)",
                                         where, i, d));
        for (std::size_t c = 0; c < d; ++c)
            variances.push_back(number(v[i][c], fmt::format("{}: variances[{}][{}]", where, i, c), true));
    }
    // The weights are normalised by their sum: a sum that overflows (weights of 1e308) would make every
    // weight 0 and the run break down mid-way (exit 3); refuse it here.
    double total = 0.0;
    for (double x : weights) total += x;
    if (!std::isfinite(total) || !(total > 0.0))
        throw InputError(fmt::format("{}: the weights sum to {}; they must sum to a positive finite number (they are "
                                     "normalised: 0.5 and 0.5, or 1 and 1)",
                                     where, total));
    return std::make_unique<GaussianMixture>(std::move(weights), std::move(means), std::move(variances), d);
}

}  // namespace ayslab
