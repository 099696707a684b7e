//go:build !linux

package main

import (
	"os"
	"time"
)

// rusage returns the CPU time of an exited child; the peak RSS is measured
// on Linux only.
func rusage(ps *os.ProcessState) (cpu time.Duration, maxRSS int64) {
	return ps.UserTime() + ps.SystemTime(), 0
}

// procCPU and procHWM read /proc, which only Linux has.
func procCPU(int) time.Duration { return 0 }
func procHWM(int) int64         { return 0 }
