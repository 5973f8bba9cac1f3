// parallel.go, the error path: the first result with an error makes md5_all
// return and close done, which stops the walk and the digesters still
// sending; main reports the error and exits 1, and no goroutine is left.
// This is parallel.cpp run with --unreadable (see md5_test.hpp).
#include "parallel.cpp"
