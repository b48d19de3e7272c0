# The software RDMA device (tests/fakeverbs): a libibverbs stand-in LD_PRELOADed into test
# processes, its own tests, and the verbs transport end to end over it (label fakeverbs).
find_package(Threads REQUIRED)
add_library(fb_fakeverbs SHARED
  ${CMAKE_CURRENT_LIST_DIR}/fake_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_qp.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_verbs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fake_wire.cpp)
target_include_directories(fb_fakeverbs PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(fb_fakeverbs PRIVATE Threads::Threads)
fb_configure_target(fb_fakeverbs)

# The device's own tests, linked against it directly. Each runs in its own process (ctest),
# configuring the device through the environment first.
add_executable(fb_fakeverbs_tests ${CMAKE_CURRENT_LIST_DIR}/fake_device_test.cpp)
target_link_libraries(fb_fakeverbs_tests PRIVATE fb_fakeverbs GTest::gtest_main)
target_include_directories(fb_fakeverbs_tests PRIVATE ${PROJECT_SOURCE_DIR})
fb_configure_target(fb_fakeverbs_tests)
gtest_discover_tests(fb_fakeverbs_tests TEST_PREFIX "fakeverbs.device." PROPERTIES
                     LABELS fakeverbs DISCOVERY_TIMEOUT 60 TIMEOUT 60)
