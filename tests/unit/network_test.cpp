// Trained networks (LibTorch builds only): the MLP's EDM preconditioning, TorchScript save/load, bad
// model files, training that recovers the exact denoiser of 1-D Gaussian data, bit-identical reruns and
// resumes, and a non-finite loss stopping with the step. No torch headers here: the library's API only.
#include "ayslab/data/mixture.hpp"
#include "ayslab/denoisers/network.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "ayslab/data/datasets.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/error.hpp"
#include "ayslab/training/train.hpp"

using namespace ayslab;
namespace fs = std::filesystem;

namespace {
fs::path temp(const std::string& name) {
    return fs::temp_directory_path() / ("ayslab-test-net-" + std::to_string(::getpid()) + "-" + name);
}

// max over sigma in [0.01, 10] (12 log-spaced) and x at 9 quantiles of p_sigma of |D - D*| in units of
// the posterior standard deviation sqrt(Var[x0 | x]) = c sigma / sqrt(c^2 + sigma^2).
double worst_error(const Denoiser& den, double mu, double c) {
    const double z[] = {-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0};
    double worst = 0.0;
    for (int k = 0; k < 12; ++k) {
        const double sigma = 0.01 * std::pow(1000.0, k / 11.0), sd = std::sqrt(c * c + sigma * sigma);
        std::vector<double> x, out(9);
        for (double q : z) x.push_back(mu + q * sd);
        den.denoise(x, 9, sigma, out);
        for (std::size_t i = 0; i < 9; ++i) {
            const double exact = mu + c * c / (c * c + sigma * sigma) * (x[i] - mu);
            worst = std::max(worst, std::abs(out[i] - exact) / (c * sigma / sd));
        }
    }
    return worst;
}
}  // namespace

TEST_CASE("an untrained MLP is D = c_skip x (EDM preconditioning, zero output layer)") {
    MlpOptions o;
    o.dim = 2;
    o.sigma_data = 0.7;
    const NetworkDenoiser den(Network::mlp(o));
    const std::vector<double> x = {0.3, -1.2, 2.0, 0.5};
    std::vector<double> out(4);
    for (double sigma : {0.01, 0.7, 20.0}) {
        den.denoise(x, 2, sigma, out);
        const double c_skip = 0.49 / (sigma * sigma + 0.49);
        for (std::size_t k = 0; k < 4; ++k) CHECK(out[k] == doctest::Approx(c_skip * x[k]).epsilon(1e-6));
    }
}

TEST_CASE("TorchScript save and load give the same denoiser / bad model files are one clear error") {
    MlpOptions o;
    o.dim = 3;
    o.seed = 4;
    const auto net = Network::mlp(o);
    // Perturb it by a few training steps so the output layer is not zero.
    TrainOptions t;
    t.steps = 5;
    t.batch = 16;
    t.record_every = 5;
    const auto trained = train_network(net, DiagonalGaussian::isotropic(3, 0.0, 0.5), t).model;
    const auto path = temp("model.pt");
    trained.save(path);
    const NetworkDenoiser a(trained), b(Network::load(path, 3));
    const std::vector<double> x = {0.1, 0.2, -0.3, 1.0, -2.0, 0.4};
    std::vector<double> ya(6), yb(6);
    a.denoise(x, 2, 0.3, ya);
    b.denoise(x, 2, 0.3, yb);
    CHECK(ya == yb);
    CHECK(std::abs(ya[0] - 0.5 * 0.5 / (0.25 + 0.09) * 0.1) > 0.0);  // trained: not c_skip x any more
    CHECK_THROWS_WITH_AS(Network::load(path, 2), doctest::Contains("forward(x [N, 2], sigma [N]) failed"), InputError);
    CHECK_THROWS_WITH_AS(Network::load(temp("missing.pt"), 3), doctest::Contains("does not exist"), InputError);
    const auto junk = temp("junk.pt");
    std::ofstream(junk) << "not a model";
    CHECK_THROWS_WITH_AS(Network::load(junk, 3), doctest::Contains("is not TorchScript"), InputError);
    fs::remove(path);
    fs::remove(junk);
}

