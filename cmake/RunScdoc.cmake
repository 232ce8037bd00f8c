# Renders one scdoc page: cmake -DSCDOC=... -DINPUT=x.1.scd -DOUTPUT=x.1 -P RunScdoc.cmake
# (execute_process rather than shell redirection, so a failed run leaves no
# half-written page behind to be installed).
execute_process(COMMAND "${SCDOC}" INPUT_FILE "${INPUT}" OUTPUT_FILE "${OUTPUT}.tmp"
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUTPUT}.tmp")
  message(FATAL_ERROR "scdoc failed on ${INPUT}: ${err}")
endif()
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
