#include "ayslab/io/checkpoint.hpp"

#include <fmt/format.h>

#include <fstream>

#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/io/json_input.hpp"
#include "ayslab/io/read_file.hpp"

namespace ayslab {

Checkpoint::Checkpoint(std::filesystem::path path, std::string kind) : path_(std::move(path)), kind_(std::move(kind)) {}

std::optional<nlohmann::json> Checkpoint::load() const {
    std::error_code ec;
    if (!enabled()) return std::nullopt;
    refuse_symlink(path_, kind_);
    if (!std::filesystem::exists(path_, ec)) return std::nullopt;
    // A FIFO or device in the checkpoint's place would block or never end: refused before open().
    const auto text = read_regular_file(path_, kind_);
    auto doc = parse_json_input(text, path_.string());
    if (doc.is_discarded() || !doc.is_object())
        throw InputError(fmt::format("'{}' is not an {}", path_.string(), kind_));
    return doc;
}

void Checkpoint::save(const nlohmann::json& state) const {
    if (!enabled()) return;
    refuse_symlink(path_, kind_);
    write_text_atomically(path_, kind_, state.dump() + '\n');
}

void Checkpoint::remove() const {
    std::error_code ec;
    if (enabled()) std::filesystem::remove(path_, ec);
}

}  // namespace ayslab
