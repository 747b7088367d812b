# sample with a user's model file gives, to float32 accuracy, the end points of the data's exact
# denoiser: the fixture is the exact denoiser of the `gaussian` data set exported as DDPM eps-prediction
# (tests/fixtures). Same seed, same solver, same schedule; the .npy end points compared by Debian's python3
# (numpy comes with python3-matplotlib).
# "named": the model file without a denoiser key, which selects denoiser=model (it used to run the exact
# denoiser silently); its end points must be the model run's, bit for bit.
foreach(_den exact model named)
  if(_den STREQUAL "named")
    set(_key)
  else()
    set(_key --set denoiser=${_den})
  endif()
  execute_process(COMMAND ${EXE} sample --set data=gaussian ${_key} --set model=${MODEL}
                          --set parametrisation=eps --set model_process=ddpm-linear --set model_time=t
                          --set sigma_max=150 --set sigma_min=0.02 --set solver=dpmpp-2m --set steps=20
                          --set particles=500 --set output=${DIR}/${_den}.npy --out ${DIR}/${_den}.json --quiet
                  RESULT_VARIABLE _code ERROR_VARIABLE _err)
  if(NOT _code EQUAL 0)
    message(FATAL_ERROR "sample with denoiser=${_den} exited ${_code}: ${_err}")
  endif()
endforeach()
execute_process(COMMAND /usr/bin/python3 -c "
import numpy as np, sys
a = np.load('${DIR}/exact.npy'); b = np.load('${DIR}/model.npy')
if not np.array_equal(b, np.load('${DIR}/named.npy')):
    sys.exit('a model named without denoiser=model did not run the model')
worst = float(np.max(np.abs(a - b) / (1 + np.abs(a))))
print('largest difference of end points, model vs exact:', worst)
sys.exit(0 if a.shape == b.shape and worst < 5e-6 else 1)"  # measured 2.8e-7
                RESULT_VARIABLE _cmp OUTPUT_VARIABLE _out)
message(STATUS "${_out}")
if(NOT _cmp EQUAL 0)
  message(FATAL_ERROR "model and exact end points differ: ${_out}")
endif()
