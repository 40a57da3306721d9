-- expect: data_not_dataset.lua:2: grid{}: 'data' must be a dataset (dataset "file.h5"), got string "lua-data/tiny.h5"
return grid{ data = "lua-data/tiny.h5", student = mlp{4}, method = erm{} }
