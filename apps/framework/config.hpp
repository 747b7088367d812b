// Experiment configs: a schema (keys, types, ranges) declared beside each experiment, defaults in
// experiments/NAME.json (embedded at build time), overrides from a file or --set. Every violation
// is an InputError naming the key.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ayslab/data/io.hpp"

namespace ayslab {
class ModelFunction;
}

namespace ayslab::app {

// What a caller in the same process hands a run in memory instead of files (the Python binding's
// arrays and callables, docs/python.md): a path key whose value is "@memory" reads its rows from
// `arrays` under the key's name (file, labels, schedule_file, start), and model=@NAME calls `model`.
// Nothing is written to disk and nothing is registered process-wide: the values live with the run.
struct MemoryInputs {
    std::map<std::string, std::shared_ptr<const PointSet>> arrays;
    std::shared_ptr<const ModelFunction> model;
};
inline constexpr const char* in_memory = "@memory";

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
    // The rows of path key `key` when its value is "@memory" (nullptr otherwise); InputError when the
    // key says "@memory" and no rows came with the run.
    std::shared_ptr<const PointSet> array(const std::string& key) const;
    // The in-process model of model=@NAME (nullptr when none came with the run).
    const std::shared_ptr<const ModelFunction>& memory_model() const;
    void set_memory(std::shared_ptr<const MemoryInputs> memory) { memory_ = std::move(memory); }
    const std::shared_ptr<const MemoryInputs>& memory() const { return memory_; }

  private:
    const nlohmann::json& at(const std::string& key) const;
    const Schema* schema_;
    nlohmann::json values_;
    std::shared_ptr<const MemoryInputs> memory_{};
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