TEST_CASE("a conditional MLP: labels reach the network (trained rows differ by label), survive save and load, and the null label is its own") {
    // Three labelled Gaussian classes in 2-D; a few training steps make the label embedding matter.
    auto mix = std::make_unique<GaussianMixture>(std::vector<double>{1, 1, 1}, std::vector<double>{-2, 0, 0, 2, 2, 0},
                                                 std::vector<double>{0.05, 0.05, 0.05}, 2);
    mix->set_classes({0, 1, 2});
    MlpOptions o;
    o.dim = 2;
    o.classes = 3;
    o.seed = 5;
    TrainOptions t;
    t.steps = 50;
    t.batch = 64;
    t.record_every = 50;
    t.label_dropout = 0.3;
    const auto trained = train_network(Network::mlp(o), *mix, t).model;
    REQUIRE(trained.classes() == 3);
    const auto path = temp("conditional.pt");
    trained.save(path);
    ModelConvention c;
    c.classes = 3;
    const NetworkDenoiser a(trained, c), b(Network::load(path, 2, {{}, true}), c);
    const std::vector<double> x = {0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.1, 0.2};
    const std::vector<Label> labels{0, 1, 2, null_label};
    std::vector<double> ya(8), yb(8), plain(8);
    a.denoise_labelled(x, 4, 0.7, labels, ya);
    b.denoise_labelled(x, 4, 0.7, labels, yb);
    CHECK(ya == yb);
    // The same x, four labels: four different outputs (a dropped label would make them equal).
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t k = i + 1; k < 4; ++k) CHECK(std::abs(ya[2 * i] - ya[2 * k]) + std::abs(ya[2 * i + 1] - ya[2 * k + 1]) > 1e-6);
    // No label: the null label (id 3).
    a.denoise(x, 4, 0.7, plain);
    for (std::size_t i = 0; i < 4; ++i) CHECK(plain[2 * i] == ya[6]);
    // Unlabelled data or a class-count mismatch is refused before training.
    CHECK_THROWS_AS(train_network(Network::mlp(o), DiagonalGaussian::isotropic(2, 0.0, 0.5), t), InputError);
    fs::remove(path);
}

TEST_CASE("training an MLP on 1-D Gaussian data recovers the exact denoiser over sigma in [0.01, 10]") {
    // Data N(1, 0.4^2), EDM loss, seed 1. The error is measured in units of the posterior standard
    // deviation (the scale of the denoiser's own uncertainty) at 108 points; the untrained network (D =
    // c_skip x, the denoiser of N(0, 0.5^2)) is off by more than 1 of those units, the trained one must
    // be within 0.25 everywhere.
    const double mu = 1.0, c = 0.4;
    const auto data = DiagonalGaussian::isotropic(1, mu, c);
    MlpOptions m;
    m.dim = 1;
    m.width = 64;
    m.depth = 2;
    m.seed = 1;
    const auto initial = Network::mlp(m);
    const double before = worst_error(NetworkDenoiser(initial), mu, c);
    TrainOptions t;
    t.steps = 4000;
    t.batch = 256;
    t.seed = 1;
    t.ema_start = 500;
    const auto r = train_network(initial, data, t);
    const double after = worst_error(NetworkDenoiser(r.ema), mu, c);
    MESSAGE("worst |D - D*| / posterior sd: untrained ", before, ", trained (EMA) ", after);
    CHECK(before > 1.0);
    CHECK(after < 0.25);
    REQUIRE(r.curve.size() == 4000 / 50);
    CHECK(r.curve.back().loss < r.curve.front().loss);
}

