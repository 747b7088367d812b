// Built-in data sets by name: 2-D toys (ring of 8 Gaussians as a mixture; two moons, swiss roll and
// checkerboard as seeded point sets), Fashion-MNIST from Debian's dataset-fashion-mnist package, and
// point sets from files. Each comes with held-out draws for sample metrics.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ayslab/data/io.hpp"
#include "ayslab/data/data.hpp"
#include "ayslab/precision.hpp"

namespace ayslab {

struct DatasetOptions {
    std::size_t points = 4000;    // size of generated point sets (moons, swiss roll, checkerboard)
    std::size_t held_out = 4000;  // held-out draws
    std::uint64_t seed = 0;
    std::size_t subset = 10000;  // Fashion-MNIST training images used
    std::filesystem::path fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
    std::filesystem::path file{};              // for "file"
    std::filesystem::path labels_file{};       // for "file": one class label per row (0, 1, ...), optional
    // for "file": the rows (and labels, one column) in memory instead of the files (the Python binding's
    // arrays: nothing written to disk); each read as its file would be.
    std::shared_ptr<const PointSet> rows{};
    std::shared_ptr<const PointSet> label_rows{};
    std::filesystem::path held_out_file{};     // for "file": held-out rows from this file (same d), or
    double held_out_fraction = 0.0;            // a seeded split of `file` (0: no held-out set)
    Precision precision = Precision::float64;  // of the denoiser evaluations (mixtures, point sets)
    // Point sets: > 1 splits the data into this many shards over the MPI ranks (ShardedEmpiricalData,
    // data/sharded.hpp); threads is then the thread count of each rank's shard evaluations.
    std::size_t shards = 1;
    std::size_t threads = 1;
};

struct Dataset {
    std::string name;
    std::unique_ptr<Data> data;  // the distribution (data->denoiser() is its exact denoiser)
    PointSet held_out;               // independent draws (test images for Fashion-MNIST)
    std::vector<Label> held_out_labels;  // their classes where known (Fashion-MNIST's test labels), else empty
    std::size_t points = 0;          // rows of a point set (0 for a distribution such as ring8)
};

// The data sets, one registration each (lib/src/data/datasets.cpp): ring8, moons, swiss-roll,
// checkerboard, gaussian, mixture, mixture-file, fashion-mnist, file. Every list of data-set names is read from this table.
struct DatasetEntry {
    std::string name;
    std::string summary;
    bool toy = false;  // a built-in 2-D set (ays-toy runs these)
    Dataset (*make)(const DatasetOptions& options);
};
const std::vector<DatasetEntry>& dataset_registry();
Dataset make_dataset(std::string_view name, const DatasetOptions& options);
std::vector<std::string> dataset_names();
std::vector<std::string> toy_dataset_names();  // the 2-D sets

// The generators (n points, seeded; row i depends only on (seed, i)).
PointSet two_moons(std::size_t n, std::uint64_t seed, double noise = 0.05);
PointSet swiss_roll(std::size_t n, std::uint64_t seed, double noise = 0.05);
PointSet checkerboard(std::size_t n, std::uint64_t seed);

}  // namespace ayslab
