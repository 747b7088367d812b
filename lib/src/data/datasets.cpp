#include "ayslab/data/datasets.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ayslab/data/empirical.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/data/mixture.hpp"
#include "ayslab/data/sharded.hpp"
#include "ayslab/error.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/streams.hpp"

namespace ayslab {

namespace {

constexpr std::uint64_t held_out_offset = streams::held_out_rows;  // held-out rows use disjoint addresses

// Fills row i from (seed, i): 4 uniforms and 2 normals.
template <class Row>
PointSet generate(std::size_t n, std::uint64_t seed, std::uint64_t first, Row row) {
    PointSet ps{n, 2, std::vector<double>(2 * n)};
    for (std::size_t i = 0; i < n; ++i) {
        double u[4], z[2];
        fill_uniform({seed, static_cast<std::uint64_t>(Stream::data), first + i, 11}, u);
        fill_normal({seed, static_cast<std::uint64_t>(Stream::data), first + i, 12}, z);
        row(u, z, ps.values.data() + 2 * i);
    }
    return ps;
}

PointSet moons_from(std::size_t n, std::uint64_t seed, std::uint64_t first, double noise) {
    // scikit-learn's make_moons, centred: outer arc (cos, sin), inner arc (1 - cos, 0.5 - sin).
    return generate(n, seed, first, [&](const double* u, const double* z, double* out) {
        const double th = std::numbers::pi * u[0];
        const bool outer = u[1] < 0.5;
        out[0] = (outer ? std::cos(th) : 1.0 - std::cos(th)) - 0.5 + noise * z[0];
        out[1] = (outer ? std::sin(th) : 0.5 - std::sin(th)) - 0.25 + noise * z[1];
    });
}

PointSet roll_from(std::size_t n, std::uint64_t seed, std::uint64_t first, double noise) {
    // 2-D swiss roll: t in [1.5 pi, 4.5 pi], (t cos t, t sin t) / 7.
    return generate(n, seed, first, [&](const double* u, const double* z, double* out) {
        const double t = 1.5 * std::numbers::pi * (1.0 + 2.0 * u[0]);
        out[0] = t * std::cos(t) / 7.0 + noise * z[0];
        out[1] = t * std::sin(t) / 7.0 + noise * z[1];
    });
}

PointSet board_from(std::size_t n, std::uint64_t seed, std::uint64_t first) {
    // Uniform on the black squares of a 4 x 4 board over [-2, 2]^2.
    return generate(n, seed, first, [&](const double* u, const double*, double* out) {
        const double x = 4.0 * u[0] - 2.0;
        double y = 4.0 * u[1] - 2.0;
        if ((static_cast<long>(std::floor(x)) + static_cast<long>(std::floor(y))) % 2 != 0)
            y += y < 1.0 ? 1.0 : -3.0;
        out[0] = x;
        out[1] = y;
    });
}

std::unique_ptr<GaussianMixture> ring8() {
    // 8 Gaussians on a circle of radius 2, std 0.1.
    std::vector<double> means;
    for (int k = 0; k < 8; ++k) {
        const double a = 2.0 * std::numbers::pi * k / 8.0;
        means.push_back(2.0 * std::cos(a));
        means.push_back(2.0 * std::sin(a));
    }
    return std::make_unique<GaussianMixture>(std::vector<double>(8, 1.0), means, std::vector<double>(8, 0.01),
                                             2);
}

}  // namespace

PointSet two_moons(std::size_t n, std::uint64_t seed, double noise) { return moons_from(n, seed, 0, noise); }
PointSet swiss_roll(std::size_t n, std::uint64_t seed, double noise) { return roll_from(n, seed, 0, noise); }
PointSet checkerboard(std::size_t n, std::uint64_t seed) { return board_from(n, seed, 0); }

namespace {

// Point sets get the ideal denoiser, sharded over MPI ranks when asked (data/sharded.hpp).
// labels (one per row, or empty): the rows' classes (a sharded set takes none).
std::unique_ptr<Data> empirical(PointSet ps, const DatasetOptions& o, const std::vector<Label>& labels = {}) {
    if (o.shards > 1) {
        auto data = std::make_unique<ShardedEmpiricalData>(ps.values, ps.d, o.shards, o.threads);
        data->set_precision(o.precision);
        return data;
    }
    auto data = std::make_unique<EmpiricalData>(std::move(ps.values), ps.d);
    if (!labels.empty()) data->set_classes(labels);
    data->set_precision(o.precision);
    return data;
}

// Class labels from one column of non-negative integers (`where` names the source in errors): the
// first `rows` of it, and exactly `rows` unless max_rows > 0.
std::vector<Label> labels_of(const PointSet& ps, const std::string& where, std::size_t rows, std::size_t max_rows) {
    if (ps.d != 1) throw InputError(fmt::format("{} has {} columns; it needs one label per row", where, ps.d));
    if (ps.n < rows || (max_rows == 0 && ps.n != rows))
        throw InputError(fmt::format("{} has {} rows; the data has {}", where, ps.n, rows));
    std::vector<Label> labels(rows);
    for (std::size_t i = 0; i < rows; ++i) {
        const double v = ps.values[i];
        if (!(v >= 0.0) || v != std::floor(v) || v > 1e6)
            throw InputError(fmt::format("{}: row {} has label {}; labels are integers 0, 1, ...", where, i, v));
        labels[i] = static_cast<Label>(v);
    }
    return labels;
}

// Class labels from a file of one non-negative integer per row (.csv / .txt / .npy / IDX).
std::vector<Label> load_labels(const std::filesystem::path& path, std::size_t rows, std::size_t max_rows = 0) {
    const PointSet ps = path.extension() == ".gz" || path.string().ends_with("-ubyte")
                            ? load_idx(path, false, max_rows)
                            : load_points(path);
    return labels_of(ps, fmt::format("labels file '{}'", path.string()), rows, max_rows);
}

// The moon of each two-moons row (0 = the outer arc), from the generator's own uniforms.
std::vector<Label> moon_labels(std::size_t n, std::uint64_t seed, std::uint64_t first) {
    std::vector<Label> labels(n);
    for (std::size_t i = 0; i < n; ++i) {
        double u[4];
        fill_uniform({seed, static_cast<std::uint64_t>(Stream::data), first + i, 11}, u);
        labels[i] = u[1] < 0.5 ? 0 : 1;  // as moons_from: outer = u[1] < 0.5
    }
    return labels;
}

Dataset make_ring8(const DatasetOptions& o) {
    Dataset ds;
    auto mix = ring8();
    mix->set_classes({0, 1, 2, 3, 4, 5, 6, 7});  // component = class
    mix->set_precision(o.precision);
    ds.held_out = {o.held_out, 2, std::vector<double>(2 * o.held_out)};
    mix->sample(o.held_out, o.seed, held_out_offset, ds.held_out.values);
    ds.data = std::move(mix);
    return ds;
}

// A generated 2-D point set: `points` rows for the data, `held_out` more at disjoint addresses.
template <PointSet (*generate)(std::size_t, std::uint64_t, std::uint64_t),
          std::vector<Label> (*labels)(std::size_t, std::uint64_t, std::uint64_t) = nullptr>
Dataset make_generated(const DatasetOptions& o) {
    Dataset ds;
    std::vector<Label> classes;
    if constexpr (labels != nullptr) classes = labels(o.points, o.seed, 0);
    ds.data = empirical(generate(o.points, o.seed, 0), o, classes);
    ds.points = o.points;
    ds.held_out = generate(o.held_out, o.seed, held_out_offset);
    return ds;
}
PointSet moons(std::size_t n, std::uint64_t seed, std::uint64_t first) { return moons_from(n, seed, first, 0.05); }
PointSet roll(std::size_t n, std::uint64_t seed, std::uint64_t first) { return roll_from(n, seed, first, 0.05); }
PointSet board(std::size_t n, std::uint64_t seed, std::uint64_t first) { return board_from(n, seed, first); }

Dataset make_fashion_mnist(const DatasetOptions& o) {
    Dataset ds;
    const auto train = o.fashion_mnist_dir / "train-images-idx3-ubyte.gz";
    const auto test = o.fashion_mnist_dir / "t10k-images-idx3-ubyte.gz";
    if (!std::filesystem::exists(train))
        throw InputError(
            fmt::format("Fashion-MNIST not found at '{}' (install Debian's dataset-fashion-mnist)", train.string()));
    auto images = load_idx(train, true, o.subset);
    if (images.n < o.subset)
        throw InputError(fmt::format("Fashion-MNIST has {} training images, asked for {}", images.n, o.subset));
    ds.points = images.n;
    // The training labels (0-9: T-shirt ... ankle boot): the classes of the ideal denoiser.
    const auto label_file = o.fashion_mnist_dir / "train-labels-idx1-ubyte.gz";
    std::vector<Label> labels;
    if (std::filesystem::exists(label_file)) labels = load_labels(label_file, images.n, images.n);
    ds.data = empirical(std::move(images), o, labels);
    ds.held_out = load_idx(test, true, o.held_out);
    // The test labels: the image judge's per-class reference rows (evaluation.hpp, ImageJudge).
    if (const auto test_labels = o.fashion_mnist_dir / "t10k-labels-idx1-ubyte.gz";
        !labels.empty() && std::filesystem::exists(test_labels))
        ds.held_out_labels = load_labels(test_labels, ds.held_out.n, ds.held_out.n);
    if (ds.held_out.n < o.held_out)
        throw InputError(
            fmt::format("Fashion-MNIST has {} test images, asked for {} held out", ds.held_out.n, o.held_out));
    return ds;
}

// Held-out draws of a data set that samples itself (at addresses training and metrics never use).
template <class D>
Dataset exact_set(std::unique_ptr<D> data, const DatasetOptions& o) {
    Dataset ds;
    ds.held_out = {o.held_out, data->dim(), std::vector<double>(data->dim() * o.held_out)};
    data->sample(o.held_out, o.seed, held_out_offset, ds.held_out.values);
    ds.data = std::move(data);
    return ds;
}

// A 2-D Gaussian with unequal variances and a non-zero mean: every denoiser, loss and KL is closed form.
Dataset make_gaussian(const DatasetOptions& o) {
    return exact_set(std::make_unique<DiagonalGaussian>(std::vector<double>{0.5, -0.3}, std::vector<double>{0.4, 1.0}), o);
}

// Three anisotropic 2-D Gaussians of unequal weights: an exact multimodal denoiser that is not a ring.
Dataset make_mixture(const DatasetOptions& o) {
    auto mix = std::make_unique<GaussianMixture>(std::vector<double>{0.5, 0.3, 0.2},
                                                 std::vector<double>{-1.5, 0.0, 1.0, 1.2, 1.0, -1.0},
                                                 std::vector<double>{0.04, 0.25, 0.09, 0.01, 0.16, 0.04}, 2);
    mix->set_classes({0, 1, 2});  // component = class
    mix->set_precision(o.precision);
    return exact_set(std::move(mix), o);
}

// A user's Gaussian mixture (JSON: weights, means, variances; any d): exact denoiser, score and density.
Dataset make_mixture_file(const DatasetOptions& o) {
    if (o.file.empty()) throw InputError("data set 'mixture-file' needs file=MIXTURE.json (weights, means, variances)");
    auto mix = load_mixture(o.file);
    mix->set_precision(o.precision);
    return exact_set(std::move(mix), o);
}

// A user's point set. Held-out rows for sliced W2 come from a second file (same d) or from a seeded
// split of this one: a random held_out_fraction of the rows (at least 1), which the data then lacks.
Dataset make_file(const DatasetOptions& o) {
    if (o.file.empty() && !o.rows) throw InputError("data set 'file' needs a file path");
    Dataset ds;
    PointSet ps = o.rows ? *o.rows : load_points(o.file);
    if (o.rows && (ps.n == 0 || ps.d == 0 || ps.values.size() != ps.n * ps.d))
        throw InputError(fmt::format("data: needs at least one row of at least one value, got {} x {}", ps.n, ps.d));
    std::vector<Label> labels = o.label_rows        ? labels_of(*o.label_rows, "labels", ps.n, 0)
                                : o.labels_file.empty() ? std::vector<Label>{}
                                                        : load_labels(o.labels_file, ps.n);
    if (!o.held_out_file.empty()) {
        ds.held_out = load_points(o.held_out_file);
        if (ds.held_out.d != ps.d)
            throw InputError(fmt::format("held_out_file '{}' has dimension {}, the data file {}", o.held_out_file.string(),
                                         ds.held_out.d, ps.d));
    } else if (o.held_out_fraction > 0.0) {
        const std::size_t m = std::max<std::size_t>(
            1, static_cast<std::size_t>(std::ceil(o.held_out_fraction * static_cast<double>(ps.n))));
        if (ps.n < m + 2)
            throw InputError(fmt::format("held_out_fraction = {} of {} rows leaves fewer than 2 to train on",
                                         o.held_out_fraction, ps.n));
        // Fisher-Yates on row indices with uniforms addressed by (seed, data stream, row): the split
        // depends only on the seed and n.
        std::vector<std::size_t> order(ps.n);
        for (std::size_t i = 0; i < ps.n; ++i) order[i] = i;
        std::vector<double> u(ps.n);
        fill_uniform({o.seed, static_cast<std::uint64_t>(Stream::data), held_out_offset, 1}, u);
        for (std::size_t i = ps.n - 1; i > 0; --i)
            std::swap(order[i], order[std::min(i, static_cast<std::size_t>(u[i] * static_cast<double>(i + 1)))]);
        std::vector<bool> held(ps.n, false);
        for (std::size_t k = 0; k < m; ++k) held[order[k]] = true;
        PointSet kept{0, ps.d, {}};
        ds.held_out = {0, ps.d, {}};
        std::vector<Label> kept_labels;
        for (std::size_t i = 0; i < ps.n; ++i) {
            if (!labels.empty() && !held[i]) kept_labels.push_back(labels[i]);
            auto& to = held[i] ? ds.held_out : kept;
            to.values.insert(to.values.end(), ps.values.begin() + static_cast<std::ptrdiff_t>(i * ps.d),
                             ps.values.begin() + static_cast<std::ptrdiff_t>((i + 1) * ps.d));
            ++to.n;
        }
        ps = std::move(kept);
        // A class whose rows all went to the held-out split would vanish (and "label=2 is outside the
        // data's 2 classes" named the wrong cause): said here, naming the class and the split.
        if (!labels.empty()) {
            const Label classes = *std::max_element(labels.begin(), labels.end()) + 1;
            std::vector<bool> kept_class(static_cast<std::size_t>(classes), false);
            for (const Label y : kept_labels) kept_class[static_cast<std::size_t>(y)] = true;
            for (Label y = 0; y < classes; ++y)
                if (!kept_class[static_cast<std::size_t>(y)])
                    throw InputError(fmt::format("class {} of labels file '{}' has no rows left after the held-out split "
                                                 "(held_out_fraction = {}): lower held_out_fraction, or give "
                                                 "held_out_file",
                                                 y, o.label_rows ? std::string("(in memory)") : o.labels_file.string(), o.held_out_fraction));
        }
        labels = std::move(kept_labels);
    }
    ds.points = ps.n;
    ds.data = empirical(std::move(ps), o, labels);
    return ds;
}

}  // namespace

const std::vector<DatasetEntry>& dataset_registry() {
    // name, summary, 2-D toy set, factory
    static const std::vector<DatasetEntry> table = {
        {"ring8", "8 Gaussians (std 0.1) on a circle of radius 2: an exact mixture", true, make_ring8},
        {"moons", "two moons, `points` samples with noise 0.05 (ideal denoiser; the moon is the class)", true,
         make_generated<moons, moon_labels>},
        {"swiss-roll", "2-D swiss roll, `points` samples with noise 0.05", true, make_generated<roll>},
        {"checkerboard", "4x4 checkerboard, `points` uniform samples", true, make_generated<board>},
        {"gaussian", "a 2-D Gaussian N((0.5, -0.3), diag(0.16, 1)): everything closed form", true, make_gaussian},
        {"mixture", "3 anisotropic 2-D Gaussians, weights 0.5 / 0.3 / 0.2: an exact mixture", true, make_mixture},
        {"mixture-file", "a Gaussian mixture from `file` (JSON: weights, means, variances; any d): exact", false,
         make_mixture_file},
        {"fashion-mnist", "Fashion-MNIST training images (`subset`), d = 784", false, make_fashion_mnist},
        {"file", "a point set from `file` (.csv, .txt, .npy, .idx, .gz)", false, make_file},
    };
    return table;
}

std::vector<std::string> dataset_names() {
    std::vector<std::string> names;
    for (const auto& e : dataset_registry()) names.push_back(e.name);
    return names;
}

std::vector<std::string> toy_dataset_names() {
    std::vector<std::string> names;
    for (const auto& e : dataset_registry())
        if (e.toy) names.push_back(e.name);
    return names;
}

Dataset make_dataset(std::string_view name, const DatasetOptions& o) {
    // held_out_file belongs to data=file: elsewhere it would be silently unused.
    if (!o.held_out_file.empty() && name != "file")
        throw InputError(fmt::format("held_out_file is for data=file; data set '{}' holds out its own rows (remove "
                                     "held_out_file, or use data=file)",
                                     name));
    // labels too (it was ignored with built-in data, even a missing file): built-in sets have their own.
    if ((!o.labels_file.empty() || o.label_rows) && name != "file")
        throw InputError(fmt::format("labels is for data=file; data set '{}' has its own classes (remove labels, or use "
                                     "data=file)",
                                     name));
    for (const auto& e : dataset_registry())
        if (e.name == name) {
            Dataset ds = e.make(o);
            ds.name = e.name;
            return ds;
        }
    throw InputError(fmt::format("unknown data set '{}' (known: {})", name, fmt::join(dataset_names(), ", ")));
}

}  // namespace ayslab
