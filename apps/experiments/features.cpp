// features: the image feature network FID and KID are computed in (docs/images.md, docs/features.md).
// Trains the small CNN classifier on Fashion-MNIST's training images (or loads one: features_model),
// reports its test accuracy and fingerprint, and checks the metrics on real images: FID between two
// halves of the test set against its finite-sample value over random splits, KID between the halves
// against 0, and FID rising with Gaussian blur and with added noise.
#include "ayslab/evaluation/feature_network.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <numeric>

#include "ayslab/data/io.hpp"
#include "ayslab/divergence/feature_distance.hpp"
#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/denoisers/network.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/stats.hpp"
#include "ayslab/streams.hpp"
#include "evaluate.hpp"
#include "keys.hpp"
#include "list.hpp"

namespace ayslab::app {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Rows `index` of a point set.
std::vector<double> rows_of(const PointSet& p, std::span<const std::size_t> index) {
    std::vector<double> out(index.size() * p.d);
    for (std::size_t i = 0; i < index.size(); ++i)
        std::copy_n(p.values.begin() + static_cast<std::ptrdiff_t>(index[i] * p.d), p.d,
                    out.begin() + static_cast<std::ptrdiff_t>(i * p.d));
    return out;
}

// A separable Gaussian blur of standard deviation s pixels (radius ceil(3 s), edges clamped) of n square
// images of side `side`.
std::vector<double> blurred(std::span<const double> images, std::size_t n, std::size_t side, double s) {
    const int r = static_cast<int>(std::ceil(3.0 * s));
    std::vector<double> k(static_cast<std::size_t>(2 * r + 1));
    double total = 0.0;
    for (int i = -r; i <= r; ++i) total += k[static_cast<std::size_t>(i + r)] = std::exp(-0.5 * i * i / (s * s));
    for (double& v : k) v /= total;
    const int w = static_cast<int>(side);
    auto at = [w](int i) { return std::clamp(i, 0, w - 1); };
    std::vector<double> out(images.size()), tmp(side * side);
    for (std::size_t m = 0; m < n; ++m) {
        const double* x = images.data() + m * side * side;
        double* y = out.data() + m * side * side;
        for (int row = 0; row < w; ++row)
            for (int col = 0; col < w; ++col) {
                double v = 0.0;
                for (int i = -r; i <= r; ++i) v += k[static_cast<std::size_t>(i + r)] * x[row * w + at(col + i)];
                tmp[static_cast<std::size_t>(row * w + col)] = v;
            }
        for (int row = 0; row < w; ++row)
            for (int col = 0; col < w; ++col) {
                double v = 0.0;
                for (int i = -r; i <= r; ++i) v += k[static_cast<std::size_t>(i + r)] * tmp[static_cast<std::size_t>(at(row + i) * w + col)];
                y[row * w + col] = v;
            }
    }
    return out;
}

Result run(const Config& cfg, const RunContext& ctx) {
    Result r;
    const std::filesystem::path dir = cfg.string("directory");
    const std::string model_in = cfg.string("features_model"), model_out = cfg.string("model_out");
    const std::string expected_fingerprint = cfg.string("features_fingerprint");
    const auto splits = static_cast<std::size_t>(cfg.integer("splits"));
    const auto blur = cfg.numbers("blur"), noise = cfg.numbers("added_noise");
    for (std::size_t k = 1; k < blur.size(); ++k)
        if (!(blur[k] > blur[k - 1])) throw InputError("key 'blur' must be increasing");
    for (std::size_t k = 1; k < noise.size(); ++k)
        if (!(noise[k] > noise[k - 1])) throw InputError("key 'added_noise' must be increasing");
    if (model_in.empty()) check_writable_target(model_out, "feature network");
    const auto test_file = dir / "t10k-images-idx3-ubyte.gz", test_labels_file = dir / "t10k-labels-idx1-ubyte.gz";
    if (!std::filesystem::exists(test_file))
        throw InputError(fmt::format("Fashion-MNIST not found at '{}' (install Debian's dataset-fashion-mnist)", test_file.string()));
    if (!torch_available())
        throw InputError("the features experiment needs LibTorch: this ayslab was built without LibTorch (install libtorch-dev)");
    const PointSet test = load_idx(test_file, true);
    const PointSet test_labels = load_idx(test_labels_file, false);
    auto labels_of = [](const PointSet& p) {
        std::vector<Label> y(p.n);
        for (std::size_t i = 0; i < p.n; ++i) y[i] = static_cast<Label>(p.values[i]);
        return y;
    };

    // The network: trained here (train_images of the training set, train_steps of Adam), or loaded.
    const auto t_train = Clock::now();
    std::vector<FeatureTrainingPoint> curve;
    FeatureNetworkOptions fo;
    fo.steps = static_cast<std::size_t>(cfg.integer("train_steps"));
    fo.batch = static_cast<std::size_t>(cfg.integer("batch"));
    fo.lr = cfg.number("lr");
    fo.width = static_cast<std::size_t>(cfg.integer("width"));
    fo.features = static_cast<std::size_t>(cfg.integer("feature_dim"));
    fo.seed = cfg.seed();
    auto network = [&] {
        if (!model_in.empty()) return FeatureNetwork::load(model_in);
        const auto n_train = static_cast<std::size_t>(cfg.integer("train_images"));
        const PointSet train = load_idx(dir / "train-images-idx3-ubyte.gz", true, n_train);
        const PointSet train_labels = load_idx(dir / "train-labels-idx1-ubyte.gz", false, n_train);
        if (train.n < n_train)
            throw InputError(fmt::format("Fashion-MNIST has {} training images, asked for {}", train.n, n_train));
        const bool show = ctx.progress;
        return FeatureNetwork::build(fo).trained(train, labels_of(train_labels), fo, &curve,
                                                 [&](const FeatureTrainingPoint& p) {
                                                     if (show && p.step % 500 == 0)
                                                         fmt::print(stderr, "[features] step {}: cross-entropy {:.4f}\n",
                                                                    p.step, p.loss);
                                                 });
    }();
    if (!expected_fingerprint.empty() && expected_fingerprint != network.fingerprint())
        throw InputError(fmt::format("the feature network's fingerprint is {}, not the {} asked for (FIDs are comparable "
                                     "only under the same features)",
                                     network.fingerprint(), expected_fingerprint));
    if (network.image_dim() != test.d)
        throw InputError(fmt::format("the feature network takes images of {} values; Fashion-MNIST's have {}",
                                     network.image_dim(), test.d));
    if (model_in.empty()) {
        r.timings["training"] = seconds_since(t_train);
        network.save(model_out);
    }

    // Features of the 10 000 test images, the test accuracy, and the FID of the halves: what one FID
    // of 10 000 images costs.
    const auto t_features = Clock::now();
    std::vector<double> features;
    std::vector<Label> predicted;
    network.evaluate(test.values, test.n, features, &predicted, ctx.threads);
    const std::size_t n = test.n, half = n / 2, f = network.feature_dim();
    const auto truth = labels_of(test_labels);
    std::size_t right = 0;
    for (std::size_t i = 0; i < n; ++i) right += predicted[i] == truth[i];
    const double accuracy = static_cast<double>(right) / static_cast<double>(n);
    auto fid_of = [&](std::span<const double> a, std::size_t na, std::span<const double> b, std::size_t nb) {
        return frechet_distance(feature_gaussian(a, na, f), feature_gaussian(b, nb, f));
    };
    const std::span<const double> all(features);
    const auto first = all.subspan(0, half * f), second = all.subspan(half * f, half * f);
    const double fid_halves = fid_of(first, half, second, half);
    r.timings["features_and_fid_10000_images"] = seconds_since(t_features);

    r.values["feature_network"] = {{"fingerprint", network.fingerprint()},
                                   {"file", model_in.empty() ? model_out : model_in},
                                   {"feature_dim", f},
                                   {"test_accuracy", accuracy}};
    if (!curve.empty()) {
        nlohmann::json c = nlohmann::json::array();
        for (const auto& p : curve) c.push_back({p.step, p.loss});
        r.values["feature_network"]["training_curve"] = c;
    }
    r.line(fmt::format("feature network {} ({} features): test accuracy {:.4f} on {} images", network.fingerprint(), f,
                       accuracy, n));
    r.check({"feature network test error <= 0.10 (accuracy >= 0.90)", 0.10, 1.0 - accuracy, 0.0, Criterion::at_most});

    // The finite-sample FID of two halves of one law, and KID's spread: `splits` random half splits of the
    // test set (KID on a tenth of kid_subsets each, at least 10).
    KernelDistanceOptions ko;
    ko.subsets = static_cast<std::size_t>(cfg.integer("kid_subsets"));
    ko.subset_size = static_cast<std::size_t>(cfg.integer("kid_subset_size"));
    ko.seed = cfg.seed();
    ko.threads = ctx.threads;
    KernelDistanceOptions split_ko = ko;
    split_ko.subsets = std::max<std::size_t>(10, ko.subsets / 10);
    Moments split_fid, split_kid;
    nlohmann::json split_values = nlohmann::json::array(), split_kids = nlohmann::json::array();
    for (std::size_t s = 0; s < splits; ++s) {
        std::vector<std::size_t> index(n);
        std::iota(index.begin(), index.end(), std::size_t{0});
        std::vector<double> u(n);
        fill_uniform({cfg.seed(), streams::image_distortions, s, 1}, u);
        for (std::size_t i = 0; i + 1 < n; ++i)
            std::swap(index[i], index[i + std::min(n - i - 1, static_cast<std::size_t>(u[i] * static_cast<double>(n - i)))]);
        const auto shuffled = rows_of({n, f, features}, index);
        const auto a = std::span<const double>(shuffled).subspan(0, half * f),
                   b = std::span<const double>(shuffled).subspan(half * f);
        const double v = fid_of(a, half, b, n - half);
        split_ko.seed = cfg.seed() + 1 + s;
        const double k = kernel_distance(a, half, b, n - half, f, split_ko).mean;
        split_fid.add(v);
        split_kid.add(k);
        split_values.push_back(v);
        split_kids.push_back(k);
    }
    const double sd = std::sqrt(split_fid.variance());
    r.values["halves"] = {{"fid", fid_halves},
                          {"random_splits",
                           {{"fid_mean", split_fid.mean()}, {"fid_sd", sd}, {"fid", split_values},
                            {"kid_mean", split_kid.mean()}, {"kid_se", split_kid.se_mean()}, {"kid", split_kids}}}};
    r.line(fmt::format("FID of the test set's two halves: {:.4g}; over {} random half splits {:.4g} ± {:.2g} (sd)",
                       fid_halves, splits, split_fid.mean(), sd));
    r.check({"FID of the test halves is the finite-sample FID of one law (within 2 sd of the random splits')",
             split_fid.mean(), fid_halves, 2.0 * sd, Criterion::absolute});
    const KernelDistance kid = kernel_distance(first, half, second, half, f, ko);
    r.values["halves"]["kid"] = {{"mean", kid.mean}, {"std", kid.std}, {"se", kid.se}, {"subset_size", kid.subset_size}};
    r.line(fmt::format("KID of the halves: {:.3g} ± {:.2g} (SE over {} subsets of {}); over the {} random splits "
                       "{:.3g} ± {:.2g} (SE)",
                       kid.mean, kid.se, ko.subsets, kid.subset_size, splits, split_kid.mean(), split_kid.se_mean()));
    // KID is unbiased: over independent random splits of one law its mean is 0. (The subsets of one
    // split overlap, so their spread understates that split's error; the splits' spread does not.)
    r.check({"KID of random half splits of the test set is 0 within 2 SE (over the splits)", 0.0, split_kid.mean(), 2.0,
             Criterion::standard_errors, split_kid.se_mean()});

    // Distortions of the first half against the second: FID must rise with each step.
    const std::size_t side = static_cast<std::size_t>(std::lround(std::sqrt(static_cast<double>(test.d))));
    const std::span<const double> first_images(test.values.data(), half * test.d);
    auto distorted_fid = [&](const std::vector<double>& images) {
        std::vector<double> g;
        network.evaluate(images, half, g, nullptr, ctx.threads);
        return fid_of(g, half, second, half);
    };
    auto ladder = [&](const std::string& what, const std::vector<double>& levels, auto make) {
        nlohmann::json rows = nlohmann::json::array();
        double previous = fid_halves;
        bool rising = true;
        std::string line = fmt::format("FID with {}: 0 -> {:.4g}", what, fid_halves);
        for (std::size_t k = 0; k < levels.size(); ++k) {
            const double v = distorted_fid(make(levels[k], k));
            rising = rising && v > previous;
            previous = v;
            rows.push_back({{"level", levels[k]}, {"fid", v}});
            line += fmt::format(", {} -> {:.4g}", levels[k], v);
        }
        r.values[what] = rows;
        r.line(line);
        r.check({fmt::format("FID rises with every step of {}", what), 1.0, rising ? 1.0 : 0.0, 0.0, Criterion::absolute});
    };
    ladder("blur", blur, [&](double s, std::size_t) { return blurred(first_images, half, side, s); });
    ladder("noise", noise, [&](double s, std::size_t k) {
        std::vector<double> x(first_images.begin(), first_images.end()), z(x.size());
        fill_normal({cfg.seed(), streams::image_distortions, k, 2}, z);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] += s * z[i];
        return x;
    });
    return r;
}

}  // namespace

