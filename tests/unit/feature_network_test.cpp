// The feature network of FID / KID (feature_network.hpp; LibTorch builds only).
#include "ayslab/evaluation/feature_network.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ayslab/data/empirical.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/divergence/feature_distance.hpp"
#include "ayslab/error.hpp"
#include "ayslab/evaluation/evaluation.hpp"
#include "ayslab/rng.hpp"
#include "ayslab/solver/registry.hpp"
#include "ayslab/streams.hpp"

using namespace ayslab;

namespace {

// n 8x8 images of 3 classes: class c lights up rows 2c .. 2c + 1 (value 1, else -1), plus noise of sd
// 0.5; label i % 3. Separable by a linear read-out of the pooled features.
PointSet images(std::size_t n, std::uint64_t seed, std::vector<Label>& labels) {
    PointSet p{n, 64, std::vector<double>(n * 64)};
    fill_normal({seed, 900, 0, 0}, p.values);
    labels.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        labels[i] = static_cast<Label>(i % 3);
        for (std::size_t k = 0; k < 64; ++k) {
            const std::size_t row = k / 8;
            const bool lit = row / 2 == static_cast<std::size_t>(labels[i]);
            p.values[i * 64 + k] = (lit ? 1.0 : -1.0) + 0.5 * p.values[i * 64 + k];
        }
    }
    return p;
}

FeatureNetworkOptions tiny() {
    FeatureNetworkOptions o;
    o.side = 8;
    o.width = 4;
    o.features = 8;
    o.classes = 3;
    o.steps = 150;
    o.batch = 32;
    o.lr = 5e-3;
    o.warmup = 10;
    o.seed = 3;
    return o;
}

// The judge's evaluation of 6-step Euler samples, every end point kept (with its label) for recomputing.
SampleQuality judged_by_euler(const Problem& problem, std::size_t particles, std::size_t seeds, std::uint64_t seed) {
    EvaluationOptions eo;
    eo.particles = particles;
    eo.seeds = seeds;
    eo.seed = seed;
    eo.projections = 8;
    eo.keep = particles;
    return evaluate_samples(problem, *make_solver("euler"), karras(6, 0.002, 80.0), eo);
}

}  // namespace

TEST_CASE("the feature network learns a separable image task, for a seed bit for bit, and its file keeps the bits") {
    std::vector<Label> y, y_test;
    const PointSet train = images(600, 1, y), test = images(300, 2, y_test);
    const auto o = tiny();
    const FeatureNetwork untrained = FeatureNetwork::build(o);
    CHECK(untrained.image_dim() == 64);
    CHECK(untrained.feature_dim() == 8);
    const FeatureNetwork net = untrained.trained(train, y, o);
    std::vector<double> f;
    std::vector<Label> predicted;
    net.evaluate(test.values, test.n, f, &predicted, 1, 128);  // (batches of 128: 3 calls)
    REQUIRE(f.size() == 300 * 8);
    std::size_t right = 0;
    for (std::size_t i = 0; i < test.n; ++i) right += predicted[i] == y_test[i];
    // Images shuffled against their labels, or a loss that does not train, stay near chance (1/3).
    CHECK(static_cast<double>(right) / 300.0 >= 0.95);
    // Features are the ReLU layer's: never negative.
    for (double v : f) CHECK(v >= 0.0);
    // Same seed, same network (the fingerprint covers every parameter bit); another seed, another one.
    CHECK(untrained.trained(train, y, o).fingerprint() == net.fingerprint());
    auto other = o;
    other.seed = 4;
    CHECK(FeatureNetwork::build(other).trained(train, y, other).fingerprint() != net.fingerprint());
    CHECK(net.fingerprint() != untrained.fingerprint());
    CHECK(net.fingerprint().rfind("fnv1a64:", 0) == 0);
    CHECK(net.fingerprint().size() == 8 + 16);
    // Save and load: the same fingerprint and the same features, bit for bit.
    const auto path = std::filesystem::temp_directory_path() / ("ayslab-features-" + std::to_string(::getpid()) + ".pt");
    net.save(path);
    const FeatureNetwork loaded = FeatureNetwork::load(path);
    std::filesystem::remove(path);
    CHECK(loaded.fingerprint() == net.fingerprint());
    CHECK(loaded.feature_dim() == 8);
    CHECK(loaded.classes() == 3);
    std::vector<double> g;
    loaded.evaluate(test.values, test.n, g, nullptr, 1, 1000);
    CHECK(g == f);
}

