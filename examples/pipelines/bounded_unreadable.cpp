// bounded.go, the error path: the first result with an error makes md5_all
// return and close done, which stops the walk and the 20 digesters; main
// reports the error and exits 1, and no goroutine is left. This is
// bounded.cpp run with --unreadable (see md5_test.hpp).
#include "bounded.cpp"
