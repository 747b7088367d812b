// The small image U-Net (network.hpp's UnetOptions), built as a TorchScript module from C++: parameters
// registered here, forward written in TorchScript, so it trains from C++ and loads with torch.jit.load.
#include <fmt/format.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>

#include "ayslab/error.hpp"
#include "ayslab/denoisers/network.hpp"
#include "network_impl.hpp"

namespace ayslab {

namespace {

// Registers parameters and writes the TorchScript lines that use them.
class UnetBuilder {
  public:
    UnetBuilder(torch::jit::Module& m, std::uint64_t seed) : m_(m), seed_(seed) {}

    // A k x k convolution in -> out (stride, padding); zero weights for the output layer.
    std::string conv(const std::string& h, std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                     std::int64_t pad, bool zero = false) {
        const auto name = next("conv");
        auto w = zero ? torch::zeros({out, in, k, k}) : normal_tensor(seed_, which_++, {out, in, k, k}, 1.0 / std::sqrt(double(in * k * k)));
        add(name + "_w", w);
        add(name + "_b", torch::zeros({out}));
        return fmt::format("torch.conv2d({0}, self.{1}_w, self.{1}_b, [{2}, {2}], [{3}, {3}])", h, name, stride, pad);
    }
    // A 2x2 stride-2 transposed convolution in -> out (doubles the side).
    std::string up(const std::string& h, std::int64_t in, std::int64_t out) {
        const auto name = next("up");
        add(name + "_w", normal_tensor(seed_, which_++, {in, out, 2, 2}, 1.0 / std::sqrt(double(in))));
        add(name + "_b", torch::zeros({out}));
        return fmt::format("torch.conv_transpose2d({0}, self.{1}_w, self.{1}_b, [2, 2])", h, name);
    }
    // SiLU(GroupNorm(h)) over `channels`.
    std::string norm_act(const std::string& h, std::int64_t channels) {
        const auto name = next("norm");
        add(name + "_w", torch::ones({channels}));
        add(name + "_b", torch::zeros({channels}));
        std::int64_t groups = std::min<std::int64_t>(8, channels);  // the most groups <= 8 that divide it
        while (channels % groups != 0) --groups;
        return fmt::format("torch.silu(torch.group_norm({0}, {1}, self.{2}_w, self.{2}_b, 1e-5))", h,
                           groups, name);
    }
    // A residual block in -> out with the noise embedding e (N x emb) added per channel after the first
    // convolution; a 1x1 convolution on the skip path where the channel count changes.
    std::string block(const std::string& h, std::int64_t in, std::int64_t out, std::int64_t emb) {
        const auto e = next("emb");
        add(e + "_w", normal_tensor(seed_, which_++, {emb, out}, 1.0 / std::sqrt(double(emb))));
        add(e + "_b", torch::zeros({out}));
        std::string s;
        s += fmt::format("    g = {}\n", conv(norm_act(h, in), in, out, 3, 1, 1));
        s += fmt::format("    g = g + (e @ self.{0}_w + self.{0}_b).unsqueeze(2).unsqueeze(3)\n", e);
        s += fmt::format("    g = {}\n", conv(norm_act("g", out), out, out, 3, 1, 1));
        s += fmt::format("    h = {} + g\n", in == out ? h : conv(h, in, out, 1, 1, 0));
        return s;
    }
    void add(const std::string& name, torch::Tensor t) { m_.register_parameter(name, t.requires_grad_(true), false); }

