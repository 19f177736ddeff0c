//go:build !linux

package media

import "syscall"

func childProcAttr() *syscall.SysProcAttr { return nil }
