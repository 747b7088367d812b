#include "config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <sstream>

#include "ayslab/io/json_input.hpp"
#include "ayslab/error.hpp"

namespace ayslab::app {

std::string type_name(KeyType type) {
    switch (type) {
        case KeyType::integer:
            return "integer";
        case KeyType::number:
            return "number";
        case KeyType::boolean:
            return "boolean";
        case KeyType::string:
            return "string";
        case KeyType::path:
            return "path";
        case KeyType::integer_list:
            return "list of integers";
        case KeyType::number_list:
            return "list of numbers";
        case KeyType::string_list:
            return "list of strings";
    }
    return "?";
}

const KeySpec* find_key(const Schema& schema, const std::string& name) {
    for (const auto& k : schema)
        if (k.name == name) return &k;
    return nullptr;
}

namespace {

bool is_list(KeyType t) {
    return t == KeyType::integer_list || t == KeyType::number_list || t == KeyType::string_list;
}

KeyType element_type(KeyType t) {
    if (t == KeyType::integer_list) return KeyType::integer;
    if (t == KeyType::number_list) return KeyType::number;
    if (t == KeyType::string_list) return KeyType::string;
    return t;
}

std::string show(const nlohmann::json& v) {
    auto s = v.dump();
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// Validates (and normalises: integral numbers for integer keys) one scalar.
void check_scalar(const KeySpec& spec, KeyType type, nlohmann::json& v, const std::string& where) {
    auto fail = [&](const std::string& why) {
        throw InputError(fmt::format("{}: key '{}' {}", where, spec.name, why));
    };
    switch (type) {
        case KeyType::integer: {
            if (v.is_number_float()) {
                const double d = v.get<double>();
                if (!std::isfinite(d) || d != std::floor(d) || std::abs(d) > 9e15)
                    fail(fmt::format("must be an integer, got {}", show(v)));
                v = static_cast<std::int64_t>(d);
            } else if (!v.is_number_integer()) {
                fail(fmt::format("must be an integer, got {}", show(v)));
            }
            break;
        }
        case KeyType::number:
            if (!v.is_number()) fail(fmt::format("must be a number, got {}", show(v)));
            if (!std::isfinite(v.get<double>())) fail("must be finite");
            break;
        case KeyType::boolean:
            if (!v.is_boolean()) fail(fmt::format("must be true or false, got {}", show(v)));
            return;
        case KeyType::path:
            if (!v.is_string()) fail(fmt::format("must be a file path (a string), got {}", show(v)));
            return;
        case KeyType::string:
            if (!v.is_string()) fail(fmt::format("must be a string, got {}", show(v)));
            if (!spec.choices.empty()) {
                const auto s = v.get<std::string>();
                bool ok = false;
                for (const auto& c : spec.choices) ok = ok || c == s;
                if (!ok)
                    fail(fmt::format("has value '{}', not one of: {}", s, fmt::join(spec.choices, ", ")));
            }
            return;
        default:
            return;
    }
    const double d = v.get<double>();
    if (spec.min && d < *spec.min) fail(fmt::format("= {} is below its minimum {}", show(v), *spec.min));
    if (spec.max && d > *spec.max) fail(fmt::format("= {} is above its maximum {}", show(v), *spec.max));
}

void check_value(const KeySpec& spec, nlohmann::json& v, const std::string& where) {
    if (!is_list(spec.type)) {
        check_scalar(spec, spec.type, v, where);
        return;
    }
    // One value where a list is expected is the list of that value (as --set reads "euler"): a key
    // that became a list (stop_sampler) still takes the scalar older configs give it.
    if (!v.is_array() && !v.is_null() && !v.is_object()) v = nlohmann::json::array({v});
    if (!v.is_array() || v.empty())
        throw InputError(fmt::format("{}: key '{}' must be a non-empty {}, got {}", where, spec.name,
                                     type_name(spec.type), show(v)));
    for (auto& e : v) check_scalar(spec, element_type(spec.type), e, where);
}

}  // namespace

nlohmann::json parse_set_value(const KeySpec& spec, const std::string& text) {
    auto parsed = parse_json_input(text, fmt::format("--set {}", spec.name));
    if (parsed.is_discarded()) parsed = text;
    if (is_list(spec.type) && parsed.is_number()) return nlohmann::json::array({parsed});
    if (is_list(spec.type) && parsed.is_string()) {
        nlohmann::json arr = nlohmann::json::array();
        std::stringstream ss(text);
        for (std::string item; std::getline(ss, item, ',');) {
            auto e = parse_json_input(item, fmt::format("--set {}", spec.name));
            arr.push_back(e.is_discarded() ? nlohmann::json(item) : e);
        }
        return arr;
    }
    return parsed;
}

Config make_config(const Schema& schema, const nlohmann::json& defaults, const nlohmann::json& overrides,
                   const std::string& origin) {
    nlohmann::json values = defaults;
    if (!overrides.is_object()) throw InputError(fmt::format("{}: a config must be a JSON object", origin));
    for (const auto& [key, value] : overrides.items()) {
        if (key == "experiment") continue;
        if (!find_key(schema, key)) {
            std::vector<std::string> names;
            for (const auto& k : schema) names.push_back(k.name);
            throw InputError(
                fmt::format("{}: unknown key '{}' (known: {})", origin, key, fmt::join(names, ", ")));
        }
        values[key] = value;
    }
    for (const auto& spec : schema) {
        if (!values.contains(spec.name))
            throw InputError(fmt::format("{}: missing required key '{}'", origin, spec.name));
        check_value(spec, values[spec.name], overrides.contains(spec.name) ? origin : "default config");
    }
    for (const auto& [key, value] : values.items())
        if (!find_key(schema, key) && key != "experiment")
            throw InputError(fmt::format("default config: key '{}' is not in the schema", key));
    values.erase("experiment");
    return Config(schema, std::move(values));
}

const nlohmann::json& Config::at(const std::string& key) const {
    if (!find_key(*schema_, key) || !values_.contains(key))
        throw std::logic_error("experiment reads undeclared config key '" + key + "'");
    return values_.at(key);
}

std::int64_t Config::integer(const std::string& key) const { return at(key).get<std::int64_t>(); }
double Config::number(const std::string& key) const { return at(key).get<double>(); }
bool Config::boolean(const std::string& key) const { return at(key).get<bool>(); }
std::string Config::string(const std::string& key) const { return at(key).get<std::string>(); }
std::shared_ptr<const PointSet> Config::array(const std::string& key) const {
    if (!values_.contains(key) || !values_.at(key).is_string() || values_.at(key).get<std::string>() != in_memory) return nullptr;
    if (memory_) {
        const auto it = memory_->arrays.find(key);
        if (it != memory_->arrays.end() && it->second) return it->second;
    }
    throw InputError(fmt::format("{}={}: no array came with the run for this key (it names rows handed over in memory by "
                                 "the Python binding)",
                                 key, in_memory));
}

const std::shared_ptr<const ModelFunction>& Config::memory_model() const {
    static const std::shared_ptr<const ModelFunction> none;
    return memory_ ? memory_->model : none;
}

std::vector<std::int64_t> Config::integers(const std::string& key) const {
    return at(key).get<std::vector<std::int64_t>>();
}
std::vector<double> Config::numbers(const std::string& key) const {
    return at(key).get<std::vector<double>>();
}
std::vector<std::string> Config::strings(const std::string& key) const {
    return at(key).get<std::vector<std::string>>();
}

}  // namespace ayslab::app