  private:
    std::string next(const char* kind) { return fmt::format("{}{}", kind, count_++); }
    torch::jit::Module& m_;
    std::uint64_t seed_, which_ = 1;
    int count_ = 0;
};

}  // namespace

Network Network::unet(const UnetOptions& o) {
    deterministic_torchscript();
    if (o.image_channels < 1 || o.side < 2 || o.base_channels < 1 || o.levels < 1 || o.frequencies < 1)
        throw InputError("unet: image channels, side, base channels, levels and frequencies must be at least 1");
    if (o.levels > 6 || o.side % (std::size_t{1} << (o.levels - 1)) != 0)
        throw InputError(fmt::format("unet: {} levels need the image side ({}) divisible by 2^{}", o.levels, o.side,
                                     o.levels - 1));
    if (!(o.sigma_data > 0.0)) throw InputError("unet: sigma_data must be positive");
    torch::jit::Module m("AyslabUnet");
    const auto f = static_cast<std::int64_t>(o.frequencies), c0 = static_cast<std::int64_t>(o.base_channels),
               ic = static_cast<std::int64_t>(o.image_channels), side = static_cast<std::int64_t>(o.side);
    const auto levels = static_cast<int>(o.levels);
    m.register_buffer("freqs", normal_tensor(o.seed, 0, {f}, o.frequency_scale));
    UnetBuilder b(m, o.seed);
    // Noise embedding: Fourier features of c_noise -> a SiLU layer of width 4 c0.
    const std::int64_t emb = 4 * c0;
    b.add("emb_in_w", normal_tensor(o.seed, 1000, {2 * f, emb}, 1.0 / std::sqrt(double(2 * f))));
    b.add("emb_in_b", torch::zeros({emb}));
    std::string body;
    body += "    e = torch.cat([torch.cos(a), torch.sin(a)], 1) @ self.emb_in_w + self.emb_in_b\n";
    body += "    e = torch.silu(e)\n";
    if (o.classes > 0) {
        // The label's embedding joins the noise embedding (drawn at its own address).
        b.add("label_emb", normal_tensor(o.seed, 1001, {static_cast<std::int64_t>(o.classes) + 1, emb}, 1.0));
        body += "    e = e + self.label_emb.index_select(0, y)\n";
    }
    body += fmt::format("    h = (x / r).reshape([x.size(0), {}, {}, {}])\n", ic, side, side);
    body += fmt::format("    h = {}\n", b.conv("h", ic, c0, 3, 1, 1));
    auto ch = [&](int k) { return c0 << k; };
    for (int k = 0; k < levels; ++k) {
        body += b.block("h", ch(k), ch(k), emb);
        body += fmt::format("    skip{} = h\n", k);
        if (k + 1 < levels) body += fmt::format("    h = {}\n", b.conv("h", ch(k), ch(k + 1), 3, 2, 1));
    }
    body += b.block("h", ch(levels - 1), ch(levels - 1), emb);  // the middle
    for (int k = levels - 1; k >= 0; --k) {
        body += fmt::format("    h = torch.cat([h, skip{}], 1)\n", k);
        body += b.block("h", 2 * ch(k), ch(k), emb);
        if (k > 0) body += fmt::format("    h = {}\n", b.up("h", ch(k), ch(k - 1)));
    }
    // The output layer starts at zero: an untrained U-Net is D = c_skip x, as the MLP.
    body += fmt::format("    h = {}\n", b.conv(b.norm_act("h", c0), c0, ic, 3, 1, 1, true));
    // EDM preconditioning around the U-Net F (MATH §8): D = c_skip x + c_out F(c_in x, c_noise).
    m.define(fmt::format(R"(
def forward(self, x, sigma{label}):
{preamble}{body}    return c_skip * x + c_out * h.reshape([x.size(0), {dim}])
)",
                         fmt::arg("label", o.classes > 0 ? ", y" : ""), fmt::arg("preamble", edm_preamble(o.sigma_data)),
                         fmt::arg("body", body), fmt::arg("dim", ic * side * side)));
    auto impl = std::make_shared<Impl>();
    impl->module = std::move(m);
    impl->dim = static_cast<std::size_t>(ic * side * side);
    impl->input.labels = o.classes > 0;
    impl->classes = o.classes;
    impl->description =
        fmt::format("unet ({}x{}x{}, {} levels, base channels {}, EDM preconditioning, sigma_data {}{})", o.image_channels,
                    o.side, o.side, o.levels, o.base_channels, o.sigma_data,
                    o.classes > 0 ? fmt::format(", {} classes + null label {}", o.classes, o.classes) : "");
    return Network(std::move(impl));
}

}  // namespace ayslab
