package server

import "syscall"

// errTooManyFiles is the accept error worth retrying after a pause: the
// process ran out of file descriptors, and closing connections frees them.
var errTooManyFiles error = syscall.EMFILE
