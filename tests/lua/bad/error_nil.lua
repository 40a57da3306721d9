-- expect: error_nil.lua:2: error object is a nil value (not a message)
error()
