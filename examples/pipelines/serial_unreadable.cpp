// serial.go, the error path: md5_all meets a file it cannot read, stops the
// walk there and returns the error; main reports it and exits 1. This is
// serial.cpp run with --unreadable (see md5_test.hpp).
#include "serial.cpp"
