#include "ayslab/io/fingerprint.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ayslab {

namespace {
// The first leaf where two JSON fingerprints differ, "config/data: \"ring8\" then, \"moons\" now".
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& path) {
    if (a.is_object() && b.is_object()) {
        for (const auto& [key, value] : b.items()) {
            const auto sub = path.empty() ? key : path + "/" + key;
            if (!a.contains(key)) return fmt::format("'{}' was not set then", sub);
            if (auto d = first_difference(a[key], value, sub); !d.empty()) return d;
        }
        for (const auto& [key, value] : a.items())
            if (!b.contains(key)) return fmt::format("'{}' is not set now", path.empty() ? key : path + "/" + key);
        return "";
    }
    if (a == b) return "";
    return fmt::format("'{}' was {} then, {} now", path, a.dump(), b.dump());
}

}  // namespace

std::string fingerprint_difference(const std::string& then, const std::string& now) {
    if (then == now) return "";
    const auto a = nlohmann::json::parse(then, nullptr, false), b = nlohmann::json::parse(now, nullptr, false);
    if (a.is_discarded() || b.is_discarded()) return "its data, files or settings differ";
    const auto d = first_difference(a, b, "");
    return d.empty() ? "its data, files or settings differ" : d;
}

}  // namespace ayslab
