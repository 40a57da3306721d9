-- expect: require.lua:2: unknown name 'require'
local socket = require "socket"
