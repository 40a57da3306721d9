/* lua53_compat.h - the Lua 5.4 calls of lua/ on Lua 5.3 (force-included by
 * cmake/DettLua.cmake, first, into every file of a Lua 5.3 build; 5.4 builds
 * never see it). Macros only, expanded where lua.h has been included: this
 * header includes nothing, so each file's feature-test macros still come
 * first. 5.3 has exactly one user value per full userdata. */
#ifndef DETT_LUA53_COMPAT_H
#define DETT_LUA53_COMPAT_H
#define LUA_GNAME "_G"
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata((L), (sz))
/* pushes user value n (only 1 exists), returns its type */
#define lua_getiuservalue(L, idx, n) \
    ((n) == 1 ? lua_getuservalue((L), (idx)) : (lua_pushnil(L), LUA_TNONE))
/* pops a value into user value n; 0 if there is no such value */
#define lua_setiuservalue(L, idx, n) \
    ((n) == 1 ? (lua_setuservalue((L), (idx)), 1) : (lua_pop((L), 1), 0))
/* 5.4's lua_gc(L, what, ...) with its optional arguments: 5.3 takes one int */
#define lua_gc(L, ...) dett_lua53_gc((L), __VA_ARGS__, 0, 0)
#define dett_lua53_gc(L, what, data, ...) (lua_gc)((L), (what), (data))
/* lua_getinfo's "r" (5.4: ntransfer, the values a call transfers) does
 * not exist in 5.3. The DSL asks for it in its call hook to charge a call
 * for its arguments (lua/dsl.c's instruction budget). In a 5.3 call hook
 * lua_gettop is the called function's stack: its arguments for a C
 * function, its frame (at least its arguments) for a Lua one, so "r" is
 * answered with that, in the currentline field that ntransfer names here. */
#define ntransfer currentline
#define lua_getinfo(L, w, ar) \
    ((w)[0] == 'r' && (w)[1] == 0 ? ((ar)->currentline = lua_gettop(L), 1) \
                                  : (lua_getinfo)((L), (w), (ar)))
#endif
