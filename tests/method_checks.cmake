# every method-table row's objective composed with a model, by finite
# differences (a 1 % gradient error fails); the identification step, DeTT
# and JTT through the job runner (dett run of a small grid, in-process)
dett_unit_test(test_gradcheck_methods test_gradcheck_methods.c)
dett_unit_test(test_jobrun_methods test_jobrun_methods.c)
target_link_libraries(test_jobrun_methods PRIVATE dett_test_fixture)
dett_unit_test(test_train_step test_train_step.c)
target_link_libraries(test_train_step PRIVATE dett_test_fixture)
dett_unit_test(test_select test_select.c)
# chains of students and init = "teacher" (issue 20): the layer-matching
# rule, and an in-process dett run of a chain and of init students
dett_unit_test(test_chain test_chain.c)
target_link_libraries(test_chain PRIVATE dett_test_fixture)
