-- jobs: 1
-- Everything defaulted: a linear model trained with ERM.
return grid{ data = dataset "lua-data/tiny.h5", student = mlp{}, method = erm{} }