TEST_CASE("training is bit-identical for a seed, and a resumed run ends where an uninterrupted one does") {
    const auto data = DiagonalGaussian::isotropic(2, 0.0, 0.5);
    MlpOptions m;
    m.width = 32;
    m.depth = 2;
    const auto initial = Network::mlp(m);
    TrainOptions t;
    t.steps = 40;
    t.batch = 32;
    t.record_every = 10;
    t.checkpoint_every = 20;
    t.ema_start = 10;
    const auto full = train_network(initial, data, t);
    CHECK(train_network(initial, data, t).model.parameters() == full.model.parameters());
    t.checkpoint = temp("train.checkpoint");
    fs::remove(t.checkpoint);
    struct Stop {};
    CHECK_THROWS_AS(train_network(initial, data, t,
                                  [](const TrainPoint& p, double) {
                                      if (p.step == 30) throw Stop{};
                                  }),
                    Stop);
    REQUIRE(fs::exists(t.checkpoint));  // written at step 20
    t.resume = true;
    const auto resumed = train_network(initial, data, t);
    {
        const auto a = resumed.model.parameters(), b = full.model.parameters();
        double worst = 0.0;
        std::size_t where = 0;
        for (std::size_t k = 0; k < a.size(); ++k)
            if (std::abs(a[k] - b[k]) > worst) {
                worst = std::abs(a[k] - b[k]);
                where = k;
            }
        MESSAGE("resume: largest parameter difference ", worst, " at ", where, " of ", a.size());
    }
    CHECK(resumed.model.parameters() == full.model.parameters());
    CHECK(resumed.ema.parameters() == full.ema.parameters());
    REQUIRE(resumed.curve.size() == full.curve.size());
    for (std::size_t k = 0; k < full.curve.size(); ++k) CHECK(resumed.curve[k].loss == full.curve[k].loss);
    CHECK(fs::exists(t.checkpoint));  // kept: the caller removes it once its result is written
    // Another run (another fingerprint) is refused, naming the key; a damaged step is named too.
    t.fingerprint = R"({"config":{"seed":1}})";
    auto other = t;
    other.fingerprint = R"({"config":{"seed":2}})";
    fs::remove(t.checkpoint);
    t.resume = false;
    CHECK_THROWS_AS(train_network(initial, data, t,
                                  [](const TrainPoint& p, double) {
                                      if (p.step == 30) throw Stop{};
                                  }),
                    Stop);
    CHECK_THROWS_WITH_AS(train_network(initial, data, other),
                         doctest::Contains("made for another run: 'config/seed' was 1 then, 2 now"), InputError);
    t.resume = true;
    auto fewer = t;
    fewer.steps = 20;  // the checkpoint's step 20 is not before the end any more
    CHECK_THROWS_WITH_AS(train_network(initial, data, fewer), doctest::Contains("'step' = 20 is not in [1, 20)"),
                         InputError);
    fs::remove(t.checkpoint);
}

TEST_CASE("a non-finite training loss stops with the step / bad options are refused") {
    const auto data = DiagonalGaussian::isotropic(1, 1e30, 1.0);  // overflows float32
    const auto net = Network::mlp(MlpOptions{1, 8, 1});
    TrainOptions t;
    t.steps = 3;
    t.batch = 4;
    CHECK_THROWS_WITH_AS(train_network(net, data, t), doctest::Contains("at step 1"), NumericalError);
    t.checkpoint_every = 7;
    t.record_every = 5;
    CHECK_THROWS_AS(train_network(net, DiagonalGaussian::isotropic(1, 0.0, 1.0), t), InputError);
    CHECK_THROWS_WITH_AS(train_network(net, DiagonalGaussian::isotropic(2, 0.0, 1.0), TrainOptions{}),
                         doctest::Contains("dimension"), InputError);
}

TEST_CASE("a conditional U-Net: untrained D = c_skip x for every label / after training the label moves D and survives save/load") {
    // Two classes of 4x4 images, pixel means +1 and -1 (std 0.3).
    auto mix = std::make_unique<GaussianMixture>(std::vector<double>{1, 1}, [] {
        std::vector<double> m(32, 1.0);
        std::fill(m.begin() + 16, m.end(), -1.0);
        return m;
    }(), std::vector<double>{0.09, 0.09}, 16);
    mix->set_classes({0, 1});
    UnetOptions o;
    o.side = 4;
    // 16 channels: GroupNorm's groups (at most 8) then hold 2 channels each. With one channel per group
    // (base 4 or 8) the norm after the embedding removes any per-channel shift, the label's included,
    // as in DDPM's ResBlock: such a U-Net cannot see y at all (measured: a 3e-7 gap).
    o.base_channels = 16;
    o.levels = 2;
    o.seed = 3;
    o.classes = 2;
    const auto initial = Network::unet(o);
    ModelConvention c;
    c.classes = 2;
    std::vector<double> x(48), out(48);
    for (std::size_t k = 0; k < 48; ++k) x[k] = std::sin(1.0 + static_cast<double>(k));
    const std::vector<Label> labels{0, 1, null_label};
    NetworkDenoiser(initial, c).denoise_labelled(x, 3, 0.3, labels, out);
    for (std::size_t k = 0; k < 48; ++k) CHECK(out[k] == doctest::Approx(0.25 / 0.34 * x[k]).epsilon(1e-6));
    TrainOptions t;
    t.steps = 300;
    t.batch = 32;
    t.record_every = 100;
    t.label_dropout = 0.2;
    const auto trained = train_network(initial, *mix, t).model;
    // At sigma = 2 the classes' exact denoisers differ by ~1.3 per pixel: a trained network that ignores
    // y would give labels 0 and 1 the same output.
    std::vector<double> same(48, 0.0), d(48);
    NetworkDenoiser(trained, c).denoise_labelled(same, 3, 2.0, labels, d);
    double gap = 0.0;
    for (std::size_t k = 0; k < 16; ++k) gap += d[k] - d[16 + k];
    MESSAGE("mean D(0; 2, y = 0) - D(0; 2, y = 1) per pixel after 300 steps: ", gap / 16.0);
    CHECK(gap / 16.0 > 0.3);
    const auto path = temp("unet-conditional.pt");
    trained.save(path);
    std::vector<double> reloaded(48);
    NetworkDenoiser(Network::load(path, 16, {{}, true}), c).denoise_labelled(same, 3, 2.0, labels, reloaded);
    CHECK(reloaded == d);
    fs::remove(path);
}

