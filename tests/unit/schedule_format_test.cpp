// Schedules as the peers take them, pinned to numbers the peers' own code printed (run outside the
// project, 2026-11-23; the numbers carry over, the code does not):
//  - k-diffusion sampling.get_sigmas_karras (crowsonkb/k-diffusion @4601bf0), float64;
//  - ComfyUI comfy_extras/nodes_align_your_steps.py AlignYourStepsScheduler.get_sigmas (@341667c),
//    float32 (torch.FloatTensor);
//  - diffusers schedulers AysSchedules["StableDiffusionTimesteps" / "StableDiffusionXLTimesteps"].
#include <doctest/doctest.h>

#include <cctype>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "ayslab/error.hpp"
#include "ayslab/process/process.hpp"
#include "ayslab/schedule/schedule_factory.hpp"
#include "schedule_format.hpp"

using namespace ayslab;
using namespace ayslab::app;

namespace {
std::vector<double> numbers(std::string line) {
    for (char& c : line)
        if (c == ',' || c == '[' || c == ']' || c == '(' || c == ')' || c == '=' || c == ':' ||
            (std::isalpha(static_cast<unsigned char>(c)) && c != 'e'))
            c = ' ';
    std::istringstream in(line);
    std::vector<double> v;
    for (std::string tok; in >> tok;) v.push_back(std::stod(tok));
    return v;
}
Schedule kind(const std::string& k, std::size_t steps, double lo = 0.002, double hi = 80.0) {
    const auto edm = make_process("edm");
    return make_schedule(k, ScheduleSpec{steps, lo, hi, 7.0, 0.5, edm.get(), {}});
}
}  // namespace

TEST_CASE("schedule formats: karras-kdiffusion is k-diffusion's get_sigmas_karras(n) (n sigmas and a final 0)") {
    // get_sigmas_karras(10, 0.002, 80, 7): an off-by-one in n (n + 1 sigmas, or no final 0) moves the
    // inner values by > 5%.
    const std::vector<double> peer = {80.0, 42.41518931851267, 21.10867673619376, 9.723201355260132, 4.066123602953759,
                                      1.501741979068008, 0.46997905799774714, 0.11663856352517864,
                                      0.020435334553438746, 0.002000000000000003, 0.0};
    const auto edm = make_process("edm");
    const auto got = numbers(format_schedule(kind("karras-kdiffusion", 10), *edm, "kdiffusion").front().substr(13));
    REQUIRE(got.size() == peer.size());
    for (std::size_t i = 0; i < peer.size(); ++i) CHECK(got[i] == doctest::Approx(peer[i]).epsilon(1e-14));
    CHECK(kind("karras-kdiffusion", 10).steps() == 10);
    // get_sigmas_karras(4, 0.0292, 14.6146, 7)
    const std::vector<double> peer4 = {14.614599999999992, 3.1692041472211496, 0.4471446199209856, 0.029200000000000004, 0.0};
    const auto k4 = kind("karras-kdiffusion", 4, 0.0292, 14.6146);
    REQUIRE(k4.sigmas().size() == peer4.size());
    for (std::size_t i = 0; i < peer4.size(); ++i) CHECK(k4.sigmas()[i] == doctest::Approx(peer4[i]).epsilon(1e-14));
}

