# train conditional=true on the ring of 8 (8 classes): the EMA network is checked by train itself against
# the exact class-conditional denoiser per sigma band (pooled over classes) and, under the null label,
# against the exact unconditional one (measured at this budget: 9 of 9 checks pass; at 3000 steps with
# label_dropout 0.1 the null label's bands fail, too few unconditional rows). The model it writes then
# runs as a user's conditional model: sample with model_labels=8, a label and guidance.
execute_process(COMMAND ${EXE} train --set conditional=true --set train_steps=5000 --set label_dropout=0.2
                        --set ema_start=1000 --set model_out=${DIR}/conditional.pt --out ${DIR}/train.json --quiet
                RESULT_VARIABLE _code ERROR_VARIABLE _err)
if(NOT _code EQUAL 0)
  message(FATAL_ERROR "conditional training exited ${_code} (a failed check is exit 1): ${_err}")
endif()
execute_process(COMMAND ${EXE} sample --set denoiser=model --set model=${DIR}/conditional.pt --set model_time=sigma
                        --set model_labels=8 --set label=3 --set guidance=2 --set particles=500 --set output=
                        --out ${DIR}/sample.json --quiet
                RESULT_VARIABLE _code ERROR_VARIABLE _err)
if(NOT _code EQUAL 0)
  message(FATAL_ERROR "sample with the trained conditional model exited ${_code}: ${_err}")
endif()
