// Experiment configs: a schema (keys, types, ranges) declared beside each experiment, defaults in
// experiments/NAME.json (embedded at build time), overrides from a file or --set. Every violation
// is an InputError naming the key.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ayslab::app {

// path: a string naming a file (or folder) the run reads. A path key's content, not its name, goes into
// the run's fingerprint (keys.hpp run_fingerprint), so every file a run reads is covered by its type.
enum class KeyType { integer, number, boolean, string, path, integer_list, number_list, string_list };

struct KeySpec {
    std::string name;
    KeyType type;
    std::string description;
    std::optional<double> min{};  // inclusive bounds for numbers and every list element
    std::optional<double> max{};
    std::vector<std::string> choices{};  // allowed strings (string and string_list), empty = any
};

using Schema = std::vector<KeySpec>;

// A validated config: every schema key present with a value of the right type and range.
class Config {
  public:
    Config(const Schema& schema, nlohmann::json values) : schema_(&schema), values_(std::move(values)) {}
    std::int64_t integer(const std::string& key) const;
    double number(const std::string& key) const;
    bool boolean(const std::string& key) const;
    std::string string(const std::string& key) const;
    std::vector<std::int64_t> integers(const std::string& key) const;
    std::vector<double> numbers(const std::string& key) const;
    std::vector<std::string> strings(const std::string& key) const;
    std::uint64_t seed() const { return static_cast<std::uint64_t>(integer("seed")); }
    const nlohmann::json& json() const { return values_; }
    const Schema& schema() const { return *schema_; }

  private:
    const nlohmann::json& at(const std::string& key) const;
    const Schema* schema_;
    nlohmann::json values_;
};

// Converts a --set value: JSON if it parses, otherwise the raw string; a comma list for list keys.
nlohmann::json parse_set_value(const KeySpec& spec, const std::string& text);

// Merges overrides into defaults and validates the result against the schema. `origin` names where
// the overrides came from for error messages.
Config make_config(const Schema& schema, const nlohmann::json& defaults, const nlohmann::json& overrides,
                   const std::string& origin);

const KeySpec* find_key(const Schema& schema, const std::string& name);

// Whether the run's denoiser is a model file: `denoiser = model` where the experiment has that key,
// otherwise a non-empty `model` (ays-trained: empty = train one).
inline bool model_given(const Config& config) {
    const auto& j = config.json();
    if (j.contains("denoiser")) return config.string("denoiser") == "model";
    return j.contains("model") && !config.string("model").empty();
}
std::string type_name(KeyType type);

}  // namespace ayslab::app