TEST_CASE("schedule formats: ComfyUI's AlignYourStepsScheduler lists, pasted (N sigmas, last replaced by 0)") {
    const auto sd = make_process("ddpm-scaled-linear");
    struct Case {
        std::string kind;
        std::size_t steps;
        std::vector<double> peer;
    };
    const Case cases[] = {
        {"ays-sd15", 10, {14.614641189575195, 6.474575996398926, 3.8636746406555176, 2.694615125656128, 1.8841921091079712,
                          1.3943804502487183, 0.9642583727836609, 0.6523686051368713, 0.39774563908576965,
                          0.15152326226234436, 0.0}},
        {"ays-sd15", 20, {14.614641189575195, 9.727466583251953, 6.474575996398926, 5.001565456390381, 3.8636746406555176,
                          3.22662615776062, 2.694615125656128, 2.253258228302002, 1.8841921091079712, 1.6208888292312622,
                          1.3943804502487183, 1.1595443487167358, 0.9642583727836609, 0.7931278944015503,
                          0.6523686051368713, 0.5093886256217957, 0.39774563908576965, 0.24549484252929688,
                          0.15152326226234436, 0.06647934019565582, 0.0}},
        {"ays-svd", 10, {700.0, 54.5, 15.88599967956543, 7.9770002365112305, 4.248000144958496, 1.7890000343322754,
                         0.9810000061988831, 0.40299999713897705, 0.17299999296665192, 0.03400000184774399, 0.0}},
        {"ays-sdxl", 7, {14.614641189575195, 5.0629682540893555, 2.3583381175994873, 1.1816651821136475,
                         0.629469633102417, 0.3542882204055786, 0.15291865170001984, 0.0}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.kind);
        CAPTURE(c.steps);
        const auto got = numbers(format_schedule(kind(c.kind, c.steps), *sd, "comfyui").front());
        REQUIRE(got.size() == c.peer.size());
        // ComfyUI's FloatTensor rounds to float32 (relative 6e-8); its constants have 10 digits.
        for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(c.peer[i]).epsilon(2e-7));
    }
}

TEST_CASE("schedule formats: diffusers gets N timesteps for N steps (AysSchedules), and duplicates are refused") {
    const auto sd = make_process("ddpm-scaled-linear");
    CHECK(format_schedule(kind("ays-sd15", 10), *sd, "diffusers").front() ==
          "timesteps=[999, 850, 736, 645, 545, 455, 343, 233, 124, 24]");
    CHECK(format_schedule(kind("ays-sdxl", 10), *sd, "diffusers").front() ==
          "timesteps=[999, 845, 730, 587, 443, 310, 193, 116, 53, 13]");
    const auto linear = make_process("ddpm-linear");
    CHECK_THROWS_WITH_AS(format_schedule(kind("karras", 200, 0.02, 80.0), *linear, "diffusers"),
                         doctest::Contains("both start at timestep"), InputError);
    // EDM-type schedulers: N + 1 sigmas ending in 0 (EulerDiscreteScheduler: len(sigmas) - 1 steps).
    const auto edm = make_process("edm");
    const auto s = numbers(format_schedule(kind("karras", 10), *edm, "diffusers").front());
    CHECK(s.size() == 11);
    CHECK(s.back() == 0.0);
    // Flow matching (FlowMatchEulerDiscreteScheduler appends the 0 itself): N values in t units.
    const auto flow = make_process("flow");
    const auto f = numbers(format_schedule(kind("karras", 10), *flow, "diffusers").front());
    CHECK(f.size() == 10);
    CHECK(f.front() == doctest::Approx(80.0 / 81.0).epsilon(1e-15));
}

TEST_CASE("schedule formats: every printed sigma reads back to the same double") {
    const auto edm = make_process("edm");
    const auto sched = kind("arctan", 13, 0.0123456789, 77.7);
    for (const std::string f : {"kdiffusion", "comfyui"}) {
        const auto line = format_schedule(sched, *edm, f).front();
        const auto got = numbers(f == "kdiffusion" ? line.substr(13) : line);  // after "torch.tensor("
        REQUIRE(got.size() == sched.sigmas().size());
        for (std::size_t i = 0; i + 1 < got.size(); ++i) CHECK(got[i] == sched.sigmas()[i]);  // bit for bit
    }
    const auto list = numbers(format_schedule(sched, *edm, "list").front().substr(13));
    REQUIRE(list.size() == sched.sigmas().size());
    for (std::size_t i = 0; i < list.size(); ++i) CHECK(list[i] == sched.sigmas()[i]);
}
