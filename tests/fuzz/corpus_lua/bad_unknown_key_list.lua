-- expect: unknown_key_list.lua:2: sgd{}: unknown key 'nesterov' (keys: lr, momentum, wd)
local o = sgd{ lr = 0.1, nesterov = true }