TEST_CASE("the U-Net: untrained D = c_skip x, TorchScript round trip, and training on 4x4 Gaussian images") {
    UnetOptions o;
    o.side = 4;
    o.base_channels = 4;
    o.levels = 2;
    o.sigma_data = 0.5;
    o.seed = 3;
    const auto initial = Network::unet(o);
    CHECK(initial.dim() == 16);
    // Untrained: the output convolution is zero, so D = c_skip x exactly as the MLP (catches a U-Net
    // whose output is not wrapped in the preconditioning, or a wrong reshape of x).
    std::vector<double> x(32), out(32);
    for (std::size_t k = 0; k < 32; ++k) x[k] = std::sin(1.0 + static_cast<double>(k));
    NetworkDenoiser(initial).denoise(x, 2, 0.3, out);
    for (std::size_t k = 0; k < 32; ++k) CHECK(out[k] == doctest::Approx(0.25 / 0.34 * x[k]).epsilon(1e-6));
    // Data N(1, 0.4^2 I) on 16 pixels: the exact denoiser is known; the untrained one misses the mean.
    // 1500 steps must cut the error E|D - D*|^2 at sigma = 0.5 by at least 10x (measured: 31x, 4.04 ->
    // 0.128; 600 steps give 13x); a U-Net whose gradients do not reach the convolutions stays near 1x.
    const auto data = DiagonalGaussian::isotropic(16, 1.0, 0.4);
    TrainOptions t;
    t.steps = 1500;
    t.batch = 64;
    t.seed = 2;
    t.ema_start = 100;
    t.record_every = 100;
    const auto r = train_network(initial, data, t);
    auto error = [&](const Network& net) {
        std::vector<double> xs(16 * 64), d(16 * 64), exact(16 * 64);
        for (std::size_t k = 0; k < xs.size(); ++k) xs[k] = 1.0 + 0.64 * std::sin(0.7 * static_cast<double>(k));
        NetworkDenoiser(net).denoise(xs, 64, 0.5, d);
        data.denoiser().denoise(xs, 64, 0.5, exact);
        double e = 0.0;
        for (std::size_t k = 0; k < xs.size(); ++k) e += (d[k] - exact[k]) * (d[k] - exact[k]);
        return e / 64.0;
    };
    const double before = error(initial), after = error(r.ema);
    MESSAGE("U-Net E|D - D*|^2 at sigma 0.5: untrained ", before, ", trained (EMA) ", after);
    CHECK(after < 0.1 * before);
    const auto path = temp("unet.pt");
    r.ema.save(path);
    std::vector<double> a(32), b(32);
    NetworkDenoiser(r.ema).denoise(x, 2, 0.3, a);
    NetworkDenoiser(Network::load(path, 16)).denoise(x, 2, 0.3, b);
    CHECK(a == b);
    fs::remove(path);
    o.levels = 4;  // 4 is not divisible by 2^3
    CHECK_THROWS_WITH_AS(Network::unet(o), doctest::Contains("divisible"), InputError);
}

