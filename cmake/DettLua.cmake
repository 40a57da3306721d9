# DettLua.cmake - Lua 5.4 or 5.3 as the interface target dett_lua_dep.
#
# CMake's FindLua (LUA_INCLUDE_DIR and LUA_LIBRARY are cache variables; LUA_DIR
# in the environment is a hint). 5.4 is preferred; 5.3 gets
# cmake/lua53_compat.h force-included, which maps the few 5.4 calls the DSL
# uses onto 5.3. Other versions are refused.
find_package(Lua 5.3)
if(NOT LUA_FOUND)
  message(FATAL_ERROR "Lua 5.4 or 5.3 not found: install liblua5.4-dev, load a lua module, "
          "or set LUA_INCLUDE_DIR and LUA_LIBRARY")
endif()
if(LUA_VERSION_STRING VERSION_GREATER_EQUAL 5.5)
  message(FATAL_ERROR "Lua ${LUA_VERSION_STRING} at ${LUA_INCLUDE_DIR}: dett needs 5.4 or 5.3 "
          "(set LUA_INCLUDE_DIR and LUA_LIBRARY to one)")
endif()
add_library(dett_lua_dep INTERFACE)
target_include_directories(dett_lua_dep SYSTEM INTERFACE ${LUA_INCLUDE_DIR})
target_link_libraries(dett_lua_dep INTERFACE ${LUA_LIBRARIES})
if(LUA_VERSION_STRING VERSION_LESS 5.4)
  target_compile_options(dett_lua_dep INTERFACE
    "SHELL:-include ${CMAKE_CURRENT_LIST_DIR}/lua53_compat.h")
endif()
message(STATUS "dett: Lua ${LUA_VERSION_STRING} (${LUA_INCLUDE_DIR})")
