// The device a `device` name means (cpu, cuda, cuda:N) for the plugin's LibTorch code: InputError in
// one line for a bad name, a LibTorch without CUDA, or a GPU index this machine does not have
// (network.cpp).
#pragma once
#include <c10/core/Device.h>

#include <string>

namespace ayslab {
c10::Device model_device(const std::string& name);
}  // namespace ayslab