TEST_CASE("the feature network refuses images of another size and labels outside its classes, in one line") {
    const FeatureNetwork net = FeatureNetwork::build(tiny());
    std::vector<double> f;
    const std::vector<double> wrong(2 * 784, 0.0);
    CHECK_THROWS_WITH_AS(net.evaluate(wrong, 2, f), doctest::Contains("takes images of 64 values; got 1568 values for 2 images"),
                         InputError);
    std::vector<Label> y;
    PointSet p = images(30, 1, y);
    y[5] = 7;
    CHECK_THROWS_WITH_AS(net.trained(p, y, tiny()), "label 7 is outside the network's 3 classes", InputError);
    auto bad = tiny();
    bad.side = 10;
    CHECK_THROWS_AS(FeatureNetwork::build(bad), InputError);
}

// The image judge inside a sample evaluation (evaluation.hpp): each seed's FID and KID are those of the
// seed's samples' features against the reference images' (KID's subsets drawn at the seed's address,
// kid_subsets of them), and the NLL is left out. A judge that drew its KID rows at another address, took
// another reference or subset count, or judged another seed's samples, differs here.
TEST_CASE("the image judge's per-seed FID and KID are the features' of that seed's samples against the reference") {
    std::vector<Label> y;
    const PointSet train = images(300, 1, y);
    const auto o = tiny();
    const FeatureNetwork net = FeatureNetwork::build(o).trained(train, y, o);
    // 8x8 "images" from a Gaussian (its exact denoiser samples them); the reference: 200 draws of it.
    const auto data = DiagonalGaussian::isotropic(64, 0.0, 1.0);
    PointSet real{200, 64, std::vector<double>(200 * 64)};
    data.sample(200, 7, 0, real.values);
    ImageJudge judge = ImageJudge::of(net, real);
    judge.kid_subsets = 4;
    Problem problem{"gauss64", &data, &data, &real};
    problem.images = &judge;
    const SampleQuality q = judged_by_euler(problem, 40, 2, 5);
    REQUIRE(q.fid_per_seed.size() == 2);
    REQUIRE(q.kid_per_seed.size() == 2);
    CHECK(q.nll.count() == 0);  // the image judge leaves the NLL out
    std::vector<double> f;
    net.evaluate(q.first_samples, 40, f, nullptr, 1);
    const KernelDistance kid = kernel_distance(f, 40, judge.reference_features, 200, 8,
                                               {4, 1000, streams::evaluation_seed(5, 0), 1});
    CHECK(q.kid_per_seed[0] == kid.mean);
    CHECK(q.fid_per_seed[0] == frechet_distance(feature_gaussian(f, 40, 8), judge.reference));
    CHECK(q.kid_per_seed[1] != q.kid_per_seed[0]);
}

// The per-class KID of a labelled problem (evaluation.hpp, SampleQuality::kid_by_class): class y's value is
// the KID of the samples drawn at class y against the real rows labelled y, its subsets at
// streams::class_kid_subsets. A judge that paired a class's samples with another class's references,
// misaligned the sample labels, or drew at the all-class address, differs here.
TEST_CASE("the image judge's per-class KID is each class's samples against that class's real rows") {
    std::vector<Label> y, y_real;
    const PointSet train = images(300, 1, y), real = images(240, 2, y_real);
    const auto o = tiny();
    const FeatureNetwork net = FeatureNetwork::build(o).trained(train, y, o);
    EmpiricalData data(train.values, 64);
    data.set_classes(y);
    ImageJudge judge = ImageJudge::of(net, real, 1, y_real);
    judge.kid_subsets = 3;
    REQUIRE(judge.class_features.size() == 3);
    Problem problem{"images8x8", &data, &data, &real};
    problem.images = &judge;
    problem.labelled = true;
    const SampleQuality q = judged_by_euler(problem, 60, 1, 11);
    REQUIRE(q.kid_by_class.size() == 3);
    REQUIRE(q.first_labels.size() == 60);
    std::vector<double> f;
    net.evaluate(q.first_samples, 60, f, nullptr, 1);
    for (Label c = 0; c < 3; ++c) {
        std::vector<double> mine, theirs;
        PointSet rows{0, 64, {}};
        for (std::size_t i = 0; i < 60; ++i)
            if (q.first_labels[i] == c) mine.insert(mine.end(), f.begin() + i * 8, f.begin() + (i + 1) * 8);
        for (std::size_t i = 0; i < real.n; ++i)
            if (y_real[i] == c) {
                rows.values.insert(rows.values.end(), real.values.begin() + i * 64, real.values.begin() + (i + 1) * 64);
                ++rows.n;
            }
        net.evaluate(rows.values, rows.n, theirs, nullptr, 1);
        const std::size_t n = mine.size() / 8;
        REQUIRE(n >= 2);
        const KernelDistance kid = kernel_distance(
            mine, n, theirs, rows.n, 8,
            {3, 1000, streams::class_kid_subsets(streams::evaluation_seed(11, 0), static_cast<std::uint64_t>(c)), 1});
        CHECK(q.kid_by_class[static_cast<std::size_t>(c)].mean() == kid.mean);
        CHECK(q.kid_by_class[static_cast<std::size_t>(c)].count() == 1);
    }
}
