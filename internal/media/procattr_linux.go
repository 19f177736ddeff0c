package media

import "syscall"

// childProcAttr makes the kernel kill ffmpeg when Chorus dies, so that a
// crashed server leaves no transcode running behind it.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