Experiment features_experiment() {
    return {"features",
            "the image feature network of FID / KID: a CNN trained on Fashion-MNIST, its test accuracy and fingerprint, "
            "and the metrics checked on real images (test halves, blur, noise)",
            Schema{seed_key()} + shared_keys({"directory"}) +
                shared_keys({"train_steps", "batch", "lr", "model_out"}) +
                Schema{{"train_images", KeyType::integer, "Fashion-MNIST training images the network learns from", 100, 60000},
                       {"width", KeyType::integer, "channels of the first convolution (the second has twice)", 1, 4096},
                       {"feature_dim", KeyType::integer, "the feature dimension (penultimate layer)", 2, 4096},
                       {"features_model", KeyType::path, "a feature network file to use instead of training one"},
                       {"features_fingerprint", KeyType::string,
                        "the fingerprint the feature network must have (empty: any); a mismatch is refused"},
                       {"splits", KeyType::integer, "random half splits of the test set (FID's finite-sample spread)", 2, 1000},
                       {"kid_subsets", KeyType::integer, "KID subsets (torch-fidelity: 100)", 2, 100000},
                       {"kid_subset_size", KeyType::integer, "KID rows per subset, at most (torch-fidelity: 1000)", 2, 1e6},
                       {"blur", KeyType::number_list, "Gaussian blur standard deviations (pixels), increasing", 0.01, 20},
                       {"added_noise", KeyType::number_list, "added noise standard deviations (data units), increasing", 1e-6, 100}},
            run};
}

}  // namespace ayslab::app
