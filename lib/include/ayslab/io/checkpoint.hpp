// Where a long optimisation keeps its state between sweeps. The optimiser turns its state into JSON
// and hands it here; this class alone touches the file (through the atomic writer, so a checkpoint is
// always whole, its folder is created, and its temporary name is unique per process).
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ayslab {

class Checkpoint {
  public:
    // `kind` names the checkpoint in errors ("AYS checkpoint"); an empty path disables checkpointing.
    Checkpoint(std::filesystem::path path, std::string kind);

    bool enabled() const { return !path_.empty(); }
    const std::filesystem::path& path() const { return path_; }
    // The saved state, or nothing when there is no file. A file that is not JSON is an InputError
    // (the file is left alone: the user may want it).
    std::optional<nlohmann::json> load() const;
    void save(const nlohmann::json& state) const;
    // The run is complete: the state is no longer needed.
    void remove() const;

  private:
    std::filesystem::path path_;
    std::string kind_;
};

}  // namespace ayslab
