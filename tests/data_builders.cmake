# dataset builders: runtime/data/data_cfmnist.c, data_dominoes.c, data_csv.c and
# their `dett data` subcommands, on small stand-in inputs the test writes
# (the real Fashion-MNIST and MNIST packages are not needed)
dett_unit_test(test_data_builders test_data_builders.c)
