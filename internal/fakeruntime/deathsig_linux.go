package fakeruntime

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill the function when the test
// process dies, even if it is killed before it can stop the function.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