TEST_CASE("the EMA is the seeds' update_ema: a copy before ema_start, then decay * ema + (1 - decay) * weights") {
    // Runs of 3 and 4 steps share their first 3 steps bit for bit (addressed draws), so the 4th EMA
    // update can be checked against the formula from the 3-step run's EMA and the 4-step run's weights.
    // Swapped weights (0.1 ema + 0.9 w) or an update before ema_start are off by the full step.
    const auto data = DiagonalGaussian::isotropic(2, 0.5, 0.5);
    MlpOptions m;
    m.width = 8;
    m.depth = 1;
    const auto net = Network::mlp(m);
    TrainOptions t;
    t.batch = 32;
    t.record_every = 1;
    t.checkpoint_every = 1;
    t.ema_decay = 0.9;
    t.ema_start = 2;
    t.steps = 3;
    const auto three = train_network(net, data, t);
    t.steps = 4;
    const auto four = train_network(net, data, t);
    const auto e3 = three.ema.parameters(), e4 = four.ema.parameters(), w4 = four.model.parameters();
    REQUIRE(e3.size() == e4.size());
    double worst = 0.0, moved = 0.0;
    for (std::size_t k = 0; k < e4.size(); ++k) {
        const double expected = 0.9 * double(e3[k]) + 0.1 * double(w4[k]);
        worst = std::max(worst, std::abs(e4[k] - expected) / (1e-3 + std::abs(expected)));
        moved = std::max(moved, static_cast<double>(std::abs(e4[k] - w4[k])));
    }
    CHECK(worst < 1e-5);  // float32 arithmetic
    CHECK(moved > 1e-6);  // the EMA is not simply the weights
    // Before ema_start the EMA is a copy of the weights.
    t.ema_start = 10;
    const auto early = train_network(net, data, t);
    CHECK(early.ema.parameters() == early.model.parameters());
}

// Vector (text-like) conditioning: a module forward(x, sigma, e) that reads the class from an embedding
// row (one-hot over the 8 classes, the 9th entry the null prompt: the exact class-conditional ring-of-8
// denoiser when a class is set, the unconditional one for null), fed through ModelInput::embedding from
// the label ids. Faults caught: the id passed instead of its row, the wrong row (off by one gives
// another class, ~2 apart), the null row not used for null_label, an id beyond the table not refused.
TEST_CASE("a model conditioned on embeddings gets each row's embedding and gives the exact class-conditional D") {
    const std::string source = R"(
def forward(self, x, sigma, e):
    a = torch.arange(8.0) * 0.7853981633974483
    mu = torch.stack([2 * torch.cos(a), 2 * torch.sin(a)], 1)
    s2 = (sigma * sigma).unsqueeze(1)
    d2 = ((x.unsqueeze(1) - mu.unsqueeze(0)) ** 2).sum(2)
    r = torch.softmax(-d2 / (2 * (0.01 + s2)), 1)
    w = e[:, 0:8] + e[:, 8:9] * r
    k = 0.01 / (0.01 + s2)
    post = mu.unsqueeze(0) + k.unsqueeze(2) * (x.unsqueeze(1) - mu.unsqueeze(0))
    return (w.unsqueeze(2) * post).sum(1)
)";
    ModelInput input;
    input.labels = true;
    input.embedding.assign(9 * 9, 0.0f);
    for (std::size_t k = 0; k < 9; ++k) input.embedding[k * 9 + k] = 1.0f;
    input.embedding_dim = 9;
    const auto net = Network::from_source(source, 2, input);
    ModelConvention c;
    c.classes = 8;
    c.time = TimeInput::sigma;
    const NetworkDenoiser model(net, c);
    const auto ring = make_dataset("ring8", DatasetOptions{});
    const std::vector<double> x{0.3, -1.2, 1.9, 0.4, -0.5, 0.5, 0.0, 2.2};
    const std::vector<Label> labels{0, 3, 7, null_label};
    for (const double sigma : {0.3, 1.0, 3.0}) {
        std::vector<double> got(8), want(8);
        model.denoise_labelled(x, 4, sigma, labels, got);
        ring.data->denoiser().denoise_labelled(x, 4, sigma, labels, want);
        for (std::size_t k = 0; k < 8; ++k) CHECK(got[k] == doctest::Approx(want[k]).epsilon(2e-5));
        // The unconditional row is the data's unconditional denoiser.
        std::vector<double> uncond(8);
        ring.data->denoiser().denoise(x, 4, sigma, uncond);
        CHECK(got[6] == doctest::Approx(uncond[6]).epsilon(2e-5));
    }
    // A table without the null row: the null label's id 8 has no row, refused by name.
    ModelInput short_table = input;
    short_table.embedding.resize(8 * 9);
    const NetworkDenoiser no_null(Network::from_source(source, 2, short_table), c);
    std::vector<double> out(8);
    CHECK_THROWS_WITH_AS(no_null.denoise_labelled(x, 4, 1.0, labels, out),
                         doctest::Contains("label id 8 has no row in the embedding table (8 rows)"), InputError);
}
