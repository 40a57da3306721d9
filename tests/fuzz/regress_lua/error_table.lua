-- expect: error_table.lua:2: error object is a table value (not a message)
error({})
