#include "ayslab/io/checkpoint.hpp"

#include <fmt/format.h>

#include <fstream>

#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/io/json_input.hpp"

namespace ayslab {

Checkpoint::Checkpoint(std::filesystem::path path, std::string kind) : path_(std::move(path)), kind_(std::move(kind)) {}

std::optional<nlohmann::json> Checkpoint::load() const {
    std::error_code ec;
    if (!enabled() || !std::filesystem::exists(path_, ec)) return std::nullopt;
    std::ifstream in(path_);
    if (!in) throw InputError(fmt::format("cannot open the {} '{}' to resume", kind_, path_.string()));
    auto doc = parse_json_input(in, path_.string());
    if (doc.is_discarded() || !doc.is_object())
        throw InputError(fmt::format("'{}' is not an {}", path_.string(), kind_));
    return doc;
}

void Checkpoint::save(const nlohmann::json& state) const {
    if (enabled()) write_text_atomically(path_, kind_, state.dump() + '\n');
}

void Checkpoint::remove() const {
    std::error_code ec;
    if (enabled()) std::filesystem::remove(path_, ec);
}

}  // namespace ayslab
