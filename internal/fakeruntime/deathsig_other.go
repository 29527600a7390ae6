//go:build !linux

package fakeruntime

import "os/exec"

// setParentDeathSignal does nothing where the kernel offers no parent-death
// signal; there a function waiting for its next event still exits when the
// runtime's listener goes away.
func setParentDeathSignal(*exec.Cmd) {}
