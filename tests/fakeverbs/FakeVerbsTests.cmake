# The software RDMA device (tests/fakeverbs): a libibverbs stand-in LD_PRELOADed into test
# processes, its own tests, and the verbs transport end to end over it (label fakeverbs).
find_package(Threads REQUIRED)
add_library(fb_fakeverbs SHARED
  ${CMAKE_CURRENT_LIST_DIR}/fake_completion.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_ops.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_port.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_qp.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_qp_verbs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_srq.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_trace.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_verbs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_wire.cpp)
target_include_directories(fb_fakeverbs PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(fb_fakeverbs PRIVATE Threads::Threads)
fb_configure_target(fb_fakeverbs)

# The device's own tests, linked against it directly. Each runs in its own process (ctest),
# configuring the device through the environment first.
add_executable(fb_fakeverbs_tests ${CMAKE_CURRENT_LIST_DIR}/fake_device_test.cpp
                                 ${CMAKE_CURRENT_LIST_DIR}/fake_device_more_test.cpp
                                 ${CMAKE_CURRENT_LIST_DIR}/fake_device_ports_test.cpp)
target_link_libraries(fb_fakeverbs_tests PRIVATE fb_fakeverbs GTest::gtest_main)
target_include_directories(fb_fakeverbs_tests PRIVATE ${PROJECT_SOURCE_DIR})
fb_configure_target(fb_fakeverbs_tests)
gtest_discover_tests(fb_fakeverbs_tests TEST_PREFIX "fakeverbs.device." PROPERTIES
                     LABELS fakeverbs DISCOVERY_TIMEOUT 60 TIMEOUT 60)

# Debian's ibv_rc_pingpong (ibverbs-utils) over the device: an independent verbs program.
find_program(FB_IBV_RC_PINGPONG ibv_rc_pingpong)
if(NOT FB_IBV_RC_PINGPONG)
  set(FB_IBV_RC_PINGPONG /usr/bin/ibv_rc_pingpong)  # the test says it is missing
endif()
foreach(link ib roce)
  add_test(NAME fakeverbs.rc_pingpong.${link}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/rc_pingpong_test.sh ${link} ${FB_IBV_RC_PINGPONG}
                   $<TARGET_FILE:fb_fakeverbs>)
  set_tests_properties(fakeverbs.rc_pingpong.${link} PROPERTIES LABELS fakeverbs TIMEOUT 120
                       SKIP_RETURN_CODE 77)
endforeach()

# The verbs transport end to end: every mpi test that iterates over the available transports
# covers verbs under the device. <link> <ranks> per run; 2 to 5 ranks, InfiniBand and RoCE v2.
set(_fv_run ${CMAKE_CURRENT_LIST_DIR}/with_fake_device.sh)
set(_fv_lib $<TARGET_FILE:fb_fakeverbs>)
# The collectives tests (tests/mpi/collectives_test.cpp), their verbs cases: all of them on
# 2 and 3 ranks, the reductions on 5.
foreach(run "ib;2;*verbs*" "roce;3;*verbs*" "ib;5;*allreduce*verbs*:*reduce_scatter*verbs*")
  list(GET run 0 link)
  list(GET run 1 ranks)
  list(GET run 2 filter)
  add_test(NAME fakeverbs.collectives.${link}.n${ranks}
           COMMAND ${_fv_run} ${link} ${_fv_lib} ${CMAKE_CURRENT_LIST_DIR}/collectives_gtest.sh
                   ${MPIEXEC_EXECUTABLE} ${ranks} $<TARGET_FILE:fb_mpi_tests> ${filter})
  set_tests_properties(fakeverbs.collectives.${link}.n${ranks} PROPERTIES
                       ENVIRONMENT "${FB_MPI_ENV}" LABELS fakeverbs TIMEOUT 900 PROCESSORS 2)
endforeach()
# fabricbench itself: every collective and algorithm with --check, and every p2p test with
# the link matrix.
foreach(run "collectives;ib;3" "collectives;roce;4" "p2p;ib;2" "p2p;roce;4" "p2p;ib;5"
            "mtu;roce;2" "maxmsg;ib;2" "maxmsg;roce;3" "inline;ib;2" "yield;ib;0" "qos;roce;3"
            "signal;ib;2" "fork;ib;2" "srq;ib;3" "srq;roce;2" "rails;ib;2" "linerate;ib;2")
  list(GET run 0 mode)
  list(GET run 1 link)
  list(GET run 2 ranks)
  add_test(NAME fakeverbs.fabricbench_${mode}.${link}.n${ranks}
           COMMAND ${_fv_run} ${link} ${_fv_lib} ${CMAKE_CURRENT_LIST_DIR}/harness_check.sh
                   ${mode} ${ranks} $<TARGET_FILE:fabricbench> ${MPIEXEC_EXECUTABLE}
                   ${FB_SYSTEM_PYTHON} ${PROJECT_SOURCE_DIR}/tests/python/check_results.py)
  set_tests_properties(fakeverbs.fabricbench_${mode}.${link}.n${ranks} PROPERTIES
                       ENVIRONMENT "${FB_MPI_ENV}" LABELS fakeverbs TIMEOUT 600 PROCESSORS 2
                       SKIP_RETURN_CODE 77)
endforeach()
# Failures: a killed peer, a receive that is never there, a corrupted rkey, a port going
# down; ports that cannot reach each other (different link layers, RoCE GIDs of different
# types, InfiniBand subnets routed by LID).
foreach(run "killed-peer;ib" "missing-recv;ib" "bad-rkey;ib" "link-mismatch;ib"
            "gid-mismatch;roce" "subnet-mismatch;ib" "port-down;ib")
  list(GET run 0 mode)
  list(GET run 1 link)
  add_test(NAME fakeverbs.fault.${mode}
           COMMAND ${_fv_run} ${link} ${_fv_lib} ${CMAKE_CURRENT_LIST_DIR}/fault_check.sh ${mode}
                   $<TARGET_FILE:fabricbench> ${MPIEXEC_EXECUTABLE}
                   ${PROJECT_SOURCE_DIR}/scripts/fabric/rank-status.sh)
  set_tests_properties(fakeverbs.fault.${mode} PROPERTIES ENVIRONMENT "${FB_MPI_ENV}"
                       LABELS fakeverbs TIMEOUT 120 PROCESSORS 2)
endforeach()
# The transport's single-rank test that needs a device (messages to itself, registration).
add_test(NAME fakeverbs.transport_single_rank
         COMMAND ${_fv_run} ib ${_fv_lib} $<TARGET_FILE:fb_unit_tests>
                 --gtest_filter=VerbsTransport.SelfMessagesOnRealDevice:VerbsTransport.OpenNamedMissingDeviceSaysWhy:VerbsTransport.RegionOutlivesItsTransport:VerbsTransport.DeviceMemoryThroughDmaBuf)
# RLIMIT_MEMLOCK enforced by the device whatever the wrapper could raise: the registration
# past it must name the limit.
add_test(NAME fakeverbs.transport_memlock
         COMMAND $<TARGET_FILE:fb_unit_tests>
                 --gtest_filter=VerbsTransport.RegistrationPastMemlockNamesTheLimit)
set_tests_properties(fakeverbs.transport_memlock PROPERTIES LABELS fakeverbs TIMEOUT 60
                     FAIL_REGULAR_EXPRESSION "SKIPPED"
                     ENVIRONMENT "FB_FAKEVERBS_DIR=${CMAKE_CURRENT_BINARY_DIR};FB_FAKEVERBS_MEMLOCK=enforce;LD_PRELOAD=$<TARGET_FILE:fb_fakeverbs>")
set_tests_properties(fakeverbs.transport_single_rank PROPERTIES LABELS fakeverbs TIMEOUT 60
                     FAIL_REGULAR_EXPRESSION "SKIPPED")
