/* lua53_compat.h - the Lua 5.4 calls of lua/ on Lua 5.3 (force-included by
 * cmake/DettLua.cmake into every file that links Lua 5.3; 5.4 builds never
 * see it). Each maps a 5.4 API onto its 5.3 equivalent with one user value. */
#ifndef DETT_LUA53_COMPAT_H
#define DETT_LUA53_COMPAT_H
#include <lua.h>
#if LUA_VERSION_NUM == 503
#ifndef LUA_GNAME
#define LUA_GNAME "_G"
#endif
/* full userdata with nuv user values: 5.3 has exactly one (a table slot) */
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata((L), (sz))
/* user value n (only n = 1 exists in 5.3): pushes it, returns its type */
static inline int dett_lua53_getiuservalue(lua_State *L, int idx, int n)
{
    if (n != 1) { lua_pushnil(L); return LUA_TNONE; }
    return lua_getuservalue(L, idx);
}
#define lua_getiuservalue(L, idx, n) dett_lua53_getiuservalue((L), (idx), (n))
/* pops a value into user value n; 0 if the userdata has no such value */
static inline int dett_lua53_setiuservalue(lua_State *L, int idx, int n)
{
    if (n != 1) { lua_pop(L, 1); return 0; }
    lua_setuservalue(L, idx);
    return 1;
}
#define lua_setiuservalue(L, idx, n) dett_lua53_setiuservalue((L), (idx), (n))
/* 5.4's lua_gc(L, what, ...) with its optional arguments: 5.3 takes one int */
#define lua_gc(L, ...) dett_lua53_gc((L), __VA_ARGS__, 0, 0)
#define dett_lua53_gc(L, what, data, ...) (lua_gc)((L), (what), (data))
#endif
#endif
